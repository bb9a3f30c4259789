package jcsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const key = "k1"

type tsim struct {
	*Server
	t    *testing.T
	base string // http://127.0.0.1:PORT
}

func start(t *testing.T, opts Options) *tsim {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = map[string][]string{key: nil, "mtp": {"org-a", "org-b"}}
	}
	s := New(opts)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &tsim{Server: s, t: t, base: strings.TrimSuffix(u, "/api")}
}

// do sends a request; body may be a string (sent as is) or a value (JSON). hdr are name/value
// pairs replacing the default x-api-key.
func (s *tsim) do(method, path string, body any, hdr ...string) (int, http.Header, []byte) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("x-api-key", key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// create creates a user and returns it; it fails the test unless the answer is 200.
func (s *tsim) create(body map[string]any) User {
	s.t.Helper()
	code, _, b := s.do("POST", "/api/systemusers", body)
	if code != 200 {
		s.t.Fatalf("create %v: %d %s", body, code, b)
	}
	var u User
	if err := json.Unmarshal(b, &u); err != nil {
		s.t.Fatal(err)
	}
	return u
}

func (s *tsim) user(name string, extra ...any) User {
	s.t.Helper()
	body := map[string]any{"username": name, "email": name + "@example.com"}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return s.create(body)
}

type errBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type       string `json:"@type"`
		Violations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		} `json:"fieldViolationsList"`
	} `json:"details"`
}

func decodeErr(t *testing.T, b []byte) errBody {
	t.Helper()
	var e errBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e
}

type listBody struct {
	TotalCount int              `json:"totalCount"`
	Results    []map[string]any `json:"results"`
}

func (s *tsim) list(path string, body any) listBody {
	s.t.Helper()
	method := "GET"
	if body != nil {
		method = "POST"
	}
	code, _, b := s.do(method, path, body)
	if code != 200 {
		s.t.Fatalf("%s: %d %s", path, code, b)
	}
	var l listBody
	if err := json.Unmarshal(b, &l); err != nil {
		s.t.Fatal(err)
	}
	return l
}

func names(l listBody) []string {
	out := []string{}
	for _, r := range l.Results {
		out = append(out, r["username"].(string))
	}
	return out
}

func TestAuthAndOrganizations(t *testing.T) {
	s := start(t, Options{})
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"no key", []string{"x-api-key", ""}, 401},
		{"wrong key", []string{"x-api-key", "nope"}, 401},
		{"single-org key", nil, 200},
		{"single-org key with its org", []string{"x-org-id", DefaultOrg}, 200},
		{"single-org key with another org", []string{"x-org-id", "org-a"}, 404},
		{"multi-tenant key without org", []string{"x-api-key", "mtp"}, 401},
		{"multi-tenant key, unknown org", []string{"x-api-key", "mtp", "x-org-id", "org-z"}, 404},
		{"multi-tenant key with org", []string{"x-api-key", "mtp", "x-org-id", "org-b"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, b := s.do("GET", "/api/systemusers", nil, tt.hdr...)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, b, tt.want)
			}
			if code != 200 {
				if e := decodeErr(t, b); e.Code != code || e.Status != http.StatusText(code) || e.Message == "" {
					t.Errorf("error body %+v", e)
				}
			}
		})
	}
	// Isolation: org-a's user is invisible in org-b and its username is free there.
	code, _, b := s.do("POST", "/api/systemusers", map[string]any{"username": "x", "email": "x@example.com"}, "x-api-key", "mtp", "x-org-id", "org-a")
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	var u User
	_ = json.Unmarshal(b, &u)
	if code, _, _ := s.do("GET", "/api/systemusers/"+u.ID, nil, "x-api-key", "mtp", "x-org-id", "org-b"); code != 404 {
		t.Errorf("org-b reads org-a's user: %d", code)
	}
	if code, _, _ := s.do("POST", "/api/systemusers", map[string]any{"username": "x", "email": "x@example.com"}, "x-api-key", "mtp", "x-org-id", "org-b"); code != 200 {
		t.Errorf("same username in org-b: %d", code)
	}
	if u.Organization != "org-a" || len(s.Users("org-a")) != 1 || len(s.Users("org-b")) != 1 || len(s.Users("")) != 0 {
		t.Errorf("orgs: %v %v", s.Orgs(), u.Organization)
	}
}

