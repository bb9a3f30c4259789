package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Operation names of the membership calls (API v2).
const (
	OpMemberList   = "member-list"
	OpMemberAdd    = "member-add"
	OpMemberRemove = "member-remove"
	OpMemberOf     = "memberof"
)

// GroupMembers returns the ids of every user that is a direct member of the group (GET
// /v2/usergroups/{group_id}/members), across all pages: it asks for 100 rows at a time and pages
// with skip until a page is shorter than that. An id is returned once even if paging under
// concurrent changes shows it twice.
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	path, err := groupPath(OpMemberList, groupID, "/members")
	if err != nil {
		return nil, err
	}
	// Each row is a GraphConnection; the member is its "to" object.
	return c.allIDs(ctx, OpMemberList, path, func(raw json.RawMessage) string {
		var row struct {
			To json.RawMessage `json:"to"`
		}
		if !decodeObjectInto(raw, &row) {
			return ""
		}
		return graphObjectID(row.To, "user")
	})
}

// UserGroups returns the ids of the user groups the user is a member of (GET
// /v2/users/{user_id}/memberof), across all pages like GroupMembers.
func (c *Client) UserGroups(ctx context.Context, userID string) ([]string, error) {
	path, err := objectPath(OpMemberOf, "user id", v2Prefix+"/users", userID, "/memberof")
	if err != nil {
		return nil, err
	}
	// Each row is a GraphObjectWithPaths: the group itself, with the paths that lead to it.
	return c.allIDs(ctx, OpMemberOf, path, func(raw json.RawMessage) string {
		return graphObjectID(raw, "user_group")
	})
}

// graphObjectID returns a GraphObject's id when its type is want (or not given).
func graphObjectID(raw json.RawMessage, want string) string {
	var o struct {
		ID   lenientString `json:"id"`
		Type lenientString `json:"type"`
	}
	if !decodeObjectInto(raw, &o) || o.Type != "" && string(o.Type) != want {
		return ""
	}
	return string(o.ID)
}

// allIDs pages through a v2 graph list 100 rows at a time and collects idOf of every row, each id
// once.
func (c *Client) allIDs(ctx context.Context, op, path string, idOf func(json.RawMessage) string) ([]string, error) {
	ids := []string{}
	seen := map[string]bool{}
	for skip := 0; ; {
		q := url.Values{}
		if err := v2Page(q, op, MaxPageSize, skip); err != nil {
			return nil, err
		}
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: path, query: q, retry: retryIdempotent})
		if err != nil {
			return nil, err
		}
		rows, n, err := decodeArray(resp.body)
		if err != nil {
			return nil, decodeError(op, resp.status)
		}
		fresh := 0
		for _, raw := range rows {
			if id := idOf(raw); id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
				fresh++
			}
		}
		// A short page is the last. JumpCloud may also say how many rows there are in all
		// (x-total-count, not in its document): then a full last page needs no empty one after it.
		if n < MaxPageSize || totalReached(resp.header, skip+n) {
			return ids, nil
		}
		if fresh == 0 {
			return nil, pageRepeatedError(op)
		}
		skip += n
	}
}

// totalReached reports whether the answer's x-total-count, when it sent a valid one, says that
// seen rows are all there are.
func totalReached(h http.Header, seen int) bool {
	total, err := strconv.Atoi(h.Get("x-total-count"))
	return err == nil && total >= 0 && seen >= total
}

// AddGroupMember makes the user a member of the group (POST /v2/usergroups/{group_id}/members
// with {"op":"add","type":"user","id":userID}; JumpCloud answers 204). A user who already is a
// member counts as added: the call returns nil (see membershipSettled). A group or user that does
// not exist yields NotFound (or Validation, as JumpCloud answers); a group whose members JumpCloud
// computes (dynamic) refuses the change with Validation, Forbidden or Conflict.
//
// Because of that rule an add is idempotent, so it is retried like any idempotent call: a retry of
// an add whose answer was lost meets "already a member" and succeeds.
func (c *Client) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return c.changeMember(ctx, OpMemberAdd, "add", groupID, userID)
}

