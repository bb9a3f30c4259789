package jcsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// The conformance test drives every endpoint the simulator serves over HTTP and validates each
// request and answer against JumpCloud's own OpenAPI documents (shared/jumpcloud beside the
// repository). Where a document cannot be followed strictly, the allowances below say so, per
// operation and status, with the reason; every allowance must be used, so the list stays true.
//
// For Directory Insights it also validates the requests the real client (package jumpcloud) sends
// to POST /events, through an http.RoundTripper, so that the client and the simulator are held to
// the same document. Only this test imports the client; the simulator itself does not.

// allowance is a known gap of a document, accepted for one operation.
type allowance struct {
	op     string // operationId
	status int    // an error status the operation does not list; 0 for a request-body quirk
}

var allowances = map[allowance]string{
	// The v1 document lists 200 and 401 only, though the 404 of an unknown id is JumpCloud's
	// standard error (trait_standardErrors_404, listed on the action operations).
	{"systemusers_get", 404}: "unknown user id: the standard 404, not listed for this operation",
	// The sshkey operations list 400 only.
	{"sshkey_list", 404}:   "unknown user id: the standard 404, not listed for this operation",
	{"sshkey_delete", 404}: "unknown key id: the standard 404, not listed for this operation",
	// The document types the activate body's email as an object, while its description (and
	// JumpCloud's tools) send true, false or an address.
	{"systemusers_state_activate", 0}: `body "email" is typed object, but the description documents true, false or an address`,
	// The v2 operations list no error answers (only groups_user_list has a default Error).
	// The bodies are still checked against the document's Error schema.
	{"groups_user_post", 400}:           "invalid group: no error answer is documented",
	{"groups_user_post", 409}:           "duplicate group name: no error answer is documented",
	{"groups_user_get", 404}:            "unknown group: no error answer is documented",
	{"groups_user_put", 409}:            "name of another group: no error answer is documented",
	{"groups_user_delete", 404}:         "unknown group: no error answer is documented",
	{"graph_userGroupMembersPost", 400}: "member change refused on a dynamic group: no error answer is documented",
	{"graph_userGroupMembersPost", 404}: "removing a non-member: no error answer is documented",
	{"graph_userGroupMembersPost", 409}: "adding a member twice: no error answer is documented",
	{"graph_userGroupMembersList", 404}: "unknown group: no error answer is documented",
	{"graph_userMemberOf", 404}:         "unknown user: no error answer is documented",
}

// documentedOps are the operations the simulator implements; each must be exercised with a
// validated success.
var documentedOps = []string{
	"systemusers_list", "systemusers_post", "systemusers_get", "systemusers_put", "systemusers_delete",
	"search_systemusers_post", "systemusers_state_activate", "systemusers_state_suspend",
	"systemusers_unlock", "systemusers_expire", "systemusers_resetmfa",
	"sshkey_list", "sshkey_post", "sshkey_delete",
	"groups_user_list", "groups_user_post", "groups_user_get", "groups_user_put", "groups_user_delete",
	"graph_userGroupMembersList", "graph_userGroupMembersPost", "graph_userGroupMembership", "graph_userMemberOf",
	"directoryInsights_eventsPost", "directoryInsights_eventsCountPost",
}

// insightsDoc is the Directory Insights subset.
const insightsDoc = "openapi-insights-events.yaml"

// jumpcloudDocs finds ../shared/jumpcloud beside the repository root (the directory with go.mod).
func jumpcloudDocs(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	docs := filepath.Join(dir, "..", "shared", "jumpcloud")
	for _, f := range []string{"openapi-v1.yaml", "openapi-v2-usergroups.yaml", insightsDoc} {
		if _, err := os.Stat(filepath.Join(docs, f)); err != nil {
			t.Skip("JumpCloud's documents are not in ../shared/jumpcloud; the conformance test needs them")
		}
	}
	return docs
}

// apiDoc is one loaded document, its servers pointed at the simulator.
type apiDoc struct {
	prefix string // the API path below which its paths hang ("/api" or "/api/v2")
	doc    *openapi3.T
	router routers.Router
}

