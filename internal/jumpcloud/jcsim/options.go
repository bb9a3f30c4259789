package jcsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
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
	// EventLogSize bounds the Directory Insights events kept per organization (the oldest are
	// dropped, an eighth of the bound at a time, as JumpCloud's retention drops old events); 0
	// means 100000.
	EventLogSize int
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
	// MaxLimit caps limit on GET /systemusers and the v2 lists (default 100, the documented
	// "Limited to 100"); larger values are lowered.
	MaxLimit int `json:"maxLimit,omitempty"`
	// MaxSearchLimit caps limit on POST /search/systemusers (default 1000).
	MaxSearchLimit int `json:"maxSearchLimit,omitempty"`
	// ManagerNull answers a user without a manager with "manager": null, as the simulator did
	// before it followed the document, whose type for manager is string (default: "").
	ManagerNull bool `json:"managerNull,omitempty"`

	// LenientSSHKeys accepts any non-empty public_key (default: an OpenSSH public key line of
	// a known type is required, else 400).
	LenientSSHKeys bool `json:"lenientSSHKeys,omitempty"`
	// DuplicateSSHKeyStatus refuses a key a user already has (same type and key, whatever the
	// name and comment) with this status, 400 or 409; 0 (default) accepts duplicates.
	DuplicateSSHKeyStatus int `json:"duplicateSSHKeyStatus,omitempty"`

	// GroupDuplicateStatus is the status of a group name that another group of the
	// organization has, on create and update: 409 (default) or 400.
	GroupDuplicateStatus int `json:"groupDuplicateStatus,omitempty"`
	// GroupNameCaseInsensitive makes "Admins" clash with "admins".
	GroupNameCaseInsensitive bool `json:"groupNameCaseInsensitive,omitempty"`
	// GroupDeleteNoContent answers DELETE /v2/usergroups/{id} with 204 and no body instead of
	// 200 with the deleted group (the document lists both).
	GroupDeleteNoContent bool `json:"groupDeleteNoContent,omitempty"`
	// MemberExistsStatus answers adding a user who is already a member: 409 "Already Exists"
	// (default), 400, or 204 to accept it as a no-op.
	MemberExistsStatus int `json:"memberExistsStatus,omitempty"`
	// MemberMissingStatus answers removing a user who is not a member: 404 (default), 400,
	// 409, or 204 to accept it as a no-op.
	MemberMissingStatus int `json:"memberMissingStatus,omitempty"`
	// DynamicMemberEditStatus answers POST .../members on a dynamic group (DYNAMIC_AUTOMATED
	// or DYNAMIC_REVIEW_REQUIRED): 400 (default), 403 or 409.
	DynamicMemberEditStatus int `json:"dynamicMemberEditStatus,omitempty"`
	// AutoApproveSuggestions makes DYNAMIC_REVIEW_REQUIRED groups behave like DYNAMIC_AUTOMATED
	// ones: their members are the query's result, with no suggestions waiting for review.
	AutoApproveSuggestions bool `json:"autoApproveSuggestions,omitempty"`
	// OmitTotalCountHeader leaves the x-total-count header out of v2 list answers.
	OmitTotalCountHeader bool `json:"omitTotalCountHeader,omitempty"`

	// InsightsDisabled answers the Directory Insights API (POST /insights/directory/v1/events
	// and /events/count) with 402 "Directory Insights is not enabled for your organization", as
	// JumpCloud does for a plan without it. Events are still recorded.
	InsightsDisabled bool `json:"insightsDisabled,omitempty"`
	// EventDelay is how long after a change its event becomes visible to /events: Directory
	// Insights ingests events with a lag. EventDelayJitter adds a uniform random [0, jitter) per
	// event, so that events may also become visible out of order. Both default to 0 (at once).
	EventDelay       time.Duration `json:"eventDelay,omitempty"`
	EventDelayJitter time.Duration `json:"eventDelayJitter,omitempty"`
	// EventClockSkew is added to event timestamps and to the clock /events checks start_time
	// against (JumpCloud refuses a start in its future): Directory Insights' clock ahead of
	// (positive) or behind the simulator's.
	EventClockSkew time.Duration `json:"eventClockSkew,omitempty"`
	// EventsOmitUserAgent leaves useragent out of events.
	EventsOmitUserAgent bool `json:"eventsOmitUserAgent,omitempty"`
	// EventsRawUserAgent writes useragent as the request's User-Agent string. By default it is
	// the parsed object JumpCloud's document shows ({"name": "Chrome", "major": "130", "os":
	// "Mac OS X", ...}), where a client that is no known browser is named "Other", as a
	// user-agent parser names it.
	EventsRawUserAgent bool `json:"eventsRawUserAgent,omitempty"`
	// EventsOmitChanges leaves changes ({field, from, to}) out of events.
	EventsOmitChanges bool `json:"eventsOmitChanges,omitempty"`
	// EventTypes names the event_type (and resource types) of each kind of change; empty fields
	// take DefaultEventTypes.
	EventTypes EventTypes `json:"eventTypes"`

	// Latency is added to every /api request, plus a uniform random Jitter in [0, Jitter).
	Latency time.Duration `json:"latency,omitempty"`
	Jitter  time.Duration `json:"jitter,omitempty"`
	// RateLimit is a server-side token bucket per API key; over the limit, requests get 429.
	RateLimit RateLimit `json:"rateLimit"`
	// Faults inject random failures.
	Faults Faults `json:"faults"`
}

