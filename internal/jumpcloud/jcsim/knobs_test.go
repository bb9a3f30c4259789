package jcsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLatencyAndSlowFaults(t *testing.T) {
	s := start(t, Options{Knobs: Knobs{Latency: 60 * time.Millisecond, Jitter: 10 * time.Millisecond}})
	begin := time.Now()
	s.do("GET", "/api/systemusers", nil)
	if d := time.Since(begin); d < 60*time.Millisecond {
		t.Errorf("latency %v", d)
	}
	s.SetLatency(0, 0)
	s.SetFaults(Faults{SlowRate: 1, SlowDelay: 50 * time.Millisecond})
	begin = time.Now()
	s.do("GET", "/api/systemusers", nil)
	if d := time.Since(begin); d < 50*time.Millisecond {
		t.Errorf("slow fault %v", d)
	}
	// A client that gives up does not keep the handler sleeping.
	s.SetFaults(Faults{SlowRate: 1, SlowDelay: time.Hour})
	c := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest("GET", s.base+"/api/systemusers", nil)
	req.Header.Set("x-api-key", key)
	if _, err := c.Do(req); err == nil {
		t.Error("want a client timeout")
	}
}

func TestRateLimitAnswers429(t *testing.T) {
	s := start(t, Options{Knobs: Knobs{RateLimit: RateLimit{RPS: 0.01, Burst: 2, RetryAfter: true}}})
	var codes []int
	var retryAfter string
	for range 3 {
		code, h, b := s.do("GET", "/api/systemusers", nil)
		codes = append(codes, code)
		if code == 429 {
			retryAfter = h.Get("Retry-After")
			if e := decodeErr(t, b); e.Code != 429 || e.Status != "Too Many Requests" {
				t.Errorf("body %s", b)
			}
		}
	}
	if fmt.Sprint(codes) != "[200 200 429]" || retryAfter == "" || retryAfter == "0" {
		t.Errorf("codes %v retry-after %q", codes, retryAfter)
	}
	// Per key: another key has its own bucket.
	if code, _, _ := s.do("GET", "/api/systemusers", nil, "x-api-key", "mtp", "x-org-id", "org-a"); code != 200 {
		t.Errorf("other key: %d", code)
	}
	s.SetRateLimit(RateLimit{RPS: 0.01, Burst: 1})
	s.do("GET", "/api/systemusers", nil)
	code, h, _ := s.do("GET", "/api/systemusers", nil)
	if code != 429 || h.Get("Retry-After") != "" {
		t.Errorf("without Retry-After: %d %q", code, h.Get("Retry-After"))
	}
	if r := s.RequestsFor("list"); !r[len(r)-1].Injected {
		t.Error("429 not marked injected")
	}
	s.SetRateLimit(RateLimit{})
	for range 5 {
		if code, _, _ := s.do("GET", "/api/systemusers", nil); code != 200 {
			t.Fatalf("limit off: %d", code)
		}
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{Seed: 42})
	u := s.user("alice")
	t.Run("random 5xx", func(t *testing.T) {
		s.SetFaults(Faults{Rate5xx: 1, Code: 502})
		code, _, b := s.do("GET", "/api/systemusers/"+u.ID, nil)
		if code != 502 || decodeErr(t, b).Code != 502 {
			t.Errorf("%d %s", code, b)
		}
		s.SetFaults(Faults{Rate5xx: 0.5})
		n503 := 0
		for range 200 {
			if code, _, _ := s.do("GET", "/api/systemusers/"+u.ID, nil); code == 503 {
				n503++
			}
		}
		if n503 < 60 || n503 > 140 {
			t.Errorf("%d of 200 failed at rate 0.5", n503)
		}
		s.SetFaults(Faults{})
	})
	t.Run("fail next N of one op", func(t *testing.T) {
		s.FailNext("get", 2, 504)
		s.InjectFault(Fault{Op: "*", Code: 500})
		var codes []int
		for _, path := range []string{"/api/systemusers", "/api/systemusers/" + u.ID, "/api/systemusers/" + u.ID, "/api/systemusers/" + u.ID} {
			c, _, _ := s.do("GET", path, nil)
			codes = append(codes, c)
		}
		if fmt.Sprint(codes) != "[500 504 504 200]" {
			t.Errorf("codes %v", codes)
		}
		s.InjectFault(Fault{Op: "list", Times: 5, Code: 429, RetryAfter: "2"})
		_, h, _ := s.do("GET", "/api/systemusers", nil)
		s.ClearFaults()
		if c, _, _ := s.do("GET", "/api/systemusers", nil); c != 200 || h.Get("Retry-After") != "2" {
			t.Errorf("cleared: %d, retry-after %q", c, h.Get("Retry-After"))
		}
		s.InjectFault(Fault{Op: "list"}) // code defaults to 503
		if c, _, _ := s.do("GET", "/api/systemusers", nil); c != 503 {
			t.Errorf("default code %d", c)
		}
	})
	t.Run("drop without commit", func(t *testing.T) {
		s.InjectFault(Fault{Op: "create", Drop: true})
		req, _ := http.NewRequest("POST", s.base+"/api/systemusers", strings.NewReader(`{"username":"bob","email":"bob@example.com"}`))
		req.Header.Set("x-api-key", key)
		if _, err := http.DefaultClient.Do(req); err == nil {
			t.Error("want a connection error")
		}
		if _, ok := s.FindUsername("", "bob"); ok {
			t.Error("user stored")
		}
		r := s.RequestsFor("create")
		if last := r[len(r)-1]; !last.Dropped || last.Status != 0 {
			t.Errorf("log %+v", last)
		}
	})
	t.Run("commit then drop", func(t *testing.T) {
		s.SetFaults(Faults{CreateCommitThenDrop: 1})
		req, _ := http.NewRequest("POST", s.base+"/api/systemusers", strings.NewReader(`{"username":"carl","email":"carl@example.com"}`))
		req.Header.Set("x-api-key", key)
		if _, err := http.DefaultClient.Do(req); err == nil {
			t.Error("want a connection error")
		}
		s.SetFaults(Faults{})
		got, ok := s.FindUsername("", "carl")
		r := s.RequestsFor("create")
		if last := r[len(r)-1]; !ok || !last.Dropped || last.Status != 200 || last.UserID != got.ID {
			t.Errorf("user %v, log %+v", ok, last)
		}
		// Over a handler without hijacking (a recorder), the drop aborts the handler instead.
		s.InjectFault(Fault{Op: "list", Drop: true})
		rec := httptest.NewRecorder()
		req = httptest.NewRequest("GET", "/api/systemusers", nil)
		req.Header.Set("x-api-key", key)
		func() {
			defer func() {
				if r := recover(); r != http.ErrAbortHandler { //nolint:errorlint // recover returns the value panicked with
					t.Errorf("recover %v", r)
				}
			}()
			s.ServeHTTP(rec, req)
		}()
	})
}

