package jumpcloud

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func memberRow(i int) string {
	return `{"to":{"id":"` + oid('u', i) + `","type":"user"},"from":{"id":"g1","type":"user_group"},"attributes":null}`
}

func TestGroupMembersReadsEveryPage(t *testing.T) {
	f, c := newFake(t, pagedRows(250, memberRow))
	ids, err := c.GroupMembers(context.Background(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 250 || ids[0] != oid('u', 0) || ids[249] != oid('u', 249) {
		t.Fatalf("%d members", len(ids))
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.Method != http.MethodGet || r.Path != "/api/v2/usergroups/g1/members" ||
			r.Query.Get("limit") != "100" || r.Query.Get("skip") != []string{"", "100", "200"}[i] {
			t.Errorf("request %d: %s %s %v", i, r.Method, r.Path, r.Query)
		}
	}
	if f.observed("member-list 200") != 3 {
		t.Errorf("observed %v", f.ops)
	}

	// Exactly one full page: the empty page after it ends the reading.
	f, c = newFake(t, pagedRows(100, memberRow))
	ids, err = c.GroupMembers(context.Background(), "g1")
	if err != nil || len(ids) != 100 || len(f.requests()) != 2 {
		t.Errorf("%d members in %d requests, err %v", len(ids), len(f.requests()), err)
	}

	// No members: an empty, non-nil list.
	_, c = newFake(t, always(200, `[]`))
	ids, err = c.GroupMembers(context.Background(), "g1")
	if err != nil || ids == nil || len(ids) != 0 {
		t.Errorf("ids %#v err %v", ids, err)
	}

	// Rows that are not user connections, or repeat an id, are skipped but still count for paging.
	f, c = newFake(t, func(n int, r seenRequest) answer {
		if n == 0 {
			rows := make([]string, 0, 100)
			for i := range 97 {
				rows = append(rows, memberRow(i))
			}
			rows = append(rows, memberRow(3), `{"to":{"id":"sg","type":"system_group"}}`, `"junk"`)
			return answer{Body: "[" + strings.Join(rows, ",") + "]"}
		}
		return answer{Body: `[` + memberRow(200) + `,{"to":{"id":"x"}}]`}
	})
	ids, err = c.GroupMembers(context.Background(), "g1")
	if err != nil || len(ids) != 99 || !slices.Contains(ids, oid('u', 200)) || !slices.Contains(ids, "x") || slices.Contains(ids, "sg") {
		t.Errorf("%d ids, err %v", len(ids), err)
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d requests", len(f.requests()))
	}

	// A server that ignores skip would be read forever: it is an error instead.
	f, c = newFake(t, func(n int, r seenRequest) answer {
		r.Query.Del("skip")
		return pagedRows(300, memberRow)(n, r)
	})
	if _, err := c.GroupMembers(context.Background(), "g1"); KindOf(err) != KindUnknown || len(f.requests()) != 2 {
		t.Errorf("err = %v after %d requests", err, len(f.requests()))
	}

	// Errors: a missing group, a page that fails midway (after retries), a bad id.
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if _, err := c.GroupMembers(context.Background(), "g1"); !IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
	f, c = newFake(t, func(n int, r seenRequest) answer {
		if n == 0 {
			return pagedRows(250, memberRow)(n, r)
		}
		return answer{Status: 503}
	}, func(o *Options) { o.MaxRetries = 2 })
	if _, err := c.GroupMembers(context.Background(), "g1"); !IsUnavailable(err) || len(f.requests()) != 4 {
		t.Errorf("err = %v after %d requests", err, len(f.requests()))
	}
	if _, err := c.GroupMembers(context.Background(), ""); !IsValidation(err) {
		t.Errorf("err = %v", err)
	}
}

func TestUserGroups(t *testing.T) {
	f, c := newFake(t, pagedRows(130, func(i int) string {
		return `{"id":"` + oid('g', i) + `","type":"user_group","paths":[[{"to":{"id":"` + oid('g', i) + `","type":"user_group"}}]],"compiledAttributes":{}}`
	}))
	ids, err := c.UserGroups(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 130 || ids[129] != oid('g', 129) {
		t.Fatalf("%d groups", len(ids))
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Path != "/api/v2/users/u1/memberof" || reqs[1].Query.Get("skip") != "100" || reqs[1].Query.Get("limit") != "100" {
		t.Errorf("requests %+v", reqs)
	}
	if f.observed("memberof 200") != 2 {
		t.Errorf("observed %v", f.ops)
	}
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if _, err := c.UserGroups(context.Background(), "u1"); !IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
	if _, err := c.UserGroups(context.Background(), "a/b"); !IsValidation(err) {
		t.Errorf("err = %v", err)
	}
}

func TestMemberChangeWireFormat(t *testing.T) {
	f, c := newFake(t, always(204, ``))
	if err := c.AddGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	for i, verb := range []string{"add", "remove"} {
		r := reqs[i]
		if r.Method != http.MethodPost || r.Path != "/api/v2/usergroups/g1/members" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %s %s", verb, r.Method, r.Path)
		}
		assertJSON(t, r.Body, `{"op":"`+verb+`","type":"user","id":"u1"}`)
	}
	if f.observed("member-add 204") != 1 || f.observed("member-remove 204") != 1 {
		t.Errorf("observed %v", f.ops)
	}
	for _, ids := range [][2]string{{"", "u1"}, {"g1", ""}, {"g/1", "u1"}, {"g1", "  "}} {
		if err := c.AddGroupMember(context.Background(), ids[0], ids[1]); !IsValidation(err) {
			t.Errorf("add %q: err = %v", ids, err)
		}
		if err := c.RemoveGroupMember(context.Background(), ids[0], ids[1]); !IsValidation(err) {
			t.Errorf("remove %q: err = %v", ids, err)
		}
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d requests", len(f.requests()))
	}
}

func TestAlreadyAndNotAMemberAreDone(t *testing.T) {
	tests := []struct {
		name   string
		remove bool
		status int
		body   string
		kind   Kind // "" means the call returns nil
	}{
		{"add: 409 Already Exists", false, 409, `{"code":409,"message":"Already Exists"}`, ""},
		{"add: 409 without a body", false, 409, ``, ""},
		{"add: 400 Already Exists", false, 400, `{"message":"Already Exists"}`, ""},
		{"add: 400 already a member", false, 400, `{"message":"User is already a member of this group"}`, ""},
		{"add: 400 with the status code field", false, 400, `{"message":"bad request","status":"ALREADY_EXISTS"}`, ""},
		{"add: 409 for another reason", false, 409, `{"message":"the members of a dynamic group are computed from its memberQuery and cannot be changed"}`, KindConflict},
		{"add: 400 other", false, 400, `{"message":"id is not a valid ObjectId","status":"invalidId"}`, KindValidation},
		{"add: 400 not a member is no add", false, 400, `{"message":"not a member"}`, KindValidation},
		{"add: 404 group or user missing", false, 404, `{"message":"Not Found"}`, KindNotFound},
		{"add: 401", false, 401, ``, KindUnauthorized},
		{"add: 403", false, 403, `{"message":"Forbidden"}`, KindForbidden},
		{"add: 422", false, 422, ``, KindValidation},
		{"remove: 409 Already Exists", true, 409, `{"message":"Already Exists"}`, ""},
		{"remove: 409 Not Found", true, 409, `{"message":"Not Found"}`, ""},
		{"remove: 409 without a body", true, 409, ``, ""},
		{"remove: 409 for another reason", true, 409, `{"message":"the members of a dynamic group are computed from its memberQuery and cannot be changed"}`, KindConflict},
		{"remove: 404", true, 404, `{"message":"Not Found"}`, ""},
		{"remove: 400 not a member", true, 400, `{"message":"User is not a member of the group"}`, ""},
		{"remove: 400 not found", true, 400, `{"message":"Member not found"}`, ""},
		{"remove: 400 with the status code field", true, 400, `{"message":"bad","status":"notFound"}`, ""},
		{"remove: 400 other", true, 400, `{"message":"op must be add or remove"}`, KindValidation},
		{"remove: 400 already exists is no remove", true, 400, `{"message":"Already Exists"}`, KindValidation},
		{"remove: 403", true, 403, ``, KindForbidden},
		{"remove: 401", true, 401, ``, KindUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, always(tt.status, tt.body))
			call, op := c.AddGroupMember, OpMemberAdd
			if tt.remove {
				call, op = c.RemoveGroupMember, OpMemberRemove
			}
			err := call(context.Background(), "g1", "u1")
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Kind != tt.kind || e.Operation != op || e.StatusCode != tt.status {
					t.Fatalf("err = %v, want %s", err, tt.kind)
				}
			}
			// The answer was seen by the observer either way, and not retried.
			if f.observed(op+" "+strconv.Itoa(tt.status)) != 1 || len(f.requests()) != 1 {
				t.Errorf("observed %v, %d requests", f.ops, len(f.requests()))
			}
		})
	}
	// Only answers count: a transport error is never "done".
	if membershipSettled(OpMemberRemove, &Error{Kind: KindUnavailable, Operation: OpMemberRemove, Err: context.Canceled}) {
		t.Error("no answer taken as done")
	}
	if membershipSettled(OpMemberAdd, errors.New("x")) {
		t.Error("a foreign error taken as done")
	}
}

