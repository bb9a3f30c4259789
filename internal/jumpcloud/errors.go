package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kind classifies an Error. Callers branch on the Kind (or the Is* helpers), never on messages.
type Kind string

// The error kinds.
const (
	// KindNotFound: the user (or organization) does not exist (HTTP 404).
	KindNotFound Kind = "NotFound"
	// KindAlreadyExists: a create or update clashed with another user's unique username, email or
	// employeeIdentifier. JumpCloud answers this as 400 ("User already exists or Bad Request") or
	// 409; both are mapped here. Likewise a user group's name on group create/update, and a key
	// the user already has on SSH key add.
	KindAlreadyExists Kind = "AlreadyExists"
	// KindValidation: JumpCloud rejected the request's content (400/422), e.g. a password that
	// breaks the password policy. FieldViolations carries JumpCloud's details when it sent them.
	// Also used for arguments the client rejects before sending anything (StatusCode 0).
	KindValidation Kind = "Validation"
	// KindUnauthorized: missing or invalid API key, or x-org-id missing for a multi-tenant key (401).
	KindUnauthorized Kind = "Unauthorized"
	// KindForbidden: the key may not do this, or the client IP is blocked (403).
	KindForbidden Kind = "Forbidden"
	// KindRateLimited: JumpCloud answered 429. RetryAfter is set when it said when to retry.
	KindRateLimited Kind = "RateLimited"
	// KindUnavailable: 5xx, or no HTTP answer at all (connection error, timeout, cancelled
	// context). errors.Is(err, context.Canceled / context.DeadlineExceeded) works through it.
	KindUnavailable Kind = "Unavailable"
	// KindConflict: 409 on an operation other than create/update (e.g. deleting a manager without
	// cascade_manager, activating a suspended user, editing the members of a dynamic group).
	KindConflict Kind = "Conflict"
	// KindUnknown: any other non-2xx answer, or a 2xx answer whose body could not be decoded.
	KindUnknown Kind = "Unknown"
)

// FieldViolation is one rule a field broke, as JumpCloud reports it in google.rpc.BadRequest
// details (e.g. Field "password", Description "specialCharacter").
type FieldViolation struct {
	Field       string
	Description string
}

