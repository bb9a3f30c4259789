package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MaxPageSize is the largest limit the client sends; JumpCloud documents "Limited to 100".
const MaxPageSize = 100

// TextSearch is a partial (substring) text match: a user matches when any of Fields contains
// any of Terms.
type TextSearch struct {
	Terms  []string
	Fields []string
}

// ListOptions select, filter, order and page GET /systemusers.
type ListOptions struct {
	// Limit is the page size, 1..100 (larger values are lowered to 100). 0 leaves JumpCloud's
	// default (10).
	Limit int
	// Skip is the offset of the first row.
	Skip int
	// Sort lists field names, ascending; prefix one with "-" for descending. Add "_id" last for a
	// stable order when paging.
	Sort []string
	// Fields selects the fields returned; empty means JumpCloud's default set.
	Fields []string
	// Filter conditions are ANDed, or ORed when Or is true.
	Filter []Filter
	Or     bool
	// Search is sent as the list's search parameter. Its wire encoding is not documented by
	// JumpCloud (the client sends search[searchTerm]/search[fields][i], the bracket form its
	// filter uses); prefer SearchUsers for text search.
	Search *TextSearch
}

// UserPage is one page of a list or search.
type UserPage struct {
	// TotalCount is JumpCloud's count of all matching users, not just this page.
	TotalCount int
	Users      []User
}

// query renders the options as GET /systemusers query parameters.
func (o ListOptions) query(op string) (url.Values, error) {
	q := url.Values{}
	if o.Limit < 0 || o.Skip < 0 {
		return nil, invalidArgument(op, "limit and skip must not be negative")
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(min(o.Limit, MaxPageSize)))
	}
	if o.Skip > 0 {
		q.Set("skip", strconv.Itoa(o.Skip))
	}
	if len(o.Sort) > 0 {
		q.Set("sort", strings.Join(o.Sort, " "))
	}
	if len(o.Fields) > 0 {
		q.Set("fields", strings.Join(o.Fields, " "))
	}
	for _, f := range o.Filter {
		if err := f.validate(); err != nil {
			return nil, invalidArgument(op, err.Error())
		}
	}
	switch {
	case len(o.Filter) == 1:
		q.Set("filter", o.Filter[0].String())
	case len(o.Filter) > 1 && o.Or:
		for i, f := range o.Filter {
			q.Set("filter[or]["+strconv.Itoa(i)+"]", f.String())
		}
	case len(o.Filter) > 1:
		for i, f := range o.Filter {
			q.Set("filter["+strconv.Itoa(i)+"]", f.String())
		}
	}
	if o.Search != nil && len(o.Search.Terms) > 0 {
		if len(o.Search.Terms) == 1 {
			q.Set("search[searchTerm]", o.Search.Terms[0])
		} else {
			for i, t := range o.Search.Terms {
				q.Set("search[searchTerm]["+strconv.Itoa(i)+"]", t)
			}
		}
		for i, f := range o.Search.Fields {
			q.Set("search[fields]["+strconv.Itoa(i)+"]", f)
		}
	}
	return q, nil
}

// ListUsers returns one page of GET /systemusers.
func (c *Client) ListUsers(ctx context.Context, opts ListOptions) (*UserPage, error) {
	q, err := opts.query(OpList)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{op: OpList, method: "GET", path: "/systemusers", query: q, retry: retryIdempotent})
	if err != nil {
		return nil, err
	}
	page, err := decodeUserList(resp.body)
	if err != nil {
		return nil, decodeError(OpList, resp.status)
	}
	return &page, nil
}

// SearchRequest is the body of POST /search/systemusers.
type SearchRequest struct {
	// Filter expressions are ANDed, or ORed when Or is true. $eq is sent as {field: value},
	// other operators as {field: {op: value}}.
	Filter []Filter
	Or     bool
	// Text is the searchFilter: partial text match on the given fields.
	Text *TextSearch
	// Fields selects the returned fields (sent space-separated).
	Fields []string
	// Limit (1..100; 0 means JumpCloud's default of 10) and Skip page the results. They are
	// sent both in the query string and in the body, as JumpCloud's own tooling does.
	Limit int
	Skip  int
}

type searchBody struct {
	Filter       map[string][]map[string]any `json:"filter,omitempty"`
	SearchFilter *searchFilterBody           `json:"searchFilter,omitempty"`
	Fields       string                      `json:"fields,omitempty"`
	Limit        int                         `json:"limit,omitempty"`
	Skip         int                         `json:"skip,omitempty"`
}

type searchFilterBody struct {
	SearchTerm any      `json:"searchTerm"`
	Fields     []string `json:"fields,omitempty"`
}

