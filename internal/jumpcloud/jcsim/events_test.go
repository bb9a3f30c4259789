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
	"time"
)

const eventsPath = "/insights/directory/v1/events"

// testClock is a settable clock for the simulator: tests move it instead of sleeping.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// wireEvent is the part of an /events row the tests read.
type wireEvent struct {
	ID          string            `json:"id"`
	Type        string            `json:"event_type"`
	Service     string            `json:"service"`
	Timestamp   string            `json:"timestamp"`
	Org         string            `json:"organization"`
	InitiatedBy EventActor        `json:"initiated_by"`
	Resource    EventObject       `json:"resource"`
	Association *EventAssociation `json:"association"`
	Changes     []EventChange     `json:"changes"`
	UserAgent   json.RawMessage   `json:"useragent"`
	AuthMethod  string            `json:"auth_method"`
}

// eventsAnswer is one /events answer.
type eventsAnswer struct {
	code    int
	header  http.Header
	events  []wireEvent
	raw     []map[string]any
	message string
}

// events posts an events query (a map, extended with service directory and start_time of the
// clock's day unless given).
func (s *tsim) events(body map[string]any, hdr ...string) eventsAnswer {
	s.t.Helper()
	if _, ok := body["service"]; !ok {
		body["service"] = []string{"directory"}
	}
	if _, ok := body["start_time"]; !ok {
		body["start_time"] = "2026-11-30T00:00:00Z"
	}
	code, h, b := s.do("POST", eventsPath, body, hdr...)
	a := eventsAnswer{code: code, header: h}
	if code != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		a.message = e.Message
		return a
	}
	if err := json.Unmarshal(b, &a.events); err != nil {
		s.t.Fatalf("events %s: %v", b, err)
	}
	_ = json.Unmarshal(b, &a.raw)
	return a
}

func (a eventsAnswer) types() []string {
	out := []string{}
	for _, e := range a.events {
		out = append(out, e.Type)
	}
	return out
}

