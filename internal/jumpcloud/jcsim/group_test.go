package jcsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// createGroup creates a group through the API; it fails the test unless the answer is 201.
func (s *tsim) createGroup(body map[string]any, hdr ...string) Group {
	s.t.Helper()
	code, _, b := s.do("POST", "/api/v2/usergroups", body, append([]string{"x-api-key", key}, hdr...)...)
	if code != http.StatusCreated {
		s.t.Fatalf("create group %v: %d %s", body, code, b)
	}
	var g Group
	if err := json.Unmarshal(b, &g); err != nil {
		s.t.Fatal(err)
	}
	return g
}

// member posts a membership change and returns the status.
func (s *tsim) member(groupID, op, userID string) (int, []byte) {
	s.t.Helper()
	code, _, b := s.do("POST", "/api/v2/usergroups/"+groupID+"/members", map[string]any{"op": op, "type": "user", "id": userID})
	return code, b
}

// ids reads the ids of a v2 answer: members' to.id, or the objects' id.
func ids(t *testing.T, b []byte) []string {
	t.Helper()
	var rows []struct {
		ID string `json:"id"`
		To *struct {
			ID string `json:"id"`
		} `json:"to"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out := []string{}
	for _, r := range rows {
		if r.To != nil {
			out = append(out, r.To.ID)
		} else {
			out = append(out, r.ID)
		}
	}
	return out
}

func TestGroupCRUD(t *testing.T) {
	s := start(t, Options{})
	g := s.createGroup(map[string]any{
		"name": "Admins", "description": "the admins", "email": "admins@example.com",
		"attributes": map[string]any{
			"sudo":        map[string]any{"enabled": true, "withoutPassword": false},
			"posixGroups": []any{map[string]any{"id": 5000, "name": "admins"}},
			"radius":      map[string]any{"reply": []any{map[string]any{"name": "Class", "value": "admin"}}},
			"ldapGroups":  []any{map[string]any{"name": "cn=admins"}}, "sambaEnabled": true,
		},
		"id": "ffffffffffffffffffffffff", "suggestionCounts": map[string]any{"add": 9},
	})
	if !isObjectID(g.ID) || g.ID == "ffffffffffffffffffffffff" || g.Type != "user_group" || g.MembershipMethod != MembershipNotSet ||
		g.OrganizationObjectID != DefaultOrg || g.SuggestionCounts != (SuggestionCounts{}) {
		t.Errorf("created: %+v", g)
	}
	if a := g.Attributes; a == nil || !a.Sudo.Enabled || a.PosixGroups[0] != (PosixGroup{5000, "admins"}) || a.Radius.Reply[0].Value != "admin" || !*a.SambaEnabled || a.LDAPGroups[0].Name != "cn=admins" {
		t.Errorf("attributes: %+v", g.Attributes)
	}
	if c := s.Count("group-create"); c != 1 || s.RequestsFor("group-create")[0].GroupID != g.ID {
		t.Errorf("log: %d %+v", c, s.RequestsFor("group-create"))
	}

	// Duplicate names: 409 by default, 400 with the knob; case-sensitive unless asked.
	code, _, b := s.do("POST", "/api/v2/usergroups", map[string]any{"name": "Admins"})
	if e := decodeErr(t, b); code != 409 || e.Code != 409 || e.Message != "Already Exists" || e.Status != "" {
		t.Errorf("duplicate: %d %s", code, b)
	}
	s.UpdateKnobs(func(k *Knobs) { k.GroupDuplicateStatus = 400 })
	if code, _, _ := s.do("POST", "/api/v2/usergroups", map[string]any{"name": "Admins"}); code != 400 {
		t.Errorf("duplicate with the knob: %d", code)
	}
	lower := s.createGroup(map[string]any{"name": "admins"})
	s.UpdateKnobs(func(k *Knobs) { k.GroupDuplicateStatus, k.GroupNameCaseInsensitive = 0, true })
	if code, _, _ := s.do("POST", "/api/v2/usergroups", map[string]any{"name": "ADMINS"}); code != 409 {
		t.Errorf("case-insensitive duplicate: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.GroupNameCaseInsensitive = false })

	for name, c := range map[string]struct {
		body   any
		status string
	}{
		"no name":                 {map[string]any{"description": "x"}, "nullName"},
		"null name":               {map[string]any{"name": nil}, "nullName"},
		"empty name":              {map[string]any{"name": " "}, "invalidName"},
		"bad method":              {map[string]any{"name": "x", "membershipMethod": "SOMETIMES"}, "invalidMembershipMethod"},
		"sudo without enabled":    {map[string]any{"name": "x", "attributes": map[string]any{"sudo": map[string]any{"enabled": false, "withoutPassword": true}}}, "invalidAttributes"},
		"posix without name":      {map[string]any{"name": "x", "attributes": map[string]any{"posixGroups": []any{map[string]any{"id": 1}}}}, "invalidAttributes"},
		"bad email":               {map[string]any{"name": "x", "email": "nope"}, "invalidEmail"},
		"wrong type":              {map[string]any{"name": 5}, "invalidBody"},
		"empty body":              {"", "invalidBody"},
		"query without queryType": {map[string]any{"name": "x", "memberQuery": map[string]any{"filters": []any{}}}, "invalidMemberQuery"},
		"exemption without id":    {map[string]any{"name": "x", "memberQueryExemptions": []any{map[string]any{"type": "user"}}}, "invalidMemberQueryExemptions"},
	} {
		code, _, b := s.do("POST", "/api/v2/usergroups", c.body)
		if e := decodeErr(t, b); code != 400 || e.Status != c.status {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}

	// GET, and errors in v2's shape.
	code, _, b = s.do("GET", "/api/v2/usergroups/"+g.ID, nil)
	var got Group
	if err := json.Unmarshal(b, &got); code != 200 || err != nil || got.Name != "Admins" || got.Description != "the admins" {
		t.Errorf("get: %d %s", code, b)
	}
	if code, _, b := s.do("GET", "/api/v2/usergroups/"+g.ID+"?fields=name", nil); code != 200 || string(b) != `{"id":"`+g.ID+`","name":"Admins"}` {
		t.Errorf("get with fields: %d %s", code, b)
	}
	code, _, b = s.do("GET", "/api/v2/usergroups/0123456789abcdef01234567", nil)
	if e := decodeErr(t, b); code != 404 || e.Code != 404 || e.Status != "" {
		t.Errorf("missing group: %d %s", code, b)
	}
	if code, _, _ := s.do("GET", "/api/v2/usergroups/nope", nil); code != 400 {
		t.Errorf("bad id: %d", code)
	}

	// PUT replaces the group: what is not sent is reset.
	code, _, b = s.do("PUT", "/api/v2/usergroups/"+g.ID, map[string]any{"name": "Operators", "description": "ops"})
	got = Group{}
	if err := json.Unmarshal(b, &got); code != 200 || err != nil || got.Name != "Operators" || got.Description != "ops" || got.Email != "" || got.Attributes != nil || got.ID != g.ID {
		t.Errorf("put: %d %s", code, b)
	}
	if _, ok := s.FindGroupName("", "Admins"); ok {
		t.Error("old name still indexed")
	}
	if code, _, _ := s.do("PUT", "/api/v2/usergroups/"+g.ID, map[string]any{"name": "admins"}); code != 409 {
		t.Errorf("rename onto another group: %d", code)
	}
	if code, _, _ := s.do("PUT", "/api/v2/usergroups/"+g.ID, map[string]any{"description": "no name"}); code != 400 {
		t.Errorf("put without name: %d", code)
	}
	if code, _, _ := s.do("PUT", "/api/v2/usergroups/0123456789abcdef01234567", map[string]any{"name": "x"}); code != 404 {
		t.Errorf("put missing: %d", code)
	}

	// DELETE answers the deleted group (or 204 with the knob).
	code, _, b = s.do("DELETE", "/api/v2/usergroups/"+g.ID, nil)
	if code != 200 || !strings.Contains(string(b), `"name":"Operators"`) {
		t.Errorf("delete: %d %s", code, b)
	}
	if code, _, _ := s.do("DELETE", "/api/v2/usergroups/"+g.ID, nil); code != 404 {
		t.Errorf("delete again: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.GroupDeleteNoContent = true })
	if code, _, b := s.do("DELETE", "/api/v2/usergroups/"+lower.ID, nil); code != 204 || len(b) != 0 {
		t.Errorf("delete with the knob: %d %s", code, b)
	}
	if n := len(s.Groups("")); n != 0 {
		t.Errorf("%d groups left", n)
	}
	for method, path := range map[string]string{"PATCH": "/api/v2/usergroups/" + g.ID, "DELETE": "/api/v2/usergroups", "PUT": "/api/v2/usergroups/x/members"} {
		if code, _, _ := s.do(method, path, nil); code != 405 {
			t.Errorf("%s %s: %d", method, path, code)
		}
	}
	if code, _, _ := s.do("GET", "/api/v2/usergroups/"+g.ID+"/memberof", nil); code != 404 {
		t.Errorf("undocumented route: %d", code)
	}
}

func TestGroupList(t *testing.T) {
	s := start(t, Options{})
	for i := range 25 {
		body := map[string]any{"name": fmt.Sprintf("team-%02d", i)}
		if i%5 == 0 {
			body["attributes"] = map[string]any{"sudo": map[string]any{"enabled": true, "withoutPassword": false}}
		}
		if i == 7 {
			body["name"] = "Sales, EU"
		}
		s.createGroup(body)
	}
	list := func(query string) ([]string, http.Header) {
		t.Helper()
		code, h, b := s.do("GET", "/api/v2/usergroups"+query, nil)
		if code != 200 || !strings.HasPrefix(string(b), "[") {
			t.Fatalf("%s: %d %s", query, code, b)
		}
		var rows []Group
		_ = json.Unmarshal(b, &rows)
		out := []string{}
		for _, g := range rows {
			out = append(out, g.Name)
		}
		return out, h
	}
	got, h := list("")
	if len(got) != 10 || got[0] != "team-00" || h.Get("x-total-count") != "25" {
		t.Errorf("default page: %v %s", got, h.Get("x-total-count"))
	}
	var all []string
	for skip := 0; ; skip += 4 {
		page, _ := list("?limit=4&skip=" + strconv.Itoa(skip))
		all = append(all, page...)
		if len(page) < 4 {
			break
		}
	}
	if len(all) != 25 {
		t.Errorf("paging: %d groups", len(all))
	}
	if got, _ := list("?limit=1000"); len(got) != 25 {
		t.Errorf("limit lowered to 100: %d", len(got))
	}
	for query, want := range map[string][]string{
		"?filter=name:eq:team-03":                                    {"team-03"},
		"?filter=name:in:team-03|team-04":                            {"team-03", "team-04"},
		"?filter=name:eq:Sales, EU":                                  {"Sales, EU"},
		"?filter=name:eq:team-03,name:ne:team-03":                    {},
		"?filter=name:eq:team-03&filter=name:ne:team-03":             {},
		"?filter=attributes.sudo.enabled:eq:true&limit=100":          {"team-00", "team-05", "team-10", "team-15", "team-20"},
		"?filter=name:search:TEAM-2&sort=-name":                      {"team-24", "team-23", "team-22", "team-21", "team-20"},
		"?filter=disabled:eq:false&limit=2":                          {"team-00", "team-01"},
		"?filter=type:eq:user_group&filter=name:ge:team-23":          {"team-23", "team-24"},
		"?filter=membershipMethod:eq:NOTSET&sort=-name,type&limit=1": {"team-24"},
	} {
		if got, _ := list(strings.ReplaceAll(query, " ", "%20")); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	_, _, b := s.do("GET", "/api/v2/usergroups?fields=name&limit=1", nil)
	var rows []map[string]any
	if _ = json.Unmarshal(b, &rows); len(rows) != 1 || len(rows[0]) != 2 {
		t.Errorf("fields: %s", b)
	}
	for _, q := range []string{"?filter=name:$eq:x", "?filter=name", "?filter=name:between:a", "?limit=-1", "?skip=x"} {
		if code, _, _ := s.do("GET", "/api/v2/usergroups"+q, nil); code != 400 {
			t.Errorf("%s: %d", q, code)
		}
	}
	s.UpdateKnobs(func(k *Knobs) { k.OmitTotalCountHeader = true })
	if _, h := list(""); h.Get("x-total-count") != "" {
		t.Error("x-total-count sent with the knob")
	}
}

func TestGroupMembers(t *testing.T) {
	s := start(t, Options{})
	g := s.createGroup(map[string]any{"name": "devs"})
	other := s.createGroup(map[string]any{"name": "ops", "attributes": map[string]any{"sudo": map[string]any{"enabled": true, "withoutPassword": true}}})
	var users []User
	for i := range 23 {
		users = append(users, s.user(fmt.Sprintf("u%02d", i)))
	}
	for _, u := range users {
		if code, b := s.member(g.ID, "add", u.ID); code != 204 || len(b) != 0 {
			t.Fatalf("add: %d %s", code, b)
		}
	}
	if code, _ := s.member(other.ID, "add", users[0].ID); code != 204 {
		t.Fatal(code)
	}

	// Every page of members, in _id order.
	var got []string
	for skip := 0; ; skip += 5 {
		code, h, b := s.do("GET", "/api/v2/usergroups/"+g.ID+"/members?limit=5&skip="+strconv.Itoa(skip), nil)
		if code != 200 || h.Get("x-total-count") != "23" {
			t.Fatalf("members: %d %s", code, b)
		}
		page := ids(t, b)
		got = append(got, page...)
		if len(page) < 5 {
			break
		}
	}
	want := []string{}
	for _, u := range users {
		want = append(want, u.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("members: %v", got)
	}
	_, _, b := s.do("GET", "/api/v2/usergroups/"+g.ID+"/members?limit=1", nil)
	if string(b) != `[{"attributes":null,"to":{"attributes":null,"id":"`+users[0].ID+`","type":"user"}}]` {
		t.Errorf("member shape: %s", b)
	}

	// Membership errors.
	code, b := s.member(g.ID, "add", users[0].ID)
	if e := decodeErr(t, b); code != 409 || e.Message != "Already Exists" {
		t.Errorf("add twice: %d %s", code, b)
	}
	if code, _ := s.member(g.ID, "remove", users[0].ID); code != 204 {
		t.Errorf("remove: %d", code)
	}
	if code, _ := s.member(g.ID, "remove", users[0].ID); code != 404 {
		t.Errorf("remove a non-member: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.MemberExistsStatus, k.MemberMissingStatus = 204, 204 })
	if code, _ := s.member(g.ID, "remove", users[0].ID); code != 204 {
		t.Errorf("remove a non-member with the knob: %d", code)
	}
	if code, _ := s.member(g.ID, "add", users[1].ID); code != 204 {
		t.Errorf("add twice with the knob: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.MemberExistsStatus, k.MemberMissingStatus = 400, 409 })
	if code, _ := s.member(g.ID, "add", users[1].ID); code != 400 {
		t.Errorf("add twice, 400: %d", code)
	}
	if code, _ := s.member(g.ID, "remove", users[0].ID); code != 409 {
		t.Errorf("remove a non-member, 409: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.MemberExistsStatus, k.MemberMissingStatus = 0, 0 })
	for name, body := range map[string]any{
		"update op":     map[string]any{"op": "update", "type": "user", "id": users[1].ID},
		"system member": map[string]any{"op": "add", "type": "system", "id": users[1].ID},
		"bad id":        map[string]any{"op": "add", "type": "user", "id": "x"},
		"not an object": "[]",
	} {
		if code, _, b := s.do("POST", "/api/v2/usergroups/"+g.ID+"/members", body); code != 400 {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	if code, _ := s.member(g.ID, "add", "0123456789abcdef01234567"); code != 404 {
		t.Errorf("unknown user: %d", code)
	}
	if code, _ := s.member("0123456789abcdef01234567", "add", users[1].ID); code != 404 {
		t.Errorf("unknown group: %d", code)
	}

	// membership and memberof.
	code, _, b = s.do("GET", "/api/v2/usergroups/"+g.ID+"/membership?limit=2&filter=type:eq:user", nil)
	if code != 200 || !slices.Equal(ids(t, b), want[1:3]) || !strings.Contains(string(b), `"paths":[[{"attributes":null,"to":{`) {
		t.Errorf("membership: %d %s", code, b)
	}
	if _, _, b := s.do("GET", "/api/v2/usergroups/"+g.ID+"/membership?filter=object_id:eq:"+users[5].ID, nil); !slices.Equal(ids(t, b), []string{users[5].ID}) {
		t.Errorf("membership by object_id: %s", b)
	}
	code, _, b = s.do("GET", "/api/v2/users/"+users[1].ID+"/memberof", nil)
	if code != 200 || !slices.Equal(ids(t, b), []string{g.ID}) || !strings.Contains(string(b), `"type":"user_group"`) {
		t.Errorf("memberof: %d %s", code, b)
	}
	_, _, b = s.do("GET", "/api/v2/users/"+users[0].ID+"/memberof?filter=type:eq:user_group", nil)
	if !slices.Equal(ids(t, b), []string{other.ID}) || !strings.Contains(string(b), `"compiledAttributes":{"sudo":{"enabled":true,"withoutPassword":true}}`) {
		t.Errorf("memberof with attributes: %s", b)
	}
	if code, _, _ := s.do("GET", "/api/v2/users/0123456789abcdef01234567/memberof", nil); code != 404 {
		t.Errorf("memberof of an unknown user: %d", code)
	}
	if got := s.MemberOf("", users[0].ID); !slices.Equal(got, []string{other.ID}) {
		t.Errorf("MemberOf: %v", got)
	}

	// Search results name the groups in memberof.
	l := s.list("/api/search/systemusers", map[string]any{"filter": map[string]any{"username": users[0].Username}, "fields": "username memberof"})
	if mo, _ := l.Results[0]["memberof"].([]any); len(mo) != 1 || mo[0] != other.ID {
		t.Errorf("search memberof: %v", l.Results)
	}

	// Deleting a user removes it from its groups.
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+users[1].ID, nil); code != 200 {
		t.Fatal(code)
	}
	if m, _ := s.GroupMembers("", g.ID); slices.Contains(m, users[1].ID) || len(m) != 21 {
		t.Errorf("deleted user still a member: %d", len(m))
	}
	if err := s.RemoveUser("", users[2].ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.GroupMembers("", g.ID); slices.Contains(m, users[2].ID) {
		t.Error("removed user still a member")
	}

	// The request log.
	adds, removes := s.RequestsFor("member-add"), s.RequestsFor("member-remove")
	if adds[0].GroupID != g.ID || adds[0].UserID != users[0].ID || adds[0].Status != 204 || len(removes) != 4 || removes[0].UserID != users[0].ID {
		t.Errorf("log: %+v %+v", adds[0], removes)
	}
	for _, op := range []string{"member-list", "membership", "memberof"} {
		if s.Count(op) == 0 {
			t.Errorf("no %s counted", op)
		}
	}
}

func TestDynamicGroups(t *testing.T) {
	s := start(t, Options{})
	alice := s.user("alice", "department", "Sales")
	bob := s.user("bob", "department", "Sales")
	carol := s.user("carol", "department", "IT")
	auto := s.createGroup(map[string]any{
		"name": "sales", "membershipMethod": MembershipAutomated,
		"memberQuery": map[string]any{"queryType": "FilterQuery", "filters": []any{map[string]any{"field": "department", "operator": "eq", "value": "Sales"}}},
	})
	members := func(id string) []string {
		t.Helper()
		_, _, b := s.do("GET", "/api/v2/usergroups/"+id+"/members?limit=100", nil)
		return ids(t, b)
	}
	if got := members(auto.ID); !slices.Equal(got, []string{alice.ID, bob.ID}) {
		t.Errorf("computed members: %v", got)
	}
	if code, _, _ := s.do("PUT", "/api/systemusers/"+carol.ID, map[string]any{"department": "Sales"}); code != 200 {
		t.Fatal(code)
	}
	if got := members(auto.ID); !slices.Equal(got, []string{alice.ID, bob.ID, carol.ID}) {
		t.Errorf("after an edit: %v", got)
	}
	code, b := s.member(auto.ID, "add", carol.ID)
	if code != 400 || !strings.Contains(string(b), "dynamic") {
		t.Errorf("adding to a dynamic group: %d %s", code, b)
	}
	s.UpdateKnobs(func(k *Knobs) { k.DynamicMemberEditStatus = 409 })
	if code, _ := s.member(auto.ID, "remove", carol.ID); code != 409 {
		t.Errorf("with the knob: %d", code)
	}
	if _, _, b := s.do("GET", "/api/v2/users/"+bob.ID+"/memberof", nil); !slices.Equal(ids(t, b), []string{auto.ID}) {
		t.Errorf("memberof a dynamic group: %s", b)
	}

	// The v2 DSL (x-query-dsl: v2): filters with operation, no queryType; exemptions apply.
	v2 := s.createGroup(map[string]any{
		"name": "not-it", "membershipMethod": MembershipAutomated,
		"memberQuery":           map[string]any{"filters": []any{map[string]any{"field": "username", "operation": "in", "value": []any{"alice", "bob", "carol"}}}},
		"memberQueryExemptions": []any{map[string]any{"id": bob.ID, "type": "user"}},
	}, "x-query-dsl", "v2")
	if got := members(v2.ID); !slices.Equal(got, []string{alice.ID, carol.ID}) {
		t.Errorf("v2 DSL with an exemption: %v", got)
	}
	for name, c := range map[string]struct {
		body map[string]any
		dsl  string
	}{
		"queryType with v2":   {map[string]any{"name": "x", "memberQuery": map[string]any{"queryType": "Filter", "filters": []any{}}}, "v2"},
		"bad queryType":       {map[string]any{"name": "x", "memberQuery": map[string]any{"queryType": "Magic", "filters": []any{}}}, ""},
		"bad operator":        {map[string]any{"name": "x", "memberQuery": map[string]any{"queryType": "Filter", "filters": []any{map[string]any{"field": "a", "operator": "like", "value": "b"}}}}, ""},
		"v1 operator with v2": {map[string]any{"name": "x", "memberQuery": map[string]any{"filters": []any{map[string]any{"field": "a", "operator": "eq", "value": "b"}}}}, "v2"},
		"bad dsl":             {map[string]any{"name": "x"}, "v3"},
	} {
		if code, _, b := s.do("POST", "/api/v2/usergroups", c.body, "x-api-key", key, "x-query-dsl", c.dsl); code != 400 {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}

	// Review required: the query's result waits as suggestions until approved.
	review := s.createGroup(map[string]any{
		"name": "review", "membershipMethod": MembershipReviewRequired,
		"memberQuery": map[string]any{"queryType": "FilterQuery", "filters": []any{map[string]any{"field": "department", "operator": "eq", "value": "Sales"}}},
	})
	if got := members(review.ID); len(got) != 0 || review.SuggestionCounts != (SuggestionCounts{Add: 3, Total: 3}) {
		t.Errorf("review group: %v %+v", got, review.SuggestionCounts)
	}
	if code, _ := s.member(review.ID, "add", alice.ID); code != 409 {
		t.Errorf("adding to a review group: %d", code)
	}
	if _, _, b := s.do("GET", "/api/v2/usergroups?filter=suggestionCounts.add:gt:0", nil); !slices.Equal(ids(t, b), []string{review.ID}) {
		t.Errorf("filter on suggestionCounts: %s", b)
	}
	if err := s.ApproveSuggestions("", review.ID); err != nil {
		t.Fatal(err)
	}
	if got := members(review.ID); len(got) != 3 {
		t.Errorf("approved: %v", got)
	}
	s.do("PUT", "/api/systemusers/"+alice.ID, map[string]any{"department": "IT"})
	if g, _ := s.Group("", review.ID); g.SuggestionCounts != (SuggestionCounts{Remove: 1, Total: 1}) || len(members(review.ID)) != 3 {
		t.Errorf("remove suggestion: %+v", g.SuggestionCounts)
	}
	s.UpdateKnobs(func(k *Knobs) { k.AutoApproveSuggestions = true })
	if got := members(review.ID); !slices.Equal(got, []string{bob.ID, carol.ID}) {
		t.Errorf("auto-approved: %v", got)
	}
	s.UpdateKnobs(func(k *Knobs) { k.AutoApproveSuggestions = false })
	if err := s.ApproveSuggestions("", auto.ID); err == nil {
		t.Error("ApproveSuggestions on an automated group")
	}

	// Made static, a dynamic group keeps the members it had; then they are edited by hand.
	if code, _, b := s.do("PUT", "/api/v2/usergroups/"+auto.ID, map[string]any{"name": "sales", "membershipMethod": MembershipStatic}); code != 200 {
		t.Fatalf("to static: %d %s", code, b)
	}
	if got := members(auto.ID); !slices.Equal(got, []string{bob.ID, carol.ID}) {
		t.Errorf("frozen members: %v", got)
	}
	if code, _ := s.member(auto.ID, "add", alice.ID); code != 204 {
		t.Errorf("add to the now static group: %d", code)
	}
}

func TestGroupsShareTheV1Machinery(t *testing.T) {
	s := start(t, Options{})
	var hooked []string
	var mu sync.Mutex
	s.SetHook(func(op, id string) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, op+":"+id)
	})
	g := s.createGroup(map[string]any{"name": "g"})

	// Authentication and organizations.
	code, _, b := s.do("GET", "/api/v2/usergroups", nil, "x-api-key", "wrong")
	if e := decodeErr(t, b); code != 401 || e.Status != "" || e.Message != "Unauthorized" {
		t.Errorf("bad key: %d %s", code, b)
	}
	if code, _, _ := s.do("GET", "/api/v2/usergroups", nil, "x-api-key", "mtp"); code != 401 {
		t.Errorf("multi-tenant key without x-org-id: %d", code)
	}
	code, _, b = s.do("GET", "/api/v2/usergroups", nil, "x-api-key", "mtp", "x-org-id", "org-a")
	if code != 200 || string(b) != "[]" {
		t.Errorf("another organization's groups: %d %s", code, b)
	}
	if code, _, _ := s.do("GET", "/api/v2/usergroups/"+g.ID, nil, "x-api-key", "mtp", "x-org-id", "org-a"); code != 404 {
		t.Errorf("a group of another organization: %d", code)
	}

	// Faults and the rate limit.
	s.FailNext("group-create", 1, 503)
	if code, _, _ := s.do("POST", "/api/v2/usergroups", map[string]any{"name": "h"}); code != 503 || len(s.Groups("")) != 1 {
		t.Errorf("fault: %d", code)
	}
	s.FailNext("member-remove", 1, 500)
	u := s.user("u")
	if code, _ := s.member(g.ID, "add", u.ID); code != 204 {
		t.Errorf("a fault on member-remove hit member-add: %d", code)
	}
	if code, _ := s.member(g.ID, "remove", u.ID); code != 500 {
		t.Errorf("fault on member-remove: %d", code)
	}
	s.SetRateLimit(RateLimit{RPS: 0.001, Burst: 1, RetryAfter: true})
	s.do("GET", "/api/v2/usergroups", nil)
	code, h, _ := s.do("GET", "/api/v2/usergroups", nil)
	if code != 429 || h.Get("Retry-After") == "" {
		t.Errorf("rate limit: %d", code)
	}
	s.SetRateLimit(RateLimit{})

	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(hooked, "group-create:") || !slices.Contains(hooked, "member-add:"+g.ID) {
		t.Errorf("hook: %v", hooked)
	}
}

func TestGroupHelpers(t *testing.T) {
	s := New(Options{APIKeys: map[string][]string{key: nil}})
	a, _ := s.AddUser("", User{Username: "a", Email: "a@example.com", Department: "IT"}, "")
	b, _ := s.AddUser("", User{Username: "b", Email: "b@example.com"}, "")
	g, err := s.AddGroup("", Group{Name: "static"}, a.ID)
	if err != nil || !isObjectID(g.ID) || g.MembershipMethod != MembershipNotSet || g.Type != "user_group" {
		t.Fatal(g, err)
	}
	if _, err := s.AddGroup("", Group{Name: "static"}); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := s.AddGroup("", Group{}); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := s.AddGroup("", Group{Name: "x"}, "0123456789abcdef01234567"); err == nil {
		t.Error("unknown member accepted")
	}
	dyn, err := s.AddGroup("", Group{Name: "it", MembershipMethod: MembershipAutomated,
		MemberQuery: &MemberQuery{Filters: []MemberFilter{{Field: "department", Operation: "eq", Value: "IT"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.GroupMembers("", dyn.ID); !slices.Equal(m, []string{a.ID}) {
		t.Errorf("dynamic members: %v", m)
	}
	if err := s.AddMember("", g.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember("", g.ID, b.ID); err != nil {
		t.Errorf("console add twice: %v", err)
	}
	if m, _ := s.GroupMembers("", g.ID); !slices.Equal(m, []string{a.ID, b.ID}) {
		t.Errorf("members: %v", m)
	}
	if err := s.RemoveMember("", g.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := s.MemberOf("", a.ID); !slices.Equal(got, []string{dyn.ID}) {
		t.Errorf("MemberOf: %v", got)
	}
	if err := s.EditGroup("", g.ID, func(g *Group) { g.Name, g.Description, g.ID = "renamed", "d", "x" }); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.FindGroupName("", "renamed"); !ok || got.ID != g.ID || got.Description != "d" {
		t.Errorf("FindGroupName: %+v %v", got, ok)
	}
	if err := s.EditGroup("", g.ID, func(g *Group) { g.Name = "it" }); err == nil {
		t.Error("rename onto a taken name")
	}
	if err := s.EditGroup("", dyn.ID, func(g *Group) { g.MembershipMethod = MembershipStatic }); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.GroupMembers("", dyn.ID); !slices.Equal(m, []string{a.ID}) {
		t.Errorf("frozen by EditGroup: %v", m)
	}
	if err := s.RemoveGroup("", g.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Group("", g.ID); ok {
		t.Error("removed group still there")
	}
	for _, err := range []error{s.AddMember("", g.ID, a.ID), s.RemoveMember("", g.ID, a.ID), s.RemoveGroup("", g.ID), s.EditGroup("", g.ID, func(*Group) {})} {
		if err == nil {
			t.Error("helper on a missing group succeeded")
		}
	}
	if _, err := s.GroupMembers("", g.ID); err == nil {
		t.Error("GroupMembers of a missing group")
	}
	s.Reset()
	if len(s.Groups("")) != 0 {
		t.Error("Reset kept groups")
	}
}