func TestHookRunsBeforeTheOperationAndMayBlock(t *testing.T) {
	s := start(t, Options{})
	u := s.user("alice")
	var mu sync.Mutex
	var seen []string
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	s.SetHook(func(op, id string) {
		mu.Lock()
		seen = append(seen, op+":"+id)
		mu.Unlock()
		if op == "update" {
			entered <- struct{}{}
			<-release
		}
	})
	done := make(chan int)
	go func() {
		code, _, _ := s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"department": "IT"})
		done <- code
	}()
	<-entered
	if got, _ := s.User("", u.ID); got.Department != "" {
		t.Error("the operation ran before the hook returned")
	}
	// Other requests are not blocked by a waiting hook.
	s.do("GET", "/api/systemusers", nil)
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("update %d", code)
	}
	if got, _ := s.User("", u.ID); got.Department != "IT" {
		t.Error("update lost")
	}
	s.SetHook(nil)
	s.do("GET", "/api/systemusers", nil)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[update:"+u.ID+" list:]" {
		t.Errorf("hook saw %v", seen)
	}
}

func TestRequestLog(t *testing.T) {
	s := start(t, Options{RequestLogSize: 3})
	u := s.user("alice", "password", "Sup3r-Secret!")
	s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"password": "An0ther-Secret!", "jobTitle": "x"})
	s.do("GET", "/api/systemusers/"+u.ID, nil, "x-api-key", "wrong-key-value")
	s.do("POST", "/api/systemusers/"+u.ID+"/resetmfa", map[string]any{"exclusion": true, "exclusionDays": 2})
	reqs := s.Requests()
	if len(reqs) != 3 || s.Count("create") != 1 || s.Count("*") != 4 || s.Counts()["get"] != 1 {
		t.Fatalf("log %d entries, counts %v", len(reqs), s.Counts())
	}
	js, _ := json.Marshal(reqs)
	for _, secret := range []string{"Sup3r-Secret!", "An0ther-Secret!", key, "wrong-key-value"} {
		if strings.Contains(string(js), secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	upd := reqs[0]
	if upd.Op != "update" || upd.UserID != u.ID || upd.Org != DefaultOrg || fmt.Sprint(upd.Fields) != "[jobTitle password]" || upd.Status != 200 || upd.Method != "PUT" {
		t.Errorf("update entry %+v", upd)
	}
	if reqs[1].Status != 401 || reqs[1].Org != "" {
		t.Errorf("401 entry %+v", reqs[1])
	}
	if !strings.HasPrefix(reqs[2].Detail, "exclusion=true exclusionDays=2 exclusionUntil=") {
		t.Errorf("detail %q", reqs[2].Detail)
	}
	s.ResetLog()
	if len(s.Requests()) != 0 || s.Count("*") != 0 {
		t.Error("reset")
	}
}

func TestAdminEndpoints(t *testing.T) {
	s := start(t, Options{})
	u := s.user("alice")
	admin := func(method, path string, body any, hdr ...string) (int, []byte) {
		code, _, b := s.do(method, "/_sim"+path, body, hdr...)
		return code, b
	}
	code, b := admin("GET", "/requests?op=create", nil)
	var log struct {
		Counts   map[string]int `json:"counts"`
		Requests []Request      `json:"requests"`
	}
	_ = json.Unmarshal(b, &log)
	if code != 200 || log.Counts["create"] != 1 || len(log.Requests) != 1 {
		t.Errorf("requests: %d %s", code, b)
	}
	if code, _ := admin("POST", "/users?count=5", nil); code != 200 || s.UserCount("") != 6 {
		t.Errorf("seed: %d, %d users", code, s.UserCount(""))
	}
	if code, _ := admin("POST", "/users?count=x", nil); code != 400 {
		t.Errorf("bad count %d", code)
	}
	if code, _ := admin("POST", "/users?count=1&org=nope", nil); code != 400 {
		t.Errorf("bad org %d", code)
	}
	code, b = admin("GET", "/users", nil)
	if code != 200 || !strings.Contains(string(b), `"totalCount": 6`) {
		t.Errorf("users: %d %s", code, b)
	}
	if code, _ := admin("POST", "/users/"+u.ID+"/lockout", nil); code != 200 {
		t.Errorf("lockout %d", code)
	} else if got, _ := s.User("", u.ID); !got.AccountLocked {
		t.Error("not locked")
	}
	if code, _ := admin("POST", "/users/0123456789abcdef01234567/lockout", nil); code != 404 {
		t.Errorf("lockout missing %d", code)
	}
	code, b = admin("PUT", "/config", map[string]any{"latency": "5ms", "duplicateStatus": 409, "faults": map[string]any{"slowDelay": "1s", "rate5xx": 0}})
	if k := s.Knobs(); code != 200 || k.Latency != 5*time.Millisecond || k.DuplicateStatus != 409 || k.Faults.SlowDelay != time.Second {
		t.Errorf("config: %d %s %+v", code, b, k)
	}
	code, b = admin("GET", "/config", nil)
	if code != 200 || !strings.Contains(string(b), `"latency": "5ms"`) {
		t.Errorf("config: %d %s", code, b)
	}
	for _, bad := range []any{"{", map[string]any{"latency": "soon"}, map[string]any{"defaultState": "GONE"}, map[string]any{"duplicateStatus": 418},
		map[string]any{"faults": map[string]any{"rate5xx": 2}}, map[string]any{"faults": map[string]any{"code": 200}},
		map[string]any{"usernameRules": map[string]any{"pattern": "("}}, map[string]any{"rateLimit": map[string]any{"rps": -1}}, map[string]any{"jitter": "-1s"}} {
		if code, b := admin("PUT", "/config", bad); code != 400 {
			t.Errorf("config %v: %d %s", bad, code, b)
		}
	}
	s.SetLatency(0, 0)
	if code, _ := admin("POST", "/faults", map[string]any{"op": "get", "code": 418}); code != 204 {
		t.Errorf("faults %d", code)
	}
	if c, _, _ := s.do("GET", "/api/systemusers/"+u.ID, nil); c != 418 {
		t.Errorf("injected %d", c)
	}
	admin("POST", "/faults", map[string]any{"op": "get", "code": 418})
	if code, _ := admin("DELETE", "/faults", nil); code != 204 {
		t.Errorf("clear faults %d", code)
	}
	if c, _, _ := s.do("GET", "/api/systemusers/"+u.ID, nil); c != 200 {
		t.Errorf("after clear %d", c)
	}
	if code, _ := admin("POST", "/faults", map[string]any{"code": 500}); code != 400 {
		t.Errorf("fault without op %d", code)
	}
	if code, _ := admin("DELETE", "/requests", nil); code != 204 || s.Count("*") != 0 {
		t.Errorf("reset log %d", code)
	}
	if code, _ := admin("POST", "/reset", nil); code != 204 || s.UserCount("") != 0 {
		t.Errorf("reset %d", code)
	}
	g, _ := s.AddGroup("", Group{Name: "g"})
	v, _ := s.AddUser("", User{Username: "v", Email: "v@example.com"}, "")
	_ = s.AddMember("", g.ID, v.ID)
	code, b = admin("GET", "/groups", nil)
	if code != 200 || !strings.Contains(string(b), `"members": [`+"\n"+`        "`+v.ID) {
		t.Errorf("groups: %d %s", code, b)
	}
	code, b = admin("PUT", "/config", map[string]any{"groupDuplicateStatus": 400, "memberExistsStatus": 204, "memberMissingStatus": 409,
		"dynamicMemberEditStatus": 403, "duplicateSSHKeyStatus": 409, "managerNull": true, "lenientSSHKeys": true, "groupNameCaseInsensitive": true,
		"groupDeleteNoContent": true, "autoApproveSuggestions": true, "omitTotalCountHeader": true})
	want := Knobs{GroupDuplicateStatus: 400, MemberExistsStatus: 204, MemberMissingStatus: 409, DynamicMemberEditStatus: 403, DuplicateSSHKeyStatus: 409,
		ManagerNull: true, LenientSSHKeys: true, GroupNameCaseInsensitive: true, GroupDeleteNoContent: true, AutoApproveSuggestions: true, OmitTotalCountHeader: true}
	if k := s.Knobs(); code != 200 || k.GroupDuplicateStatus != want.GroupDuplicateStatus || k.MemberExistsStatus != want.MemberExistsStatus ||
		k.MemberMissingStatus != want.MemberMissingStatus || k.DynamicMemberEditStatus != want.DynamicMemberEditStatus || k.DuplicateSSHKeyStatus != want.DuplicateSSHKeyStatus ||
		!k.ManagerNull || !k.LenientSSHKeys || !k.GroupNameCaseInsensitive || !k.GroupDeleteNoContent || !k.AutoApproveSuggestions || !k.OmitTotalCountHeader {
		t.Errorf("group knobs: %d %s", code, b)
	}
	for _, bad := range []any{map[string]any{"groupDuplicateStatus": 404}, map[string]any{"memberExistsStatus": 404}, map[string]any{"memberMissingStatus": 500},
		map[string]any{"dynamicMemberEditStatus": 204}, map[string]any{"duplicateSSHKeyStatus": 204}} {
		if code, b := admin("PUT", "/config", bad); code != 400 {
			t.Errorf("config %v: %d %s", bad, code, b)
		}
	}
	if code, _ := admin("GET", "/nope", nil); code != 404 {
		t.Errorf("unknown %d", code)
	}

	t.Run("token", func(t *testing.T) {
		s := start(t, Options{AdminToken: "tok"})
		if code, _, _ := s.do("GET", "/_sim/requests", nil); code != 403 {
			t.Errorf("without token %d", code)
		}
		if code, _, _ := s.do("GET", "/_sim/requests", nil, "x-sim-admin-token", "tok"); code != 200 {
			t.Errorf("with token %d", code)
		}
	})
	t.Run("loopback only", func(t *testing.T) {
		for addr, want := range map[string]int{"10.1.2.3:4567": 403, "[::1]:80": 200, "127.0.0.1:9": 200, "garbage": 403} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/_sim/config", nil)
			req.RemoteAddr = addr
			s.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("%s: %d", addr, rec.Code)
			}
		}
	})
}