func eventTypesOf(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestEventsOfAPIChanges(t *testing.T) {
	clock := newTestClock()
	s := start(t, Options{Now: clock.Now})
	ua := []string{"User-Agent", "jumpcloud-operator/test"}
	code, _, b := s.do("POST", "/api/systemusers", map[string]any{"username": "ann", "email": "ann@example.com", "state": "STAGED"}, ua...)
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	ann := idOf(t, b)
	bob := s.user("bob")
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/systemusers/" + ann, map[string]any{"jobTitle": "Engineer", "sudo": true}},
		{"POST", "/api/systemusers/" + ann + "/state/activate", map[string]any{"email": false}},
		{"POST", "/api/systemusers/" + ann + "/state/suspend", nil},
		{"PUT", "/api/systemusers/" + ann, map[string]any{"state": "ACTIVATED"}},
		{"POST", "/api/systemusers/" + ann + "/unlock", nil},
		{"POST", "/api/systemusers/" + ann + "/expire", nil},
		{"POST", "/api/systemusers/" + ann + "/resetmfa", map[string]any{}},
	} {
		if code, _, b := s.do(req.method, req.path, req.body, ua...); code != 200 {
			t.Fatalf("%s %s: %d %s", req.method, req.path, code, b)
		}
	}
	code, _, b = s.do("POST", "/api/systemusers/"+ann+"/sshkeys", map[string]any{"name": "laptop", "public_key": FakePublicKey("ann")}, ua...)
	if code != 200 {
		t.Fatalf("sshkey add: %d %s", code, b)
	}
	keyID := idOf(t, b)
	if code, _, b := s.do("DELETE", "/api/systemusers/"+ann+"/sshkeys/"+keyID, nil, ua...); code != 200 {
		t.Fatalf("sshkey delete: %d %s", code, b)
	}
	g := s.createGroup(map[string]any{"name": "admins"})
	if code, _, b := s.do("PUT", "/api/v2/usergroups/"+g.ID, map[string]any{"name": "administrators"}); code != 200 {
		t.Fatalf("group update: %d %s", code, b)
	}
	for _, op := range []string{"add", "remove"} {
		if code, b := s.member(g.ID, op, bob.ID); code != 204 {
			t.Fatalf("member %s: %d %s", op, code, b)
		}
	}
	// Refused requests change nothing and log nothing.
	s.do("POST", "/api/systemusers", map[string]any{"username": "bob", "email": "other@example.com"})
	s.member(g.ID, "remove", bob.ID)
	s.do("PUT", "/api/systemusers/"+ann, map[string]any{"email": "not-an-address"})
	if code, _, _ := s.do("DELETE", "/api/v2/usergroups/"+g.ID, nil); code != 200 {
		t.Fatalf("group delete: %d", code)
	}
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+ann, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}

	evs := s.Events()
	want := []string{
		"user_create", "user_create", "user_update", "user_activated", "user_suspended", "user_update", "user_unlocked",
		"user_update", "user_update", "user_update", "user_update", "group_create", "group_update",
		"association_change", "association_change", "group_delete", "user_delete",
	}
	if got := eventTypesOf(evs); !slices.Equal(got, want) {
		t.Fatalf("event types\n got %v\nwant %v", got, want)
	}
	first := evs[0]
	if first.Resource != (EventObject{ID: ann, Type: "user", Username: "ann", Email: "ann@example.com"}) || first.Organization != DefaultOrg ||
		first.Service != "directory" || first.InitiatedBy.Type != "admin" || first.InitiatedBy.ID == "" || first.AuthMethod != "api-key" ||
		first.UserAgent != "jumpcloud-operator/test" || first.ClientIP != "127.0.0.1" || !first.Time.Equal(clock.Now()) {
		t.Errorf("user_create %+v", first)
	}
	if strings.Contains(fmt.Sprint(evs), key) {
		t.Error("an event shows the API key")
	}
	changed := func(e Event) []string {
		out := []string{}
		for _, c := range e.Changes {
			out = append(out, c.Field)
		}
		return out
	}
	if got := changed(evs[2]); !slices.Contains(got, "jobTitle") || !slices.Contains(got, "sudo") || slices.Contains(got, "email") {
		t.Errorf("update changes %v", got)
	}
	if c := evs[4].Changes; !slices.ContainsFunc(c, func(c EventChange) bool {
		return c.Field == "state" && c.From == StateActivated && c.To == StateSuspended
	}) {
		t.Errorf("suspend changes %+v", c)
	}
	if got := changed(evs[9]); !slices.Equal(got, []string{"ssh_keys"}) || strings.Contains(fmt.Sprint(evs[9].Changes), "ssh-ed25519") {
		t.Errorf("ssh key changes %+v", evs[9].Changes)
	}
	if r := evs[11].Resource; r != (EventObject{ID: g.ID, Type: "user_group", Name: "admins"}) {
		t.Errorf("group_create resource %+v", r)
	}
	if got := changed(evs[12]); !slices.Equal(got, []string{"name"}) {
		t.Errorf("group update changes %v", got)
	}
	for i, op := range []string{"add", "remove"} {
		a := evs[13+i].Association
		if a == nil || a.Op != op || a.Connection.From.ID != g.ID || a.Connection.From.Type != "user_group" ||
			a.Connection.To != (EventObject{ID: bob.ID, Type: "user", Username: "bob"}) {
			t.Errorf("association %s: %+v", op, a)
		}
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].ID <= evs[i-1].ID {
			t.Errorf("event ids do not grow: %s after %s", evs[i].ID, evs[i-1].ID)
		}
	}
}

