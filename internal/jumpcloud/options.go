package jumpcloud

import (
	"context"
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

// Directory Insights base URLs of the regions (JumpCloud's document lists these servers).
const (
	InsightsURLUS = "https://api.jumpcloud.com/insights/directory/v1"
	InsightsURLEU = "https://api.eu.jumpcloud.com/insights/directory/v1"
	InsightsURLIN = "https://api.in.jumpcloud.com/insights/directory/v1"
)

// insightsPath is the path of the Directory Insights API below its host.
const insightsPath = "/insights/directory/v1"

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
	// InsightsURL overrides the base URL of the Directory Insights API (Events), e.g.
	// https://api.jumpcloud.com/insights/directory/v1. It follows the rules of BaseURL (https,
	// or plain http to loopback hosts only). When empty it is derived from the base URL: the host
	// "console.X" becomes "api.X" (so each region's console maps to its insights host), any
	// other host (a proxy, the simulator on 127.0.0.1) is kept, and a trailing /api in the path
	// is replaced by /insights/directory/v1.
	InsightsURL string

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
	return parseAPIURL("base URL", raw)
}

// parseAPIURL checks an API base URL (what names it in errors): no credentials, query or
// fragment; https, or plain http to a loopback host. The path loses its trailing slashes.
func parseAPIURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("jumpcloud: %s is not a valid URL", what)
	}
	if u.User != nil {
		return nil, fmt.Errorf("jumpcloud: %s must not contain credentials", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("jumpcloud: %s must not have a query or fragment", what)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("jumpcloud: %s %q has no host", what, raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("jumpcloud: %s %q: plain http is only allowed to loopback hosts", what, u.Redacted())
		}
	default:
		return nil, fmt.Errorf("jumpcloud: %s %q: scheme must be https", what, u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// resolveInsightsURL picks the Directory Insights base URL: raw when set (checked like a base
// URL), else derived from the resolved base URL. JumpCloud serves the insights API from
// api.<domain>/insights/directory/v1 while v1 and v2 hang off console.<domain>/api, so a
// console host becomes an api host; any other host (a proxy, the simulator) is kept, on the
// assumption that it serves both.
func resolveInsightsURL(raw string, base *url.URL) (*url.URL, error) {
	if raw = strings.TrimSpace(raw); raw != "" {
		return parseAPIURL("insights URL", raw)
	}
	u := *base
	u.User = nil
	if rest, ok := strings.CutPrefix(strings.ToLower(u.Host), "console."); ok && !isLoopbackHost(u.Hostname()) {
		u.Host = "api." + rest
	}
	prefix := strings.TrimSuffix(u.Path, "/api")
	u.Path = prefix + insightsPath
	u.RawPath = ""
	return &u, nil
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
