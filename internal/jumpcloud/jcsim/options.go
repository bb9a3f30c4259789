package jcsim

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// DefaultOrg is the organization of keys given without one.
const DefaultOrg = "5f0c1a2b3c4d5e6f70819203"

// Options configure a Server. The zero value is usable apart from APIKeys: with no key every
// request is answered 401.
type Options struct {
	// APIKeys maps each accepted x-api-key to the organizations it may act on. A key with one
	// organization works without x-org-id; a key with several (a multi-tenant admin) must send
	// x-org-id (401 without it, 404 for an organization it does not have). An empty list means
	// DefaultOrg.
	APIKeys map[string][]string
	// AdminToken, when set, is required as x-sim-admin-token on /_sim/ admin endpoints; when
	// empty, those endpoints answer loopback clients only.
	AdminToken string

	Knobs

	// Now is the clock for timestamps and ids; nil means time.Now.
	Now func() time.Time
	// Seed seeds the random source of fault injection and jitter (0: a fixed default seed, so
	// runs are reproducible).
	Seed uint64
	// RequestLogSize bounds the request log (oldest entries are dropped); 0 means 10000.
	// Counters are never dropped.
	RequestLogSize int
	// OnRequest, when set, receives each API request's log entry once it is recorded (the
	// jumpcloud-sim command prints them with --verbose). It must not block.
	OnRequest func(Request)
}

// Knobs are the behaviours that can be changed while the server runs (SetKnobs, the Set*
// methods, or PUT /_sim/config).
type Knobs struct {
	// DefaultState is the state of users created without one: "ACTIVATED" (default) or
	// "STAGED" (JumpCloud's org setting newSystemUserStateDefaults.manualEntry).
	DefaultState string `json:"defaultState,omitempty"`
	// DuplicateStatus is the status of a uniqueness clash on create/update: 400 (default,
	// JumpCloud's documented "User already exists or Bad Request") or 409.
	DuplicateStatus int `json:"duplicateStatus,omitempty"`
	// UsernameRules nil means DefaultUsernameRules.
	UsernameRules *UsernameRules `json:"usernameRules,omitempty"`
	// PasswordPolicy nil means DefaultPasswordPolicy; a pointer to the zero value accepts any
	// non-empty password.
	PasswordPolicy *PasswordPolicy `json:"passwordPolicy,omitempty"`
	// DisableSuspendRoute makes POST /systemusers/{id}/state/suspend answer a plain 404 as if
	// the route did not exist (it appeared in JumpCloud's documentation only in 2026).
	DisableSuspendRoute bool `json:"disableSuspendRoute,omitempty"`
	// RejectPutActivateStaged makes PUT state=ACTIVATED on a STAGED user a 400 (whether
	// JumpCloud allows it is undocumented; by default it is allowed).
	RejectPutActivateStaged bool `json:"rejectPutActivateStaged,omitempty"`
	// MaxLimit caps limit on GET /systemusers (default 100); larger values are lowered.
	MaxLimit int `json:"maxLimit,omitempty"`
	// MaxSearchLimit caps limit on POST /search/systemusers (default 1000).
	MaxSearchLimit int `json:"maxSearchLimit,omitempty"`

	// Latency is added to every /api request, plus a uniform random Jitter in [0, Jitter).
	Latency time.Duration `json:"latency,omitempty"`
	Jitter  time.Duration `json:"jitter,omitempty"`
	// RateLimit is a server-side token bucket per API key; over the limit, requests get 429.
	RateLimit RateLimit `json:"rateLimit"`
	// Faults inject random failures.
	Faults Faults `json:"faults"`
}

// UsernameRules are the naming rules enforced on username.
type UsernameRules struct {
	// Pattern is a regular expression a username must match; "" means no pattern.
	Pattern string `json:"pattern"`
	// MaxLength bounds the length in characters; 0 means no bound.
	MaxLength int `json:"maxLength"`
	// CaseInsensitiveUnique makes "Alice" clash with "alice".
	CaseInsensitiveUnique bool `json:"caseInsensitiveUnique"`
}

// DefaultUsernameRules follow JumpCloud's naming KB: start with a letter; letters, digits, ".",
// "_" and "-" only (so no whitespace and no "@"); at most 1024 characters (the API schema's cap).
func DefaultUsernameRules() UsernameRules {
	return UsernameRules{Pattern: `^[A-Za-z][A-Za-z0-9._-]*$`, MaxLength: 1024}
}

// PasswordPolicy mirrors the relevant part of JumpCloud's organization password policy. The
// violation names reported in details are minLength, lowercaseCharacter, uppercaseCharacter,
// numericCharacter, specialCharacter and passwordHistory (JumpCloud documents the last two).
type PasswordPolicy struct {
	MinLength     int  `json:"minLength"`
	NeedsLower    bool `json:"needsLowercase"`
	NeedsUpper    bool `json:"needsUppercase"`
	NeedsNumeric  bool `json:"needsNumeric"`
	NeedsSymbolic bool `json:"needsSymbolic"`
	// MaxHistory rejects a new password equal to one of the last MaxHistory passwords
	// (including the current one); 0 disables the check.
	MaxHistory int `json:"maxHistory"`
}