func TestEventsOfConsoleEdits(t *testing.T) {
	s := start(t, Options{})
	u, err := s.AddUser("", User{Username: "cat", Email: "cat@example.com", Department: "IT"}, "")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.EditUser("", u.ID, func(u *User) { u.Department = "Sales" }))
	if _, err := s.AddSSHKey("", u.ID, "desk", FakePublicKey("cat")); err != nil {
		t.Fatal(err)
	}
	g, err := s.AddGroup("", Group{Name: "ops"}, u.ID)
	must(err)
	must(s.AddMember("", g.ID, u.ID)) // already one: no change, no event
	must(s.RemoveMember("", g.ID, u.ID))
	must(s.RemoveMember("", g.ID, u.ID)) // not one any more: no event
	must(s.AddMember("", g.ID, u.ID))
	must(s.EditGroup("", g.ID, func(g *Group) { g.Description = "operations" }))
	review, err := s.AddGroup("", Group{Name: "review", MembershipMethod: MembershipReviewRequired,
		MemberQuery: &MemberQuery{Filters: []MemberFilter{{Field: "department", Operation: "eq", Value: "Sales"}}}})
	must(err)
	must(s.ApproveSuggestions("", review.ID))
	must(s.RemoveGroup("", g.ID))
	if code, _, b := s.do("POST", "/_sim/users/"+u.ID+"/lockout", nil); code != 200 {
		t.Fatalf("lockout: %d %s", code, b)
	}
	if code, _, b := s.do("POST", "/_sim/users?count=2", nil); code != 200 {
		t.Fatalf("seed: %d %s", code, b)
	}
	must(s.RemoveUser("", u.ID))

	evs := s.Events()
	want := []string{
		"user_create", "user_update", "user_update", "group_create", "association_change", "association_change",
		"association_change", "group_update", "group_create", "association_change", "group_delete", "user_lockout",
		"user_create", "user_create", "user_delete",
	}
	if got := eventTypesOf(evs); !slices.Equal(got, want) {
		t.Fatalf("event types\n got %v\nwant %v", got, want)
	}
	for _, e := range evs {
		if e.Type == "user_lockout" {
			if e.InitiatedBy.Type != "user" || e.InitiatedBy.ID != u.ID {
				t.Errorf("lockout initiated by %+v", e.InitiatedBy)
			}
			continue
		}
		if e.InitiatedBy.Type != "admin" || e.InitiatedBy.Email != consoleAdminEmail || e.UserAgent != ConsoleUserAgent || e.AuthMethod != "session" {
			t.Errorf("%s: not a console edit: %+v", e.Type, e)
		}
	}
	if c := evs[1].Changes; len(c) != 1 || c[0] != (EventChange{Field: "department", From: "IT", To: "Sales"}) {
		t.Errorf("edit changes %+v", c)
	}
	ops := []string{}
	for _, e := range evs {
		if e.Association != nil {
			ops = append(ops, e.Association.Op+" "+e.Association.Connection.From.Name)
		}
	}
	if !slices.Equal(ops, []string{"add ops", "remove ops", "add ops", "add review"}) {
		t.Errorf("associations %v", ops)
	}
	s.Reset()
	if n := len(s.Events()); n != 0 {
		t.Errorf("%d events after Reset", n)
	}
}