// Error is the only error type the client returns (possibly wrapped by nothing else).
//
// It never contains the API key, a password or a response body: Message is JumpCloud's JSON
// "message" field only (with any secret the request carried redacted), and transport errors are
// wrapped as Err.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Operation is the stable operation name ("get", "create", ...; see the Op* constants).
	Operation string
	// StatusCode is the HTTP status, or 0 when no HTTP answer was received.
	StatusCode int
	// Message is JumpCloud's "message" field, when the body was JSON and had one.
	Message string
	// FieldViolations lists the rules broken, from JumpCloud's details (Validation) or, best
	// effort, the field that clashed (AlreadyExists; Description "already exists").
	FieldViolations []FieldViolation
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Err is the underlying transport or decoding error, if any.
	Err error

	// reason is JumpCloud's machine-readable "status" field, when the body was JSON and had one
	// (API v2 documents it as a stable error code, e.g. "invalidName"; v1 sends the HTTP status
	// text). Only the client itself reads it (see membershipSettled).
	reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("jumpcloud ")
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, v := range e.FieldViolations {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(v.Field)
		b.WriteString(": ")
		b.WriteString(v.Description)
		if i == len(e.FieldViolations)-1 {
			b.WriteString("]")
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying transport error, so errors.Is(err, context.Canceled) works.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or "" when err is not (and does not wrap) an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsNotFound reports whether err is a KindNotFound error.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IsAlreadyExists reports whether err is a KindAlreadyExists error.
func IsAlreadyExists(err error) bool { return KindOf(err) == KindAlreadyExists }

// IsValidation reports whether err is a KindValidation error.
func IsValidation(err error) bool { return KindOf(err) == KindValidation }

// IsUnauthorized reports whether err is a KindUnauthorized error.
func IsUnauthorized(err error) bool { return KindOf(err) == KindUnauthorized }

// IsForbidden reports whether err is a KindForbidden error.
func IsForbidden(err error) bool { return KindOf(err) == KindForbidden }

// IsRateLimited reports whether err is a KindRateLimited error.
func IsRateLimited(err error) bool { return KindOf(err) == KindRateLimited }

// IsUnavailable reports whether err is a KindUnavailable error.
func IsUnavailable(err error) bool { return KindOf(err) == KindUnavailable }

// IsConflict reports whether err is a KindConflict error.
func IsConflict(err error) bool { return KindOf(err) == KindConflict }

// IsRetryable reports whether trying again later may succeed: rate limited or unavailable, but
// not when the caller's own context was cancelled or timed out.
func IsRetryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	k := KindOf(err)
	return k == KindRateLimited || k == KindUnavailable
}

// RetryAfterOf returns the Retry-After the server sent with err, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// maxMessageLen bounds Message, in case a server echoes a large input into it.
const maxMessageLen = 512

// errorBody is the JSON shape of JumpCloud's Error / ErrorDetails.
type errorBody struct {
	Message string            `json:"message"`
	Status  any               `json:"status"`
	Details []json.RawMessage `json:"details"`
}

type detailBody struct {
	FieldViolationsList []fieldViolationBody `json:"fieldViolationsList"`
	FieldViolations     []fieldViolationBody `json:"fieldViolations"`
}

type fieldViolationBody struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// classify turns a non-2xx HTTP answer into an *Error. It is the only place that decides a Kind
// from an answer:
//
//	400 on a write of a unique field whose message says it already exists -> AlreadyExists
//	400, 422                                                         -> Validation
//	401 -> Unauthorized; 403 -> Forbidden; 404 -> NotFound
//	409 on a write of a unique field -> AlreadyExists; 409 elsewhere -> Conflict
//	429 -> RateLimited; 5xx -> Unavailable; anything else -> Unknown
//
// JumpCloud documents one 400 for both "User already exists" and "Bad Request", so for 400 the
// decision needs the message; that look-up happens here and nowhere else. The writes of a unique
// field are user create/update, group create/update (the group name) and SSH key add (see
// writesUniqueField). Whether a failed membership change is already in place is decided apart,
// also inside the client (membershipSettled). The body is read only for its "message", "status"
// and "details" fields; anything that is not JSON is dropped. secrets are redacted from the
// message.
func classify(op string, status int, header http.Header, body []byte, now time.Time, secrets ...string) *Error {
	e := &Error{Operation: op, StatusCode: status}
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil {
		e.Message = sanitizeMessage(eb.Message, secrets)
		if st, ok := eb.Status.(string); ok {
			e.reason = sanitizeMessage(st, secrets)
		}
		for _, raw := range eb.Details {
			var d detailBody
			if json.Unmarshal(raw, &d) != nil {
				continue
			}
			for _, v := range append(d.FieldViolationsList, d.FieldViolations...) {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{
					Field:       sanitizeMessage(v.Field, secrets),
					Description: sanitizeMessage(v.Description, secrets),
				})
			}
		}
	}
	if d, ok := parseRetryAfter(header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	writes := writesUniqueField(op)
	switch {
	case status == http.StatusBadRequest && writes && looksLikeDuplicate(e.Message):
		e.Kind = KindAlreadyExists
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		e.Kind = KindValidation
	case status == http.StatusUnauthorized:
		e.Kind = KindUnauthorized
	case status == http.StatusForbidden:
		e.Kind = KindForbidden
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
	case status == http.StatusConflict && writes:
		e.Kind = KindAlreadyExists
	case status == http.StatusConflict:
		e.Kind = KindConflict
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	case status >= 500 && status <= 599:
		e.Kind = KindUnavailable
	default:
		e.Kind = KindUnknown
	}
	if e.Kind == KindAlreadyExists && len(e.FieldViolations) == 0 {
		if f := duplicateFieldOf(op, e.Message); f != "" {
			e.FieldViolations = []FieldViolation{{Field: f, Description: "already exists"}}
		}
	}
	return e
}

// writesUniqueField reports whether op creates or changes something with a unique field, so that
// a clash (409, or a 400 worded as a duplicate) is AlreadyExists rather than Validation/Conflict.
func writesUniqueField(op string) bool {
	switch op {
	case OpCreate, OpUpdate, OpGroupCreate, OpGroupUpdate, OpSSHKeyAdd:
		return true
	}
	return false
}

// duplicateFieldOf guesses which unique field a duplicate message names, by operation.
func duplicateFieldOf(op, msg string) string {
	switch op {
	case OpGroupCreate, OpGroupUpdate:
		if strings.Contains(strings.ToLower(msg), "email") {
			return "email"
		}
		return "name" // a user group's name is what JumpCloud keeps unique
	case OpSSHKeyAdd:
		return ""
	}
	return duplicateField(msg)
}

// duplicatePhrases are the ways a uniqueness clash is worded in JumpCloud-style messages.
var duplicatePhrases = []string{"already exist", "already in use", "already taken", "duplicate", "must be unique", "not unique"}

func looksLikeDuplicate(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range duplicatePhrases {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

// duplicateField guesses which unique field a duplicate message names.
func duplicateField(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "employeeidentifier"), strings.Contains(m, "employee identifier"), strings.Contains(m, "employee_identifier"):
		return "employeeIdentifier"
	case strings.Contains(m, "username"), strings.Contains(m, "user name"):
		return "username"
	case strings.Contains(m, "email"):
		return "email"
	}
	return ""
}

// sanitizeMessage redacts secrets and bounds the length of a server-provided string.
func sanitizeMessage(s string, secrets []string) string {
	for _, sec := range secrets {
		// Secrets shorter than 3 characters would mangle ordinary words; none is that short.
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	if len(s) > maxMessageLen {
		s = strings.ToValidUTF8(s[:maxMessageLen], "") + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. Dates in the past
// yield 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, ok := parseNonNegativeInt(v); ok {
		const maxSecs = 1 << 31
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := max(t.Sub(now), 0)
		return d, true
	}
	return 0, false
}

func parseNonNegativeInt(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// invalidArgument builds the client-side Validation error for a bad argument.
func invalidArgument(op, msg string) *Error {
	return &Error{Kind: KindValidation, Operation: op, Message: msg}
}