// DefaultPasswordPolicy returns the default policy: at least 8 characters with lower and upper case, a digit and a symbol;
// the last 5 passwords may not be reused.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: 8, NeedsLower: true, NeedsUpper: true, NeedsNumeric: true, NeedsSymbolic: true, MaxHistory: 5}
}

// RateLimit is the server-side rate limit. RPS 0 disables it.
type RateLimit struct {
	RPS   float64 `json:"rps"`
	Burst int     `json:"burst"`
	// RetryAfter adds a Retry-After header (whole seconds, at least 1) to 429 answers.
	RetryAfter bool `json:"retryAfter"`
}

// Faults inject random failures into /api requests. Rates are probabilities in [0, 1].
type Faults struct {
	// Rate5xx answers that fraction of requests with Code (default 503) without running them.
	Rate5xx float64 `json:"rate5xx"`
	Code    int     `json:"code"`
	// SlowRate delays that fraction of requests by SlowDelay on top of Latency.
	SlowRate  float64       `json:"slowRate"`
	SlowDelay time.Duration `json:"slowDelay"`
	// CreateCommitThenDrop makes that fraction of creates store the user and then close the
	// connection without answering: the client cannot know the create took effect.
	CreateCommitThenDrop float64 `json:"createCommitThenDrop"`
}

// Fault is a deterministic, counted failure for the next requests of one operation.
type Fault struct {
	// Op is the operation name ("list", "get", "create", "update", "delete", "search",
	// "activate", "suspend", "unlock", "expire", "resetmfa") or "*" for any.
	Op string `json:"op"`
	// Times is how many requests fail (default 1).
	Times int `json:"times"`
	// Code is the status to answer (ignored with Drop).
	Code int `json:"code"`
	// RetryAfter, when set, is sent as the Retry-After header (seconds or an HTTP date).
	RetryAfter string `json:"retryAfter,omitempty"`
	// Drop closes the connection without answering. With AfterCommit the operation runs first
	// (commit then drop); without, it does not run.
	Drop        bool `json:"drop,omitempty"`
	AfterCommit bool `json:"afterCommit,omitempty"`
}

// Hook is called before an operation runs (after authentication, rate limiting and fault
// injection), outside any lock, with the operation name and the user id from the path ("" for
// list, search and create). It may block: the request waits for it.
type Hook func(op, userID string)

func (k Knobs) withDefaults() Knobs {
	if k.DefaultState == "" {
		k.DefaultState = StateActivated
	}
	if k.DuplicateStatus == 0 {
		k.DuplicateStatus = http.StatusBadRequest
	}
	if k.UsernameRules == nil {
		r := DefaultUsernameRules()
		k.UsernameRules = &r
	}
	if k.PasswordPolicy == nil {
		p := DefaultPasswordPolicy()
		k.PasswordPolicy = &p
	}
	if k.MaxLimit <= 0 {
		k.MaxLimit = 100
	}
	if k.MaxSearchLimit <= 0 {
		k.MaxSearchLimit = 1000
	}
	if k.Faults.Code == 0 {
		k.Faults.Code = http.StatusServiceUnavailable
	}
	return k
}

// Validate reports knobs that make no sense (the CLI and PUT /_sim/config use it).
func (k Knobs) Validate() error {
	switch k.DefaultState {
	case "", StateActivated, StateStaged:
	default:
		return fmt.Errorf("defaultState must be ACTIVATED or STAGED, not %q", k.DefaultState)
	}
	switch k.DuplicateStatus {
	case 0, http.StatusBadRequest, http.StatusConflict:
	default:
		return fmt.Errorf("duplicateStatus must be 400 or 409, not %d", k.DuplicateStatus)
	}
	if k.UsernameRules != nil && k.UsernameRules.Pattern != "" {
		if _, err := regexp.Compile(k.UsernameRules.Pattern); err != nil {
			return fmt.Errorf("usernameRules.pattern: %w", err)
		}
	}
	for name, p := range map[string]float64{
		"faults.rate5xx": k.Faults.Rate5xx, "faults.slowRate": k.Faults.SlowRate,
		"faults.createCommitThenDrop": k.Faults.CreateCommitThenDrop,
	} {
		if p < 0 || p > 1 {
			return fmt.Errorf("%s must be between 0 and 1", name)
		}
	}
	if k.Faults.Code != 0 && (k.Faults.Code < 400 || k.Faults.Code > 599) {
		return fmt.Errorf("faults.code must be a 4xx or 5xx status")
	}
	if k.Latency < 0 || k.Jitter < 0 || k.Faults.SlowDelay < 0 {
		return fmt.Errorf("durations must not be negative")
	}
	if k.RateLimit.RPS < 0 {
		return fmt.Errorf("rateLimit.rps must not be negative")
	}
	return nil
}