func TestEventsQuery(t *testing.T) {
	clock := newTestClock()
	s := start(t, Options{Now: clock.Now})
	var users []User
	for i := range 5 {
		users = append(users, s.user(fmt.Sprintf("u%d", i)))
		clock.Add(time.Second)
	}
	g := s.createGroup(map[string]any{"name": "team"})
	s.member(g.ID, "add", users[0].ID)
	clock.Add(time.Second)

	all := s.events(map[string]any{})
	if all.code != 200 || len(all.events) != 7 || all.header.Get("X-Result-Count") != "7" || all.header.Get("X-Limit") != "1000" || all.header.Get("X-Sort") != "ASC" {
		t.Fatalf("all: %d %v %v", all.code, all.types(), all.header)
	}
	if all.events[0].Timestamp != "2026-11-30T08:00:00.000Z" || all.events[0].Resource.ID != users[0].ID {
		t.Errorf("first %+v", all.events[0])
	}
	var after []any
	if err := json.Unmarshal([]byte(all.header.Get("X-Search_after")), &after); err != nil || len(after) != 2 ||
		after[0] != float64(clock.Now().Add(-time.Second).UnixMilli()) || after[1] != all.events[6].ID {
		t.Errorf("X-Search_after %q", all.header.Get("X-Search_after"))
	}
	if s.Count("events") != 1 || len(s.RequestsFor("events")) != 1 || s.RequestsFor("events")[0].Status != 200 {
		t.Errorf("request log %v", s.Counts())
	}

	t.Run("time window", func(t *testing.T) {
		a := s.events(map[string]any{"start_time": "2026-11-30T08:00:01Z", "end_time": "2026-11-30T08:00:03Z"})
		if len(a.events) != 2 || a.events[0].Resource.Username != "u1" || a.events[1].Resource.Username != "u2" {
			t.Errorf("window: %v", a.events)
		}
		a = s.events(map[string]any{"start_time": "2026-11-30T08:00:01.5+00:00", "end_time": "2026-11-30T08:00:02.000000001Z"})
		if len(a.events) != 1 || a.events[0].Resource.Username != "u2" {
			t.Errorf("fractions: %v", a.events)
		}
		a = s.events(map[string]any{"start_time": "2026-11-30T08:00:04"}) // no zone: UTC
		if len(a.events) != 3 {
			t.Errorf("no zone: %v", a.types())
		}
	})
	t.Run("services", func(t *testing.T) {
		for svc, n := range map[string]int{"all": 7, "DIRECTORY": 7, "radius": 0, "sso": 0} {
			if a := s.events(map[string]any{"service": []string{svc}}); a.code != 200 || len(a.events) != n {
				t.Errorf("%s: %d %d events", svc, a.code, len(a.events))
			}
		}
		if a := s.events(map[string]any{"service": []string{"radius", "directory"}}); len(a.events) != 7 {
			t.Errorf("radius+directory: %d", len(a.events))
		}
	})
	t.Run("search terms", func(t *testing.T) {
		for name, term := range map[string]any{
			"object form":      map[string]any{"or": map[string]any{"event_type": []string{"group_create", "association_change"}}},
			"list form":        map[string]any{"or": []any{map[string]any{"event_type": "group_create"}, map[string]any{"event_type": "association_change"}}},
			"operator form":    map[string]any{"and": []any{map[string]any{"field": "event_type", "operator": "in", "value": []string{"GROUP_CREATE", "association_change"}}}},
			"not":              map[string]any{"not": map[string]any{"event_type": "user_create"}},
			"nested":           map[string]any{"and": []any{map[string]any{"service": "directory"}, map[string]any{"or": []any{map[string]any{"resource.type": "user_group"}}}}},
			"startsWith":       map[string]any{"and": []any{map[string]any{"field": "resource.type", "operator": "startsWith", "value": "user_"}}},
			"not_in":           map[string]any{"and": []any{map[string]any{"field": "event_type", "operator": "not_in", "value": []string{"user_create"}}}},
			"after":            map[string]any{"and": []any{map[string]any{"field": "timestamp", "operator": "after", "value": "2026-11-30T08:00:04.500Z"}}},
			"empty and as all": map[string]any{"and": map[string]any{}, "or": map[string]any{"event_type": []string{"group_create", "association_change"}}},
		} {
			a := s.events(map[string]any{"search_term": term})
			if a.code != 200 || !slices.Equal(a.types(), []string{"group_create", "association_change"}) {
				t.Errorf("%s: %d %s %v", name, a.code, a.message, a.types())
			}
		}
		a := s.events(map[string]any{"search_term": map[string]any{"and": map[string]any{"association.connection.to.id": users[0].ID, "association.op": "add"}}})
		if !slices.Equal(a.types(), []string{"association_change"}) {
			t.Errorf("dotted: %v", a.types())
		}
		a = s.events(map[string]any{"search_term": map[string]any{"and": map[string]any{"success": "true", "resource.username": "U3"}}})
		if len(a.events) != 1 || a.events[0].Resource.Username != "u3" {
			t.Errorf("case-insensitive values: %v", a.events)
		}
	})
	t.Run("sort", func(t *testing.T) {
		for sortValue, desc := range map[string]bool{"DESC": true, "desc": true, "ASC": false, "sideways": false, "": false} {
			a := s.events(map[string]any{"sort": sortValue})
			first := a.events[0].Type == "association_change"
			if first != desc || (a.header.Get("X-Sort") == "DESC") != desc {
				t.Errorf("sort %q: %v %s", sortValue, a.types(), a.header.Get("X-Sort"))
			}
		}
	})
	t.Run("limit", func(t *testing.T) {
		for limit, want := range map[any]string{2: "2", 10000: "10000", 10001: "1000", 0: "1000", -3: "1000", "many": "1000", 2.5: "1000", "3": "3"} {
			a := s.events(map[string]any{"limit": limit})
			if a.code != 200 || a.header.Get("X-Limit") != want {
				t.Errorf("limit %v: %d X-Limit %s", limit, a.code, a.header.Get("X-Limit"))
			}
		}
	})
	t.Run("paging", func(t *testing.T) {
		for _, sortValue := range []string{"ASC", "DESC"} {
			var got []string
			var cursor json.RawMessage
			pages := 0
			for {
				body := map[string]any{"limit": 3, "sort": sortValue}
				if cursor != nil {
					body["search_after"] = cursor
				}
				a := s.events(body)
				pages++
				for _, e := range a.events {
					got = append(got, e.ID)
				}
				cursor = json.RawMessage(a.header.Get("X-Search_after"))
				if !json.Valid(cursor) {
					t.Fatalf("X-Search_after %q", cursor)
				}
				if a.header.Get("X-Result-Count") != a.header.Get("X-Limit") {
					break
				}
			}
			want := []string{}
			for _, e := range all.events {
				want = append(want, e.ID)
			}
			if sortValue == "DESC" {
				slices.Reverse(want)
			}
			if pages != 3 || !slices.Equal(got, want) {
				t.Errorf("%s: %d pages %v, want %v", sortValue, pages, got, want)
			}
		}
		// Past the last event: an empty page, which still has X-Search_after (the cursor sent).
		a := s.events(map[string]any{"search_after": []any{clock.Now().UnixMilli(), "z"}})
		if a.code != 200 || len(a.events) != 0 || a.header.Get("X-Search_after") != fmt.Sprintf(`[%d,"z"]`, clock.Now().UnixMilli()) {
			t.Errorf("empty page: %d %d %q", a.code, len(a.events), a.header.Get("X-Search_after"))
		}
		a = s.events(map[string]any{"search_after": []any{strconv.FormatInt(all.events[5].msOf(t), 10)}, "skip": 0})
		if !slices.Equal(a.types(), []string{"group_create", "association_change"}) { // the id sorts before both of that millisecond
			t.Errorf("millis as a string, no id: %v", a.types())
		}
	})
	t.Run("fields", func(t *testing.T) {
		a := s.events(map[string]any{"fields": []string{"event_type", "resource.id", "nothing"}, "limit": 1})
		if len(a.raw) != 1 || len(a.raw[0]) != 2 || a.raw[0]["event_type"] != "user_create" ||
			fmt.Sprint(a.raw[0]["resource"]) != fmt.Sprint(map[string]any{"id": users[0].ID}) {
			t.Errorf("fields: %v", a.raw)
		}
	})
	t.Run("count", func(t *testing.T) {
		code, _, b := s.do("POST", eventsPath+"/count", map[string]any{"service": []string{"all"}, "start_time": "2026-11-30T00:00:00Z",
			"search_term": map[string]any{"and": map[string]any{"event_type": "user_create"}}})
		if code != 200 || string(b) != `{"count":5}` {
			t.Errorf("count: %d %s", code, b)
		}
	})
	t.Run("invalid queries", func(t *testing.T) {
		for name, body := range map[string]any{
			"not an object":         `["directory"]`,
			"no service":            map[string]any{"start_time": "2026-11-30T00:00:00Z"},
			"empty service":         map[string]any{"service": []string{}, "start_time": "2026-11-30T00:00:00Z"},
			"unknown service":       map[string]any{"service": []string{"printers"}, "start_time": "2026-11-30T00:00:00Z"},
			"no start":              map[string]any{"service": []string{"directory"}},
			"bad start":             map[string]any{"service": []string{"directory"}, "start_time": "30/11/2026"},
			"start in the future":   map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T09:00:00Z"},
			"end before start":      map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "end_time": "2026-11-29T00:00:00Z"},
			"bad end":               map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "end_time": 5},
			"bad search_after":      map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_after": []any{"x", "y"}},
			"unknown operator":      map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_term": map[string]any{"and": []any{map[string]any{"field": "event_type", "operator": "like", "value": "x"}}}},
			"unknown conjunction":   map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_term": map[string]any{"xor": map[string]any{}}},
			"changes searched":      map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_term": map[string]any{"and": map[string]any{"changes.field": "sudo"}}},
			"empty fields":          map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "fields": []string{}},
			"no known field":        map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "fields": []string{"colour"}},
			"numeric on a string":   map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_term": map[string]any{"and": []any{map[string]any{"field": "id", "operator": "gt", "value": "x"}}}},
			"search_term not a map": map[string]any{"service": []string{"directory"}, "start_time": "2026-11-30T00:00:00Z", "search_term": "event_type:user_create"},
		} {
			code, _, b := s.do("POST", eventsPath, body)
			var e map[string]any
			if code != 400 || json.Unmarshal(b, &e) != nil || e["message"] == "" || len(e) != 1 {
				t.Errorf("%s: %d %s", name, code, b)
			}
		}
	})
	t.Run("routes", func(t *testing.T) {
		if code, _, _ := s.do("GET", eventsPath, nil); code != 405 {
			t.Errorf("GET events: %d", code)
		}
		if code, _, _ := s.do("POST", "/insights/directory/v1/nothing", map[string]any{}); code != 404 {
			t.Errorf("unknown route: %d", code)
		}
	})
}

