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
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The conformance test drives every endpoint the simulator serves over HTTP and validates each
// request and answer against JumpCloud's own OpenAPI documents (shared/jumpcloud beside the
// repository). Where a document cannot be followed strictly, the allowances below say so, per
// operation and status, with the reason; every allowance must be used, so the list stays true.

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
}

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
	for _, f := range []string{"openapi-v1.yaml", "openapi-v2-usergroups.yaml"} {
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

// requireAPIKey is the x-api-key security scheme: the header must be there.
func requireAPIKey(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "apiKey" || s.In != "header" {
		return fmt.Errorf("unexpected security scheme %q", in.SecuritySchemeName)
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

	var d *apiDoc
	for _, cand := range c.docs {
		if strings.HasPrefix(x.path, cand.prefix+"/") && (d == nil || len(cand.prefix) > len(d.prefix)) {
			d = cand
		}
	}
	req := newRequest()
	route, pathParams, err := d.router.FindRoute(req)
	if err != nil {
		c.violate(x.method+" "+x.path, "no operation of the document: %v", err)
		c.t.Fatalf("%s %s: no operation of the document: %v", x.method, x.path, err)
	}
	opID := route.Operation.OperationID
	endpoint := fmt.Sprintf("%s %s (%s)", x.method, route.Path, opID)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: requireAPIKey, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !x.badRequest {
		if c.requestQuirk(opID, err, body) {
			c.used[allowance{opID, 0}]++
		} else {
			c.violate(endpoint, "request %s: %v", x.path, err)
		}
	}

	resp, err := http.DefaultClient.Do(newRequest())
	if err != nil {
		c.t.Fatalf("%s %s: %v", x.method, x.path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != x.want {
		c.t.Errorf("%s %s: status %d, want %d: %s", x.method, x.path, resp.StatusCode, x.want, answer)
	}

	responses := route.Operation.Responses
	if responses.Status(resp.StatusCode) == nil && responses.Default() == nil {
		a := allowance{opID, resp.StatusCode}
		if _, ok := allowances[a]; !ok {
			c.violate(endpoint, "status %d is not documented: %s", resp.StatusCode, answer)
			return answer
		}
		c.used[a]++
		c.checkErrorBody(d, endpoint, resp, answer)
		return answer
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(answer)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.violate(endpoint, "answer %d to %s: %v", resp.StatusCode, x.path, err)
	} else if resp.StatusCode < 300 {
		c.covered[opID] = true
	}
	return answer
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
	schema := d.doc.Components.Schemas["Error"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
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
	c := &conformance{t: t, base: s.base, docs: []*apiDoc{v1, v2}, violations: map[string][]string{}, covered: map[string]bool{}, used: map[allowance]int{}}
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
