package jcsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func fuzzServer(tb testing.TB) (*Server, []User) {
	s := New(Options{APIKeys: map[string][]string{key: nil}})
	users, err := s.SeedUsers("", 5)
	if err != nil {
		tb.Fatal(err)
	}
	return s, users
}

func serve(s *Server, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("x-api-key", key)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// FuzzParseFilter: any query-string filter parses or is refused with 400, never panics, and a
// parsed condition can be evaluated against any user.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"username:$eq:seed00001", "created:$lte:2021-10-24", `department:$in:IT|Sales\|Ops`, "mfa.configured:$eq:false",
		"phoneNumbers.number:$ne:1", "_id:$gt:000000000000000000000000", "a:$nco:", "x", ":$eq:", "a:$zz:b", "badLoginAttempts:$gte:NaN",
	} {
		f.Add(seed, "filter[or][0]")
	}
	s, users := fuzzServer(f)
	f.Fuzz(func(t *testing.T, filter, key string) {
		q := url.Values{key: {filter}, "filter": {filter}}
		exprs, err := parseQueryFilter(q)
		if err == nil {
			for i := range users {
				_ = andExpr(exprs).match(&users[i])
			}
		}
		rec := serve(s, "GET", "/api/systemusers?"+q.Encode(), "")
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, q.Encode())
		}
		if (err == nil) != (rec.Code == http.StatusOK) && strings.HasPrefix(key, "filter") {
			t.Fatalf("parse error %v but status %d", err, rec.Code)
		}
	})
}

// FuzzSearchBody: any search body is answered 200 or 400, and a 200 is a list.
func FuzzSearchBody(f *testing.F) {
	for _, seed := range []string{
		`{"filter":{"or":[{"department":"IT"},{"department":"Sales"}]},"fields":"email username sudo"}`,
		`{"filter":[{"username":{"$regex":"(?i)^seed"}}],"searchFilter":{"searchTerm":["00001","00002"],"fields":["username"]}}`,
		`{"filter":{"and":[{"or":[{"unix_uid":{"$gt":1}}]},{"manager":{"$exists":false}}]},"limit":"2","skip":1}`,
		`{"filter":{"username":["a","b"]},"fields":["email"]}`, `{"filter":5}`, `[]`, ``, `{"limit":-1}`,
	} {
		f.Add(seed)
	}
	s, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := serve(s, "POST", "/api/search/systemusers", body)
		switch rec.Code {
		case http.StatusOK:
			var l struct {
				TotalCount *int              `json:"totalCount"`
				Results    []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || l.TotalCount == nil {
				t.Fatalf("bad list %s", rec.Body.Bytes())
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}

// FuzzWriteBody: any create or update body is answered 200 or 400 (duplicates included, at the
// default DuplicateStatus), never echoes a password, and never leaves the store inconsistent.
func FuzzWriteBody(f *testing.F) {
	for _, seed := range []string{
		`{"username":"alice","email":"alice@example.com","password":"Passw0rd!","state":"STAGED"}`,
		`{"username":"seed00001","email":"x@example.com"}`,
		`{"manager":null,"phoneNumbers":[],"mfa":{"exclusion":true,"exclusionDays":0},"suspended":true}`,
		`{"state":"ACTIVATED","suspended":true}`, `{"email":"seed00002@example.com"}`, `{"unix_uid":-1}`, `null`, `{`,
	} {
		f.Add(seed, true)
	}
	s, users := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string, create bool) {
		method, target := "PUT", "/api/systemusers/"+users[0].ID
		if create {
			method, target = "POST", "/api/systemusers"
		}
		rec := serve(s, method, target, body)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %s %q", rec.Code, method, body)
		}
		if strings.Contains(rec.Body.String(), `"password"`) {
			t.Fatalf("password in answer %s", rec.Body.String())
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		o := s.orgs[DefaultOrg]
		if len(o.byID) != len(o.users) || len(o.byUsername) != len(o.users) {
			t.Fatalf("indexes %d/%d for %d users", len(o.byID), len(o.byUsername), len(o.users))
		}
		for _, r := range o.users {
			if r.Suspended != (r.State == StateSuspended) {
				t.Fatalf("state %s suspended %v", r.State, r.Suspended)
			}
		}
	})
}

// BenchmarkListAll10k pages through 10,000 users the way the client's iterator does (sort=_id,
// limit=100, _id:$gt:<last>): one iteration is one full resync, 100 requests.
func BenchmarkListAll10k(b *testing.B) {
	s := New(Options{APIKeys: map[string][]string{key: nil}})
	if _, err := s.SeedUsers("", 10000); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		last, n := "", 0
		for {
			target := "/api/systemusers?sort=_id&limit=100"
			if last != "" {
				target += "&filter=" + url.QueryEscape("_id:$gt:"+last)
			}
			rec := serve(s, "GET", target, "")
			var l struct {
				Results []struct {
					ID string `json:"_id"`
				} `json:"results"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				b.Fatal(err)
			}
			n += len(l.Results)
			if len(l.Results) < 100 {
				break
			}
			last = l.Results[len(l.Results)-1].ID
		}
		if n != 10000 {
			b.Fatalf("read %d users", n)
		}
	}
}

// BenchmarkListFiltered10k is one filtered page over 10,000 users (a full scan).
func BenchmarkListFiltered10k(b *testing.B) {
	s := New(Options{APIKeys: map[string][]string{key: nil}})
	if _, err := s.SeedUsers("", 10000); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := serve(s, "GET", "/api/systemusers?limit=100&filter="+url.QueryEscape("department:$eq:IT"), ""); rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