// msOf returns the event's timestamp in Unix milliseconds.
func (e wireEvent) msOf(t *testing.T) int64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, e.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return ts.UnixMilli()
}

func TestEventsAuthAndOrganizations(t *testing.T) {
	s := start(t, Options{})
	for _, org := range []string{"org-a", "org-b"} {
		if code, _, b := s.do("POST", "/api/systemusers", map[string]any{"username": "x" + org[4:], "email": org + "@example.com"}, "x-api-key", "mtp", "x-org-id", org); code != 200 {
			t.Fatalf("create in %s: %d %s", org, code, b)
		}
	}
	a := s.events(map[string]any{}, "x-api-key", "mtp", "x-org-id", "org-b")
	if a.code != 200 || len(a.events) != 1 || a.events[0].Org != "org-b" || a.events[0].Resource.Username != "xb" {
		t.Errorf("org-b: %d %+v", a.code, a.events)
	}
	if a := s.events(map[string]any{}); a.code != 200 || len(a.events) != 0 {
		t.Errorf("default org: %d %d events", a.code, len(a.events))
	}
	for name, hdr := range map[string][]string{
		"wrong key":        {"x-api-key", "nope"},
		"no key":           {"x-api-key", ""},
		"multi-tenant key": {"x-api-key", "mtp"},
	} {
		if a := s.events(map[string]any{}, hdr...); a.code != 401 || a.message == "" {
			t.Errorf("%s: %d %q", name, a.code, a.message)
		}
	}
	if a := s.events(map[string]any{}, "x-api-key", "mtp", "x-org-id", "org-z"); a.code != 404 {
		t.Errorf("unknown org: %d", a.code)
	}
}

