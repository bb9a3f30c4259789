package jumpcloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Version is the operator version reported in the User-Agent header. It is set at build time with
// -ldflags "-X github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud.Version=v1.2.3".
var Version = "dev"

// Region base URLs (the v1 API hangs directly off /api).
const (
	BaseURLUS = "https://console.jumpcloud.com/api"
	BaseURLEU = "https://console.eu.jumpcloud.com/api"
	BaseURLIN = "https://console.in.jumpcloud.com/api"
)

// Defaults applied by New when the corresponding option is zero.
const (
	DefaultRequestsPerSecond = 10
	DefaultBurst             = 20
	DefaultMaxRetries        = 4
	DefaultRequestTimeout    = 30 * time.Second
	DefaultRetryBaseDelay    = 500 * time.Millisecond
	DefaultRetryMaxDelay     = 30 * time.Second
)

// Options configure a Client. Only APIKey is required.
type Options struct {
	// BaseURL overrides Region. It includes the /api part, e.g. https://console.jumpcloud.com/api.
	// https is required, except for loopback hosts (127.0.0.0/8, ::1, localhost), where plain
	// http is accepted so that tests and demos can use the simulator.
	BaseURL string
	// Region selects the JumpCloud console: "US" (default), "EU" or "IN". Case-insensitive.
	Region string
	// APIKey is sent as x-api-key. Required.
	APIKey string
	// OrgID is sent as x-org-id when set (required by JumpCloud for multi-tenant admin keys).
	OrgID string

	// RequestsPerSecond and Burst configure the client-side token bucket. Zero means the
	// defaults (10 rps, burst 20); a negative RequestsPerSecond disables client-side limiting.
	RequestsPerSecond float64
	Burst             int

	// HTTPClient is used for every request; nil means a client with a clone of
	// http.DefaultTransport. Its Timeout should be zero: RequestTimeout bounds each attempt.
	HTTPClient *http.Client
	// UserAgent, when set, is prepended to the default "jumpcloud-operator/<Version>".
	UserAgent string

	// MaxRetries bounds the retries of one idempotent call (not counting the first attempt).
	// Zero means DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// RequestTimeout bounds each HTTP attempt. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff with full jitter: the n-th
	// retry waits a random duration in [0, min(RetryMaxDelay, RetryBaseDelay*2^n)). A
	// Retry-After longer than RetryMaxDelay ends the call with a RateLimited/Unavailable error
	// whose RetryAfter field tells the caller when to come back.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration

	// Observer receives metrics events; nil means none.
	Observer Observer

	// Now and Sleep are injectable for tests. Sleep must return ctx.Err() when ctx ends first.
	// Rand returns a float in [0,1) for jitter. All default to the real thing.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// resolveBaseURL picks the base URL from BaseURL or Region and checks it.
func resolveBaseURL(baseURL, region string) (*url.URL, error) {
	raw := strings.TrimSpace(baseURL)
	if raw == "" {
		switch strings.ToUpper(strings.TrimSpace(region)) {
		case "", "US":
			raw = BaseURLUS
		case "EU":
			raw = BaseURLEU
		case "IN":
			raw = BaseURLIN
		default:
			return nil, fmt.Errorf("jumpcloud: unknown region %q (want US, EU or IN)", region)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("jumpcloud: base URL is not a valid URL")
	}
	if u.User != nil {
		return nil, errors.New("jumpcloud: base URL must not contain credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("jumpcloud: base URL must not have a query or fragment")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("jumpcloud: base URL %q has no host", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("jumpcloud: base URL %q: plain http is only allowed to loopback hosts", u.Redacted())
		}
	default:
		return nil, fmt.Errorf("jumpcloud: base URL %q: scheme must be https", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isLoopbackHost reports whether host is localhost, in 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func realSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
