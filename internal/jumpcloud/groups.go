package jumpcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Operation names of the user group calls (API v2), as passed to the Observer and set in
// Error.Operation.
const (
	OpGroupList   = "group-list"
	OpGroupGet    = "group-get"
	OpGroupCreate = "group-create"
	OpGroupUpdate = "group-update"
	OpGroupDelete = "group-delete"
)

// groupPath returns /v2/usergroups/<id><suffix>, rejecting ids that cannot be one.
func groupPath(op, id, suffix string) (string, error) {
	return objectPath(op, "group id", v2Prefix+"/usergroups", id, suffix)
}

// GroupListOptions select, filter, order and page GET /v2/usergroups.
type GroupListOptions struct {
	// Filter conditions, e.g. {name, eq, Admins}. JumpCloud documents the parameter as a
	// comma-separated list, so several conditions are sent joined by commas; a value that itself
	// contains a comma is therefore ambiguous to the server.
	Filter []V2Filter
	// Sort lists field names, ascending; prefix one with "-" for descending (sent
	// comma-separated, as v2 wants).
	Sort []string
	// Limit is the page size, 1..100 (larger values are lowered to 100). 0 leaves JumpCloud's
	// default (10).
	Limit int
	// Skip is the offset of the first row.
	Skip int
	// Fields selects the fields returned (sent comma-separated); empty means JumpCloud's default.
	Fields []string
}

func (o GroupListOptions) query(op string) (url.Values, error) {
	q := url.Values{}
	if err := v2Page(q, op, o.Limit, o.Skip); err != nil {
		return nil, err
	}
	if len(o.Sort) > 0 {
		q.Set("sort", strings.Join(o.Sort, ","))
	}
	if len(o.Fields) > 0 {
		q.Set("fields", strings.Join(o.Fields, ","))
	}
	if len(o.Filter) > 0 {
		parts := make([]string, len(o.Filter))
		for i, f := range o.Filter {
			if err := f.validate(); err != nil {
				return nil, invalidArgument(op, err.Error())
			}
			parts[i] = f.String()
		}
		q.Set("filter", strings.Join(parts, ","))
	}
	return q, nil
}

// ListGroups returns one page of GET /v2/usergroups. API v2 answers a bare array with no total,
// so whether more pages follow is only known from the page size (see AllGroups).
func (c *Client) ListGroups(ctx context.Context, opts GroupListOptions) ([]Group, error) {
	groups, _, err := c.listGroups(ctx, opts)
	return groups, err
}

// listGroups returns a page and the number of rows it had (a row that was not a group object
// still counts, for paging).
func (c *Client) listGroups(ctx context.Context, opts GroupListOptions) ([]Group, int, error) {
	q, err := opts.query(OpGroupList)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.do(ctx, request{op: OpGroupList, method: http.MethodGet, path: v2Prefix + "/usergroups", query: q, retry: retryIdempotent})
	if err != nil {
		return nil, 0, err
	}
	groups, n, err := decodeGroupList(resp.body)
	if err != nil {
		return nil, 0, decodeError(OpGroupList, resp.status)
	}
	return groups, n, nil
}

// AllGroups iterates over every user group matching opts (Filter and Fields are honoured; Limit is
// the page size, default and maximum 100; Sort and Skip are ignored). The iteration stops at the
// first error, which it yields with a zero Group.
//
// Paging is by offset, sorted by name (JumpCloud keeps group names unique, so the order is
// stable), until a page is shorter than the page size: v2 lists carry no total. A group is
// yielded at most once (rows repeated because a group was created meanwhile are skipped by id);
// a group deleted meanwhile can make the next page start one row later, so a concurrent delete
// may hide another group from this iteration.
func (c *Client) AllGroups(ctx context.Context, opts GroupListOptions) iter.Seq2[Group, error] {
	return func(yield func(Group, error) bool) {
		size := opts.Limit
		if size <= 0 || size > MaxPageSize {
			size = MaxPageSize
		}
		base := opts
		base.Limit, base.Sort = size, []string{"name"}
		if len(base.Fields) > 0 {
			base.Fields = slices.Clone(base.Fields)
			for _, f := range []string{"id", "name"} {
				if !slices.Contains(base.Fields, f) {
					base.Fields = append(base.Fields, f)
				}
			}
		}
		seen := map[string]bool{}
		for skip := 0; ; {
			lo := base
			lo.Skip = skip
			page, rows, err := c.listGroups(ctx, lo)
			if err != nil {
				yield(Group{}, err)
				return
			}
			fresh := 0
			for _, g := range page {
				if g.ID != "" {
					if seen[g.ID] {
						continue
					}
					seen[g.ID] = true
				}
				fresh++
				if !yield(g, nil) {
					return
				}
			}
			if rows < size {
				return
			}
			if fresh == 0 {
				yield(Group{}, pageRepeatedError(OpGroupList))
				return
			}
			skip += rows
		}
	}
}