func TestEventsKnobs(t *testing.T) {
	t.Run("delay", func(t *testing.T) {
		clock := newTestClock()
		s := start(t, Options{Now: clock.Now, Knobs: Knobs{EventDelay: 30 * time.Second}})
		s.user("late")
		if a := s.events(map[string]any{}); len(a.events) != 0 {
			t.Errorf("visible at once: %v", a.types())
		}
		clock.Add(29 * time.Second)
		if a := s.events(map[string]any{}); len(a.events) != 0 {
			t.Errorf("visible after 29s: %v", a.types())
		}
		clock.Add(time.Second)
		if a := s.events(map[string]any{}); len(a.events) != 1 || a.events[0].Timestamp != "2026-11-30T08:00:00.000Z" {
			t.Errorf("after 30s: %+v", a.events)
		}
		if evs := s.Events(); len(evs) != 1 || !evs[0].VisibleAt.Equal(evs[0].Time.Add(30*time.Second)) {
			t.Errorf("Events: %+v", evs)
		}
	})
	t.Run("jitter makes events visible out of order", func(t *testing.T) {
		clock := newTestClock()
		s := start(t, Options{Now: clock.Now, Knobs: Knobs{EventDelayJitter: time.Minute}})
		for i := range 20 {
			s.user(fmt.Sprintf("j%d", i))
		}
		outOfOrder := false
		for _, e := range s.Events() {
			if e.VisibleAt.Before(e.Time) || e.VisibleAt.After(e.Time.Add(time.Minute)) {
				t.Errorf("visible at %v for %v", e.VisibleAt, e.Time)
			}
		}
		evs := s.Events()
		for i := 1; i < len(evs); i++ {
			outOfOrder = outOfOrder || evs[i].VisibleAt.Before(evs[i-1].VisibleAt)
		}
		if !outOfOrder {
			t.Error("20 events with a minute of jitter became visible in order")
		}
		clock.Add(time.Minute)
		if a := s.events(map[string]any{}); len(a.events) != 20 {
			t.Errorf("after the jitter: %d events", len(a.events))
		}
	})
	t.Run("clock skew", func(t *testing.T) {
		clock := newTestClock()
		s := start(t, Options{Now: clock.Now, Knobs: Knobs{EventClockSkew: -90 * time.Second}})
		s.user("skewed")
		a := s.events(map[string]any{})
		if len(a.events) != 1 || a.events[0].Timestamp != "2026-11-30T07:58:30.000Z" {
			t.Errorf("skewed: %+v", a.events)
		}
		// The simulator's "now" is in the future of Directory Insights' clock.
		if a := s.events(map[string]any{"start_time": "2026-11-30T07:59:00Z"}); a.code != 400 {
			t.Errorf("start after the insights clock: %d", a.code)
		}
		s.UpdateKnobs(func(k *Knobs) { k.EventClockSkew = 5 * time.Minute })
		if a := s.events(map[string]any{"start_time": "2026-11-30T08:04:00Z"}); a.code != 200 {
			t.Errorf("start before the insights clock: %d %s", a.code, a.message)
		}
	})
	t.Run("user agent and changes", func(t *testing.T) {
		s := start(t, Options{})
		u := s.user("agent")
		s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"sudo": true}, "User-Agent", "jumpcloud-operator/1.2.3")
		if err := s.EditUser("", u.ID, func(u *User) { u.JobTitle = "Boss" }); err != nil {
			t.Fatal(err)
		}
		a := s.events(map[string]any{})
		var api, console map[string]string
		if json.Unmarshal(a.events[1].UserAgent, &api) != nil || json.Unmarshal(a.events[2].UserAgent, &console) != nil {
			t.Fatalf("useragent is not the parsed object: %s %s", a.events[1].UserAgent, a.events[2].UserAgent)
		}
		if api["name"] != "Other" || console["name"] != "Chrome" || console["major"] != "130" || console["os"] != "Mac OS X" {
			t.Errorf("parsed user agents %v %v", api, console)
		}
		if len(a.events[1].Changes) == 0 {
			t.Error("no changes")
		}
		s.UpdateKnobs(func(k *Knobs) { k.EventsRawUserAgent = true })
		a = s.events(map[string]any{})
		if string(a.events[1].UserAgent) != `"jumpcloud-operator/1.2.3"` {
			t.Errorf("raw user agent %s", a.events[1].UserAgent)
		}
		s.UpdateKnobs(func(k *Knobs) { k.EventsOmitUserAgent, k.EventsOmitChanges = true, true })
		a = s.events(map[string]any{})
		for _, row := range a.raw {
			if _, ok := row["useragent"]; ok {
				t.Errorf("useragent sent: %v", row)
			}
			if _, ok := row["changes"]; ok {
				t.Errorf("changes sent: %v", row)
			}
		}
	})
	t.Run("event types", func(t *testing.T) {
		s := start(t, Options{Knobs: Knobs{EventTypes: EventTypes{GroupCreate: "user_group_create", UserResource: "systemuser"}}})
		u := s.user("typed")
		g := s.createGroup(map[string]any{"name": "typed"})
		s.member(g.ID, "add", u.ID)
		evs := s.Events()
		if got := eventTypesOf(evs); !slices.Equal(got, []string{"user_create", "user_group_create", "association_change"}) {
			t.Errorf("types %v", got)
		}
		if evs[0].Resource.Type != "systemuser" || evs[2].Association.Connection.To.Type != "systemuser" || evs[1].Resource.Type != "user_group" {
			t.Errorf("resource types %+v %+v", evs[0].Resource, evs[2].Association)
		}
	})
	t.Run("insights disabled", func(t *testing.T) {
		s := start(t, Options{Knobs: Knobs{InsightsDisabled: true}})
		s.user("paid")
		a := s.events(map[string]any{})
		if a.code != 402 || a.message != "Directory Insights is not enabled for your organization" {
			t.Errorf("disabled: %d %q", a.code, a.message)
		}
		if len(s.Events()) != 1 {
			t.Error("events are still recorded")
		}
	})
	t.Run("429", func(t *testing.T) {
		s := start(t, Options{})
		s.InjectFault(Fault{Op: "events", Code: http.StatusTooManyRequests, RetryAfter: "7"})
		a := s.events(map[string]any{})
		if a.code != 429 || a.header.Get("Retry-After") != "7" || a.message == "" {
			t.Errorf("fault: %d %v", a.code, a.header)
		}
		if a := s.events(map[string]any{}); a.code != 200 {
			t.Errorf("after the fault: %d", a.code)
		}
		s.SetRateLimit(RateLimit{RPS: 0.001, Burst: 1, RetryAfter: true})
		s.events(map[string]any{})
		if a := s.events(map[string]any{}); a.code != 429 || a.header.Get("Retry-After") == "" {
			t.Errorf("rate limit: %d %v", a.code, a.header)
		}
		if reqs := s.RequestsFor("events"); len(reqs) != 4 || !reqs[0].Injected || reqs[0].Status != 429 || !reqs[3].Injected {
			t.Errorf("request log %+v", reqs)
		}
	})
	t.Run("admin endpoints", func(t *testing.T) {
		s := start(t, Options{})
		code, _, b := s.do("PUT", "/_sim/config", map[string]any{"eventDelay": "1m", "eventClockSkew": "-2s", "insightsDisabled": true,
			"eventsRawUserAgent": true, "eventTypes": map[string]any{"association": "membership_change"}})
		k := s.Knobs()
		if code != 200 || k.EventDelay != time.Minute || k.EventClockSkew != -2*time.Second || !k.InsightsDisabled || !k.EventsRawUserAgent ||
			k.EventTypes.Association != "membership_change" || k.EventTypes.UserCreate != "user_create" {
			t.Errorf("config: %d %s %+v", code, b, k)
		}
		if code, _, _ := s.do("PUT", "/_sim/config", map[string]any{"eventDelay": "-1s"}); code != 400 {
			t.Errorf("negative delay: %d", code)
		}
		s.user("listed")
		code, _, b = s.do("GET", "/_sim/events", nil)
		var out struct {
			Events []struct {
				Type      string `json:"event_type"`
				VisibleAt string `json:"visibleAt"`
			} `json:"events"`
		}
		if code != 200 || json.Unmarshal(b, &out) != nil || len(out.Events) != 1 || out.Events[0].Type != "user_create" || out.Events[0].VisibleAt == "" {
			t.Errorf("GET /_sim/events: %d %s", code, b)
		}
	})
	t.Run("log size", func(t *testing.T) {
		s := start(t, Options{EventLogSize: 3})
		if _, err := s.SeedUsers("", 5); err != nil {
			t.Fatal(err)
		}
		evs := s.Events()
		if len(evs) != 3 || evs[0].Resource.Username != "seed00003" {
			t.Errorf("kept %v", evs)
		}
		// A larger log drops an eighth of its bound at a time.
		s = start(t, Options{EventLogSize: 16})
		if _, err := s.SeedUsers("", 17); err != nil {
			t.Fatal(err)
		}
		if evs := s.Events(); len(evs) != 15 || evs[0].Resource.Username != "seed00003" {
			t.Errorf("kept %d, first %s", len(evs), evs[0].Resource.Username)
		}
	})
}
