package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		name, baseURL, region string
		want                  string
		wantErr               bool
	}{
		{name: "default is US", want: BaseURLUS},
		{name: "US", region: "us", want: BaseURLUS},
		{name: "EU", region: "EU", want: BaseURLEU},
		{name: "IN", region: " in ", want: BaseURLIN},
		{name: "unknown region", region: "APAC", wantErr: true},
		{name: "explicit https", baseURL: "https://jc.example.com/api/", want: "https://jc.example.com/api"},
		{name: "explicit wins over region", baseURL: "https://jc.example.com/api", region: "EU", want: "https://jc.example.com/api"},
		{name: "http loopback v4", baseURL: "http://127.0.0.1:8080/api", want: "http://127.0.0.1:8080/api"},
		{name: "http loopback 127/8", baseURL: "http://127.1.2.3/api", want: "http://127.1.2.3/api"},
		{name: "http loopback v6", baseURL: "http://[::1]:9/api", want: "http://[::1]:9/api"},
		{name: "http localhost", baseURL: "http://localhost:8080/api", want: "http://localhost:8080/api"},
		{name: "http elsewhere", baseURL: "http://jc.example.com/api", wantErr: true},
		{name: "http private address", baseURL: "http://10.0.0.1/api", wantErr: true},
		{name: "other scheme", baseURL: "ftp://jc.example.com/api", wantErr: true},
		{name: "credentials", baseURL: "https://u:p@jc.example.com/api", wantErr: true},
		{name: "query", baseURL: "https://jc.example.com/api?x=1", wantErr: true},
		{name: "no host", baseURL: "https:///api", wantErr: true},
		{name: "garbage", baseURL: "://", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{APIKey: "k", BaseURL: tt.baseURL, Region: tt.region})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %s", c.BaseURL())
				}
				if strings.Contains(err.Error(), "u:p") {
					t.Errorf("error shows credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.want {
				t.Errorf("base %q, want %q", c.BaseURL(), tt.want)
			}
		})
	}
	for name, o := range map[string]Options{
		"no key":           {},
		"blank key":        {APIKey: "  "},
		"key with CRLF":    {APIKey: "a\r\nX-Evil: 1"},
		"org with CRLF":    {APIKey: "k", OrgID: "o\n"},
		"bad base for key": {APIKey: "k", BaseURL: "http://example.com"},
	} {
		_, err := New(o)
		if err == nil {
			t.Errorf("%s: want an error", name)
		} else if o.APIKey != "" && strings.Contains(err.Error(), o.APIKey) && strings.TrimSpace(o.APIKey) != "k" {
			t.Errorf("%s: error shows the key: %v", name, err)
		}
	}
}