func loadDoc(t *testing.T, file, serverURL, prefix string, patch func(*openapi3.T)) *apiDoc {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if patch != nil {
		patch(doc)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &apiDoc{prefix: prefix, doc: doc, router: r}
}

// conformance runs exchanges and collects violations by endpoint.
type conformance struct {
	t          *testing.T
	base       string // http://127.0.0.1:PORT
	docs       []*apiDoc
	violations map[string][]string
	covered    map[string]bool
	used       map[allowance]int
}

// exchange is one request of the scenario. badRequest marks a request that breaks the document
// on purpose (to see the error answer): its request violations are expected, not reported.
type exchange struct {
	method, path string
	body         any
	want         int
	header       []string
	badRequest   bool
}

// requireAPIKey is the x-api-key security scheme: the header must be there. The insights document
// also lists an x-org-id scheme beside it, which only multi-tenant keys need: it is not required.
func requireAPIKey(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "apiKey" || s.In != "header" {
		return fmt.Errorf("unexpected security scheme %q", in.SecuritySchemeName)
	}
	if s.Name == "x-org-id" {
		return nil
	}
	if in.RequestValidationInput.Request.Header.Get(s.Name) == "" {
		return in.NewError(nil)
	}
	return nil
}

func (c *conformance) violate(endpoint, format string, args ...any) {
	c.violations[endpoint] = append(c.violations[endpoint], fmt.Sprintf(format, args...))
}

// do runs one exchange and returns the answer's body.
func (c *conformance) do(x exchange) []byte {
	c.t.Helper()
	var body []byte
	switch b := x.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		body, _ = json.Marshal(b)
	}
	newRequest := func() *http.Request {
		req, err := http.NewRequest(x.method, c.base+x.path, bytes.NewReader(body))
		if err != nil {
			c.t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("x-api-key", key)
		for i := 0; i+1 < len(x.header); i += 2 {
			req.Header.Set(x.header[i], x.header[i+1])
		}
		return req
	}
	_, answer := c.roundTrip(newRequest, body, x.want, x.badRequest)
	return answer
}

// roundTrip validates the request newRequest makes (body is its body), sends it, checks its
// status (want 0: any) and validates the answer, which it returns read.
func (c *conformance) roundTrip(newRequest func() *http.Request, body []byte, want int, badRequest bool) (*http.Response, []byte) {
	c.t.Helper()
	req := newRequest()
	path := req.URL.Path
	var d *apiDoc
	for _, cand := range c.docs {
		if strings.HasPrefix(path, cand.prefix+"/") && (d == nil || len(cand.prefix) > len(d.prefix)) {
			d = cand
		}
	}
	if d == nil {
		c.t.Fatalf("%s %s: no document for the path", req.Method, path)
	}
	route, pathParams, err := d.router.FindRoute(req)
	if err != nil {
		c.violate(req.Method+" "+path, "no operation of the document: %v", err)
		c.t.Fatalf("%s %s: no operation of the document: %v", req.Method, path, err)
	}
	opID := route.Operation.OperationID
	endpoint := fmt.Sprintf("%s %s (%s)", req.Method, route.Path, opID)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: requireAPIKey, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !badRequest {
		if c.requestQuirk(opID, err, body) {
			c.used[allowance{opID, 0}]++
		} else {
			c.violate(endpoint, "request %s: %v", path, err)
		}
	}

	resp, err := http.DefaultClient.Do(newRequest())
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if want != 0 && resp.StatusCode != want {
		c.t.Errorf("%s %s: status %d, want %d: %s", req.Method, path, resp.StatusCode, want, answer)
	}

	responses := route.Operation.Responses
	if responses.Status(resp.StatusCode) == nil && responses.Default() == nil {
		a := allowance{opID, resp.StatusCode}
		if _, ok := allowances[a]; !ok {
			c.violate(endpoint, "status %d is not documented: %s", resp.StatusCode, answer)
			return resp, answer
		}
		c.used[a]++
		c.checkErrorBody(d, endpoint, resp, answer)
		return resp, answer
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(answer)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.violate(endpoint, "answer %d to %s: %v", resp.StatusCode, path, err)
	} else if resp.StatusCode < 300 {
		c.covered[opID] = true
	}
	if opID == "directoryInsights_eventsPost" && resp.StatusCode == http.StatusOK {
		c.checkEventHeaders(endpoint, resp.Header, answer)
	}
	return resp, answer
}

// checkEventHeaders checks the paging headers of an /events answer, which the document describes
// in prose only: X-Result-Count (the rows answered), X-Limit, X-Sort (ASC or DESC) and
// X-Search_after (a JSON array, present even on the last page).
func (c *conformance) checkEventHeaders(endpoint string, h http.Header, answer []byte) {
	var rows []json.RawMessage
	if err := json.Unmarshal(answer, &rows); err != nil {
		c.violate(endpoint, "answer is not an array: %v", err)
		return
	}
	if n, err := strconv.Atoi(h.Get("X-Result-Count")); err != nil || n != len(rows) {
		c.violate(endpoint, "X-Result-Count %q for %d rows", h.Get("X-Result-Count"), len(rows))
	}
	if n, err := strconv.Atoi(h.Get("X-Limit")); err != nil || n < 1 || n > 10000 {
		c.violate(endpoint, "X-Limit %q", h.Get("X-Limit"))
	}
	if s := h.Get("X-Sort"); s != "ASC" && s != "DESC" {
		c.violate(endpoint, "X-Sort %q", s)
	}
	var after []any
	if err := json.Unmarshal([]byte(h.Get("X-Search_after")), &after); err != nil || len(rows) > 0 && len(after) != 2 {
		c.violate(endpoint, "X-Search_after %q is not [millis, id]", h.Get("X-Search_after"))
	}
}

// validatingTransport sends a client's requests through the conformance check.
type validatingTransport struct{ c *conformance }

func (v validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	newRequest := func() *http.Request {
		r := req.Clone(req.Context())
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return r
	}
	resp, answer := v.c.roundTrip(newRequest, body, 0, false)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	return resp, nil
}

// checkErrorBody validates an error answer of an undocumented status against the document's
// Error schema.
func (c *conformance) checkErrorBody(d *apiDoc, endpoint string, resp *http.Response, answer []byte) {
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.violate(endpoint, "error %d is %q, not JSON", resp.StatusCode, ct)
		return
	}
	var v any
	if err := json.Unmarshal(answer, &v); err != nil {
		c.violate(endpoint, "error %d: %v", resp.StatusCode, err)
		return
	}
	ref := d.doc.Components.Schemas["Error"]
	if ref == nil {
		ref = d.doc.Components.Schemas["ErrorMessage"] // the insights document's
	}
	if err := ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		c.violate(endpoint, "error %d does not match Error: %v", resp.StatusCode, err)
	}
}