// FindGroupByName returns the user group whose name is exactly name (case-sensitive), or a
// NotFound error.
//
// It lists with the filter name:eq:<name> and compares names itself, because JumpCloud documents
// filter values as supporting wild cards (a name with "*" may match others). A name containing a
// comma cannot be sent as a filter (the filter parameter is a comma-separated list), so then every
// group is listed and compared.
func (c *Client) FindGroupByName(ctx context.Context, name string) (*Group, error) {
	if name == "" {
		return nil, invalidArgument(OpGroupList, "group name is empty")
	}
	var opts GroupListOptions
	if !strings.Contains(name, ",") {
		opts.Filter = []V2Filter{{Field: "name", Op: V2Eq, Value: name}}
	}
	for g, err := range c.AllGroups(ctx, opts) {
		if err != nil {
			return nil, err
		}
		if g.Name == name {
			return &g, nil
		}
	}
	return nil, &Error{Kind: KindNotFound, Operation: OpGroupList, Message: "no group with that name"}
}

// GetGroup returns the user group with the given id (GET /v2/usergroups/{id}).
func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	path, err := groupPath(OpGroupGet, id, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{op: OpGroupGet, method: http.MethodGet, path: path, retry: retryIdempotent})
	if err != nil {
		return nil, err
	}
	return decodeGroupAnswer(OpGroupGet, resp, id)
}

func decodeGroupAnswer(op string, resp *response, id string) (*Group, error) {
	g, err := decodeGroup(resp.body)
	if err != nil {
		return nil, decodeError(op, resp.status)
	}
	if g.ID == "" {
		g.ID = id
	}
	return &g, nil
}

// CreateGroup creates a user group (POST /v2/usergroups; JumpCloud answers 201 with the group).
// Name is required; only the fields set in f are sent. A name another group already has yields an
// AlreadyExists error.
//
// Like CreateUser it is never retried automatically: JumpCloud has no idempotency key, so whether
// a create whose answer was lost took effect is for the caller to find out (FindGroupByName).
func (c *Client) CreateGroup(ctx context.Context, f GroupFields) (*Group, error) {
	if f.Name == nil {
		return nil, invalidArgument(OpGroupCreate, "group name is required")
	}
	if err := f.validate(OpGroupCreate); err != nil {
		return nil, err
	}
	body := map[string]json.RawMessage{}
	if f.overlay(body) != nil {
		return nil, invalidArgument(OpGroupCreate, "group fields cannot be encoded as JSON")
	}
	return c.sendGroup(ctx, OpGroupCreate, http.MethodPost, v2Prefix+"/usergroups", "", body, retryNever)
}

// UpdateGroup changes the fields set in f and returns the updated group.
//
// JumpCloud's only update is PUT /v2/usergroups/{id}, documented as a full update (name required):
// a property left out of the body is not kept. So that fields not set in f keep their values,
// UpdateGroup reads the group first (op group-get), lays the set fields over the properties
// JumpCloud returned (attributes merged key by key, including ones the client does not model,
// such as memberQueryExemptions), and PUTs the result. JumpCloud offers no version check, so a
// change another writer makes between the read and the write is overwritten.
//
// The PUT is retried like any idempotent call. A name another group already has yields
// AlreadyExists; errors of the read carry Operation group-update too.
func (c *Client) UpdateGroup(ctx context.Context, id string, f GroupFields) (*Group, error) {
	path, err := groupPath(OpGroupUpdate, id, "")
	if err != nil {
		return nil, err
	}
	if err := f.validate(OpGroupUpdate); err != nil {
		return nil, err
	}
	cur, err := c.do(ctx, request{op: OpGroupGet, method: http.MethodGet, path: path, retry: retryIdempotent})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Operation = OpGroupUpdate
		}
		return nil, err
	}
	var current map[string]json.RawMessage
	if !decodeObjectInto(cur.body, &current) {
		return nil, decodeError(OpGroupUpdate, cur.status)
	}
	body := make(map[string]json.RawMessage, len(groupPutKeys))
	for _, k := range groupPutKeys {
		if v, ok := current[k]; ok && !isJSONNull(v) {
			body[k] = v
		}
	}
	if f.overlay(body) != nil {
		return nil, invalidArgument(OpGroupUpdate, "group fields cannot be encoded as JSON")
	}
	if _, ok := body["name"]; !ok {
		return nil, &Error{Kind: KindUnknown, Operation: OpGroupUpdate, StatusCode: cur.status, Err: errors.New("the group as read has no name, which a full update needs; set Name")}
	}
	return c.sendGroup(ctx, OpGroupUpdate, http.MethodPut, path, id, body, retryIdempotent)
}

// sendGroup POSTs or PUTs a group body and decodes the group answered.
func (c *Client) sendGroup(ctx context.Context, op, method, path, id string, body map[string]json.RawMessage, policy retryPolicy) (*Group, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, invalidArgument(op, "group fields cannot be encoded as JSON")
	}
	var h http.Header
	if usesQueryDSLv2(body) {
		h = http.Header{"X-Query-Dsl": {"v2"}}
	}
	resp, err := c.do(ctx, request{op: op, method: method, path: path, body: b, retry: policy, header: h})
	if err != nil {
		return nil, err
	}
	return decodeGroupAnswer(op, resp, id)
}

func isJSONNull(b json.RawMessage) bool {
	return string(bytes.TrimSpace(b)) == "null"
}

// DeleteGroup deletes a user group (DELETE /v2/usergroups/{id}). A group that is already gone
// yields a NotFound error, which a finalizer should treat as success.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	path, err := groupPath(OpGroupDelete, id, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{op: OpGroupDelete, method: http.MethodDelete, path: path, retry: retryIdempotent})
	return err
}