// SearchUsers runs POST /search/systemusers.
func (c *Client) SearchUsers(ctx context.Context, sr SearchRequest) (*UserPage, error) {
	if sr.Limit < 0 || sr.Skip < 0 {
		return nil, invalidArgument(OpSearch, "limit and skip must not be negative")
	}
	body := searchBody{Fields: strings.Join(sr.Fields, " "), Limit: min(sr.Limit, MaxPageSize), Skip: sr.Skip}
	if len(sr.Filter) > 0 {
		exprs := make([]map[string]any, 0, len(sr.Filter))
		for _, f := range sr.Filter {
			if err := f.validate(); err != nil {
				return nil, invalidArgument(OpSearch, err.Error())
			}
			exprs = append(exprs, f.searchExpr())
		}
		key := "and"
		if sr.Or {
			key = "or"
		}
		body.Filter = map[string][]map[string]any{key: exprs}
	}
	if sr.Text != nil && len(sr.Text.Terms) > 0 {
		sf := &searchFilterBody{Fields: sr.Text.Fields, SearchTerm: sr.Text.Terms}
		if len(sr.Text.Terms) == 1 {
			sf.SearchTerm = sr.Text.Terms[0]
		}
		body.SearchFilter = sf
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, invalidArgument(OpSearch, "search request cannot be encoded as JSON")
	}
	q := url.Values{}
	if body.Limit > 0 {
		q.Set("limit", strconv.Itoa(body.Limit))
	}
	if body.Skip > 0 {
		q.Set("skip", strconv.Itoa(body.Skip))
	}
	resp, err := c.do(ctx, request{op: OpSearch, method: "POST", path: "/search/systemusers", query: q, body: b, retry: retryIdempotent})
	if err != nil {
		return nil, err
	}
	page, err := decodeUserList(resp.body)
	if err != nil {
		return nil, decodeError(OpSearch, resp.status)
	}
	return &page, nil
}

// FindUserByUsername returns the user whose username is exactly username (case-sensitive), or a
// NotFound error.
func (c *Client) FindUserByUsername(ctx context.Context, username string) (*User, error) {
	if username == "" {
		return nil, invalidArgument(OpList, "username is empty")
	}
	page, err := c.ListUsers(ctx, ListOptions{Limit: 10, Sort: []string{"_id"}, Filter: []Filter{Eq("username", username)}})
	if err != nil {
		return nil, err
	}
	for i := range page.Users {
		if page.Users[i].Username == username {
			return &page.Users[i], nil
		}
	}
	return nil, &Error{Kind: KindNotFound, Operation: OpList, Message: "no user with that username"}
}

// AllUsers iterates over every user matching opts (Filter, Or, Fields and Search are honoured;
// Limit is the page size, default and maximum 100; Sort and Skip are ignored: the iteration is in
// _id order). The iteration stops at the first error, which it yields with a zero User.
//
// Paging is by key, not by offset: every request is sorted by _id and, after the first page,
// carries the extra condition _id:$gt:<last id seen>. JumpCloud's ids are Mongo ObjectIds, which
// grow with creation time, so a user created while the iteration runs sorts after the users that
// existed before it started: it may or may not be yielded, but it cannot shift an existing user
// out of a page (which is what makes skip-based paging miss or repeat rows), and a deleted user
// cannot either. Rows are only yielded when their _id is greater than the previous one, so no row
// is ever yielded twice.
//
// Two cases fall back to offset paging (still sorted by _id, still de-duplicated by that rule):
// filters ORed together, since the extra _id condition cannot be ANDed to an OR in a query string;
// and a server that turns out to ignore the _id condition (a page that repeats ids). Offset paging
// is safe under inserts (new ids sort last) but can miss a row when users are deleted meanwhile.
func (c *Client) AllUsers(ctx context.Context, opts ListOptions) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		size := opts.Limit
		if size <= 0 || size > MaxPageSize {
			size = MaxPageSize
		}
		base := opts
		base.Limit, base.Skip, base.Sort = size, 0, []string{"_id"}
		if len(base.Fields) > 0 && !slices.Contains(base.Fields, "_id") {
			base.Fields = append(slices.Clone(base.Fields), "_id")
		}
		keyset := !(opts.Or && len(opts.Filter) > 1)
		lastID, skip := "", 0
		for {
			lo := base
			switch {
			case keyset && lastID != "":
				lo.Filter = append(slices.Clone(base.Filter), Filter{Field: "_id", Op: FilterGt, Value: lastID})
			case !keyset:
				lo.Skip = skip
			}
			page, err := c.ListUsers(ctx, lo)
			if err != nil {
				yield(User{}, err)
				return
			}
			if keyset && lastID != "" && slices.ContainsFunc(page.Users, func(u User) bool { return u.ID <= lastID }) {
				// The server ignored the _id condition: go on by offset from the rows seen so far.
				keyset = false
				continue
			}
			for _, u := range page.Users {
				skip++
				if lastID != "" && u.ID <= lastID {
					continue
				}
				if !yield(u, nil) {
					return
				}
				lastID = u.ID
			}
			// A short page is the last; so is one that holds every user still matching (the
			// totalCount of a keyset page counts the users after the cursor), which saves the
			// empty page that would follow a full last one.
			if len(page.Users) < size || keyset && page.TotalCount > 0 && len(page.Users) >= page.TotalCount {
				return
			}
		}
	}
}

// decodeError reports a 2xx answer the client could not understand. The body is not included.
func decodeError(op string, status int) *Error {
	return &Error{Kind: KindUnknown, Operation: op, StatusCode: status, Err: errors.New("the answer is not the expected JSON")}
}