// RemoveGroupMember ends the user's membership of the group (the same POST with "op":"remove").
// A user who is not a member counts as removed: the call returns nil (see membershipSettled).
// That includes a 404, since whichever of membership, user or group is missing, the user is not a
// member afterwards; use GetGroup to tell whether the group exists.
//
// Retried like AddGroupMember, for the same reason.
func (c *Client) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return c.changeMember(ctx, OpMemberRemove, "remove", groupID, userID)
}

func (c *Client) changeMember(ctx context.Context, op, verb, groupID, userID string) error {
	path, err := groupPath(op, groupID, "/members")
	if err != nil {
		return err
	}
	if strings.TrimSpace(userID) == "" {
		return invalidArgument(op, "user id is empty")
	}
	body, err := json.Marshal(map[string]string{"op": verb, "type": "user", "id": userID})
	if err != nil {
		return invalidArgument(op, "user id cannot be encoded as JSON")
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPost, path: path, body: body, retry: retryIdempotent})
	if err != nil && membershipSettled(op, err) {
		return nil
	}
	return err
}

// membershipSettled reports whether a failed membership change means the change is already in
// place: the user already is a member (add) or is not one (remove). It is the one place that
// decides this, so callers never look at status codes or messages.
//
// JumpCloud's document lists only 204 for POST .../members and is silent about both cases; its
// tooling reports a repeated add as refused with "Already Exists", and a remove of a non-member
// likewise, with no documented status code. So both plausible answers, 409 and 400, are taken
// when the message (or the machine-readable "status" field v2 errors carry) says so:
//
//	add:    409 or 400 saying the member already exists; a 409 with no message at all.
//	remove: 404 (membership, user or group missing: the user is not a member either way);
//	        409 or 400 saying the member is not there; a 409 saying "already exists" (the
//	        add's wording, which "likewise" may mean); a 409 with no message at all.
//
// A 409 is not taken on its status alone because it is also a plausible answer to a change
// JumpCloud refuses for another reason (the members of a dynamic group cannot be edited): that
// stays a Conflict error, and any other 400 a Validation error (e.g. a malformed id).
func membershipSettled(op string, err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.StatusCode == 0 {
		return false
	}
	conflict := e.StatusCode == http.StatusConflict
	refused := conflict || e.StatusCode == http.StatusBadRequest
	silent := conflict && e.Message == "" && e.reason == ""
	switch op {
	case OpMemberAdd:
		return silent || refused && mentions(e, alreadyMemberPhrases, alreadyMemberReasons)
	case OpMemberRemove:
		return silent || e.StatusCode == http.StatusNotFound ||
			refused && mentions(e, notMemberPhrases, notMemberReasons) ||
			conflict && mentions(e, alreadyMemberPhrases, alreadyMemberReasons)
	}
	return false
}

// The wordings of "already a member" and "not a member" accepted on a 400: phrases are looked for
// in the lowercased message, reasons in the "status" field reduced to lowercase letters
// ("ALREADY_EXISTS" -> "alreadyexists").
var (
	alreadyMemberPhrases = []string{"already exist", "already a member", "already member", "already in ", "already associated", "already added", "duplicate"}
	alreadyMemberReasons = []string{"alreadyexist", "alreadymember", "duplicate"}
	notMemberPhrases     = []string{"not a member", "not member", "is not in ", "does not exist", "doesn't exist", "not found", "no such", "already removed", "not associated"}
	notMemberReasons     = []string{"notfound", "notamember", "notmember", "doesnotexist", "notexist"}
)

func mentions(e *Error, phrases, reasons []string) bool {
	msg := strings.ToLower(e.Message)
	for _, p := range phrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	reason := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return -1
	}, e.reason)
	for _, r := range reasons {
		if reason != "" && strings.Contains(reason, r) {
			return true
		}
	}
	return false
}
