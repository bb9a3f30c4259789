package jumpcloud_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// people are the fixture for filter, sort, fields and search semantics.
var people = []jcsim.User{
	{Username: "anna", Email: "anna@corp.example", Firstname: "Anna", Lastname: "Zeller", Department: "IT", JobTitle: "Engineer", Sudo: true, Company: "Corp"},
	{Username: "bert", Email: "bert@corp.example", Firstname: "Bert", Lastname: "Young", Department: "IT", JobTitle: "Manager", Company: "Corp"},
	{Username: "cleo", Email: "cleo@other.example", Firstname: "Cleo", Lastname: "Xu", Department: "Sales", JobTitle: "Engineer", Company: "Other"},
	{Username: "dora", Email: "dora@corp.example", Firstname: "Dora", Lastname: "Young", Department: "Finance", JobTitle: "Analyst", Sudo: true, Company: "Corp"},
	{Username: "emil", Email: "emil@other.example", Firstname: "Emil", Lastname: "Weber", Department: "Sales", JobTitle: "Manager", State: jcsim.StateSuspended, Company: "Other"},
}

func seedPeople(t *testing.T, e *env) {
	t.Helper()
	for _, p := range people {
		if _, err := e.sim.AddUser("", p, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func usernames(us []jumpcloud.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}

func mustFilter(t *testing.T, s string) jumpcloud.Filter {
	t.Helper()
	f, err := jumpcloud.ParseFilter(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestListSemantics(t *testing.T) {
	e := newEnv(t)
	seedPeople(t, e)
	tests := []struct {
		name  string
		opts  jumpcloud.ListOptions
		want  []string
		total int
		query string // expected raw query, when checked
	}{
		{name: "default order is _id", opts: jumpcloud.ListOptions{}, want: []string{"anna", "bert", "cleo", "dora", "emil"}, total: 5},
		{name: "limit and skip", opts: jumpcloud.ListOptions{Limit: 2, Skip: 1, Sort: []string{"_id"}}, want: []string{"bert", "cleo"}, total: 5, query: "limit=2&skip=1&sort=_id"},
		{name: "sort descending", opts: jumpcloud.ListOptions{Sort: []string{"-username"}}, want: []string{"emil", "dora", "cleo", "bert", "anna"}, total: 5},
		{name: "sort on two fields", opts: jumpcloud.ListOptions{Sort: []string{"lastname", "-firstname"}}, want: []string{"emil", "cleo", "dora", "bert", "anna"}, total: 5, query: "sort=lastname+-firstname"},
		{name: "-_id", opts: jumpcloud.ListOptions{Sort: []string{"-_id"}, Limit: 2}, want: []string{"emil", "dora"}, total: 5},
		{name: "single filter", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT")}}, want: []string{"anna", "bert"}, total: 2, query: "filter=department%3A%24eq%3AIT"},
		{name: "AND", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("company", "Corp"), jumpcloud.Eq("lastname", "Young")}}, want: []string{"bert", "dora"}, total: 2, query: "filter%5B0%5D=company%3A%24eq%3ACorp&filter%5B1%5D=lastname%3A%24eq%3AYoung"},
		{name: "OR", opts: jumpcloud.ListOptions{Or: true, Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "Finance"), jumpcloud.Eq("jobTitle", "Manager")}}, want: []string{"bert", "dora", "emil"}, total: 3, query: "filter%5Bor%5D%5B0%5D=department%3A%24eq%3AFinance&filter%5Bor%5D%5B1%5D=jobTitle%3A%24eq%3AManager"},
		{name: "$ne", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "department:$ne:IT")}}, want: []string{"cleo", "dora", "emil"}, total: 3},
		{name: "$gt", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "username:$gt:cleo")}}, want: []string{"dora", "emil"}, total: 2},
		{name: "$gte", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "username:$gte:cleo")}}, want: []string{"cleo", "dora", "emil"}, total: 3},
		{name: "$lt", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "lastname:$lt:Xu")}}, want: []string{"emil"}, total: 1},
		{name: "$lte", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "lastname:$lte:Xu")}}, want: []string{"cleo", "emil"}, total: 2},
		{name: "$in", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{{Field: "department", Op: jumpcloud.FilterIn, Value: []string{"Finance", "Sales"}}}}, want: []string{"cleo", "dora", "emil"}, total: 3},
		{name: "$nin", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{mustFilter(t, "department:$nin:Finance|Sales")}}, want: []string{"anna", "bert"}, total: 2},
		{name: "bool field", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("sudo", true)}}, want: []string{"anna", "dora"}, total: 2},
		{name: "state", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("state", "SUSPENDED")}}, want: []string{"emil"}, total: 1},
		{name: "values are case sensitive", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "it")}}, want: []string{}, total: 0},
		{name: "filter, sort and page", opts: jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("company", "Corp")}, Sort: []string{"-username"}, Limit: 2}, want: []string{"dora", "bert"}, total: 3},
		{name: "search", opts: jumpcloud.ListOptions{Search: &jumpcloud.TextSearch{Terms: []string{"OTHER.example"}, Fields: []string{"email"}}}, want: []string{"cleo", "emil"}, total: 2, query: "search%5Bfields%5D%5B0%5D=email&search%5BsearchTerm%5D=OTHER.example"},
		{name: "search several terms", opts: jumpcloud.ListOptions{Search: &jumpcloud.TextSearch{Terms: []string{"ann", "mil"}, Fields: []string{"username", "firstname"}}}, want: []string{"anna", "emil"}, total: 2},
		{name: "limit above 100 is lowered", opts: jumpcloud.ListOptions{Limit: 500}, want: []string{"anna", "bert", "cleo", "dora", "emil"}, total: 5, query: "limit=100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetLog()
			page, err := e.client.ListUsers(ctx(t), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := usernames(page.Users); !slices.Equal(got, tt.want) || page.TotalCount != tt.total {
				t.Errorf("got %v total %d, want %v total %d", got, page.TotalCount, tt.want, tt.total)
			}
			if tt.query != "" {
				if q := e.sim.RequestsFor("list")[0].Query; q != tt.query {
					t.Errorf("query %q, want %q", q, tt.query)
				}
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		page, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{Fields: []string{"username", "department"}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		u := page.Users[0]
		if u.ID == "" || u.Username != "anna" || u.Department != "IT" || u.Email != "" || u.Firstname != "" {
			t.Errorf("got %+v", u)
		}
	})
	t.Run("invalid options", func(t *testing.T) {
		for name, o := range map[string]jumpcloud.ListOptions{
			"negative limit": {Limit: -1},
			"negative skip":  {Skip: -1},
			"bad operator":   {Filter: []jumpcloud.Filter{{Field: "a", Op: "eq", Value: "b"}}},
			"empty field":    {Filter: []jumpcloud.Filter{{Op: jumpcloud.FilterEq, Value: "b"}}},
		} {
			if _, err := e.client.ListUsers(ctx(t), o); !jumpcloud.IsValidation(err) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestSearchSemantics(t *testing.T) {
	e := newEnv(t)
	seedPeople(t, e)
	tests := []struct {
		name  string
		req   jumpcloud.SearchRequest
		want  []string
		total int
	}{
		{name: "everything", req: jumpcloud.SearchRequest{Limit: 100}, want: []string{"anna", "bert", "cleo", "dora", "emil"}, total: 5},
		{name: "and", req: jumpcloud.SearchRequest{Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT"), jumpcloud.Eq("jobTitle", "Manager")}}, want: []string{"bert"}, total: 1},
		{name: "or", req: jumpcloud.SearchRequest{Or: true, Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT"), jumpcloud.Eq("department", "Sales")}}, want: []string{"anna", "bert", "cleo", "emil"}, total: 4},
		{name: "bool value", req: jumpcloud.SearchRequest{Filter: []jumpcloud.Filter{jumpcloud.Eq("sudo", true)}}, want: []string{"anna", "dora"}, total: 2},
		{name: "operator", req: jumpcloud.SearchRequest{Filter: []jumpcloud.Filter{{Field: "username", Op: jumpcloud.FilterGt, Value: "cleo"}}}, want: []string{"dora", "emil"}, total: 2},
		{name: "$in", req: jumpcloud.SearchRequest{Filter: []jumpcloud.Filter{{Field: "lastname", Op: jumpcloud.FilterIn, Value: []string{"Young", "Xu"}}}}, want: []string{"bert", "cleo", "dora"}, total: 3},
		{name: "searchFilter substring", req: jumpcloud.SearchRequest{Text: &jumpcloud.TextSearch{Terms: []string{"@corp"}, Fields: []string{"email"}}}, want: []string{"anna", "bert", "dora"}, total: 3},
		{name: "searchFilter terms", req: jumpcloud.SearchRequest{Text: &jumpcloud.TextSearch{Terms: []string{"ber", "cle"}, Fields: []string{"username"}}}, want: []string{"bert", "cleo"}, total: 2},
		{name: "filter and searchFilter", req: jumpcloud.SearchRequest{Text: &jumpcloud.TextSearch{Terms: []string{"@corp"}, Fields: []string{"email"}}, Or: true, Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT"), jumpcloud.Eq("department", "Sales")}}, want: []string{"anna", "bert"}, total: 2},
		{name: "limit and skip", req: jumpcloud.SearchRequest{Limit: 2, Skip: 2}, want: []string{"cleo", "dora"}, total: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := e.client.SearchUsers(ctx(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := usernames(page.Users); !slices.Equal(got, tt.want) || page.TotalCount != tt.total {
				t.Errorf("got %v total %d, want %v total %d", got, page.TotalCount, tt.want, tt.total)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		e.sim.ResetLog()
		page, err := e.client.SearchUsers(ctx(t), jumpcloud.SearchRequest{Fields: []string{"email", "username", "sudo"}, Limit: 1, Skip: 3})
		if err != nil {
			t.Fatal(err)
		}
		u := page.Users[0]
		if u.Username != "dora" || !u.Sudo || u.Department != "" || u.ID == "" {
			t.Errorf("got %+v", u)
		}
		if q := e.sim.RequestsFor("search")[0].Query; q != "limit=1&skip=3" {
			t.Errorf("limit/skip should be in the query too: %q", q)
		}
	})
	if _, err := e.client.SearchUsers(ctx(t), jumpcloud.SearchRequest{Limit: -1}); !jumpcloud.IsValidation(err) {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := e.client.SearchUsers(ctx(t), jumpcloud.SearchRequest{Filter: []jumpcloud.Filter{{Field: "x:y", Op: jumpcloud.FilterEq}}}); !jumpcloud.IsValidation(err) {
		t.Errorf("bad field: %v", err)
	}
}

func TestFindUserByUsername(t *testing.T) {
	e := newEnv(t)
	seedPeople(t, e)
	u, err := e.client.FindUserByUsername(ctx(t), "cleo")
	if err != nil || u.Username != "cleo" || u.Email != "cleo@other.example" {
		t.Fatalf("got %+v, %v", u, err)
	}
	for _, name := range []string{"Cleo", "cle", "nobody"} {
		if _, err := e.client.FindUserByUsername(ctx(t), name); !jumpcloud.IsNotFound(err) {
			t.Errorf("%s: %v, want NotFound", name, err)
		}
	}
	if _, err := e.client.FindUserByUsername(ctx(t), ""); !jumpcloud.IsValidation(err) {
		t.Errorf("empty: %v", err)
	}
	// A server that matches case-insensitively still yields only the exact match.
	e.sim.SetUsernameRules(jcsim.UsernameRules{Pattern: "", CaseInsensitiveUnique: true})
	if _, err := e.client.FindUserByUsername(ctx(t), "CLEO"); !jumpcloud.IsNotFound(err) {
		t.Errorf("CLEO: %v", err)
	}
}

// collect runs AllUsers and calls during after each user, failing on errors and duplicates.
func collect(t *testing.T, c *jumpcloud.Client, opts jumpcloud.ListOptions, during func(i int)) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for u, err := range c.AllUsers(ctx(t), opts) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[u.ID] {
			t.Fatalf("user %s (%s) yielded twice", u.ID, u.Username)
		}
		seen[u.ID] = true
		ids = append(ids, u.ID)
		if during != nil {
			during(len(ids))
		}
	}
	return ids
}

func TestAllUsersPaginatesWhileUsersAreAdded(t *testing.T) {
	e := newEnv(t)
	seeded, err := e.sim.SeedUsers("", 260)
	if err != nil {
		t.Fatal(err)
	}
	added := 0
	ids := collect(t, e.client, jumpcloud.ListOptions{}, func(i int) {
		if i%7 == 0 { // a user is created (through the API) every 7 users read
			added++
			e.createUser(t, fmt.Sprintf("late%03d", added))
		}
	})
	got := map[string]bool{}
	for _, id := range ids {
		got[id] = true
	}
	for _, u := range seeded {
		if !got[u.ID] {
			t.Errorf("pre-existing user %s missed", u.Username)
		}
	}
	if !slices.IsSorted(ids) {
		t.Error("users not yielded in _id order")
	}
	if added < 30 || len(ids) < 260 {
		t.Errorf("added %d, read %d", added, len(ids))
	}
	// Every request asked for sort=_id and 100 rows; pages after the first by _id.
	lists := e.sim.RequestsFor("list")
	for i, r := range lists {
		q, _ := url.ParseQuery(r.Query)
		if q.Get("sort") != "_id" || q.Get("limit") != "100" || q.Get("skip") != "" {
			t.Errorf("request %d query %q", i, r.Query)
		}
		if (i > 0) != strings.Contains(r.Query, "_id%3A%24gt%3A") {
			t.Errorf("request %d query %q", i, r.Query)
		}
	}
}

func TestAllUsersWithDeletesAndFilters(t *testing.T) {
	e := newEnv(t)
	seeded, _ := e.sim.SeedUsers("", 250)
	deleted := map[string]bool{}
	ids := collect(t, e.client, jumpcloud.ListOptions{Limit: 50, Fields: []string{"username"}}, func(i int) {
		if i == 60 { // delete users behind and ahead of the cursor
			for _, u := range []jcsim.User{seeded[10], seeded[100], seeded[200]} {
				_ = e.sim.RemoveUser("", u.ID)
				deleted[u.ID] = true
			}
		}
	})
	got := map[string]bool{}
	for _, id := range ids {
		got[id] = true
	}
	for i, u := range seeded {
		if !deleted[u.ID] && !got[u.ID] {
			t.Errorf("user %d (%s) missed", i, u.Username)
		}
	}
	if got[seeded[100].ID] || got[seeded[200].ID] {
		t.Error("a user deleted before it was reached was yielded")
	}

	// AND filters are kept on every page.
	it := collect(t, e.client, jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT")}}, nil)
	page, _ := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT")}, Limit: 1})
	if len(it) != page.TotalCount || len(it) == 0 {
		t.Errorf("IT users %d, total %d", len(it), page.TotalCount)
	}

	// ORed filters page by offset.
	e.sim.ResetLog()
	or := collect(t, e.client, jumpcloud.ListOptions{Limit: 10, Or: true, Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT"), jumpcloud.Eq("department", "Sales")}}, nil)
	page, _ = e.client.ListUsers(ctx(t), jumpcloud.ListOptions{Or: true, Filter: []jumpcloud.Filter{jumpcloud.Eq("department", "IT"), jumpcloud.Eq("department", "Sales")}, Limit: 1})
	if len(or) != page.TotalCount {
		t.Errorf("OR users %d, total %d", len(or), page.TotalCount)
	}
	if !strings.Contains(e.sim.RequestsFor("list")[1].Query, "skip=10") {
		t.Errorf("second OR page: %q", e.sim.RequestsFor("list")[1].Query)
	}
}

func TestAllUsersFallsBackWhenServerIgnoresIDFilter(t *testing.T) {
	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{testKey: nil}})
	if _, err := sim.SeedUsers("", 230); err != nil {
		t.Fatal(err)
	}
	// A proxy that drops the _id condition, as a server that does not support it would ignore it.
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for k, vs := range q {
			if strings.HasPrefix(k, "filter") && strings.HasPrefix(vs[0], "_id:") {
				q.Del(k)
			}
		}
		r.URL.RawQuery = q.Encode()
		sim.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: proxy}
	ln := listen(t)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := jumpcloud.New(jumpcloud.Options{BaseURL: "http://" + ln.Addr().String() + "/api", APIKey: testKey, RequestsPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	ids := collect(t, c, jumpcloud.ListOptions{}, nil)
	if len(ids) != 230 || !slices.IsSorted(ids) {
		t.Errorf("read %d users", len(ids))
	}
}

func TestAllUsersStopsOnErrorAndOnBreak(t *testing.T) {
	e := newEnv(t)
	_, _ = e.sim.SeedUsers("", 150)
	e.sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusForbidden})
	n := 0
	for _, err := range e.client.AllUsers(ctx(t), jumpcloud.ListOptions{}) {
		n++
		if !jumpcloud.IsForbidden(err) {
			t.Fatalf("err = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d times", n)
	}
	e.sim.ResetLog()
	for _, err := range e.client.AllUsers(ctx(t), jumpcloud.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if e.sim.Count("list") != 1 {
		t.Errorf("break after one user: %d requests", e.sim.Count("list"))
	}
}

func TestAllUsersStopsAfterAFullLastPage(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sim.SeedUsers("", 200); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetLog()
	if ids := collect(t, e.client, jumpcloud.ListOptions{}, nil); len(ids) != 200 {
		t.Fatalf("read %d users", len(ids))
	}
	// The second page holds every user after the cursor (its totalCount): no empty third page.
	if n := e.sim.Count("list"); n != 2 {
		t.Errorf("%d list requests for 200 users, want 2", n)
	}
}
