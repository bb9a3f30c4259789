package jumpcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// maxResponseBytes bounds how much of an answer the client reads.
const maxResponseBytes = 32 << 20

// Client talks to JumpCloud's API v1 for system users. It is safe for concurrent use; share one
// per connection (API key + org) so that its rate limiter is shared too.
type Client struct {
	base       string // scheme://host/path, no trailing slash
	insights   string // the Directory Insights API's base URL, no trailing slash
	apiKey     string
	orgID      string
	userAgent  string
	hc         *http.Client
	limiter    *rate.Limiter
	maxRetries int
	timeout    time.Duration
	baseDelay  time.Duration
	maxDelay   time.Duration
	obs        Observer
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	rand       func() float64

	// suspendRouteMissing is set once POST /state/suspend turned out not to exist, so later
	// suspends go straight to the PUT form.
	suspendRouteMissing atomic.Bool
	// writeHook is told of every write sent (OnWrite); nil when none is set.
	writeHook atomic.Pointer[WriteHook]
}

// New checks opts and builds a Client. It makes no request.
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.APIKey) == "" {
		return nil, errors.New("jumpcloud: an API key is required")
	}
	if strings.ContainsAny(opts.APIKey, "\r\n") {
		return nil, errors.New("jumpcloud: the API key contains a line break")
	}
	if strings.ContainsAny(opts.OrgID, "\r\n") {
		return nil, errors.New("jumpcloud: the org ID contains a line break")
	}
	base, err := resolveBaseURL(opts.BaseURL, opts.Region)
	if err != nil {
		return nil, err
	}
	insights, err := resolveInsightsURL(opts.InsightsURL, base)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base.String(),
		insights:   strings.TrimSuffix(insights.String(), "/"),
		apiKey:     opts.APIKey,
		orgID:      strings.TrimSpace(opts.OrgID),
		userAgent:  "jumpcloud-operator/" + Version,
		hc:         opts.HTTPClient,
		maxRetries: opts.MaxRetries,
		timeout:    opts.RequestTimeout,
		baseDelay:  opts.RetryBaseDelay,
		maxDelay:   opts.RetryMaxDelay,
		obs:        opts.Observer,
		now:        opts.Now,
		sleep:      opts.Sleep,
		rand:       opts.Rand,
	}
	if ua := strings.TrimSpace(opts.UserAgent); ua != "" {
		c.userAgent = ua + " " + c.userAgent
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	} else {
		hc := *c.hc // a copy: the caller's client is left as it is
		c.hc = &hc
	}
	// net/http would follow a redirect with every custom header, x-api-key included, to any host.
	// JumpCloud's API does not redirect, so a 3xx is answered as an error instead.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.timeout <= 0 {
		c.timeout = DefaultRequestTimeout
	}
	if c.baseDelay <= 0 {
		c.baseDelay = DefaultRetryBaseDelay
	}
	if c.maxDelay <= 0 {
		c.maxDelay = DefaultRetryMaxDelay
	}
	if c.obs == nil {
		c.obs = ObserverFuncs{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = realSleep
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	c.limiter = rate.NewLimiter(rateLimit(opts.RequestsPerSecond, opts.Burst)) // starts with a full bucket
	return c, nil
}

// SetRateLimit changes the client-side token bucket at runtime. Zero values mean the defaults; a
// negative rps disables limiting. Safe to call concurrently with requests.
func (c *Client) SetRateLimit(rps float64, burst int) {
	limit, b := rateLimit(rps, burst)
	c.limiter.SetLimit(limit)
	c.limiter.SetBurst(b)
}

func rateLimit(rps float64, burst int) (rate.Limit, int) {
	if rps == 0 {
		rps = DefaultRequestsPerSecond
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	if rps < 0 || math.IsInf(rps, 1) {
		return rate.Inf, burst
	}
	return rate.Limit(rps), burst
}

// BaseURL returns the base URL the client talks to (with the /api part).
func (c *Client) BaseURL() string { return c.base }

// retryPolicy says which failures of a call may be retried automatically.
type retryPolicy int

const (
	// retryNever: the call is not idempotent and its outcome must be decided by the caller
	// (create).
	retryNever retryPolicy = iota
	// retryRejectedOnly: only answers that prove the request was not processed (429) are
	// retried. Used for resetmfa, which emails the user each time it runs.
	retryRejectedOnly
	// retryIdempotent: 429, 502, 503, 504, connection errors and attempt timeouts.
	retryIdempotent
)

// request describes one API call.
type request struct {
	op     string
	method string
	path   string // below the base URL, segments already escaped
	query  url.Values
	body   []byte // nil: no body
	retry  retryPolicy
	// read marks a POST that changes nothing (a search, an events query), so that the write
	// hook is not told of it.
	read bool
	// secrets are redacted from any server message (the password being sent, if any).
	secrets []string
	// header holds extra request headers (e.g. x-query-dsl). The client's own headers
	// (x-api-key, x-org-id, Accept, Content-Type, User-Agent) are set after these and win.
	header http.Header
}

// response is a 2xx answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do runs a call with rate limiting, per-attempt timeouts and retries, and returns the 2xx answer
// or an *Error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	secrets := append([]string{c.apiKey}, r.secrets...)
	for attempt := 0; ; attempt++ {
		if err := c.waitForToken(ctx); err != nil {
			return nil, &Error{Kind: KindUnavailable, Operation: r.op, Err: err}
		}
		resp, err := c.attempt(ctx, r)
		var e *Error
		switch {
		case err != nil:
			e = &Error{Kind: KindUnavailable, Operation: r.op, Err: err}
		case resp.status >= 200 && resp.status <= 299:
			return resp, nil
		default:
			e = classify(r.op, resp.status, resp.header, resp.body, c.now(), secrets...)
		}
		reason, retryable := c.retryReason(ctx, r.retry, resp, err)
		if !retryable || attempt >= c.maxRetries {
			return nil, e
		}
		delay := c.backoff(attempt)
		if resp != nil {
			if ra, ok := parseRetryAfter(resp.header.Get("Retry-After"), c.now()); ok {
				delay = ra // the server knows best: no jitter on top
			}
		}
		if dl, ok := ctx.Deadline(); delay > c.maxDelay || ok && time.Until(dl) < delay {
			// The pause is longer than this call may take: hand the error to the caller, whose
			// RetryAfterOf(err) says when to come back, rather than sleep into the deadline.
			return nil, e
		}
		c.obs.ObserveRetry(r.op, reason)
		if err := c.sleep(ctx, delay); err != nil {
			last := *e
			last.Kind = KindUnavailable
			last.Err = err
			return nil, &last
		}
	}
}

// waitForToken waits for the client-side rate limiter.
func (c *Client) waitForToken(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	if err := c.limiter.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		// rate.Limiter refuses up front when the wait would outlast the deadline.
		return fmt.Errorf("client-side rate limit: %w", context.DeadlineExceeded)
	}
	if d := time.Since(start); d > time.Millisecond {
		c.obs.ObserveRateLimitWait(d)
	}
	return nil
}