func TestHeaders(t *testing.T) {
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"totalCount":0,"results":[]}`))
	}))
	defer srv.Close()
	old := Version
	Version = "v1.2.3"
	defer func() { Version = old }()
	c, err := New(Options{BaseURL: srv.URL + "/api", APIKey: "secret-key", OrgID: "org-1", UserAgent: "kubectl-jumpcloud/1.0", RequestsPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListUsers(context.Background(), ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchUsers(context.Background(), SearchRequest{}); err != nil {
		t.Fatal(err)
	}
	for i, h := range got {
		if h.Get("x-api-key") != "secret-key" || h.Get("x-org-id") != "org-1" || h.Get("Accept") != "application/json" {
			t.Errorf("request %d headers %v", i, h)
		}
		if ua := h.Get("User-Agent"); ua != "kubectl-jumpcloud/1.0 jumpcloud-operator/v1.2.3" {
			t.Errorf("User-Agent %q", ua)
		}
	}
	if got[0].Get("Content-Type") != "application/json" || got[1].Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type: %q, %q", got[0].Get("Content-Type"), got[1].Get("Content-Type"))
	}
	// Without an org, no x-org-id header at all.
	got = nil
	c, _ = New(Options{BaseURL: srv.URL, APIKey: "k", RequestsPerSecond: -1})
	_, _ = c.ListUsers(context.Background(), ListOptions{})
	if _, ok := got[0]["X-Org-Id"]; ok {
		t.Error("x-org-id sent without an org")
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pwDetails := `{"code":400,"message":"Password validation fail","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolationsList":[{"field":"password","description":"specialCharacter"}]},"junk",{"fieldViolations":[{"field":"password","description":"passwordHistory"}]}]}`
	tests := []struct {
		name       string
		op         string
		status     int
		header     http.Header
		body       string
		kind       Kind
		msg        string
		violations []FieldViolation
		retryAfter time.Duration
	}{
		{name: "duplicate on create as 400", op: OpCreate, status: 400, body: `{"code":400,"message":"Username already exists","status":"Bad Request"}`, kind: KindAlreadyExists, msg: "Username already exists", violations: []FieldViolation{{"username", "already exists"}}},
		{name: "duplicate email wording", op: OpUpdate, status: 400, body: `{"message":"email must be unique"}`, kind: KindAlreadyExists, violations: []FieldViolation{{"email", "already exists"}}, msg: "email must be unique"},
		{name: "duplicate employee id", op: OpCreate, status: 400, body: `{"message":"Duplicate employeeIdentifier"}`, kind: KindAlreadyExists, violations: []FieldViolation{{"employeeIdentifier", "already exists"}}, msg: "Duplicate employeeIdentifier"},
		{name: "duplicate, field unknown", op: OpCreate, status: 400, body: `{"message":"User already exists"}`, kind: KindAlreadyExists, msg: "User already exists"},
		{name: "400 elsewhere is validation even if worded like a duplicate", op: OpGet, status: 400, body: `{"message":"already exists"}`, kind: KindValidation, msg: "already exists"},
		{name: "409 on create", op: OpCreate, status: 409, body: `{"message":"Conflict"}`, kind: KindAlreadyExists, msg: "Conflict"},
		{name: "409 on delete", op: OpDelete, status: 409, kind: KindConflict},
		{name: "password details", op: OpCreate, status: 400, body: pwDetails, kind: KindValidation, msg: "Password validation fail", violations: []FieldViolation{{"password", "specialCharacter"}, {"password", "passwordHistory"}}},
		{name: "plain-text body is dropped", op: OpUnlock, status: 404, body: "user 123 not found, token=abc", kind: KindNotFound},
		{name: "401", op: OpList, status: 401, kind: KindUnauthorized},
		{name: "403", op: OpList, status: 403, body: `{"message":"Your IP has been blocked due to suspected abuse"}`, kind: KindForbidden, msg: "Your IP has been blocked due to suspected abuse"},
		{name: "422", op: OpUpdate, status: 422, kind: KindValidation},
		{name: "429 with seconds", op: OpList, status: 429, header: http.Header{"Retry-After": {"5"}}, kind: KindRateLimited, retryAfter: 5 * time.Second},
		{name: "503 with date", op: OpGet, status: 503, header: http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, kind: KindUnavailable, retryAfter: time.Minute},
		{name: "500", op: OpGet, status: 500, kind: KindUnavailable},
		{name: "302", op: OpGet, status: 302, kind: KindUnknown},
		{name: "secret redacted", op: OpCreate, status: 400, body: `{"message":"password Hunter2! is too weak; key k-123"}`, kind: KindValidation, msg: "password [REDACTED] is too weak; key [REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := classify(tt.op, tt.status, h, []byte(tt.body), now, "k-123", "Hunter2!")
			if e.Kind != tt.kind || e.Message != tt.msg || e.StatusCode != tt.status || e.Operation != tt.op || e.RetryAfter != tt.retryAfter {
				t.Errorf("got %+v", e)
			}
			if !slices.Equal(e.FieldViolations, tt.violations) {
				t.Errorf("violations %+v, want %+v", e.FieldViolations, tt.violations)
			}
			if strings.Contains(e.Error(), "token=abc") || strings.Contains(e.Error(), "Hunter2!") {
				t.Errorf("error leaks: %v", e)
			}
		})
	}
	long := classify(OpGet, 400, http.Header{}, []byte(`{"message":"`+strings.Repeat("é", 600)+`"}`), now)
	if len(long.Message) > maxMessageLen+4 {
		t.Errorf("message not bounded: %d bytes", len(long.Message))
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Kind: KindValidation, Operation: OpCreate, StatusCode: 400, Message: "Password validation fail",
		FieldViolations: []FieldViolation{{"password", "minLength"}, {"password", "specialCharacter"}}}
	want := "jumpcloud create: Validation (HTTP 400): Password validation fail [password: minLength, password: specialCharacter]"
	if e.Error() != want {
		t.Errorf("%q", e.Error())
	}
	e = &Error{Kind: KindUnavailable, Operation: OpGet, Err: context.Canceled}
	if e.Error() != "jumpcloud get: Unavailable: context canceled" || !errors.Is(e, context.Canceled) {
		t.Errorf("%q", e.Error())
	}
	if KindOf(nil) != "" || RetryAfterOf(errors.New("x")) != 0 {
		t.Error("KindOf/RetryAfterOf on non-jumpcloud errors")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 12 ", 12 * time.Second, true},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999", 0, false},
		{"999999999999", (1 << 31) * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 0, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffIsFullJitterCapped(t *testing.T) {
	r := 0.999
	c, _ := New(Options{APIKey: "k", RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second, Rand: func() float64 { return r }})
	for attempt, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceiling *= time.Millisecond
		if d := c.backoff(attempt); d >= ceiling || d < ceiling*99/100 {
			t.Errorf("attempt %d: %v, want just under %v", attempt, d, ceiling)
		}
	}
	if d := c.backoff(200); d > time.Second {
		t.Errorf("huge attempt: %v", d)
	}
	r = 0
	if d := c.backoff(3); d != 0 {
		t.Errorf("rand 0: %v", d)
	}
}

func TestDecodeUserIsLenient(t *testing.T) {
	body := `{"_id":"5f1b2c3d4e5f6a7b8c9d0e1f","username":"alice","email":null,"created":"2013-10-16T19:30:55.611Z",
	"password_expiration_date":"2021-10-24","password_date":"","account_locked_date":null,
	"activated":"true","suspended":1,"badLoginAttempts":"3","unix_uid":1001.0,"sudo":null,
	"mfa":{"configured":true,"exclusion":true,"exclusionDays":7,"exclusionUntil":"2026-12-01T00:00:00+01:00"},
	"mfaEnrollment":{"overallStatus":"ENROLLED","totpStatus":"ENROLLED"},
	"phoneNumbers":[{"id":"p1","type":"work","number":"1"},"junk",null],
	"addresses":[{"type":"home","locality":"Berlin","extra":1}],
	"attributes":[{"name":"a","value":"b"}],"memberof":["g1"],"manager":"5f1b2c3d4e5f6a7b8c9d0e20",
	"unknownField":{"deep":[1,2,3]},"state":"STAGED","totp_enabled":true}`
	u, err := decodeUser([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"id", u.ID, "5f1b2c3d4e5f6a7b8c9d0e1f"},
		{"email null", u.Email, ""},
		{"created", u.Created.Format(time.RFC3339Nano), "2013-10-16T19:30:55.611Z"},
		{"date only", u.PasswordExpirationDate.Format(time.DateOnly), "2021-10-24"},
		{"empty date", u.PasswordDate == nil, true},
		{"null date", u.AccountLockedDate == nil, true},
		{"bool as string", u.Activated, true},
		{"bool as 1", u.Suspended, true},
		{"int as string", u.BadLoginAttempts, 3},
		{"int as float", u.UnixUID, 1001},
		{"bool null", u.Sudo, false},
		{"mfa until in UTC", u.MFA.ExclusionUntil.Format(time.RFC3339), "2026-11-30T23:00:00Z"},
		{"mfa days", u.MFA.ExclusionDays, 7},
		{"enrollment", u.MFAEnrollment.OverallStatus, MFAEnrolled},
		{"phones skip junk", len(u.PhoneNumbers), 1},
		{"address", u.Addresses[0].Locality, "Berlin"},
		{"attribute", u.Attributes[0].Value, "b"},
		{"memberof", u.MemberOf[0], "g1"},
		{"manager", u.Manager, "5f1b2c3d4e5f6a7b8c9d0e20"},
		{"state", u.State, StateStaged},
		{"totp", u.TOTPEnabled, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, bad := range []string{"", "null", `"a string"`, "[]", "{", `{"username":5}x`} {
		if _, err := decodeUser([]byte(bad)); err == nil {
			t.Errorf("decodeUser(%q) succeeded", bad)
		}
	}
	if _, err := decodeUserList([]byte(`[]`)); err == nil {
		t.Error("a list that is not an object decoded")
	}
	page, err := decodeUserList([]byte(`{"totalCount":2,"results":[{"_id":"a"},7]}`))
	if err != nil || page.TotalCount != 2 || len(page.Users) != 1 {
		t.Errorf("page %+v err %v", page, err)
	}
}

func TestUserFieldsMarshal(t *testing.T) {
	until := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		f    UserFields
		want string
	}{
		{"nothing", UserFields{}, `{}`},
		{"zero values are sent", UserFields{Sudo: Ptr(false), Description: Ptr(""), UnixUID: Ptr(0)}, `{"description":"","sudo":false,"unix_uid":0}`},
		{"manager id", UserFields{Manager: Ptr("abc")}, `{"manager":"abc"}`},
		{"manager cleared", UserFields{Manager: Ptr("")}, `{"manager":null}`},
		{"nil list pointer not sent", UserFields{PhoneNumbers: nil}, `{}`},
		{"pointer to nil list sends []", UserFields{PhoneNumbers: new([]PhoneNumber), Addresses: new([]Address), Attributes: new([]Attribute)}, `{"phoneNumbers":[],"addresses":[],"attributes":[]}`},
		{"ids are not sent", UserFields{PhoneNumbers: &[]PhoneNumber{{ID: "x", Type: "work", Number: "1"}}, Addresses: &[]Address{{ID: "y", Type: "home"}}}, `{"phoneNumbers":[{"type":"work","number":"1"}],"addresses":[{"type":"home"}]}`},
		{"state pair", UserFields{State: Ptr(StateSuspended), Suspended: Ptr(true)}, `{"state":"SUSPENDED","suspended":true}`},
		{"mfa", UserFields{MFA: &MFASettings{Exclusion: Ptr(true), ExclusionDays: Ptr(3), ExclusionUntil: &until}}, `{"mfa":{"exclusion":true,"exclusionDays":3,"exclusionUntil":"2026-12-01T09:00:00Z"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			_ = json.Unmarshal(b, &got)
			_ = json.Unmarshal([]byte(tt.want), &want)
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("got %s, want %s", b, tt.want)
			}
		})
	}
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    Filter
		wantErr bool
	}{
		{in: "username:$eq:alice", want: Filter{"username", FilterEq, "alice"}},
		{in: "created:$gte:2026-01-01T10:00:00Z", want: Filter{"created", FilterGte, "2026-01-01T10:00:00Z"}},
		{in: "description:$eq:", want: Filter{"description", FilterEq, ""}},
		{in: `department:$in:Finance|IT\|Ops`, want: Filter{"department", FilterIn, []string{"Finance", "IT|Ops"}}},
		{in: "username:eq:alice", wantErr: true},
		{in: "username:$like:alice", wantErr: true},
		{in: ":$eq:alice", wantErr: true},
		{in: "username", wantErr: true},
		{in: "username:$eq", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseFilter(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseFilter(%q) error %v", tt.in, err)
			continue
		}
		if !tt.wantErr && (got.Field != tt.want.Field || got.Op != tt.want.Op || got.String() != tt.want.String()) {
			t.Errorf("ParseFilter(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	for v, want := range map[any]string{nil: "a:$eq:null", true: "a:$eq:true", 3: "a:$eq:3", 1.5: "a:$eq:1.5"} {
		if s := Eq("a", v).String(); s != want {
			t.Errorf("Eq(a, %v) = %q", v, s)
		}
	}
}

func TestObserverFuncsNilSafe(t *testing.T) {
	var o Observer = ObserverFuncs{}
	o.ObserveRequest("get", 200, time.Second)
	o.ObserveRetry("get", "503")
	o.ObserveRateLimitWait(time.Second)
	var n int
	o = ObserverFuncs{Request: func(string, int, time.Duration) { n++ }, Retry: func(string, string) { n++ }, RateLimitWait: func(time.Duration) { n++ }}
	o.ObserveRequest("get", 200, time.Second)
	o.ObserveRetry("get", "503")
	o.ObserveRateLimitWait(time.Second)
	if n != 3 {
		t.Errorf("n = %d", n)
	}
}

func TestRealSleep(t *testing.T) {
	if err := realSleep(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if err := realSleep(c, time.Hour); !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
	if err := realSleep(c, 0); !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("x-api-key") != ""
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	}))
	defer redirector.Close()
	own := &http.Client{}
	c, err := New(Options{BaseURL: redirector.URL + "/api", APIKey: "secret-key", HTTPClient: own, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListUsers(context.Background(), ListOptions{})
	var je *Error
	if !errors.As(err, &je) || je.Kind != KindUnknown || je.StatusCode != http.StatusFound {
		t.Fatalf("err = %v", err)
	}
	if leaked {
		t.Error("the API key followed the redirect")
	}
	if own.CheckRedirect != nil {
		t.Error("the caller's http.Client was modified")
	}
}