// EventTypes are the names Directory Insights events are recorded with. JumpCloud documents the
// event types of its directory service in a table but not which one each admin action logs, so
// each is a knob.
type EventTypes struct {
	// UserCreate, UserUpdate, UserDelete: API creates/updates/deletes and console edits.
	UserCreate string `json:"userCreate,omitempty"`
	UserUpdate string `json:"userUpdate,omitempty"`
	UserDelete string `json:"userDelete,omitempty"`
	// UserSuspend (POST .../state/suspend), UserActivate (POST .../state/activate), UserUnlock
	// (POST .../unlock), UserExpirePassword (POST .../expire), UserResetMFA (POST .../resetmfa).
	// A PUT that changes the state is a UserUpdate.
	UserSuspend        string `json:"userSuspend,omitempty"`
	UserActivate       string `json:"userActivate,omitempty"`
	UserUnlock         string `json:"userUnlock,omitempty"`
	UserExpirePassword string `json:"userExpirePassword,omitempty"`
	UserResetMFA       string `json:"userResetMFA,omitempty"`
	// UserLockout is the event of LockOut (failed logins).
	UserLockout string `json:"userLockout,omitempty"`
	// SSHKeyAdd and SSHKeyRemove: a user's SSH key added or deleted (POST/DELETE .../sshkeys).
	SSHKeyAdd    string `json:"sshKeyAdd,omitempty"`
	SSHKeyRemove string `json:"sshKeyRemove,omitempty"`
	// GroupCreate, GroupUpdate, GroupDelete: user groups.
	GroupCreate string `json:"groupCreate,omitempty"`
	GroupUpdate string `json:"groupUpdate,omitempty"`
	GroupDelete string `json:"groupDelete,omitempty"`
	// Association: a user added to or removed from a group.
	Association string `json:"association,omitempty"`
	// UserResource and GroupResource are the resource (and association end) types of users and
	// user groups.
	UserResource  string `json:"userResource,omitempty"`
	GroupResource string `json:"groupResource,omitempty"`
}

// DefaultEventTypes follow JumpCloud's Directory Insights document, whose event table lists
// user_create, user_update, user_delete, user_suspended, user_activated, user_unlocked,
// user_lockout, group_create, group_update, group_delete and association_change (JumpCloud's own
// PowerShell examples search for group_create). Expiring a password, resetting MFA and changing
// SSH keys have no event of their own in the table: they are user_update. Users are resources of
// type "user", groups "user_group".
func DefaultEventTypes() EventTypes {
	return EventTypes{
		UserCreate: "user_create", UserUpdate: "user_update", UserDelete: "user_delete",
		UserSuspend: "user_suspended", UserActivate: "user_activated", UserUnlock: "user_unlocked",
		UserExpirePassword: "user_update", UserResetMFA: "user_update", UserLockout: "user_lockout",
		SSHKeyAdd: "user_update", SSHKeyRemove: "user_update",
		GroupCreate: "group_create", GroupUpdate: "group_update", GroupDelete: "group_delete",
		Association: "association_change", UserResource: "user", GroupResource: "user_group",
	}
}

