package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const insightsKey = "insights-key-0123456789"

// insightsEnv is a simulator on 127.0.0.1 with a settable clock, and a client for it.
type insightsEnv struct {
	sim    *jcsim.Server
	client *Client
	clock  *fixedClock
	mu     sync.Mutex
	seen   map[string]int // "op status" observed
	sleeps int
}

type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newInsightsEnv(t *testing.T, configure ...func(*jcsim.Options, *Options)) *insightsEnv {
	t.Helper()
	e := &insightsEnv{clock: &fixedClock{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}, seen: map[string]int{}}
	so := jcsim.Options{APIKeys: map[string][]string{insightsKey: {jcsim.DefaultOrg}}, Now: e.clock.Now}
	co := Options{
		APIKey: insightsKey, RequestsPerSecond: -1,
		Observer: ObserverFuncs{Request: func(op string, code int, _ time.Duration) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.seen[fmt.Sprintf("%s %d", op, code)]++
		}},
		Sleep: func(context.Context, time.Duration) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.sleeps++
			return nil
		},
	}
	for _, c := range configure {
		c(&so, &co)
	}
	e.sim = jcsim.New(so)
	base, err := e.sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sim.Close() })
	if co.BaseURL == "" {
		co.BaseURL = base
	}
	if e.client, err = New(co); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *insightsEnv) observed(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen[key]
}

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestInsightsURLDerivation(t *testing.T) {
	for _, tt := range []struct{ name, baseURL, region, want string }{
		{name: "US by default", want: InsightsURLUS},
		{name: "EU", region: "eu", want: InsightsURLEU},
		{name: "IN", region: "IN", want: InsightsURLIN},
		{name: "US console URL", baseURL: "https://console.jumpcloud.com/api/", want: InsightsURLUS},
		{name: "EU console URL", baseURL: BaseURLEU, want: InsightsURLEU},
		{name: "another console domain", baseURL: "https://console.jc.example.com/api", want: "https://api.jc.example.com/insights/directory/v1"},
		{name: "console host, port kept", baseURL: "https://Console.example.com:8443/api", want: "https://api.example.com:8443/insights/directory/v1"},
		{name: "a proxy keeps its host", baseURL: "https://jc-proxy.corp.example/jumpcloud/api", want: "https://jc-proxy.corp.example/jumpcloud/insights/directory/v1"},
		{name: "the simulator", baseURL: "http://127.0.0.1:8080/api", want: "http://127.0.0.1:8080/insights/directory/v1"},
		{name: "loopback without /api", baseURL: "http://localhost:9", want: "http://localhost:9/insights/directory/v1"},
		{name: "IPv6 loopback", baseURL: "http://[::1]:9/api", want: "http://[::1]:9/insights/directory/v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{APIKey: "k", BaseURL: tt.baseURL, Region: tt.region})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.InsightsURL(); got != tt.want {
				t.Errorf("insights URL %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInsightsURLOverride(t *testing.T) {
	base, _ := url.Parse(BaseURLUS)
	for raw, want := range map[string]string{
		"https://insights.example.com/insights/directory/v1/": "https://insights.example.com/insights/directory/v1",
		" http://127.0.0.1:9/di ":                             "http://127.0.0.1:9/di",
	} {
		u, err := resolveInsightsURL(raw, base)
		if err != nil || u.String() != want {
			t.Errorf("%q: %v %v, want %s", raw, u, err, want)
		}
	}
	for _, raw := range []string{"http://insights.example.com/x", "ftp://insights.example.com", "https://u:secret@insights.example.com", "https://insights.example.com/?q=1", "https:///x", "://"} {
		_, err := resolveInsightsURL(raw, base)
		if err == nil {
			t.Errorf("%q: want an error", raw)
		} else if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "insights URL") {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestEventsPagesWithSearchAfter(t *testing.T) {
	e := newInsightsEnv(t)
	var want []string
	for i := range 25 {
		u, err := e.sim.AddUser("", jcsim.User{Username: fmt.Sprintf("user%02d", i), Email: fmt.Sprintf("user%02d@example.com", i)}, "")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID)
		if i%4 == 0 {
			e.clock.Add(time.Millisecond) // some events share their millisecond
		}
	}
	e.clock.Add(time.Second)
	q := EventQuery{Start: e.clock.Now().Add(-time.Hour), Limit: 10}
	var got []string
	var more []bool
	for {
		page, err := e.client.Events(testCtx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			if ev.Type != "user_create" || ev.Resource.Kind != EventKindUser || ev.Time.IsZero() || ev.ID == "" || len(ev.Raw) == 0 {
				t.Errorf("event %+v", ev)
			}
			got = append(got, ev.Resource.ID)
		}
		more = append(more, page.More)
		if !page.More {
			break
		}
		if len(more) > 5 {
			t.Fatal("paging does not end")
		}
		q.SearchAfter = page.SearchAfter
	}
	if !slices.Equal(got, want) || !slices.Equal(more, []bool{true, true, false}) {
		t.Errorf("paged %v (more %v), want %v", got, more, want)
	}
	reqs := e.sim.RequestsFor("events")
	if len(reqs) != 3 || slices.Contains(reqs[0].Fields, "search_after") || !slices.Contains(reqs[1].Fields, "search_after") {
		t.Errorf("requests %+v", reqs)
	}
	if e.observed("events 200") != 3 {
		t.Errorf("observed %v", e.seen)
	}

	// A page that exactly fills the limit says More; the page after it is empty and ends.
	q = EventQuery{Start: e.clock.Now().Add(-time.Hour), Limit: 25}
	page, err := e.client.Events(testCtx(t), q)
	if err != nil || len(page.Events) != 25 || !page.More {
		t.Fatalf("full page: %v %d %v", err, len(page.Events), page != nil && page.More)
	}
	q.SearchAfter = page.SearchAfter
	last, err := e.client.Events(testCtx(t), q)
	if err != nil || len(last.Events) != 0 || last.More || string(last.SearchAfter) != string(page.SearchAfter) {
		t.Errorf("after the last page: %v %+v", err, last)
	}
}

func TestEventsOfChangesThroughTheSimulator(t *testing.T) {
	e := newInsightsEnv(t, func(_ *jcsim.Options, co *Options) { co.UserAgent = "op-instance/abc123" })
	u, err := e.client.CreateUser(testCtx(t), UserFields{Username: Ptr("dora"), Email: Ptr("dora@example.com")}, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.client.CreateGroup(testCtx(t), GroupFields{Name: Ptr("pilots")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.AddGroupMember(testCtx(t), g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.EditUser("", u.ID, func(x *jcsim.User) { x.JobTitle = "Captain" }); err != nil {
		t.Fatal(err)
	}
	q := EventQuery{Start: e.clock.Now().Add(-time.Minute)}
	page, err := e.client.Events(testCtx(t), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 4 || page.More {
		t.Fatalf("events %+v", page)
	}
	create, group, member, edit := page.Events[0], page.Events[1], page.Events[2], page.Events[3]
	if create.Type != "user_create" || create.Resource != (EventTarget{Kind: EventKindUser, ID: u.ID, Name: "dora"}) || create.UserAgent != "" || len(create.Associated) != 0 {
		t.Errorf("user_create %+v", create)
	}
	if group.Type != "group_create" || group.Resource != (EventTarget{Kind: EventKindGroup, ID: g.ID, Name: "pilots"}) {
		t.Errorf("group_create %+v", group)
	}
	if member.Type != "association_change" || !slices.Equal(member.Associated, []EventTarget{{Kind: EventKindGroup, ID: g.ID, Name: "pilots"}, {Kind: EventKindUser, ID: u.ID, Name: "dora"}}) {
		t.Errorf("association_change %+v", member)
	}
	if edit.Type != "user_update" || edit.Resource.ID != u.ID || !strings.HasPrefix(edit.UserAgent, "Chrome/130") {
		t.Errorf("console edit %+v", edit)
	}

	// JumpCloud's parsed user agent does not know the operator ("Other": empty); the raw form
	// carries its User-Agent.
	e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.EventsRawUserAgent = true })
	page, err = e.client.Events(testCtx(t), q)
	if err != nil {
		t.Fatal(err)
	}
	if ua := page.Events[0].UserAgent; !strings.HasPrefix(ua, "op-instance/abc123 jumpcloud-operator/") {
		t.Errorf("raw user agent %q", ua)
	}
	// A type filter, sent lowercased.
	page, err = e.client.Events(testCtx(t), EventQuery{Start: q.Start, EventTypes: []string{"Group_Create", "group_create", " "}})
	if err != nil || len(page.Events) != 1 || page.Events[0].Type != "group_create" {
		t.Errorf("filtered: %v %+v", err, page)
	}
}

func TestEventsRefused(t *testing.T) {
	e := newInsightsEnv(t)
	q := EventQuery{Start: e.clock.Now().Add(-time.Minute)}

	e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.InsightsDisabled = true })
	_, err := e.client.Events(testCtx(t), q)
	var je *Error
	if !IsFeedRefused(err) || !errors.As(err, &je) || je.StatusCode != http.StatusPaymentRequired || je.Operation != OpEvents ||
		!strings.Contains(je.Message, "not enabled") || IsRetryable(err) {
		t.Errorf("402: %v", err)
	}
	e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.InsightsDisabled = false })

	for _, code := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusUnauthorized} {
		e.sim.InjectFault(jcsim.Fault{Op: "events", Code: code})
		if _, err := e.client.Events(testCtx(t), q); !IsFeedRefused(err) {
			t.Errorf("%d: not refused: %v", code, err)
		}
	}
	e.sim.InjectFault(jcsim.Fault{Op: "events", Code: http.StatusInternalServerError})
	if _, err := e.client.Events(testCtx(t), q); IsFeedRefused(err) || !IsUnavailable(err) {
		t.Errorf("500: %v", err)
	}

	wrong, err := New(Options{APIKey: "wrong-key-0123456789", BaseURL: e.sim.URL(), RequestsPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Events(testCtx(t), q)
	if !IsFeedRefused(err) || !IsUnauthorized(err) || strings.Contains(err.Error(), "wrong-key-0123456789") {
		t.Errorf("401: %v", err)
	}
	// The same status from another call is no refusal of the feed.
	if _, err := wrong.ListUsers(testCtx(t), ListOptions{}); !IsUnauthorized(err) || IsFeedRefused(err) {
		t.Errorf("list 401: %v", err)
	}
	if IsFeedRefused(nil) || IsFeedRefused(errors.New("402")) {
		t.Error("not client errors")
	}
}

func TestEventsAreNotRetried(t *testing.T) {
	e := newInsightsEnv(t)
	q := EventQuery{Start: e.clock.Now().Add(-time.Minute)}
	e.sim.InjectFault(jcsim.Fault{Op: "events", Code: http.StatusTooManyRequests, RetryAfter: "7"})
	_, err := e.client.Events(testCtx(t), q)
	if !IsRateLimited(err) || RetryAfterOf(err) != 7*time.Second || IsFeedRefused(err) {
		t.Errorf("429: %v (retry after %v)", err, RetryAfterOf(err))
	}
	e.sim.InjectFault(jcsim.Fault{Op: "events", Code: http.StatusServiceUnavailable})
	if _, err := e.client.Events(testCtx(t), q); !IsUnavailable(err) {
		t.Errorf("503: %v", err)
	}
	if n := e.sim.Count("events"); n != 2 || e.sleeps != 0 {
		t.Errorf("%d events requests and %d sleeps, want 2 and none", n, e.sleeps)
	}
	if e.observed("events 429") != 1 || e.observed("events 503") != 1 {
		t.Errorf("observed %v", e.seen)
	}
	if _, err := e.client.Events(testCtx(t), q); err != nil {
		t.Errorf("then: %v", err)
	}
}

func TestEventsShareTheRateLimiter(t *testing.T) {
	e := newInsightsEnv(t, func(_ *jcsim.Options, co *Options) { co.RequestsPerSecond, co.Burst = 0.01, 1 })
	if _, err := e.client.ListUsers(testCtx(t), ListOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := e.client.Events(ctx, EventQuery{Start: e.clock.Now()})
	if !IsUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) || e.sim.Count("events") != 0 {
		t.Errorf("events after the bucket was emptied: %v (%d sent)", err, e.sim.Count("events"))
	}
}

func TestEventQueryBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		bodies, paths = append(bodies, m), append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c, err := New(Options{APIKey: "k", BaseURL: srv.URL + "/api", RequestsPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, q := range []EventQuery{
		{Start: start},
		{Start: start.Add(1500 * time.Microsecond), End: start.Add(time.Hour + 1500*time.Microsecond), Services: []string{"All", " directory ", "all"},
			EventTypes: []string{"User_Create", "user_create", ""}, Limit: 20000, SearchAfter: json.RawMessage(` [1764489600000, "abc"] `)},
		{Start: start, Limit: 5},
	} {
		if _, err := c.Events(testCtx(t), q); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`{"limit":1000,"service":["directory"],"sort":"ASC","start_time":"2026-11-30T07:00:00Z"}`,
		`{"end_time":"2026-11-30T08:00:00.002Z","limit":10000,"search_after":[1764489600000,"abc"],"search_term":{"or":{"event_type":["user_create"]}},"service":["all","directory"],"sort":"ASC","start_time":"2026-11-30T07:00:00.001Z"}`,
		`{"limit":5,"service":["directory"],"sort":"ASC","start_time":"2026-11-30T07:00:00Z"}`,
	}
	for i, w := range want {
		got, _ := json.Marshal(bodies[i])
		if string(got) != w {
			t.Errorf("body %d\n got %s\nwant %s", i, got, w)
		}
		if paths[i] != "POST /insights/directory/v1/events" {
			t.Errorf("path %s", paths[i])
		}
	}
	for name, q := range map[string]EventQuery{
		"no start":           {},
		"end before start":   {Start: start, End: start.Add(-time.Second)},
		"negative limit":     {Start: start, Limit: -1},
		"search_after junk":  {Start: start, SearchAfter: json.RawMessage(`{"a":`)},
		"search_after value": {Start: start, SearchAfter: json.RawMessage(`"abc"`)},
	} {
		if _, err := c.Events(testCtx(t), q); !IsValidation(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(bodies) != 3 {
		t.Errorf("%d requests, want 3: invalid queries are refused before sending", len(bodies))
	}
}

// oddServer answers /events with body and headers, whatever is asked.
func oddServer(t *testing.T, body string, header map[string]string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = []string{v}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{APIKey: "k", BaseURL: srv.URL + "/api", RequestsPerSecond: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEventsTolerantParsing(t *testing.T) {
	body := `[
	 {"id":"e1","event_type":"systemuser_update","timestamp":"2026-11-30T08:00:00Z","resource":{"type":"systemuser","id":"u1","username":"jdoe"},
	  "useragent":{"name":"Chrome","major":"130","minor":"0","patch":"6723","os":"Mac OS X","device":"Other"}},
	 {"id":2,"event_type":"group_update","timestamp":"2026-11-30T08:00:00.123456Z","resource":{"type":"USER_GROUP","object_id":"g1","name":"Ops"},"useragent":"curl/8.0"},
	 {"id":"e3","event_type":"association_change","timestamp":1764489600123,
	  "association":{"op":"add","connection":{"from":{"type":"USER_GROUP","id":"g2"},"to":{"type":"system_user","id":"u2","username":"amy"}}},
	  "useragent":{"name":"Other","os":"Other"}},
	 {"id":"e4","event_type":"association_change","timestamp":"yesterday","resource":"u3",
	  "association":{"op":"remove","from":{"type":"usergroup","id":"g3"},"to":{"type":"system","id":"s1"}}},
	 {"id":"e5","event_type":"user_group_admin_grant","association":{"type":"admin","id":"a1","email":"x@example.com"},"useragent":42},
	 17,
	 {"event_type":null,"resource":{"type":["user"],"id":{"oid":"x"}},"changes":"garbled"},
	 {"id":"e7","timestamp":"2026-11-30T08:00:01.5Z","resource":{"type":"Group","id":"g9"}}
	]`
	c := oddServer(t, body, map[string]string{"X-Result-Count": "8", "X-Limit": "8"})
	page, err := c.Events(testCtx(t), EventQuery{Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 7 {
		t.Fatalf("%d events, want the 7 objects", len(page.Events))
	}
	ev := page.Events
	check := func(i int, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("event %d: %v, want %v", i, got, want)
		}
	}
	check(0, ev[0].Resource, EventTarget{Kind: EventKindUser, ID: "u1", Name: "jdoe"})
	check(0, ev[0].UserAgent, "Chrome/130.0.6723 (Mac OS X)")
	check(0, ev[0].Time, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	check(1, ev[1].ID, "2")
	check(1, ev[1].Resource, EventTarget{Kind: EventKindGroup, ID: "g1", Name: "Ops"})
	check(1, ev[1].Time, time.Date(2026, 11, 30, 8, 0, 0, 123456000, time.UTC))
	check(1, ev[1].UserAgent, "curl/8.0")
	check(2, ev[2].Time, time.UnixMilli(1764489600123).UTC())
	check(2, ev[2].Associated, []EventTarget{{Kind: EventKindGroup, ID: "g2"}, {Kind: EventKindUser, ID: "u2", Name: "amy"}})
	check(2, ev[2].UserAgent, "")
	check(3, ev[3].Time.IsZero(), true)
	check(3, ev[3].Resource, EventTarget{})
	check(3, ev[3].Associated, []EventTarget{{Kind: EventKindGroup, ID: "g3"}, {Kind: "", ID: "s1"}})
	check(4, ev[4].Associated, []EventTarget{{ID: "a1"}})
	check(4, ev[4].UserAgent, "42")
	check(5, ev[5], Event{Raw: ev[5].Raw})
	check(6, ev[6].Resource, EventTarget{Kind: EventKindGroup, ID: "g9"})

	// No X-Search_after with a full page: the cursor is made from the last event.
	if !page.More || string(page.SearchAfter) != `[1796025601500,"e7"]` {
		t.Errorf("more %v, search_after %s", page.More, page.SearchAfter)
	}
}

func TestEventsPagingHeaders(t *testing.T) {
	two := `[{"id":"a","timestamp":"2026-11-30T08:00:00Z"},{"id":"b","timestamp":"2026-11-30T08:00:01Z"}]`
	for _, tt := range []struct {
		name    string
		body    string
		header  map[string]string
		limit   int
		more    bool
		after   string
		asked   string
		wantErr bool
	}{
		{name: "documented headers", body: two, header: map[string]string{"X-Result-Count": "2", "X-Limit": "2", "X-Search_after": `[1796025601000, "b"]`}, more: true, after: `[1796025601000,"b"]`},
		{name: "last page", body: two, header: map[string]string{"X-Result-Count": "2", "X-Limit": "1000", "X-Search_after": `[1796025601000,"b"]`}, after: `[1796025601000,"b"]`},
		{name: "lower-case header names", body: two, header: map[string]string{"x-result-count": "2", "x-limit": "2", "x-search_after": `[5,"z"]`}, more: true, after: `[5,"z"]`},
		{name: "no headers: the limit sent decides", body: two, limit: 2, more: true, after: `[1796025601000,"b"]`},
		{name: "no headers, short page", body: two, limit: 3, after: `[1796025601000,"b"]`},
		{name: "garbled X-Search_after", body: two, header: map[string]string{"X-Result-Count": "2", "X-Limit": "2", "X-Search_after": `1796025601000,b`}, more: true, after: `[1796025601000,"b"]`},
		{name: "empty page keeps the cursor", body: `[]`, header: map[string]string{"X-Result-Count": "0", "X-Limit": "2", "X-Search_after": `[]`}, asked: `[7,"q"]`, after: `[7,"q"]`},
		{name: "full page without a usable cursor", body: `[{"id":"a"},{"id":"b"}]`, header: map[string]string{"X-Result-Count": "2", "X-Limit": "2"}},
		{name: "the cursor asked with, again", body: two, header: map[string]string{"X-Result-Count": "2", "X-Limit": "2", "X-Search_after": `[7, "q"]`}, asked: `[7,"q"]`, wantErr: true},
		{name: "not an array", body: `{"events":[]}`, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := oddServer(t, tt.body, tt.header)
			q := EventQuery{Start: time.Now(), Limit: tt.limit}
			if tt.asked != "" {
				q.SearchAfter = json.RawMessage(tt.asked)
			}
			page, err := c.Events(testCtx(t), q)
			if tt.wantErr {
				if KindOf(err) != KindUnknown {
					t.Errorf("want an Unknown error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if page.More != tt.more || string(page.SearchAfter) != tt.after {
				t.Errorf("more %v search_after %s, want %v %s", page.More, page.SearchAfter, tt.more, tt.after)
			}
		})
	}
}