func TestRoutes(t *testing.T) {
	s := start(t, Options{})
	if again, err := s.Start(); err != nil || again != s.base+"/api" {
		t.Errorf("second Start: %q %v", again, err)
	}
	u := s.user("alice")
	tests := []struct {
		method, path string
		want         int
		plain        bool
	}{
		{"GET", "/api/nothing", 404, true},
		{"GET", "/systemusers", 404, false},
		{"PATCH", "/api/systemusers/" + u.ID, 405, true},
		{"GET", "/api/search/systemusers", 405, true},
		{"DELETE", "/api/systemusers", 405, true},
		{"GET", "/api/systemusers/" + u.ID + "/unlock", 405, true},
		{"POST", "/api/systemusers/" + u.ID + "/nope", 404, true},
		{"GET", "/api/systemusers/" + u.ID + "/", 200, false},
	}
	for _, tt := range tests {
		code, h, _ := s.do(tt.method, tt.path, nil)
		if code != tt.want || strings.HasPrefix(h.Get("Content-Type"), "text/plain") != tt.plain {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, code, h.Get("Content-Type"))
		}
	}
	s.SetSuspendRouteEnabled(false)
	if code, h, _ := s.do("POST", "/api/systemusers/"+u.ID+"/state/suspend", nil); code != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("disabled suspend route: %d", code)
	}
	s.SetSuspendRouteEnabled(true)
	if code, _, b := s.do("POST", "/api/systemusers/"+u.ID+"/state/suspend", nil); code != 200 {
		t.Errorf("suspend: %d %s", code, b)
	}
	if code, _, _ := s.do("POST", "/api/systemusers", strings.Repeat("x", maxBodyBytes+10)); code != 413 {
		t.Errorf("huge body: %d", code)
	}
}

func TestCreateRules(t *testing.T) {
	s := start(t, Options{})
	s.user("taken", "employeeIdentifier", "E-1")
	long := strings.Repeat("a", 1025)
	tests := []struct {
		name string
		body any
		want int
		msg  string
	}{
		{"not JSON", "{", 400, "JSON object"},
		{"array", "[]", 400, "JSON object"},
		{"no username", map[string]any{"email": "a@example.com"}, 400, "username is required"},
		{"no email", map[string]any{"username": "a"}, 400, "email is required"},
		{"username starts with digit", map[string]any{"username": "1a", "email": "a@example.com"}, 400, "username"},
		{"username with @", map[string]any{"username": "a@b", "email": "a@example.com"}, 400, "username"},
		{"username too long", map[string]any{"username": long, "email": "a@example.com"}, 400, "at most"},
		{"bad email", map[string]any{"username": "a", "email": "a@b"}, 400, "email"},
		{"display-name email", map[string]any{"username": "a", "email": "A <a@example.com>"}, 400, "email"},
		{"bad alternate email", map[string]any{"username": "a", "email": "a@example.com", "alternateEmail": "x"}, 400, "alternateEmail"},
		{"long employee id", map[string]any{"username": "a", "email": "a@example.com", "employeeIdentifier": strings.Repeat("1", 257)}, 400, "employeeIdentifier"},
		{"long attribute", map[string]any{"username": "a", "email": "a@example.com", "attributes": []any{map[string]any{"name": "n", "value": long}}}, 400, "attributes"},
		{"wrong type", map[string]any{"username": "a", "email": "a@example.com", "sudo": "yes"}, 400, "sudo"},
		{"bad state", map[string]any{"username": "a", "email": "a@example.com", "state": "DELETED"}, 400, "state"},
		{"state and suspended disagree", map[string]any{"username": "a", "email": "a@example.com", "state": "ACTIVATED", "suspended": true}, 400, "disagree"},
		{"unknown manager", map[string]any{"username": "a", "email": "a@example.com", "manager": "0123456789abcdef01234567"}, 400, "manager"},
		{"unix uid 0", map[string]any{"username": "a", "email": "a@example.com", "unix_uid": 0}, 400, "unix_uid"},
		{"mfa days 0", map[string]any{"username": "a", "email": "a@example.com", "mfa": map[string]any{"exclusion": true, "exclusionDays": 0}}, 400, "exclusionDays"},
		{"mfa until not a date", map[string]any{"username": "a", "email": "a@example.com", "mfa": map[string]any{"exclusionUntil": "tomorrow"}}, 400, "exclusionUntil"},
		{"duplicate username", map[string]any{"username": "taken", "email": "b@example.com"}, 400, "Username already exists"},
		{"duplicate email, other case", map[string]any{"username": "b", "email": "TAKEN@example.com"}, 400, "Email already exists"},
		{"duplicate employee id", map[string]any{"username": "b", "email": "b@example.com", "employeeIdentifier": "E-1"}, 400, "EmployeeIdentifier already exists"},
		{"weak password", map[string]any{"username": "b", "email": "b@example.com", "password": "abc"}, 400, "Password validation fail"},
		{"ok", map[string]any{"username": "b.c-d_e", "email": "b@example.com", "_id": "ffffffffffffffffffffffff", "created": "1999", "organization": "x", "unknown": 1}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, b := s.do("POST", "/api/systemusers", tt.body)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, b, tt.want)
			}
			if tt.msg != "" && !strings.Contains(decodeErr(t, b).Message, tt.msg) {
				t.Errorf("message %q, want %q", decodeErr(t, b).Message, tt.msg)
			}
			if code == 200 {
				var u User
				_ = json.Unmarshal(b, &u)
				if u.ID == "ffffffffffffffffffffffff" || u.Organization != DefaultOrg || strings.HasPrefix(u.Created, "1999") || !isObjectID(u.ID) {
					t.Errorf("read-only fields were taken from the body: %+v", u)
				}
			}
		})
	}
	t.Run("409 knob and case-insensitive usernames", func(t *testing.T) {
		s.SetDuplicateStatus(409)
		if code, _, b := s.do("POST", "/api/systemusers", map[string]any{"username": "taken", "email": "z@example.com"}); code != 409 || decodeErr(t, b).Status != "Conflict" {
			t.Errorf("%d %s", code, b)
		}
		if code, _, _ := s.do("POST", "/api/systemusers", map[string]any{"username": "TAKEN", "email": "z@example.com"}); code != 200 {
			t.Errorf("case-sensitive by default: %d", code)
		}
		s.SetUsernameRules(UsernameRules{CaseInsensitiveUnique: true})
		if code, _, _ := s.do("POST", "/api/systemusers", map[string]any{"username": "Taken", "email": "y@example.com"}); code != 409 {
			t.Errorf("case-insensitive: %d", code)
		}
		if code, _, _ := s.do("POST", "/api/systemusers", map[string]any{"username": "9 with space@", "email": "w@example.com"}); code != 200 {
			t.Errorf("no pattern: %d", code)
		}
		s.SetDuplicateStatus(400)
	})
}