// attempt sends one HTTP request and reads the whole answer.
func (c *Client) attempt(ctx context.Context, r request) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	for k, vs := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	req.Header.Set("x-api-key", c.apiKey)
	if c.orgID != "" {
		req.Header.Set("x-org-id", c.orgID)
	}
	// Like JumpCloud's own samples and SDKs: both on every request, with or without a body.
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	start := c.now()
	hr, err := c.hc.Do(req)
	if err != nil {
		c.obs.ObserveRequest(r.op, 0, c.now().Sub(start))
		c.noteWrite(r, 0, nil)
		return nil, transportError(ctx, err)
	}
	defer hr.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes+1))
	c.obs.ObserveRequest(r.op, hr.StatusCode, c.now().Sub(start))
	c.noteWrite(r, hr.StatusCode, b)
	if err != nil {
		return nil, transportError(ctx, fmt.Errorf("reading answer (HTTP %d): %w", hr.StatusCode, err))
	}
	if len(b) > maxResponseBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", maxResponseBytes)
	}
	return &response{status: hr.StatusCode, header: hr.Header, body: b}, nil
}

// transportError strips the request URL from net/http's errors (it carries no secret, but it is
// noise) and makes sure the caller's context error is what errors.Is finds.
func transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// retryReason decides whether a failed attempt may be retried, and why.
func (c *Client) retryReason(ctx context.Context, p retryPolicy, resp *response, err error) (string, bool) {
	if p == retryNever || ctx.Err() != nil {
		return "", false
	}
	if err != nil {
		if p != retryIdempotent {
			return "", false
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return RetryReasonTimeout, true
		}
		return RetryReasonConnection, true
	}
	switch resp.status {
	case http.StatusTooManyRequests:
		return RetryReasonTooManyRequests, true
	case http.StatusBadGateway:
		return RetryReasonBadGateway, p == retryIdempotent
	case http.StatusServiceUnavailable:
		return RetryReasonServiceUnavailable, p == retryIdempotent
	case http.StatusGatewayTimeout:
		return RetryReasonGatewayTimeout, p == retryIdempotent
	}
	return "", false
}

// backoff returns the full-jitter delay before retry number attempt (0-based).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.maxDelay
	if attempt < 32 {
		if d := c.baseDelay << attempt; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(c.rand() * float64(ceiling))
}