// withDefaults fills the empty names from DefaultEventTypes.
func (e EventTypes) withDefaults() EventTypes {
	d := DefaultEventTypes()
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&e.UserCreate, d.UserCreate}, {&e.UserUpdate, d.UserUpdate}, {&e.UserDelete, d.UserDelete},
		{&e.UserSuspend, d.UserSuspend}, {&e.UserActivate, d.UserActivate}, {&e.UserUnlock, d.UserUnlock},
		{&e.UserExpirePassword, d.UserExpirePassword}, {&e.UserResetMFA, d.UserResetMFA}, {&e.UserLockout, d.UserLockout},
		{&e.SSHKeyAdd, d.SSHKeyAdd}, {&e.SSHKeyRemove, d.SSHKeyRemove},
		{&e.GroupCreate, d.GroupCreate}, {&e.GroupUpdate, d.GroupUpdate}, {&e.GroupDelete, d.GroupDelete},
		{&e.Association, d.Association}, {&e.UserResource, d.UserResource}, {&e.GroupResource, d.GroupResource},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	return e
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
	// "activate", "suspend", "unlock", "expire", "resetmfa", "sshkey-list", "sshkey-add",
	// "sshkey-delete", "group-list", "group-get", "group-create", "group-update",
	// "group-delete", "member-list", "member-add", "member-remove", "membership", "memberof",
	// and the Directory Insights "events" and "events-count") or "*" for any.
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
// injection), outside any lock, with the operation name and the id from the path: a user's for
// v1 operations, sshkey-* and memberof, a group's for group-*, member-* and membership ("" for
// lists, search and creates). It may block: the request waits for it.
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
	if k.GroupDuplicateStatus == 0 {
		k.GroupDuplicateStatus = http.StatusConflict
	}
	if k.MemberExistsStatus == 0 {
		k.MemberExistsStatus = http.StatusConflict
	}
	if k.MemberMissingStatus == 0 {
		k.MemberMissingStatus = http.StatusNotFound
	}
	if k.DynamicMemberEditStatus == 0 {
		k.DynamicMemberEditStatus = http.StatusBadRequest
	}
	k.EventTypes = k.EventTypes.withDefaults()
	return k
}

// oneOf reports whether code is 0 (the default) or one of allowed.
func oneOf(code int, allowed ...int) bool {
	return code == 0 || slices.Contains(allowed, code)
}

// Validate reports knobs that make no sense (the CLI and PUT /_sim/config use it).
func (k Knobs) Validate() error {
	switch k.DefaultState {
	case "", StateActivated, StateStaged:
	default:
		return fmt.Errorf("defaultState must be ACTIVATED or STAGED, not %q", k.DefaultState)
	}
	for _, c := range []struct {
		name    string
		code    int
		allowed []int
	}{
		{"duplicateStatus", k.DuplicateStatus, []int{400, 409}},
		{"duplicateSSHKeyStatus", k.DuplicateSSHKeyStatus, []int{400, 409}},
		{"groupDuplicateStatus", k.GroupDuplicateStatus, []int{400, 409}},
		{"memberExistsStatus", k.MemberExistsStatus, []int{204, 400, 409}},
		{"memberMissingStatus", k.MemberMissingStatus, []int{204, 400, 404, 409}},
		{"dynamicMemberEditStatus", k.DynamicMemberEditStatus, []int{400, 403, 409}},
	} {
		if !oneOf(c.code, c.allowed...) {
			return fmt.Errorf("%s must be one of %v, not %d", c.name, c.allowed, c.code)
		}
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
	if k.Latency < 0 || k.Jitter < 0 || k.Faults.SlowDelay < 0 || k.EventDelay < 0 || k.EventDelayJitter < 0 {
		return fmt.Errorf("durations must not be negative")
	}
	if k.RateLimit.RPS < 0 {
		return fmt.Errorf("rateLimit.rps must not be negative")
	}
	return nil
}