func TestPasswordPolicy(t *testing.T) {
	s := start(t, Options{})
	tests := []struct {
		name     string
		policy   PasswordPolicy
		password string
		rules    []string
	}{
		{"default policy, weak", DefaultPasswordPolicy(), "abc", []string{"minLength", "uppercaseCharacter", "numericCharacter", "specialCharacter"}},
		{"default policy, strong", DefaultPasswordPolicy(), "Str0ng-Pass", nil},
		{"length only", PasswordPolicy{MinLength: 4}, "abcd", nil},
		{"length only, short", PasswordPolicy{MinLength: 4}, "abc", []string{"minLength"}},
		{"no policy, empty", PasswordPolicy{}, "", []string{"minLength"}},
		{"lowercase needed", PasswordPolicy{NeedsLower: true}, "ABC", []string{"lowercaseCharacter"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetPasswordPolicy(tt.policy)
			name := "pw" + string(rune('a'+i))
			code, _, b := s.do("POST", "/api/systemusers?fullValidationDetails=password", map[string]any{"username": name, "email": name + "@example.com", "password": tt.password})
			if tt.rules == nil {
				if code != 200 {
					t.Fatalf("%d %s", code, b)
				}
				var u User
				_ = json.Unmarshal(b, &u)
				if !u.Activated || u.PasswordDate == nil || !s.PasswordMatches("", u.ID, tt.password) || bytes.Contains(b, []byte(tt.password)) {
					t.Errorf("user %+v", u)
				}
				return
			}
			e := decodeErr(t, b)
			if code != 400 || e.Status != "INVALID_ARGUMENT" || e.Message != "Password validation fail" || len(e.Details) != 1 || e.Details[0].Type != "type.googleapis.com/google.rpc.BadRequest" {
				t.Fatalf("%d %s", code, b)
			}
			var got []string
			for _, v := range e.Details[0].Violations {
				got = append(got, v.Description)
			}
			if !slices.Equal(got, tt.rules) {
				t.Errorf("rules %v, want %v", got, tt.rules)
			}
		})
	}
	t.Run("history", func(t *testing.T) {
		s.SetPasswordPolicy(PasswordPolicy{MinLength: 1, MaxHistory: 2})
		u := s.user("hist", "password", "one")
		for _, step := range []struct {
			pw   string
			want int
		}{{"one", 400}, {"two", 200}, {"one", 400}, {"three", 200}, {"one", 200}, {"three", 400}} {
			code, _, b := s.do("PUT", "/api/systemusers/"+u.ID+"?fullValidationDetails=password", map[string]any{"password": step.pw})
			if code != step.want {
				t.Fatalf("password %q: %d %s", step.pw, code, b)
			}
			if code == 400 && decodeErr(t, b).Details[0].Violations[0].Description != "passwordHistory" {
				t.Errorf("%s", b)
			}
		}
		// Without the flag: a plain 400 with a single message.
		code, _, b := s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"password": "one"})
		if e := decodeErr(t, b); code != 400 || e.Status != "Bad Request" || len(e.Details) != 0 || !strings.Contains(e.Message, "passwordHistory") {
			t.Errorf("%d %s", code, b)
		}
	})
}

