package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// userPath returns /systemusers/<id><suffix>, rejecting ids that cannot be one.
func userPath(op, id, suffix string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", invalidArgument(op, "user id is empty")
	}
	if strings.ContainsAny(id, "/?#") {
		return "", invalidArgument(op, "user id contains a reserved character")
	}
	return "/systemusers/" + url.PathEscape(id) + suffix, nil
}

// GetUser returns the user with the given _id. With fields, only those are returned (the other
// fields of the User are zero); without, JumpCloud's default set.
func (c *Client) GetUser(ctx context.Context, id string, fields ...string) (*User, error) {
	path, err := userPath(OpGet, id, "")
	if err != nil {
		return nil, err
	}
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": {strings.Join(fields, " ")}}
	}
	resp, err := c.do(ctx, request{op: OpGet, method: http.MethodGet, path: path, query: q, retry: retryIdempotent})
	if err != nil {
		return nil, err
	}
	return decodeUserAnswer(OpGet, resp, id)
}

func decodeUserAnswer(op string, resp *response, id string) (*User, error) {
	u, err := decodeUser(resp.body)
	if err != nil {
		return nil, decodeError(op, resp.status)
	}
	if u.ID == "" {
		u.ID = id
	}
	return &u, nil
}

// CreateOptions tune CreateUser.
type CreateOptions struct {
	// FullValidationDetails asks JumpCloud to list every password rule a rejected password
	// breaks (?fullValidationDetails=password); they end up in Error.FieldViolations.
	FullValidationDetails bool
}

// CreateUser creates a user (POST /systemusers); Username and Email are required. JumpCloud
// answers 200 with the new user.
//
// CreateUser is never retried, not even after a 429, a 5xx or a lost connection: JumpCloud has no
// idempotency key, so whether a create whose answer was lost took effect is for the caller to find
// out (FindUserByUsername) before it tries again.
func (c *Client) CreateUser(ctx context.Context, f UserFields, opts CreateOptions) (*User, error) {
	if f.Username == nil || *f.Username == "" || f.Email == nil || *f.Email == "" {
		return nil, invalidArgument(OpCreate, "username and email are required")
	}
	body, err := json.Marshal(f)
	if err != nil {
		return nil, invalidArgument(OpCreate, "user fields cannot be encoded as JSON")
	}
	var q url.Values
	if opts.FullValidationDetails {
		q = url.Values{"fullValidationDetails": {"password"}}
	}
	resp, err := c.do(ctx, request{op: OpCreate, method: http.MethodPost, path: "/systemusers", query: q, body: body, retry: retryNever, secrets: secretsOf(f)})
	if err != nil {
		return nil, err
	}
	return decodeUserAnswer(OpCreate, resp, "")
}

// UpdateUser changes the fields set in f (PUT /systemusers/{id}; JumpCloud keeps the others) and
// returns the updated user. Lists are replaced whole. Activated cannot be updated, and STAGED is
// not a state one can update to.
//
// An update is retried like any idempotent call, except one that sets a password: replaying a
// password change that did take effect would trip JumpCloud's password-history rule, so that one
// is retried only after a 429. When a password is sent, JumpCloud is asked for full password
// validation details.
func (c *Client) UpdateUser(ctx context.Context, id string, f UserFields) (*User, error) {
	path, err := userPath(OpUpdate, id, "")
	if err != nil {
		return nil, err
	}
	if f.Activated != nil {
		return nil, invalidArgument(OpUpdate, "activated can only be set on create; use ActivateUser")
	}
	if f.State != nil && *f.State == StateStaged {
		return nil, invalidArgument(OpUpdate, "a user cannot be updated to STAGED")
	}
	body, err := json.Marshal(f)
	if err != nil {
		return nil, invalidArgument(OpUpdate, "user fields cannot be encoded as JSON")
	}
	policy := retryIdempotent
	var q url.Values
	if f.Password != nil {
		policy = retryRejectedOnly
		q = url.Values{"fullValidationDetails": {"password"}}
	}
	resp, err := c.do(ctx, request{op: OpUpdate, method: http.MethodPut, path: path, query: q, body: body, retry: policy, secrets: secretsOf(f)})
	if err != nil {
		return nil, err
	}
	return decodeUserAnswer(OpUpdate, resp, id)
}

func secretsOf(f UserFields) []string {
	if f.Password != nil && *f.Password != "" {
		return []string{*f.Password}
	}
	return nil
}

// DeleteOptions tune DeleteUser.
type DeleteOptions struct {
	// CascadeManager is sent as cascade_manager. "" means "null": the deleted user's direct
	// reports get their manager cleared. Another user's _id re-points them to that user.
	CascadeManager string
}

// DeleteUser deletes a user (DELETE /systemusers/{id}). A user that is already gone yields a
// NotFound error, which a finalizer should treat as success.
func (c *Client) DeleteUser(ctx context.Context, id string, opts DeleteOptions) error {
	path, err := userPath(OpDelete, id, "")
	if err != nil {
		return err
	}
	cascade := opts.CascadeManager
	if cascade == "" {
		cascade = "null"
	}
	_, err = c.do(ctx, request{op: OpDelete, method: http.MethodDelete, path: path, query: url.Values{"cascade_manager": {cascade}}, retry: retryIdempotent})
	return err
}