func TestHelpers(t *testing.T) {
	s := start(t, Options{})
	a, b := s.user("alice"), s.user("bob")
	if err := s.EditUser("", a.ID, func(u *User) { u.Department = "IT"; u.State = StateSuspended; u.ID = "changed" }); err != nil {
		t.Fatal(err)
	}
	got, _ := s.User("", a.ID)
	if got.Department != "IT" || !got.Suspended || got.ID != a.ID {
		t.Errorf("edit %+v", got)
	}
	if err := s.EditUser("", a.ID, func(u *User) { u.Username = "bob" }); err == nil {
		t.Error("edit to a taken username")
	}
	if err := s.EditUser("", a.ID, func(u *User) { u.Username = "alicia" }); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.FindUsername("", "alicia"); !ok {
		t.Error("renamed user not found")
	}
	for _, err := range []error{
		s.EditUser("", "0123456789abcdef01234567", func(*User) {}),
		s.EditUser("nope", a.ID, func(*User) {}),
		s.LockOut("", "missing"),
		s.RemoveUser("", "missing"),
		s.RemoveUser("nope", "missing"),
	} {
		if err == nil {
			t.Error("want an error")
		}
	}
	// Copies are independent of the store.
	users := s.Users("")
	users[0].Department = "changed"
	if got, _ := s.User("", a.ID); got.Department != "IT" {
		t.Error("Users returned shared state")
	}
	if _, ok := s.User("", "missing"); ok {
		t.Error("missing user found")
	}
	if _, ok := s.User("nope", a.ID); ok || s.Users("nope") != nil || s.UserCount("nope") != 0 {
		t.Error("unknown org")
	}
	if err := s.RemoveUser("", b.ID); err != nil || s.UserCount("") != 1 {
		t.Errorf("remove: %v", err)
	}
	seeded, err := s.SeedUsers("", 30)
	if err != nil || len(seeded) != 30 {
		t.Fatalf("seed: %d %v", len(seeded), err)
	}
	more, _ := s.SeedUsers("", 5)
	names := map[string]bool{}
	for _, u := range append(seeded, more...) {
		if names[u.Username] {
			t.Errorf("duplicate seeded username %s", u.Username)
		}
		names[u.Username] = true
	}
	withPassword := 0
	for _, u := range seeded {
		if u.Activated {
			withPassword++
		}
	}
	if withPassword == 0 || withPassword == 30 {
		t.Errorf("%d of 30 seeded users have a password", withPassword)
	}
	if _, err := s.SeedUsers("nope", 1); err == nil {
		t.Error("seed into an unknown org")
	}
	s.Reset()
	if s.UserCount("") != 0 || len(s.Requests()) != 0 {
		t.Error("reset")
	}
	// Without a default org and with several orgs, "" is ambiguous.
	multi := New(Options{APIKeys: map[string][]string{"x": {"o1", "o2"}}})
	if _, err := multi.AddUser("", User{Username: "a", Email: "a@example.com"}, ""); err == nil {
		t.Error("ambiguous org")
	}
	single := New(Options{APIKeys: map[string][]string{"x": {"o1"}}})
	if _, err := single.AddUser("", User{Username: "a", Email: "a@example.com"}, ""); err != nil {
		t.Errorf("single org: %v", err)
	}
	if single.URL() != "" || single.Close() != nil {
		t.Error("URL/Close before Start")
	}
}