func TestStateMachine(t *testing.T) {
	s := start(t, Options{})
	get := func(id string) User {
		u, _ := s.User("", id)
		return u
	}
	put := func(id string, body map[string]any) (int, string) {
		code, _, b := s.do("PUT", "/api/systemusers/"+id, body)
		return code, string(b)
	}
	post := func(id, action string, body any) int {
		code, _, _ := s.do("POST", "/api/systemusers/"+id+"/"+action, body)
		return code
	}

	// Default state is configurable.
	a := s.user("active")
	s.SetDefaultState(StateStaged)
	st := s.user("staged")
	sus := s.user("suspended-at-birth", "suspended", true)
	explicit := s.user("explicit", "state", "ACTIVATED", "activated", true)
	s.SetDefaultState(StateActivated)
	for _, c := range []struct {
		u         User
		state     string
		suspended bool
	}{{a, StateActivated, false}, {st, StateStaged, false}, {sus, StateSuspended, true}, {explicit, StateActivated, false}} {
		if c.u.State != c.state || c.u.Suspended != c.suspended {
			t.Errorf("%s: %s/%v", c.u.Username, c.u.State, c.u.Suspended)
		}
	}
	if !explicit.Activated {
		t.Error("activated:true on create not kept")
	}

	steps := []struct {
		name      string
		do        func() int
		want      int
		state     string
		suspended bool
	}{
		{"PUT STAGED is refused", func() int { c, _ := put(a.ID, map[string]any{"state": "STAGED"}); return c }, 400, StateActivated, false},
		{"suspend by PUT state only", func() int { c, _ := put(a.ID, map[string]any{"state": "SUSPENDED"}); return c }, 200, StateSuspended, true},
		{"activate a suspended user is a conflict", func() int { return post(a.ID, "state/activate", nil) }, 409, StateSuspended, true},
		{"unsuspend by suspended:false", func() int { c, _ := put(a.ID, map[string]any{"suspended": false}); return c }, 200, StateActivated, false},
		{"suspend by suspended:true", func() int { c, _ := put(a.ID, map[string]any{"suspended": true}); return c }, 200, StateSuspended, true},
		{"reactivate with both", func() int { c, _ := put(a.ID, map[string]any{"state": "ACTIVATED", "suspended": false}); return c }, 200, StateActivated, false},
		{"suspend route", func() int { return post(a.ID, "state/suspend", nil) }, 200, StateSuspended, true},
		{"suspend route again", func() int { return post(a.ID, "state/suspend", "") }, 200, StateSuspended, true},
		{"suspend route wants an empty body", func() int { return post(a.ID, "state/suspend", map[string]any{"x": 1}) }, 400, StateSuspended, true},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if got := step.do(); got != step.want {
				t.Fatalf("status %d, want %d", got, step.want)
			}
			u := get(a.ID)
			if u.State != step.state || u.Suspended != step.suspended {
				t.Errorf("state %s suspended %v, want %s %v", u.State, u.Suspended, step.state, step.suspended)
			}
		})
	}
	t.Run("activate", func(t *testing.T) {
		for _, body := range []any{map[string]any{"email": 5}, map[string]any{"email": "not-an-address"}, "[1]"} {
			if c := post(st.ID, "state/activate", body); c != 400 {
				t.Errorf("body %v: %d", body, c)
			}
		}
		if c := post(st.ID, "state/activate", map[string]any{"email": false}); c != 200 || get(st.ID).State != StateActivated {
			t.Errorf("%d %s", c, get(st.ID).State)
		}
		if c := post(st.ID, "state/activate", nil); c != 200 {
			t.Errorf("activating an active user: %d", c)
		}
		if d := s.RequestsFor("activate"); d[len(d)-2].Detail != "email=none" || d[len(d)-1].Detail != "email=default" {
			t.Errorf("details %+v", d)
		}
	})
	t.Run("PUT ACTIVATED on STAGED", func(t *testing.T) {
		s.SetDefaultState(StateStaged)
		u1, u2 := s.user("st1"), s.user("st2")
		s.SetDefaultState(StateActivated)
		if c, _ := put(u1.ID, map[string]any{"state": "ACTIVATED"}); c != 200 || get(u1.ID).State != StateActivated {
			t.Errorf("allowed by default: %d", c)
		}
		s.UpdateKnobs(func(k *Knobs) { k.RejectPutActivateStaged = true })
		if c, _ := put(u2.ID, map[string]any{"state": "ACTIVATED"}); c != 400 || get(u2.ID).State != StateStaged {
			t.Errorf("rejected by knob: %d", c)
		}
	})
	t.Run("lock, unlock, expire, resetmfa", func(t *testing.T) {
		u := s.user("locky", "password", "Passw0rd!x")
		if err := s.LockOut("", u.ID); err != nil {
			t.Fatal(err)
		}
		if g := get(u.ID); !g.AccountLocked || g.BadLoginAttempts != 10 || g.AccountLockedDate == nil {
			t.Errorf("%+v", g)
		}
		code, h, b := s.do("POST", "/api/systemusers/"+u.ID+"/unlock", nil)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || string(b) != "OK" || get(u.ID).AccountLocked {
			t.Errorf("unlock %d %q %q", code, h.Get("Content-Type"), b)
		}
		if c, _ := put(u.ID, map[string]any{"account_locked": true}); c != 200 || !get(u.ID).AccountLocked {
			t.Error("admin lock")
		}
		if c, _ := put(u.ID, map[string]any{"account_locked": false}); c != 200 || get(u.ID).AccountLocked {
			t.Error("admin unlock")
		}
		if post(u.ID, "expire", nil) != 200 || !get(u.ID).PasswordExpired || get(u.ID).PasswordExpirationDate == nil {
			t.Error("expire")
		}
		_ = s.EditUser("", u.ID, func(x *User) { x.TOTPEnabled = true; x.MFA.Configured = true })
		if post(u.ID, "resetmfa", map[string]any{"exclusion": true, "exclusionDays": 3}) != 200 {
			t.Fatal("resetmfa")
		}
		g := get(u.ID)
		if g.TOTPEnabled || g.MFA.Configured || !g.MFA.Exclusion || g.MFA.ExclusionDays != 3 || g.MFA.ExclusionUntil == nil {
			t.Errorf("mfa %+v totp %v", g.MFA, g.TOTPEnabled)
		}
		for _, body := range []map[string]any{{"exclusionDays": 0}, {"exclusionUntil": "x"}, {"exclusion": "x"}, {"exclusionDays": "x"}} {
			if c := post(u.ID, "resetmfa", body); c != 400 {
				t.Errorf("resetmfa %v: %d", body, c)
			}
		}
		for _, action := range []string{"unlock", "expire", "resetmfa", "state/activate", "state/suspend"} {
			if c := post("0123456789abcdef01234567", action, nil); c != 404 {
				t.Errorf("%s on missing user: %d", action, c)
			}
			if c := post("bad-id", action, nil); c != 400 {
				t.Errorf("%s on malformed id: %d", action, c)
			}
		}
	})
}

