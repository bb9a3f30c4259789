package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const fullGroupJSON = `{
  "id": "5f1f0e3c8d1a4b0001a1b2c3",
  "name": "Platform",
  "description": "platform team",
  "email": "platform@example.com",
  "type": "user_group",
  "organizationObjectId": "org1",
  "suggestionCounts": {"add": 1, "remove": 0, "total": 1},
  "memberQueryErrorFlags": [],
  "membershipMethod": "DYNAMIC_AUTOMATED",
  "memberSuggestionsNotify": true,
  "memberQuery": {"queryType": "FilterQuery", "filters": [{"field": "department", "operator": "eq", "value": "Platform"}, {"field": "employeeType", "operator": "in", "value": ["a", "b"]}]},
  "memberQueryExemptions": [{"id": "u9", "type": "user"}],
  "attributes": {
    "sudo": {"enabled": true, "withoutPassword": false},
    "sambaEnabled": true,
    "posixGroups": [{"id": 5001, "name": "platform"}, "junk"],
    "radius": {"reply": [{"name": "Session-Timeout", "value": "3600"}], "vendor": "x"},
    "ldapGroups": [{"name": "cn=platform"}],
    "somethingNew": {"keep": "me"}
  }
}`

func TestDecodeGroup(t *testing.T) {
	g, err := decodeGroup([]byte(fullGroupJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := Group{
		ID: "5f1f0e3c8d1a4b0001a1b2c3", Name: "Platform", Description: "platform team", Email: "platform@example.com",
		Attributes: GroupAttributes{
			Sudo:         SudoAttributes{Enabled: true},
			SambaEnabled: true,
			PosixGroups:  []PosixGroup{{ID: 5001, Name: "platform"}},
			RadiusReply:  []RadiusReply{{Name: "Session-Timeout", Value: "3600"}},
			LDAPGroups:   []LDAPGroup{{Name: "cn=platform"}},
		},
		MembershipMethod: MembershipDynamicAutomated,
		MemberQuery: &MemberQuery{QueryType: QueryTypeFilterQuery, Filters: []MemberQueryFilter{
			{Field: "department", Operator: "eq", Value: "Platform"},
			{Field: "employeeType", Operator: "in", Value: `["a","b"]`},
		}},
		MemberSuggestionsNotify: true,
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}

	// The v2 query form names the operator "operation"; odd types read as zero values.
	g, err = decodeGroup([]byte(`{"id":"g2","name":"x","attributes":"nope","memberQuery":{"filters":[{"field":"company","operation":"eq","value":"ACME"}]},"membershipMethod":7,"memberSuggestionsNotify":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.MemberQuery == nil || g.MemberQuery.QueryType != "" || g.MemberQuery.Filters[0] != (MemberQueryFilter{Field: "company", Operator: "eq", Value: "ACME"}) {
		t.Errorf("v2 member query: %+v", g.MemberQuery)
	}
	if g.MembershipMethod != "" || !g.MemberSuggestionsNotify || !reflect.DeepEqual(g.Attributes, GroupAttributes{}) {
		t.Errorf("lenient decode: %+v", g)
	}
	// An empty or null member query is no query.
	for _, q := range []string{`null`, `{}`, `{"filters":[]}`, `"x"`} {
		if g, _ := decodeGroup([]byte(`{"id":"g","memberQuery":` + q + `}`)); g.MemberQuery != nil {
			t.Errorf("memberQuery %s decoded as %+v", q, g.MemberQuery)
		}
	}
	if _, err := decodeGroup([]byte(`["not","an","object"]`)); err == nil {
		t.Error("an array decoded as a group")
	}
}

func TestListGroupsWireFormat(t *testing.T) {
	f, c := newFake(t, always(200, `[`+fullGroupJSON+`, 42]`))
	groups, err := c.ListGroups(context.Background(), GroupListOptions{
		Filter: []V2Filter{{Field: "name", Op: V2Eq, Value: "Ops Team"}, {Field: "attributes.sudo.enabled", Op: V2Eq, Value: "true"}},
		Sort:   []string{"name", "-id"},
		Limit:  250,
		Skip:   5,
		Fields: []string{"name", "id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Name != "Platform" {
		t.Errorf("groups %+v", groups)
	}
	r := f.requests()[0]
	if r.Method != http.MethodGet || r.Path != "/api/v2/usergroups" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	want := map[string]string{
		"filter": "name:eq:Ops Team,attributes.sudo.enabled:eq:true",
		"sort":   "name,-id",
		"limit":  "100",
		"skip":   "5",
		"fields": "name,id",
	}
	for k, v := range want {
		if got := r.Query[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.Header.Get("x-api-key") != fakeKey {
		t.Error("no API key sent")
	}
	if f.observed("group-list 200") != 1 {
		t.Errorf("observer saw %v", f.ops)
	}

	// Without options nothing is sent: JumpCloud's defaults apply.
	f, c = newFake(t, always(200, `[]`))
	if _, err := c.ListGroups(context.Background(), GroupListOptions{}); err != nil {
		t.Fatal(err)
	}
	if q := f.requests()[0].Query; len(q) != 0 {
		t.Errorf("query %v", q)
	}

	// Arguments the client can reject never reach the server.
	for name, o := range map[string]GroupListOptions{
		"v1 operator":    {Filter: []V2Filter{{Field: "name", Op: "$eq", Value: "x"}}},
		"empty field":    {Filter: []V2Filter{{Op: V2Eq, Value: "x"}}},
		"field, colon":   {Filter: []V2Filter{{Field: "a:b", Op: V2Eq, Value: "x"}}},
		"negative limit": {Limit: -1},
		"negative skip":  {Skip: -1},
	} {
		_, err := c.ListGroups(context.Background(), o)
		if !IsValidation(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d requests, want 1", len(f.requests()))
	}

	// A 2xx answer that is not an array is reported, without its body.
	_, c = newFake(t, always(200, `{"results":"SECRET-BODY"}`))
	_, err = c.ListGroups(context.Background(), GroupListOptions{})
	if KindOf(err) != KindUnknown || strings.Contains(err.Error(), "SECRET-BODY") {
		t.Errorf("err = %v", err)
	}
}

func groupRow(i int) string {
	return `{"id":"` + oid('a', i) + `","name":"group-` + oid('n', i) + `"}`
}

func TestAllGroupsPagesUntilAShortPage(t *testing.T) {
	f, c := newFake(t, pagedRows(250, groupRow))
	var ids []string
	for g, err := range c.AllGroups(context.Background(), GroupListOptions{Filter: []V2Filter{{Field: "name", Op: V2Search, Value: "group"}}, Fields: []string{"description"}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(ids) != 250 || len(distinct) != 250 || ids[249] != oid('a', 249) {
		t.Fatalf("%d groups, %d distinct", len(ids), len(distinct))
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		wantSkip := []string{"", "100", "200"}[i]
		if r.Query.Get("limit") != "100" || r.Query.Get("skip") != wantSkip || r.Query.Get("sort") != "name" ||
			r.Query.Get("filter") != "name:search:group" || r.Query.Get("fields") != "description,id,name" {
			t.Errorf("request %d query %v", i, r.Query)
		}
	}

	// Exactly a page's worth: one more, empty, page ends it.
	f, c = newFake(t, pagedRows(100, groupRow))
	n := 0
	for _, err := range c.AllGroups(context.Background(), GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 100 || len(f.requests()) != 2 {
		t.Errorf("%d groups in %d requests", n, len(f.requests()))
	}

	// Breaking out stops the requests.
	f, c = newFake(t, pagedRows(250, groupRow))
	for _, err := range c.AllGroups(context.Background(), GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d requests after break", len(f.requests()))
	}
}

func TestAllGroupsSkipsRepeatsAndStopsOnAServerThatIgnoresSkip(t *testing.T) {
	// A group created during the iteration shifts rows: the second page repeats one row.
	f, c := newFake(t, func(n int, r seenRequest) answer {
		if n == 0 {
			return pagedRows(150, groupRow)(n, r)
		}
		r.Query.Set("skip", "99")
		return pagedRows(150, groupRow)(n, r)
	})
	seen := map[string]int{}
	for g, err := range c.AllGroups(context.Background(), GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[g.ID]++
	}
	if len(seen) != 150 {
		t.Errorf("%d distinct groups", len(seen))
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s yielded %d times", id, k)
		}
	}
	_ = f

	// A server that ignores skip answers the first page forever: the iteration ends in an error.
	f, c = newFake(t, func(n int, r seenRequest) answer {
		r.Query.Del("skip")
		return pagedRows(500, groupRow)(n, r)
	})
	var last error
	n := 0
	for _, err := range c.AllGroups(context.Background(), GroupListOptions{}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if n != 100 || KindOf(last) != KindUnknown || len(f.requests()) != 2 {
		t.Errorf("%d groups, %d requests, err %v", n, len(f.requests()), last)
	}

	// An error ends the iteration with that error.
	_, c = newFake(t, always(403, `{"message":"forbidden"}`))
	for _, err := range c.AllGroups(context.Background(), GroupListOptions{}) {
		if !IsForbidden(err) {
			t.Errorf("err = %v", err)
		}
	}
}

func TestFindGroupByName(t *testing.T) {
	// Filter values may act as wild cards: the exact name is picked from what matches.
	f, c := newFake(t, always(200, `[{"id":"g1","name":"Dev Team"},{"id":"g2","name":"Dev*"}]`))
	g, err := c.FindGroupByName(context.Background(), "Dev*")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != "g2" {
		t.Errorf("found %+v", g)
	}
	if q := f.requests()[0].Query.Get("filter"); q != "name:eq:Dev*" {
		t.Errorf("filter %q", q)
	}
	_, err = c.FindGroupByName(context.Background(), "Ops")
	var e *Error
	if !IsNotFound(err) || !errors.As(err, &e) || e.Operation != OpGroupList {
		t.Errorf("err = %v", err)
	}

	// A comma cannot be sent inside the filter: every group is listed and compared.
	f, c = newFake(t, always(200, `[{"id":"g1","name":"Sales"},{"id":"g3","name":"Sales, EMEA"}]`))
	g, err = c.FindGroupByName(context.Background(), "Sales, EMEA")
	if err != nil || g.ID != "g3" {
		t.Fatalf("g %+v err %v", g, err)
	}
	if _, ok := f.requests()[0].Query["filter"]; ok {
		t.Errorf("filter sent for a name with a comma: %v", f.requests()[0].Query)
	}
	if _, err := c.FindGroupByName(context.Background(), ""); !IsValidation(err) {
		t.Errorf("empty name: %v", err)
	}
}

func TestGetGroup(t *testing.T) {
	f, c := newFake(t, always(200, fullGroupJSON))
	g, err := c.GetGroup(context.Background(), "5f1f0e3c8d1a4b0001a1b2c3")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Platform" || f.requests()[0].Path != "/api/v2/usergroups/5f1f0e3c8d1a4b0001a1b2c3" || f.observed("group-get 200") != 1 {
		t.Errorf("g %+v, %s", g, f.requests()[0].Path)
	}
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if _, err := c.GetGroup(context.Background(), "nope"); !IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
	for _, id := range []string{"", " ", "a/b", "a?b", "a#b"} {
		if _, err := c.GetGroup(context.Background(), id); !IsValidation(err) {
			t.Errorf("id %q: err = %v", id, err)
		}
	}
}

func TestCreateGroupSendsOnlySetFields(t *testing.T) {
	f, c := newFake(t, always(201, `{"id":"g1","name":"ops","attributes":{"sudo":{"enabled":true,"withoutPassword":false}}}`))
	g, err := c.CreateGroup(context.Background(), GroupFields{
		Name:         Ptr("ops"),
		Sudo:         &SudoAttributes{Enabled: true},
		PosixGroups:  &[]PosixGroup{},
		SambaEnabled: Ptr(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != "g1" || !g.Attributes.Sudo.Enabled {
		t.Errorf("g %+v", g)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/api/v2/usergroups" || r.Header.Get("x-query-dsl") != "" {
		t.Errorf("%s %s %v", r.Method, r.Path, r.Header)
	}
	assertJSON(t, r.Body, `{"name":"ops","attributes":{"sudo":{"enabled":true,"withoutPassword":false},"posixGroups":[],"sambaEnabled":false}}`)

	// A v2 member query goes with x-query-dsl: v2 and "operation"; v1 with "operator" and none.
	f, c = newFake(t, always(201, `{"id":"g2","name":"dyn"}`))
	_, err = c.CreateGroup(context.Background(), GroupFields{
		Name:             Ptr("dyn"),
		MembershipMethod: Ptr(MembershipDynamicAutomated),
		MemberQuery:      &MemberQuery{Filters: []MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}},
		RadiusReply:      &[]RadiusReply{{Name: "Class", Value: "sales"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = f.requests()[0]
	if r.Header.Get("x-query-dsl") != "v2" {
		t.Errorf("x-query-dsl %q", r.Header.Get("x-query-dsl"))
	}
	assertJSON(t, r.Body, `{"name":"dyn","membershipMethod":"DYNAMIC_AUTOMATED","memberQuery":{"filters":[{"field":"department","operation":"eq","value":"Sales"}]},"attributes":{"radius":{"reply":[{"name":"Class","value":"sales"}]}}}`)
	_, err = c.CreateGroup(context.Background(), GroupFields{
		Name:        Ptr("dyn1"),
		MemberQuery: &MemberQuery{QueryType: QueryTypeFilterQuery, Filters: []MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = f.requests()[1]
	if r.Header.Get("x-query-dsl") != "" {
		t.Errorf("x-query-dsl %q on a v1 query", r.Header.Get("x-query-dsl"))
	}
	assertJSON(t, r.Body, `{"name":"dyn1","memberQuery":{"queryType":"FilterQuery","filters":[{"field":"department","operator":"eq","value":"Sales"}]}}`)

	// Arguments the client can reject never reach the server.
	for name, gf := range map[string]GroupFields{
		"no name":                 {Description: Ptr("x")},
		"empty name":              {Name: Ptr(" ")},
		"nopasswd without sudo":   {Name: Ptr("x"), Sudo: &SudoAttributes{WithoutPassword: true}},
		"unknown method":          {Name: Ptr("x"), MembershipMethod: Ptr(MembershipMethod("SOMETIMES"))},
		"filter without operator": {Name: Ptr("x"), MemberQuery: &MemberQuery{Filters: []MemberQueryFilter{{Field: "a"}}}},
	} {
		if _, err := c.CreateGroup(context.Background(), gf); !IsValidation(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if len(f.requests()) != 2 {
		t.Errorf("%d requests", len(f.requests()))
	}
}

func TestCreateGroupErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   Kind
		field  string
	}{
		{"409 is a duplicate name", 409, `{"code":409,"message":"Already Exists"}`, KindAlreadyExists, "name"},
		{"400 worded as a duplicate", 400, `{"message":"A group with this name already exists"}`, KindAlreadyExists, "name"},
		{"400 duplicate email", 400, `{"message":"email already in use"}`, KindAlreadyExists, "email"},
		{"400 otherwise is validation", 400, `{"message":"name is invalid","status":"invalidName"}`, KindValidation, ""},
		{"401", 401, `{"message":"Unauthorized"}`, KindUnauthorized, ""},
		{"403", 403, ``, KindForbidden, ""},
		{"429", 429, ``, KindRateLimited, ""},
		{"503", 503, ``, KindUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, always(tt.status, tt.body))
			_, err := c.CreateGroup(context.Background(), GroupFields{Name: Ptr("ops")})
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Operation != OpGroupCreate {
				t.Fatalf("err = %v", err)
			}
			if tt.field != "" && (len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != tt.field) {
				t.Errorf("violations %+v", e.FieldViolations)
			}
			// A create is never retried, not even after a 429 or a 503.
			if len(f.requests()) != 1 || len(f.retries()) != 0 {
				t.Errorf("%d requests, retries %v", len(f.requests()), f.retries())
			}
		})
	}
	// Nor after a lost answer.
	f, c := newFake(t, func(int, seenRequest) answer { return answer{Drop: true} })
	if _, err := c.CreateGroup(context.Background(), GroupFields{Name: Ptr("ops")}); !IsUnavailable(err) || len(f.requests()) != 1 {
		t.Errorf("err = %v, %d requests", err, len(f.requests()))
	}
}

func TestUpdateGroupMergesIntoAFullPut(t *testing.T) {
	current := strings.Replace(fullGroupJSON, `"email": "platform@example.com"`, `"email": null`, 1)
	f, c := newFake(t, func(n int, r seenRequest) answer {
		if r.Method == http.MethodGet {
			return answer{Body: current}
		}
		return answer{Body: `{"id":"5f1f0e3c8d1a4b0001a1b2c3","name":"Platform","description":"new"}`}
	})
	g, err := c.UpdateGroup(context.Background(), "5f1f0e3c8d1a4b0001a1b2c3", GroupFields{
		Description: Ptr("new"),
		Sudo:        &SudoAttributes{Enabled: true, WithoutPassword: true},
		RadiusReply: &[]RadiusReply{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.Description != "new" {
		t.Errorf("g %+v", g)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodGet || reqs[1].Method != http.MethodPut || reqs[1].Path != "/api/v2/usergroups/5f1f0e3c8d1a4b0001a1b2c3" {
		t.Fatalf("requests %+v", reqs)
	}
	// Everything JumpCloud returned that a PUT takes is sent back; read-only fields and nulls are
	// not; set fields replace theirs, attributes key by key.
	assertJSON(t, reqs[1].Body, `{
	  "name": "Platform",
	  "description": "new",
	  "membershipMethod": "DYNAMIC_AUTOMATED",
	  "memberSuggestionsNotify": true,
	  "memberQuery": {"queryType": "FilterQuery", "filters": [{"field": "department", "operator": "eq", "value": "Platform"}, {"field": "employeeType", "operator": "in", "value": ["a", "b"]}]},
	  "memberQueryExemptions": [{"id": "u9", "type": "user"}],
	  "attributes": {
	    "sudo": {"enabled": true, "withoutPassword": true},
	    "sambaEnabled": true,
	    "posixGroups": [{"id": 5001, "name": "platform"}, "junk"],
	    "radius": {"reply": [], "vendor": "x"},
	    "ldapGroups": [{"name": "cn=platform"}],
	    "somethingNew": {"keep": "me"}
	  }
	}`)
	if reqs[1].Header.Get("x-query-dsl") != "" {
		t.Error("x-query-dsl sent for a v1 query")
	}
	if f.observed("group-get 200") != 1 || f.observed("group-update 200") != 1 {
		t.Errorf("observed %v", f.ops)
	}
}

func TestUpdateGroupKeepsAV2QueryReadable(t *testing.T) {
	f, c := newFake(t, func(n int, r seenRequest) answer {
		if r.Method == http.MethodGet {
			return answer{Body: `{"id":"g1","name":"dyn","memberQuery":{"filters":[{"field":"company","operation":"eq","value":"ACME"}]}}`}
		}
		return answer{Body: `{"id":"g1","name":"dyn2"}`}
	})
	if _, err := c.UpdateGroup(context.Background(), "g1", GroupFields{Name: Ptr("dyn2")}); err != nil {
		t.Fatal(err)
	}
	put := f.requests()[1]
	if put.Header.Get("x-query-dsl") != "v2" {
		t.Errorf("x-query-dsl %q", put.Header.Get("x-query-dsl"))
	}
	assertJSON(t, put.Body, `{"name":"dyn2","memberQuery":{"filters":[{"field":"company","operation":"eq","value":"ACME"}]}}`)

	// Clearing the query sends null.
	f, c = newFake(t, func(n int, r seenRequest) answer {
		if r.Method == http.MethodGet {
			return answer{Body: `{"id":"g1","name":"dyn","membershipMethod":"DYNAMIC_AUTOMATED","memberQuery":{"queryType":"Filter","filters":[{"field":"a","operator":"eq","value":"b"}]}}`}
		}
		return answer{Body: `{"id":"g1","name":"dyn"}`}
	})
	if _, err := c.UpdateGroup(context.Background(), "g1", GroupFields{MembershipMethod: Ptr(MembershipStatic), MemberQuery: &MemberQuery{}}); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, f.requests()[1].Body, `{"name":"dyn","membershipMethod":"STATIC","memberQuery":null}`)
}

func TestUpdateGroupErrorsAndRetries(t *testing.T) {
	// A missing group: the read says so, nothing is written.
	f, c := newFake(t, always(404, `{"message":"Not Found"}`))
	_, err := c.UpdateGroup(context.Background(), "g1", GroupFields{Description: Ptr("x")})
	var e *Error
	if !IsNotFound(err) || !errors.As(err, &e) || e.Operation != OpGroupUpdate || len(f.requests()) != 1 {
		t.Errorf("err = %v, %d requests", err, len(f.requests()))
	}

	// A rename onto another group's name.
	_, c = newFake(t, func(n int, r seenRequest) answer {
		if r.Method == http.MethodGet {
			return answer{Body: `{"id":"g1","name":"a"}`}
		}
		return answer{Status: 409, Body: `{"message":"Already Exists"}`}
	})
	if _, err := c.UpdateGroup(context.Background(), "g1", GroupFields{Name: Ptr("b")}); !IsAlreadyExists(err) {
		t.Errorf("err = %v", err)
	}

	// The PUT is idempotent: retried after a 503 (and the read after a 502).
	f, c = newFake(t, sequence(
		answer{Status: 502},
		answer{Body: `{"id":"g1","name":"a"}`},
		answer{Status: 503},
		answer{Body: `{"id":"g1","name":"a","description":"d"}`},
	))
	g, err := c.UpdateGroup(context.Background(), "g1", GroupFields{Description: Ptr("d")})
	if err != nil || g.Description != "d" {
		t.Fatalf("g %+v err %v", g, err)
	}
	if !slices.Equal(f.retries(), []string{"group-get 502", "group-update 503"}) {
		t.Errorf("retries %v", f.retries())
	}

	// A group read without a name cannot be PUT back unless Name is set.
	_, c = newFake(t, always(200, `{"id":"g1"}`))
	if _, err := c.UpdateGroup(context.Background(), "g1", GroupFields{Description: Ptr("x")}); KindOf(err) != KindUnknown {
		t.Errorf("err = %v", err)
	}
	if _, err := c.UpdateGroup(context.Background(), "", GroupFields{}); !IsValidation(err) {
		t.Errorf("err = %v", err)
	}
}

func TestDeleteGroup(t *testing.T) {
	f, c := newFake(t, sequence(answer{Status: 503}, answer{Status: 204}))
	if err := c.DeleteGroup(context.Background(), "g1"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[1].Method != http.MethodDelete || reqs[1].Path != "/api/v2/usergroups/g1" {
		t.Errorf("requests %+v", reqs)
	}
	if f.observed("group-delete 503") != 1 || f.observed("group-delete 204") != 1 {
		t.Errorf("observed %v", f.ops)
	}
	_, c = newFake(t, always(200, fullGroupJSON))
	if err := c.DeleteGroup(context.Background(), "g1"); err != nil {
		t.Errorf("200 with the deleted group: %v", err)
	}
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if err := c.DeleteGroup(context.Background(), "g1"); !IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
}

// assertJSON compares two JSON texts by value.
func assertJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}