// ActivateOptions control the email JumpCloud sends when a STAGED user is activated.
type ActivateOptions struct {
	// SendEmail nil sends JumpCloud's default email ({}), true the same explicitly, false none.
	SendEmail *bool
	// EmailAddress, when set, sends the email to this address instead (SendEmail must not be
	// false).
	EmailAddress string
}

// ActivateUser moves a STAGED user to ACTIVATED (POST /systemusers/{id}/state/activate).
func (c *Client) ActivateUser(ctx context.Context, id string, opts ActivateOptions) error {
	path, err := userPath(OpActivate, id, "/state/activate")
	if err != nil {
		return err
	}
	body := map[string]any{}
	switch {
	case opts.EmailAddress != "" && opts.SendEmail != nil && !*opts.SendEmail:
		return invalidArgument(OpActivate, "an email address was given but sending the email is disabled")
	case opts.EmailAddress != "":
		body["email"] = opts.EmailAddress
	case opts.SendEmail != nil:
		body["email"] = *opts.SendEmail
	}
	b, _ := json.Marshal(body)
	_, err = c.do(ctx, request{op: OpActivate, method: http.MethodPost, path: path, body: b, retry: retryIdempotent})
	return err
}

// SuspendUser sets a user SUSPENDED. It uses POST /systemusers/{id}/state/suspend (documented
// since 2026, empty body). Where that route does not exist (404 for the route while the user does
// exist, 405, 501), it falls back to the long-documented PUT {"state":"SUSPENDED",
// "suspended":true}, and remembers to go straight there next time.
func (c *Client) SuspendUser(ctx context.Context, id string) error {
	path, err := userPath(OpSuspend, id, "/state/suspend")
	if err != nil {
		return err
	}
	if !c.suspendRouteMissing.Load() {
		_, err = c.do(ctx, request{op: OpSuspend, method: http.MethodPost, path: path, retry: retryIdempotent})
		if err == nil || !c.suspendRouteAbsent(ctx, id, err) {
			return err
		}
		c.suspendRouteMissing.Store(true)
	}
	_, err = c.UpdateUser(ctx, id, UserFields{State: Ptr(StateSuspended), Suspended: Ptr(true)})
	var e *Error
	if errors.As(err, &e) {
		e.Operation = OpSuspend
	}
	return err
}

// suspendRouteAbsent tells a missing suspend route from a missing user.
func (c *Client) suspendRouteAbsent(ctx context.Context, id string, err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.StatusCode {
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	case http.StatusNotFound:
		// Both "no such route" and "no such user" are 404: ask for the user.
		_, gerr := c.GetUser(ctx, id, "_id")
		return gerr == nil
	}
	return false
}

// UnlockUser unlocks an account locked after failed logins (POST /systemusers/{id}/unlock).
func (c *Client) UnlockUser(ctx context.Context, id string) error {
	return c.action(ctx, OpUnlock, id, "/unlock")
}

// ExpirePassword expires the user's password (POST /systemusers/{id}/expire): the user must set a
// new one at next login.
func (c *Client) ExpirePassword(ctx context.Context, id string) error {
	return c.action(ctx, OpExpire, id, "/expire")
}

// action posts a body-less action; its answer (a bare string, JSON or text/plain) is ignored.
func (c *Client) action(ctx context.Context, op, id, suffix string) error {
	path, err := userPath(op, id, suffix)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPost, path: path, retry: retryIdempotent})
	return err
}

// ResetMFAOptions set the enrollment grace period of a reset. With neither set the user must
// enroll at next login.
type ResetMFAOptions struct {
	// ExclusionDays (at least 1) lets the user log in without MFA for that many days.
	ExclusionDays *int
	// ExclusionUntil lets the user log in without MFA until then.
	ExclusionUntil *time.Time
}

// ResetMFA resets the user's TOTP key and starts a new enrollment period (POST
// /systemusers/{id}/resetmfa); exclusion is true when ExclusionDays or ExclusionUntil is set.
//
// JumpCloud emails the user on every reset, so a reset is retried only after a 429 (which proves
// it did not run), never after a 5xx or a lost connection: the caller decides.
func (c *Client) ResetMFA(ctx context.Context, id string, opts ResetMFAOptions) error {
	path, err := userPath(OpResetMFA, id, "/resetmfa")
	if err != nil {
		return err
	}
	body := map[string]any{"exclusion": opts.ExclusionDays != nil || opts.ExclusionUntil != nil}
	if opts.ExclusionDays != nil {
		if *opts.ExclusionDays < 1 {
			return invalidArgument(OpResetMFA, "exclusionDays must be at least 1, got "+strconv.Itoa(*opts.ExclusionDays))
		}
		body["exclusionDays"] = *opts.ExclusionDays
	}
	if opts.ExclusionUntil != nil {
		body["exclusionUntil"] = opts.ExclusionUntil.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(body)
	_, err = c.do(ctx, request{op: OpResetMFA, method: http.MethodPost, path: path, body: b, retry: retryRejectedOnly})
	return err
}