func TestUpdateSemantics(t *testing.T) {
	s := start(t, Options{})
	boss := s.user("boss")
	u := s.user("worker", "department", "IT", "jobTitle", "Dev", "manager", boss.ID,
		"phoneNumbers", []any{map[string]any{"type": "work", "number": "1"}, map[string]any{"type": "home", "number": "2"}},
		"mfa", map[string]any{"configured": true, "exclusion": true, "exclusionDays": 5})
	put := func(body any) User {
		t.Helper()
		code, _, b := s.do("PUT", "/api/systemusers/"+u.ID, body)
		if code != 200 {
			t.Fatalf("%v: %d %s", body, code, b)
		}
		var got User
		_ = json.Unmarshal(b, &got)
		return got
	}
	got := put(map[string]any{"department": "Ops"})
	if got.Department != "Ops" || got.JobTitle != "Dev" || len(got.PhoneNumbers) != 2 || got.Manager == nil {
		t.Errorf("partial: %+v", got)
	}
	got = put(map[string]any{"phoneNumbers": []any{map[string]any{"type": "mobile", "number": "3"}}})
	if len(got.PhoneNumbers) != 1 || got.PhoneNumbers[0].Number != "3" || got.PhoneNumbers[0].ID == "" {
		t.Errorf("arrays replaced: %+v", got.PhoneNumbers)
	}
	got = put(map[string]any{"mfa": map[string]any{"exclusion": false}})
	if !got.MFA.Configured || got.MFA.Exclusion || got.MFA.ExclusionDays != 5 {
		t.Errorf("mfa merged: %+v", got.MFA)
	}
	got = put(map[string]any{"manager": nil, "jobTitle": nil, "phoneNumbers": []any{}})
	if got.Manager == nil || *got.Manager != "" || got.JobTitle != "" || len(got.PhoneNumbers) != 0 {
		t.Errorf("null clears (a user without a manager is answered with \"\"): %+v", got)
	}
	if stored, _ := s.User("", u.ID); stored.Manager != nil {
		t.Errorf("stored manager: %q", *stored.Manager)
	}
	put(map[string]any{"manager": boss.ID})
	if got = put(map[string]any{"manager": ""}); *got.Manager != "" {
		t.Errorf(`"manager": "" clears too: %q`, *got.Manager)
	}
	s.UpdateKnobs(func(k *Knobs) { k.ManagerNull = true })
	if code, _, b := s.do("GET", "/api/systemusers/"+u.ID+"?fields=manager", nil); code != 200 || !strings.Contains(string(b), `"manager":null`) {
		t.Errorf("ManagerNull: %d %s", code, b)
	}
	s.UpdateKnobs(func(k *Knobs) { k.ManagerNull = false })
	got = put(map[string]any{"_id": "ffffffffffffffffffffffff", "created": "x", "activated": true, "totp_enabled": true})
	if got.ID != u.ID || got.Created != u.Created || got.Activated || got.TOTPEnabled {
		t.Errorf("read-only fields changed: %+v", got)
	}
	for name, body := range map[string]any{
		"manager is self":   map[string]any{"manager": u.ID},
		"taken username":    map[string]any{"username": "boss"},
		"bad type":          map[string]any{"firstname": 5},
		"not an object":     "[]",
		"bad password type": map[string]any{"password": 5},
		"bad lock type":     map[string]any{"account_locked": "yes"},
	} {
		if code, _, b := s.do("PUT", "/api/systemusers/"+u.ID, body); code != 400 {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	if code, _, _ := s.do("PUT", "/api/systemusers/0123456789abcdef01234567", map[string]any{}); code != 404 {
		t.Errorf("missing user: %d", code)
	}
	// The username index follows renames.
	put(map[string]any{"username": "renamed"})
	if _, ok := s.FindUsername("", "worker"); ok {
		t.Error("old username still indexed")
	}
	s.user("worker", "email", "worker2@example.com")
}

func TestDeleteAndManagers(t *testing.T) {
	s := start(t, Options{})
	boss, other := s.user("boss"), s.user("other")
	r1 := s.user("r1", "manager", boss.ID)
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+boss.ID, nil); code != 409 {
		t.Errorf("deleting a manager without cascade_manager: %d", code)
	}
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+boss.ID+"?cascade_manager=0123456789abcdef01234567", nil); code != 400 {
		t.Errorf("cascade to a missing user: %d", code)
	}
	code, _, b := s.do("DELETE", "/api/systemusers/"+boss.ID+"?cascade_manager="+other.ID, nil)
	var deleted User
	_ = json.Unmarshal(b, &deleted)
	if code != 200 || deleted.ID != boss.ID {
		t.Fatalf("%d %s", code, b)
	}
	if u, _ := s.User("", r1.ID); u.Manager == nil || *u.Manager != other.ID {
		t.Errorf("re-pointed manager: %v", u.Manager)
	}
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+other.ID+"?cascade_manager=null", nil); code != 200 {
		t.Errorf("cascade null: %d", code)
	}
	if u, _ := s.User("", r1.ID); u.Manager != nil {
		t.Errorf("manager not cleared: %v", *u.Manager)
	}
	if code, _, _ := s.do("DELETE", "/api/systemusers/"+other.ID, nil); code != 404 {
		t.Errorf("second delete: %d", code)
	}
	s.user("boss", "email", "boss@example.com") // the username and email are free again
}