func TestKnobsValidateAndDefaults(t *testing.T) {
	k := Knobs{}.withDefaults()
	if k.DefaultState != StateActivated || k.DuplicateStatus != 400 || k.MaxLimit != 100 || k.MaxSearchLimit != 1000 || k.Faults.Code != 503 || *k.UsernameRules != DefaultUsernameRules() || *k.PasswordPolicy != DefaultPasswordPolicy() {
		t.Errorf("defaults %+v", k)
	}
	if k.GroupDuplicateStatus != 409 || k.MemberExistsStatus != 409 || k.MemberMissingStatus != 404 || k.DynamicMemberEditStatus != 400 ||
		k.DuplicateSSHKeyStatus != 0 || k.ManagerNull || k.LenientSSHKeys || k.AutoApproveSuggestions || k.OmitTotalCountHeader || k.GroupDeleteNoContent {
		t.Errorf("group and SSH key defaults %+v", k)
	}
	if err := (Knobs{DefaultState: "STAGED", DuplicateStatus: 409}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (Knobs{Latency: -1}).Validate(); err == nil {
		t.Error("negative latency")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := start(t, Options{})
	if _, err := s.SeedUsers("", 50); err != nil {
		t.Fatal(err)
	}
	static, _ := s.AddGroup("", Group{Name: "static"})
	dynamic, _ := s.AddGroup("", Group{Name: "x", MembershipMethod: MembershipAutomated,
		MemberQuery: &MemberQuery{Filters: []MemberFilter{{Field: "department", Operation: "eq", Value: "X"}}}})
	var wg sync.WaitGroup
	var failures atomic.Int32
	for w := range 6 {
		wg.Go(func() {
			for i := range 15 {
				name := fmt.Sprintf("c%d-%d", w, i)
				code, _, b := s.do("POST", "/api/systemusers", map[string]any{"username": name, "email": name + "@example.com"})
				if code != 200 {
					failures.Add(1)
					continue
				}
				var u User
				_ = json.Unmarshal(b, &u)
				s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"department": "X"})
				s.do("POST", "/api/v2/usergroups/"+static.ID+"/members", map[string]any{"op": "add", "type": "user", "id": u.ID})
				s.do("POST", "/api/systemusers/"+u.ID+"/sshkeys", map[string]any{"name": "k", "public_key": FakePublicKey(name)})
				s.do("GET", "/api/v2/usergroups/"+dynamic.ID+"/members?limit=100", nil)
				s.do("GET", "/api/v2/users/"+u.ID+"/memberof", nil)
				s.do("GET", "/api/systemusers?limit=100&sort=-username", nil)
				s.do("POST", "/api/search/systemusers", map[string]any{"filter": []any{map[string]any{"department": "X"}}})
				if i%5 == 0 {
					s.SetLatency(0, time.Duration(i)*time.Microsecond)
					_ = s.LockOut("", u.ID)
					s.do("DELETE", "/api/systemusers/"+u.ID, nil)
				}
				_ = s.Users("")
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Errorf("%d creates failed", failures.Load())
	}
	if n := s.UserCount(""); n != 50+6*15-6*3 {
		t.Errorf("%d users", n)
	}
	for _, g := range []Group{static, dynamic} {
		if m, _ := s.GroupMembers("", g.ID); len(m) != 6*15-6*3 {
			t.Errorf("%s: %d members", g.Name, len(m))
		}
	}
}