func TestMemberChangesAreRetried(t *testing.T) {
	// A 503, then success.
	f, c := newFake(t, sequence(answer{Status: 503}, answer{Status: 204}))
	if err := c.AddGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.retries(), []string{"member-add 503"}) || len(f.requests()) != 2 {
		t.Errorf("retries %v, %d requests", f.retries(), len(f.requests()))
	}

	// The first add took effect but its answer was lost: the retry meets "already a member".
	f, c = newFake(t, sequence(answer{Drop: true}, answer{Status: 409, Body: `{"message":"Already Exists"}`}))
	if err := c.AddGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.retries(), []string{"member-add connection"}) {
		t.Errorf("retries %v", f.retries())
	}

	// Likewise for a remove, whose retry finds no member.
	f, c = newFake(t, sequence(answer{Status: 504}, answer{Status: 404, Body: `{"message":"Not Found"}`}))
	if err := c.RemoveGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.retries(), []string{"member-remove 504"}) {
		t.Errorf("retries %v", f.retries())
	}

	// Out of retries: the last error, typed.
	f, c = newFake(t, always(429, `{"message":"Too Many Requests"}`), func(o *Options) { o.MaxRetries = 2 })
	if err := c.RemoveGroupMember(context.Background(), "g1", "u1"); !IsRateLimited(err) || len(f.requests()) != 3 {
		t.Errorf("err = %v after %d requests", err, len(f.requests()))
	}
}

func TestMemberErrorsCarryNoSecrets(t *testing.T) {
	_, c := newFake(t, always(400, `{"message":"bad key `+fakeKey+`"} trailing SECRET-BODY`))
	err := c.AddGroupMember(context.Background(), "g1", "u1")
	if err == nil || strings.Contains(err.Error(), fakeKey) || strings.Contains(err.Error(), "SECRET-BODY") {
		t.Errorf("err = %v", err)
	}
	_, c = newFake(t, always(400, `{"message":"key `+fakeKey+` is not a member"}`))
	if err := c.RemoveGroupMember(context.Background(), "g1", "u1"); err != nil {
		t.Errorf("err = %v", err)
	}
}