func TestListQueries(t *testing.T) {
	s := start(t, Options{})
	for _, p := range []struct{ name, dept, last string }{
		{"anna", "D-IT", "Zed"}, {"bert", "D-IT", "Young"}, {"cleo", "D-Sales", "Xu"}, {"dora", "D-Finance", "Young"}, {"emil", "D-Sales|Ops", "Weber"},
	} {
		s.user(p.name, "department", p.dept, "lastname", p.last, "sudo", p.name == "anna")
	}
	if _, err := s.SeedUsers("", 120); err != nil {
		t.Fatal(err)
	}
	users := s.Users("")
	tests := []struct {
		name  string
		query string
		want  []string
		total int
	}{
		{"default limit 10", "", nil, 125},
		{"filter", "filter=department:$eq:D-IT", []string{"anna", "bert"}, 2},
		{"repeated filter ANDs", "filter=department:$eq:D-IT&filter=lastname:$eq:Young", []string{"bert"}, 1},
		{"indexed AND", "filter[0]=department:$eq:D-IT&filter[1]=lastname:$eq:Young", []string{"bert"}, 1},
		{"and-bracket AND", "filter[and][0]=department:$eq:D-IT&filter[and][1]=lastname:$eq:Zed", []string{"anna"}, 1},
		{"OR", "filter[or][0]=lastname:$eq:Xu&filter[or][1]=lastname:$eq:Zed", []string{"anna", "cleo"}, 2},
		{"OR and AND", "filter[or][0]=lastname:$eq:Young&filter[or][1]=lastname:$eq:Zed&filter[0]=department:$eq:D-IT", []string{"anna", "bert"}, 2},
		{"$in with escaped bar", `filter=department:$in:D-Finance|D-Sales\|Ops`, []string{"dora", "emil"}, 2},
		{"$sw", "filter=username:$sw:an", []string{"anna"}, 1},
		{"$ew", "filter=username:$ew:ra", []string{"dora"}, 1},
		{"$co", "filter=username:$co:le", []string{"cleo"}, 1},
		{"bool", "filter=sudo:$eq:true", []string{"anna"}, 1},
		{"null manager", "filter=manager:$eq:null&filter=lastname:$eq:Zed", []string{"anna"}, 1},
		{"nested field", "filter=mfa.configured:$eq:false&filter=username:$eq:cleo", []string{"cleo"}, 1},
		{"unknown field is null", "filter=nosuch:$ne:x&filter=department:$eq:D-Finance", []string{"dora"}, 1},
		{"sort", "sort=-lastname username&filter=department:$ne:Engineering&filter=firstname:$ne:Seed&limit=3", []string{"anna", "bert", "dora"}, 5},
		{"skip", "skip=2&limit=2", []string{"cleo", "dora"}, 125},
		{"skip past the end", "skip=500", []string{}, 125},
		{"limit capped at 100", "limit=1000", nil, 125},
		{"keyset", "filter=_id:$gt:" + users[122].ID, []string{users[123].Username, users[124].Username}, 2},
		{"keyset range", "filter=_id:$gte:" + users[1].ID + "&filter=_id:$lt:" + users[3].ID, []string{"bert", "cleo"}, 2},
		{"keyset descending", "sort=-_id&limit=2&filter=_id:$lte:" + users[2].ID, []string{"cleo", "bert"}, 3},
		{"search param", "search[searchTerm]=LEO&search[fields][0]=username", []string{"cleo"}, 1},
		{"search param terms", "search[searchTerm][0]=anna&search[searchTerm][1]=emil&search[fields]=username email", []string{"anna", "emil"}, 2},
		{"search as JSON", `search={"searchTerm":["bert"],"fields":["username"]}`, []string{"bert"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := s.list("/api/systemusers?"+escapeQuery(tt.query), nil)
			if l.TotalCount != tt.total {
				t.Errorf("total %d, want %d", l.TotalCount, tt.total)
			}
			if tt.want != nil && !slices.Equal(names(l), tt.want) {
				t.Errorf("got %v, want %v", names(l), tt.want)
			}
			switch tt.name {
			case "default limit 10":
				if len(l.Results) != 10 {
					t.Errorf("%d results", len(l.Results))
				}
			case "limit capped at 100":
				if len(l.Results) != 100 {
					t.Errorf("%d results", len(l.Results))
				}
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		l := s.list("/api/systemusers?limit=1&fields="+url.QueryEscape("username mfa.configured"), nil)
		r := l.Results[0]
		if len(r) != 3 || r["_id"] == nil || r["username"] != "anna" || r["mfa"] == nil {
			t.Errorf("projection %v", r)
		}
	})
	for _, bad := range []string{"limit=x", "limit=-1", "skip=-3", "filter=department:eq:IT", "filter=department", "filter=:$eq:x", "filter[x]=a:$eq:b", "filter=a:$regex:b", `search={"searchTerm":5}`} {
		if code, _, b := s.do("GET", "/api/systemusers?"+escapeQuery(bad), nil); code != 400 {
			t.Errorf("%s: %d %s", bad, code, b)
		}
	}
	if code, _, _ := s.do("GET", "/api/systemusers/"+users[0].ID+"?filter=username:$eq:bert", nil); code != 404 {
		t.Errorf("get with a non-matching filter: %d", code)
	}
	if code, _, b := s.do("GET", "/api/systemusers/"+users[0].ID+"?fields=email", nil); code != 200 || strings.Contains(string(b), "username") {
		t.Errorf("get with fields: %d %s", code, b)
	}
}

// escapeQuery escapes each value of a raw query string written for readability.
func escapeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var parts []string
	for kv := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

func TestSearchEndpoint(t *testing.T) {
	s := start(t, Options{})
	for _, p := range []struct{ name, dept string }{{"anna", "IT"}, {"bert", "IT"}, {"cleo", "Sales"}, {"dora", "Finance"}} {
		s.user(p.name, "department", p.dept, "sudo", p.name != "cleo", "unix_uid", len(p.name)*100+int(p.name[0]))
	}
	tests := []struct {
		name  string
		path  string
		body  any
		want  []string
		total int
	}{
		{"empty body", "", "", []string{"anna", "bert", "cleo", "dora"}, 4},
		{"filter array", "", map[string]any{"filter": []any{map[string]any{"department": "IT"}}}, []string{"anna", "bert"}, 2},
		{"filter object", "", map[string]any{"filter": map[string]any{"department": "IT", "username": "bert"}}, []string{"bert"}, 1},
		{"and", "", map[string]any{"filter": map[string]any{"and": []any{map[string]any{"department": "IT"}, map[string]any{"sudo": true}}}}, []string{"anna", "bert"}, 2},
		{"or", "", map[string]any{"filter": map[string]any{"or": []any{map[string]any{"department": "Sales"}, map[string]any{"department": "Finance"}}}}, []string{"cleo", "dora"}, 2},
		{"nested", "", map[string]any{"filter": map[string]any{"and": []any{map[string]any{"or": []any{map[string]any{"username": "anna"}, map[string]any{"username": "cleo"}}}, map[string]any{"sudo": true}}}}, []string{"anna"}, 1},
		{"$regex", "", map[string]any{"filter": map[string]any{"and": []any{map[string]any{"username": map[string]any{"$regex": "(?i)^B"}}}}}, []string{"bert"}, 1},
		{"$gt number", "", map[string]any{"filter": []any{map[string]any{"unix_uid": map[string]any{"$gt": 498}}}}, []string{"cleo", "dora"}, 2},
		{"$in", "", map[string]any{"filter": []any{map[string]any{"department": map[string]any{"$in": []any{"Sales", "Finance"}}}}}, []string{"cleo", "dora"}, 2},
		{"array value is $in", "", map[string]any{"filter": []any{map[string]any{"username": []any{"anna", "dora"}}}}, []string{"anna", "dora"}, 2},
		{"$exists", "", map[string]any{"filter": []any{map[string]any{"manager": map[string]any{"$exists": false}}}}, []string{"anna", "bert", "cleo", "dora"}, 4},
		{"searchFilter", "", map[string]any{"searchFilter": map[string]any{"searchTerm": "ER", "fields": []string{"username"}}}, []string{"bert"}, 1},
		{"searchFilter default fields", "", map[string]any{"searchFilter": map[string]any{"searchTerm": []string{"dora@", "anna"}}}, []string{"anna", "dora"}, 2},
		{"both", "", map[string]any{"searchFilter": map[string]any{"searchTerm": "a", "fields": []string{"username"}}, "filter": map[string]any{"or": []any{map[string]any{"department": "IT"}, map[string]any{"department": "Finance"}}}}, []string{"anna", "dora"}, 2},
		{"limit and skip in body", "?limit=1", map[string]any{"limit": 2, "skip": "1"}, []string{"bert", "cleo"}, 4},
		{"limit and skip in query", "?limit=1&skip=3", map[string]any{}, []string{"dora"}, 4},
		{"query filter too", "?filter=department:$eq:Finance", map[string]any{}, []string{"dora"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, b := s.do("POST", "/api/search/systemusers"+tt.path, tt.body)
			if code != 200 {
				t.Fatalf("%d %s", code, b)
			}
			var l listBody
			_ = json.Unmarshal(b, &l)
			if !slices.Equal(names(l), tt.want) || l.TotalCount != tt.total {
				t.Errorf("got %v total %d, want %v total %d", names(l), l.TotalCount, tt.want, tt.total)
			}
			if _, ok := l.Results[0]["memberof"]; !ok {
				t.Error("search results carry memberof")
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		for _, fields := range []any{"email username sudo", []string{"email", "username", "sudo"}} {
			l := s.list("/api/search/systemusers", map[string]any{"fields": fields, "limit": 1})
			if r := l.Results[0]; len(r) != 4 || r["sudo"] != true || r["email"] != "anna@example.com" {
				t.Errorf("projection %v", r)
			}
		}
	})
	for _, bad := range []any{"{", "[]", map[string]any{"filter": 5}, map[string]any{"filter": map[string]any{"and": 5}},
		map[string]any{"filter": map[string]any{"a": map[string]any{"$nope": 1}}}, map[string]any{"filter": map[string]any{"a": map[string]any{"$in": 1}}},
		map[string]any{"filter": map[string]any{"a": map[string]any{"$regex": "("}}}, map[string]any{"filter": map[string]any{"a": map[string]any{"$regex": 1}}},
		map[string]any{"filter": map[string]any{"": 1}}, map[string]any{"fields": 5}, map[string]any{"limit": "x"},
		map[string]any{"searchFilter": 5}, map[string]any{"searchFilter": map[string]any{"searchTerm": 1}}, map[string]any{"searchFilter": map[string]any{"searchTerm": "a", "fields": 1}},
	} {
		if code, _, b := s.do("POST", "/api/search/systemusers", bad); code != 400 {
			t.Errorf("%v: %d %s", bad, code, b)
		}
	}
	deep := `{"filter":` + strings.Repeat(`{"and":[`, 40) + `{}` + strings.Repeat(`]}`, 40) + `}`
	if code, _, _ := s.do("POST", "/api/search/systemusers", deep); code != 400 {
		t.Errorf("deep nesting: %d", code)
	}
}

func TestIDsAndTimestamps(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := start(t, Options{Now: clock})
	a := s.user("a")
	mu.Lock()
	now = now.Add(-time.Hour) // a clock going backwards must not break the order
	mu.Unlock()
	b := s.user("b")
	if !isObjectID(a.ID) || !isObjectID(b.ID) || !(a.ID < b.ID) {
		t.Errorf("ids %s %s", a.ID, b.ID)
	}
	if a.Created != "2026-11-27T09:00:00.000Z" {
		t.Errorf("created %s", a.Created)
	}
	added, err := s.AddUser("", User{ID: "000000000000000000000001", Username: "first", Email: "first@example.com"}, "pw")
	if err != nil || s.Users("")[0].ID != added.ID || !added.Activated || !s.PasswordMatches("", added.ID, "pw") || s.PasswordMatches("", added.ID, "nope") {
		t.Errorf("explicit id not first: %v %+v", err, s.Users("")[0])
	}
	for _, bad := range []User{{ID: "xyz", Username: "c", Email: "c@example.com"}, {ID: added.ID, Username: "c", Email: "c@example.com"}, {Username: "a", Email: "z@example.com"}, {Username: "c"}} {
		if _, err := s.AddUser("", bad, ""); err == nil {
			t.Errorf("AddUser(%+v) succeeded", bad)
		}
	}
	if _, err := s.AddUser("no-such-org", User{Username: "c", Email: "c@example.com"}, ""); err == nil {
		t.Error("unknown org")
	}
}
