package jumpcloud

import "time"

// Operation names, as passed to the Observer and set in Error.Operation. They are stable: a
// metrics issue uses them as label values.
const (
	OpList     = "list"
	OpGet      = "get"
	OpCreate   = "create"
	OpUpdate   = "update"
	OpDelete   = "delete"
	OpSearch   = "search"
	OpActivate = "activate"
	OpSuspend  = "suspend"
	OpUnlock   = "unlock"
	OpExpire   = "expire"
	OpResetMFA = "resetmfa"
)

// Retry reasons passed to Observer.ObserveRetry.
const (
	RetryReasonTooManyRequests    = "429"
	RetryReasonBadGateway         = "502"
	RetryReasonServiceUnavailable = "503"
	RetryReasonGatewayTimeout     = "504"
	RetryReasonConnection         = "connection"
	RetryReasonTimeout            = "timeout"
)

// Observer receives the client's metrics events. Implementations must be safe for concurrent use
// and must not block.
type Observer interface {
	// ObserveRequest is called once per HTTP attempt. statusCode is 0 when no answer arrived.
	ObserveRequest(operation string, statusCode int, duration time.Duration)
	// ObserveRetry is called before each retry, with one of the RetryReason* constants.
	ObserveRetry(operation string, reason string)
	// ObserveRateLimitWait is called when the client-side rate limiter delayed a request.
	ObserveRateLimitWait(duration time.Duration)
}

// ObserverFuncs adapts plain functions to Observer; nil functions are skipped.
type ObserverFuncs struct {
	Request       func(operation string, statusCode int, duration time.Duration)
	Retry         func(operation string, reason string)
	RateLimitWait func(duration time.Duration)
}

// ObserveRequest implements Observer.
func (o ObserverFuncs) ObserveRequest(op string, code int, d time.Duration) {
	if o.Request != nil {
		o.Request(op, code, d)
	}
}

// ObserveRetry implements Observer.
func (o ObserverFuncs) ObserveRetry(op, reason string) {
	if o.Retry != nil {
		o.Retry(op, reason)
	}
}

// ObserveRateLimitWait implements Observer.
func (o ObserverFuncs) ObserveRateLimitWait(d time.Duration) {
	if o.RateLimitWait != nil {
		o.RateLimitWait(d)
	}
}