// requestQuirk reports whether err is the activate body quirk, and the body is what the
// operation's description documents: {} or email true, false or an address.
func (c *conformance) requestQuirk(opID string, err error, body []byte) bool {
	var re *openapi3filter.RequestError
	if _, ok := allowances[allowance{opID, 0}]; !ok || !errors.As(err, &re) || re.RequestBody == nil {
		return false
	}
	var b map[string]any
	if json.Unmarshal(body, &b) != nil {
		return false
	}
	for k, v := range b {
		if k != "email" {
			return false
		}
		switch e := v.(type) {
		case bool:
		case string:
			if _, err := mail.ParseAddress(e); err != nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// patchInsightsDoc returns the in-memory corrections of the insights subset, each with its
// reason. The file on disk stays as JumpCloud publishes it.
func patchInsightsDoc(t *testing.T) func(*openapi3.T) {
	return func(doc *openapi3.T) {
		// Like the v2 subset, operations name the security schemes x-api-key and x-org-id
		// without defining them; JumpCloud's other documents define both as API keys in headers.
		if doc.Components.SecuritySchemes == nil {
			doc.Components.SecuritySchemes = openapi3.SecuritySchemes{}
		}
		for _, name := range []string{"x-api-key", "x-org-id"} {
			if _, ok := doc.Components.SecuritySchemes[name]; !ok {
				doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName(name)}
			}
		}
		// search_after is typed as a list of objects, while the document's own description
		// (and every example of it) sends the X-Search_after header's [1576181718000,
		// "DZrPyW8BNsa9iKWoOm7h"]: a number and a string. Its items are left untyped.
		q := doc.Components.Schemas["EventQuery"]
		var items *openapi3.SchemaRef
		if q != nil && q.Value != nil {
			for _, part := range q.Value.AllOf {
				if p := part.Value.Properties["search_after"]; p != nil && p.Value != nil {
					items = p.Value.Items
				}
			}
		}
		if items == nil || items.Value == nil || !items.Value.Type.Is("object") {
			t.Fatal("the insights document no longer types search_after's items as objects: drop the correction")
		}
		items.Ref, items.Value = "", &openapi3.Schema{}
	}
}

// insightsScenario queries the events of the scenario's changes, directly and through the
// client.
func (c *conformance) insightsScenario(s *tsim, api string) {
	t := c.t
	const events = "/insights/directory/v1/events"
	start := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	c.do(exchange{method: "POST", path: events, want: 200, body: map[string]any{"service": []any{"directory"}, "start_time": start}})
	c.do(exchange{method: "POST", path: events, want: 200, body: map[string]any{
		"service": []any{"all"}, "start_time": start, "end_time": end, "sort": "desc", "limit": 2,
		"fields":      []any{"id", "event_type", "timestamp", "resource.id"},
		"search_term": map[string]any{"or": map[string]any{"event_type": []any{"user_create", "group_create"}}},
	}})
	c.do(exchange{method: "POST", path: events, want: 200, body: map[string]any{
		"service": []any{"directory"}, "start_time": start, "search_after": []any{time.Now().Add(time.Hour).UnixMilli(), "x"},
	}})
	c.do(exchange{method: "POST", path: events + "/count", want: 200, body: map[string]any{
		"service": []any{"directory"}, "start_time": start, "search_term": map[string]any{"and": map[string]any{"association.op": "add"}},
	}})
	c.do(exchange{method: "POST", path: events, want: 400, body: map[string]any{"start_time": start}, badRequest: true})
	c.do(exchange{method: "POST", path: events, want: 400, body: map[string]any{"service": []any{"directory"}, "start_time": "yesterday"}, badRequest: true})
	c.do(exchange{method: "POST", path: events, want: 401, header: []string{"x-api-key", "wrong"}, body: map[string]any{"service": []any{"directory"}, "start_time": start}})
	s.UpdateKnobs(func(k *Knobs) { k.InsightsDisabled = true })
	c.do(exchange{method: "POST", path: events, want: 402, body: map[string]any{"service": []any{"directory"}, "start_time": start}})
	c.do(exchange{method: "POST", path: events + "/count", want: 402, body: map[string]any{"service": []any{"directory"}, "start_time": start}})
	s.UpdateKnobs(func(k *Knobs) { k.InsightsDisabled = false })

	// The client's requests: every page of the events, then a filtered query.
	client, err := jumpcloud.New(jumpcloud.Options{BaseURL: api, APIKey: key, RequestsPerSecond: -1, HTTPClient: &http.Client{Transport: validatingTransport{c}}})
	if err != nil {
		t.Fatal(err)
	}
	q := jumpcloud.EventQuery{Start: time.Now().Add(-time.Hour), End: time.Now().Add(time.Hour), Limit: 7}
	var seen int
	for pages := 0; ; pages++ {
		page, err := client.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Events)
		if !page.More {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		q.SearchAfter = page.SearchAfter
	}
	if want := len(s.Events()); seen != want || seen < 8 {
		t.Errorf("the client paged through %d events, want all %d", seen, want)
	}
	page, err := client.Events(context.Background(), jumpcloud.EventQuery{Start: time.Now().Add(-time.Hour), EventTypes: []string{"Association_Change"}, Services: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) == 0 || page.More {
		t.Errorf("association changes: %d events, more %t", len(page.Events), page.More)
	}
}

// idOf reads the "_id" or "id" of a JSON object.
func idOf(t *testing.T, b []byte) string {
	t.Helper()
	var m struct {
		V1 string `json:"_id"`
		V2 string `json:"id"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m.V1 + m.V2
}

func TestConformance(t *testing.T) {
	docs := jumpcloudDocs(t)
	s := start(t, Options{})
	api := s.base + "/api"
	v1 := loadDoc(t, filepath.Join(docs, "openapi-v1.yaml"), api, "/api", nil)
	v2 := loadDoc(t, filepath.Join(docs, "openapi-v2-usergroups.yaml"), api+"/v2", "/api/v2", func(doc *openapi3.T) {
		// The v2 subset keeps every operation's "security: x-api-key" but not the scheme, which
		// the full document defines like v1's: an API key in the x-api-key header.
		if doc.Components.SecuritySchemes == nil {
			doc.Components.SecuritySchemes = openapi3.SecuritySchemes{}
		}
		if _, ok := doc.Components.SecuritySchemes["x-api-key"]; !ok {
			doc.Components.SecuritySchemes["x-api-key"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("x-api-key")}
		}
	})
	insights := loadDoc(t, filepath.Join(docs, insightsDoc), s.base+"/insights/directory/v1", "/insights/directory/v1", patchInsightsDoc(t))
	c := &conformance{t: t, base: s.base, docs: []*apiDoc{v1, v2, insights}, violations: map[string][]string{}, covered: map[string]bool{}, used: map[allowance]int{}}
	const missing = "0123456789abcdef01234567"

	// v1 system users.
	boss := idOf(t, c.do(exchange{method: "POST", path: "/api/systemusers", want: 200, body: map[string]any{
		"username": "boss", "email": "boss@example.com", "firstname": "Big", "lastname": "Boss", "department": "IT",
		"jobTitle": "CTO", "employeeIdentifier": "E-1", "password": "Corr3ct-Horse!", "sudo": true, "unix_uid": 5001, "unix_guid": 5001,
		"phoneNumbers":  []any{map[string]any{"type": "work", "number": "+49 30 1234"}},
		"addresses":     []any{map[string]any{"type": "work", "locality": "Berlin", "country": "DE"}},
		"attributes":    []any{map[string]any{"name": "team", "value": "platform"}},
		"relationships": []any{map[string]any{"type": "manager", "value": "x"}},
		"recoveryEmail": map[string]any{"address": "boss@recovery.example.com"},
		"mfa":           map[string]any{"exclusion": true, "exclusionUntil": "2030-01-01T00:00:00Z"},
	}}))
	worker := idOf(t, c.do(exchange{method: "POST", path: "/api/systemusers", want: 200, body: map[string]any{
		"username": "worker", "email": "worker@example.com", "manager": boss, "department": "IT", "state": "STAGED",
	}}))
	c.do(exchange{method: "POST", path: "/api/systemusers", want: 400, body: map[string]any{"username": "boss", "email": "other@example.com"}})
	c.do(exchange{method: "POST", path: "/api/systemusers?fullValidationDetails=password", want: 400, body: map[string]any{"username": "weak", "email": "weak@example.com", "password": "weak"}})
	c.do(exchange{method: "GET", path: "/api/systemusers", want: 200})
	c.do(exchange{method: "GET", path: "/api/systemusers?limit=1&skip=1&sort=-username&fields=username%20email%20manager&filter=department:$eq:IT", want: 200})
	c.do(exchange{method: "GET", path: "/api/systemusers", want: 401, header: []string{"x-api-key", "wrong"}})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + boss, want: 200})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + worker + "?fields=manager%20state", want: 200})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + missing, want: 404})
	c.do(exchange{method: "PUT", path: "/api/systemusers/" + worker, want: 200, body: map[string]any{
		"jobTitle": "Engineer", "manager": "", "ssh_keys": []any{map[string]any{"name": "laptop", "public_key": FakePublicKey("laptop")}},
	}})
	c.do(exchange{method: "PUT", path: "/api/systemusers/" + worker, want: 400, body: map[string]any{"email": "not-an-address"}})
	c.do(exchange{method: "POST", path: "/api/search/systemusers", want: 200, body: map[string]any{
		"filter": map[string]any{"or": []any{map[string]any{"department": "IT"}}}, "searchFilter": map[string]any{"searchTerm": "o", "fields": []any{"username"}},
		"fields": "username email memberof", "limit": 10, "skip": 0,
	}})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + worker + "/state/activate", want: 200, body: map[string]any{}})
	staged := idOf(t, c.do(exchange{method: "POST", path: "/api/systemusers", want: 200, body: map[string]any{"username": "staged", "email": "staged@example.com", "state": "STAGED"}}))
	c.do(exchange{method: "POST", path: "/api/systemusers/" + staged + "/state/activate", want: 200, body: map[string]any{"email": false}})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + staged + "/state/suspend", want: 200})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + staged + "/state/activate", want: 409, body: map[string]any{"email": "staged@example.com"}})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + missing + "/state/suspend", want: 404})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/unlock", want: 200})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/expire", want: 200})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/resetmfa", want: 200, body: map[string]any{"exclusion": true, "exclusionDays": 7}})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/resetmfa", want: 400, body: map[string]any{"exclusion": true, "exclusionDays": 0}, badRequest: true})
	c.do(exchange{method: "POST", path: "/api/systemusers/" + missing + "/unlock", want: 404})

	// v1 SSH keys.
	c.do(exchange{method: "GET", path: "/api/systemusers/" + boss + "/sshkeys", want: 200})
	keyID := idOf(t, c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/sshkeys", want: 200, body: map[string]any{"name": "laptop", "public_key": FakePublicKey("boss@laptop")}}))
	c.do(exchange{method: "POST", path: "/api/systemusers/" + boss + "/sshkeys", want: 400, body: map[string]any{"name": "broken", "public_key": "ssh-rsa AAAA"}})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + boss + "/sshkeys", want: 200})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + missing + "/sshkeys", want: 404})
	c.do(exchange{method: "GET", path: "/api/systemusers/" + boss, want: 200})
	c.do(exchange{method: "DELETE", path: "/api/systemusers/" + boss + "/sshkeys/" + keyID, want: 200})
	c.do(exchange{method: "DELETE", path: "/api/systemusers/" + boss + "/sshkeys/" + keyID, want: 404})

	// v2 user groups.
	static := idOf(t, c.do(exchange{method: "POST", path: "/api/v2/usergroups", want: 201, body: map[string]any{
		"name": "admins", "description": "the admins", "email": "admins@example.com",
		"attributes": map[string]any{
			"sudo":         map[string]any{"enabled": true, "withoutPassword": false},
			"posixGroups":  []any{map[string]any{"id": 5000, "name": "admins"}},
			"ldapGroups":   []any{map[string]any{"name": "admins"}},
			"radius":       map[string]any{"reply": []any{map[string]any{"name": "Class", "value": "admin"}}},
			"sambaEnabled": true,
		},
		"memberSuggestionsNotify": false,
	}}))
	dynamic := idOf(t, c.do(exchange{method: "POST", path: "/api/v2/usergroups", want: 201, body: map[string]any{
		"name": "it", "membershipMethod": MembershipAutomated,
		"memberQuery":           map[string]any{"queryType": "FilterQuery", "filters": []any{map[string]any{"field": "department", "operator": "eq", "value": "IT"}}},
		"memberQueryExemptions": []any{map[string]any{"id": staged, "type": "user"}},
	}}))
	review := idOf(t, c.do(exchange{method: "POST", path: "/api/v2/usergroups", want: 201, header: []string{"x-query-dsl", "v2"}, body: map[string]any{
		"name": "review", "membershipMethod": MembershipReviewRequired,
		"memberQuery": map[string]any{"filters": []any{map[string]any{"field": "department", "operation": "eq", "value": "IT"}}},
	}}))
	c.do(exchange{method: "POST", path: "/api/v2/usergroups", want: 409, body: map[string]any{"name": "admins"}})
	c.do(exchange{method: "POST", path: "/api/v2/usergroups", want: 400, body: map[string]any{"description": "no name"}, badRequest: true})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups?limit=2&skip=1&sort=-name&fields=name,membershipMethod&filter=type:eq:user_group", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups?filter=name:like:x", want: 400})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups", want: 401, header: []string{"x-api-key", "wrong"}})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + static, want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + review, want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + missing, want: 404})
	c.do(exchange{method: "PUT", path: "/api/v2/usergroups/" + static, want: 200, body: map[string]any{
		"name": "administrators", "description": "renamed", "attributes": map[string]any{"sudo": map[string]any{"enabled": true, "withoutPassword": true}},
	}})
	c.do(exchange{method: "PUT", path: "/api/v2/usergroups/" + static, want: 409, body: map[string]any{"name": "it"}})
	for _, u := range []string{boss, worker} {
		c.do(exchange{method: "POST", path: "/api/v2/usergroups/" + static + "/members", want: 204, body: map[string]any{"op": "add", "type": "user", "id": u}})
	}
	c.do(exchange{method: "POST", path: "/api/v2/usergroups/" + static + "/members", want: 409, body: map[string]any{"op": "add", "type": "user", "id": boss}})
	c.do(exchange{method: "POST", path: "/api/v2/usergroups/" + static + "/members", want: 204, body: map[string]any{"op": "remove", "type": "user", "id": worker}})
	c.do(exchange{method: "POST", path: "/api/v2/usergroups/" + static + "/members", want: 404, body: map[string]any{"op": "remove", "type": "user", "id": worker}})
	c.do(exchange{method: "POST", path: "/api/v2/usergroups/" + dynamic + "/members", want: 400, body: map[string]any{"op": "add", "type": "user", "id": staged}})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + static + "/members", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + dynamic + "/members?limit=1&skip=1", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + missing + "/members", want: 404})
	c.do(exchange{method: "GET", path: "/api/v2/usergroups/" + dynamic + "/membership?filter=type:eq:user&sort=-id&limit=5&skip=0", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/users/" + boss + "/memberof", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/users/" + boss + "/memberof?filter=type:eq:user_group&sort=id&limit=1", want: 200})
	c.do(exchange{method: "GET", path: "/api/v2/users/" + missing + "/memberof", want: 404})
	c.do(exchange{method: "POST", path: "/api/search/systemusers", want: 200, body: map[string]any{"fields": "username memberof"}})
	c.do(exchange{method: "DELETE", path: "/api/v2/usergroups/" + review, want: 200})
	s.UpdateKnobs(func(k *Knobs) { k.GroupDeleteNoContent = true })
	c.do(exchange{method: "DELETE", path: "/api/v2/usergroups/" + dynamic, want: 204})
	c.do(exchange{method: "DELETE", path: "/api/v2/usergroups/" + dynamic, want: 404})

	// Directory Insights: the events of the changes above.
	c.insightsScenario(s, api)

	// Deleting users, last: a manager needs cascade_manager.
	c.do(exchange{method: "PUT", path: "/api/systemusers/" + worker, want: 200, body: map[string]any{"manager": boss}})
	c.do(exchange{method: "DELETE", path: "/api/systemusers/" + boss, want: 409})
	c.do(exchange{method: "DELETE", path: "/api/systemusers/" + boss + "?cascade_manager=null", want: 200})
	c.do(exchange{method: "DELETE", path: "/api/systemusers/" + worker, want: 200})

	// The report.
	endpoints := make([]string, 0, len(c.violations))
	for e := range c.violations {
		endpoints = append(endpoints, e)
	}
	sort.Strings(endpoints)
	n := 0
	for _, e := range endpoints {
		for _, v := range c.violations[e] {
			t.Errorf("%s: %s", e, v)
			n++
		}
	}
	for _, op := range documentedOps {
		if !c.covered[op] {
			t.Errorf("%s: no validated success", op)
		}
	}
	for a, reason := range allowances {
		if c.used[a] == 0 {
			t.Errorf("allowance %s %d (%s) was not needed: remove it", a.op, a.status, reason)
		}
	}
	used := slices.SortedFunc(maps.Keys(c.used), func(a, b allowance) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	for _, a := range used {
		t.Logf("allowed %d× %s %d: %s", c.used[a], a.op, a.status, allowances[a])
	}
	t.Logf("%d violations, %d operations validated", n, len(c.covered))
}
