package jcsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// maxBodyBytes bounds request bodies.
const maxBodyBytes = 1 << 20

// Server is the simulator. It is an http.Handler serving the API under /api, the Directory
// Insights events under /insights/directory/v1 and the admin endpoints under /_sim/. All methods
// are safe for concurrent use.
type Server struct {
	now        func() time.Time
	adminToken string
	onRequest  func(Request)

	mu         sync.RWMutex // guards orgs, keys and the id generator
	orgs       map[string]*org
	keys       map[string][]string
	idCounter  uint64
	lastIDTime uint32

	knobsMu sync.RWMutex
	knobs   Knobs

	faultMu  sync.Mutex
	rng      *rand.Rand
	queued   []Fault
	limiters map[string]*rate.Limiter

	hook atomic.Pointer[Hook]

	log requestLog

	// events are the Directory Insights events (events.go).
	events eventStore

	httpMu  sync.Mutex
	httpSrv *http.Server
	baseURL string
}

// New builds a Server from opts.
func New(opts Options) *Server {
	s := &Server{
		now:        opts.Now,
		adminToken: opts.AdminToken,
		onRequest:  opts.OnRequest,
		orgs:       map[string]*org{},
		keys:       map[string][]string{},
		knobs:      opts.Knobs.withDefaults(),
		limiters:   map[string]*rate.Limiter{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 0x5eed
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.log.init(opts.RequestLogSize)
	s.events.init(opts.EventLogSize)
	for key, orgs := range opts.APIKeys {
		s.AddAPIKey(key, orgs...)
	}
	return s
}

// AddAPIKey accepts key for the given organizations (DefaultOrg when none), creating them.
func (s *Server) AddAPIKey(key string, orgs ...string) {
	if len(orgs) == 0 {
		orgs = []string{DefaultOrg}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range orgs {
		if !slices.Contains(s.keys[key], o) {
			s.keys[key] = append(s.keys[key], o)
		}
		if s.orgs[o] == nil {
			s.orgs[o] = newOrg(o)
		}
	}
}

// Orgs returns the organization ids, sorted.
func (s *Server) Orgs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.orgs))
	for id := range s.orgs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Start serves the simulator on 127.0.0.1 at a free port and returns the API base URL,
// http://127.0.0.1:PORT/api. Close stops it.
func (s *Server) Start() (string, error) {
	if u := s.URL(); u != "" {
		return u, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.httpMu.Lock()
	s.httpSrv = srv
	s.baseURL = "http://" + ln.Addr().String() + "/api"
	url := s.baseURL
	s.httpMu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return url, nil
}

// URL returns the API base URL while started ("" before Start and after Close).
func (s *Server) URL() string {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	return s.baseURL
}

// Close stops a server started with Start, closing open connections. Hooks still blocking are
// not waited for.
func (s *Server) Close() error {
	s.httpMu.Lock()
	srv := s.httpSrv
	s.httpSrv, s.baseURL = nil, ""
	s.httpMu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Knobs returns the current knobs (defaults filled in).
func (s *Server) Knobs() Knobs {
	s.knobsMu.RLock()
	defer s.knobsMu.RUnlock()
	return s.knobs
}

// SetKnobs replaces all knobs (zero fields take their defaults).
func (s *Server) SetKnobs(k Knobs) {
	s.knobsMu.Lock()
	old := s.knobs
	s.knobs = k.withDefaults()
	newCI := s.knobs.UsernameRules.CaseInsensitiveUnique
	newGroupCI := s.knobs.GroupNameCaseInsensitive
	s.knobsMu.Unlock()
	if old.RateLimit != k.RateLimit {
		s.faultMu.Lock()
		s.limiters = map[string]*rate.Limiter{}
		s.faultMu.Unlock()
	}
	if old.UsernameRules.CaseInsensitiveUnique != newCI || old.GroupNameCaseInsensitive != newGroupCI {
		s.mu.Lock()
		for _, o := range s.orgs {
			o.reindexAll(newCI)
			o.reindexGroups(newGroupCI)
		}
		s.mu.Unlock()
	}
}

// UpdateKnobs applies fn to a copy of the knobs and installs the result.
func (s *Server) UpdateKnobs(fn func(*Knobs)) {
	k := s.Knobs()
	if k.UsernameRules != nil {
		r := *k.UsernameRules
		k.UsernameRules = &r
	}
	if k.PasswordPolicy != nil {
		p := *k.PasswordPolicy
		k.PasswordPolicy = &p
	}
	fn(&k)
	s.SetKnobs(k)
}

// SetDefaultState sets the state of users created without one (StateActivated or StateStaged).
func (s *Server) SetDefaultState(state string) {
	s.UpdateKnobs(func(k *Knobs) { k.DefaultState = state })
}

// SetDuplicateStatus sets the status of uniqueness clashes (400 or 409).
func (s *Server) SetDuplicateStatus(code int) {
	s.UpdateKnobs(func(k *Knobs) { k.DuplicateStatus = code })
}

// SetUsernameRules replaces the username rules.
func (s *Server) SetUsernameRules(r UsernameRules) {
	s.UpdateKnobs(func(k *Knobs) { k.UsernameRules = &r })
}

// SetPasswordPolicy replaces the password policy.
func (s *Server) SetPasswordPolicy(p PasswordPolicy) {
	s.UpdateKnobs(func(k *Knobs) { k.PasswordPolicy = &p })
}

// SetSuspendRouteEnabled enables or disables POST /systemusers/{id}/state/suspend.
func (s *Server) SetSuspendRouteEnabled(enabled bool) {
	s.UpdateKnobs(func(k *Knobs) { k.DisableSuspendRoute = !enabled })
}

// SetLatency sets the latency added to each request and its random jitter.
func (s *Server) SetLatency(fixed, jitter time.Duration) {
	s.UpdateKnobs(func(k *Knobs) { k.Latency, k.Jitter = fixed, jitter })
}

// SetRateLimit sets the server-side rate limit (per API key); RPS 0 disables it.
func (s *Server) SetRateLimit(r RateLimit) { s.UpdateKnobs(func(k *Knobs) { k.RateLimit = r }) }

// SetFaults sets the random fault injection.
func (s *Server) SetFaults(f Faults) { s.UpdateKnobs(func(k *Knobs) { k.Faults = f }) }

// FailNext makes the next n requests of op (or "*") fail with code, without running them.
func (s *Server) FailNext(op string, n, code int) {
	s.InjectFault(Fault{Op: op, Times: n, Code: code})
}

// InjectFault queues a deterministic fault. Faults are used in the order they were queued.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.queued = append(s.queued, f)
}

// ClearFaults drops queued faults.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.queued = nil
}

// SetHook installs fn to run before each operation (nil removes it). See Hook.
func (s *Server) SetHook(fn Hook) {
	if fn == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&fn)
}

// routed is where route sends a request: the operation, the ids in the path and whether it is an
// API v2 route; status is non-zero for a path or method the API does not have.
type routed struct {
	op     string
	id     string // the user (v1, sshkey-*, memberof) or group (group-*, member-*, membership)
	sub    string // the SSH key of sshkey-delete
	v2     bool
	group  bool // id is a group's
	status int
}

// v1Actions maps the action paths below /systemusers/{id}/ to their operations.
var v1Actions = map[string]string{
	"state/activate": "activate", "state/suspend": "suspend", "unlock": "unlock",
	"expire": "expire", "resetmfa": "resetmfa",
}

// byMethod picks the operation of method among ops, or answers 405.
func byMethod(method string, ops map[string]string, rt routed) routed {
	if op, ok := ops[method]; ok {
		rt.op = op
		return rt
	}
	rt.op, rt.status = "unknown", http.StatusMethodNotAllowed
	return rt
}

// route maps a path below /api to its operation.
func route(method, path string) routed {
	path = strings.TrimSuffix(path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) > 0 && parts[0] == "v2" {
		return routeV2(method, parts[1:])
	}
	notFound := routed{op: "unknown", status: http.StatusNotFound}
	switch {
	case len(parts) == 1 && parts[0] == "systemusers":
		return byMethod(method, map[string]string{http.MethodGet: "list", http.MethodPost: "create"}, routed{})
	case len(parts) == 2 && parts[0] == "search" && parts[1] == "systemusers":
		return byMethod(method, map[string]string{http.MethodPost: "search"}, routed{})
	case len(parts) >= 2 && parts[0] == "systemusers" && parts[1] != "":
		rt := routed{id: parts[1]}
		rest := strings.Join(parts[2:], "/")
		switch {
		case rest == "":
			return byMethod(method, map[string]string{http.MethodGet: "get", http.MethodPut: "update", http.MethodDelete: "delete"}, rt)
		case v1Actions[rest] != "":
			return byMethod(method, map[string]string{http.MethodPost: v1Actions[rest]}, rt)
		case rest == "sshkeys":
			return byMethod(method, map[string]string{http.MethodGet: "sshkey-list", http.MethodPost: "sshkey-add"}, rt)
		case len(parts) == 4 && parts[2] == "sshkeys" && parts[3] != "":
			rt.sub = parts[3]
			return byMethod(method, map[string]string{http.MethodDelete: "sshkey-delete"}, rt)
		}
	}
	return notFound
}

// routeV2 maps a path below /api/v2 to its operation.
func routeV2(method string, parts []string) routed {
	rt := routed{v2: true}
	switch {
	case len(parts) == 1 && parts[0] == "usergroups":
		return byMethod(method, map[string]string{http.MethodGet: "group-list", http.MethodPost: "group-create"}, rt)
	case len(parts) >= 2 && parts[0] == "usergroups" && parts[1] != "":
		rt.id, rt.group = parts[1], true
		switch strings.Join(parts[2:], "/") {
		case "":
			return byMethod(method, map[string]string{http.MethodGet: "group-get", http.MethodPut: "group-update", http.MethodDelete: "group-delete"}, rt)
		case "members":
			// member-add becomes member-remove once the body is read (see memberOpName).
			return byMethod(method, map[string]string{http.MethodGet: "member-list", http.MethodPost: "member-add"}, rt)
		case "membership":
			return byMethod(method, map[string]string{http.MethodGet: "membership"}, rt)
		}
	case len(parts) == 3 && parts[0] == "users" && parts[1] != "" && parts[2] == "memberof":
		rt.id = parts[1]
		return byMethod(method, map[string]string{http.MethodGet: "memberof"}, rt)
	}
	return routed{op: "unknown", v2: true, status: http.StatusNotFound}
}

// response is an answer being built; it is written (or dropped) once the operation ran.
type response struct {
	status int
	header http.Header
	body   []byte
	v2     bool // errors take API v2's shape
	// insights: errors take the Directory Insights API's shape (ErrorMessage).
	insights bool
}

func newResponse() *response { return &response{header: http.Header{}} }

func (r *response) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"message":"encoding failed","status":"Internal Server Error"}`)
	}
	r.raw(status, "application/json; charset=utf-8", b)
}

func (r *response) raw(status int, contentType string, b []byte) {
	r.status = status
	if contentType != "" {
		r.header.Set("Content-Type", contentType)
	}
	r.body = b
}

// errorBody is JumpCloud's Error / ErrorDetails shape.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []any  `json:"details,omitempty"`
}

// v2ErrorBody is API v2's Error: status is a machine-readable code such as "nullName", left out
// on generic errors.
type v2ErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status,omitempty"`
}

// error writes JumpCloud's error body: v1's status is the status text, v2's is left out, and the
// insights API's has the message only.
func (r *response) error(status int, msg string) {
	if r.insights {
		r.json(status, insightsError{Message: msg})
		return
	}
	if r.v2 {
		r.json(status, v2ErrorBody{Code: status, Message: msg})
		return
	}
	r.json(status, errorBody{Code: status, Message: msg, Status: http.StatusText(status)})
}

// badRequest writes a 400 with a machine-readable reason (v2's status; v1 keeps the text).
func (r *response) badRequest(msg, reason string) {
	if r.v2 {
		r.json(http.StatusBadRequest, v2ErrorBody{Code: http.StatusBadRequest, Message: msg, Status: reason})
		return
	}
	r.error(http.StatusBadRequest, msg)
}

func (r *response) writeTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), r.header)
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// call is one API request being served.
type call struct {
	r     *http.Request
	op    string
	id    string // the path's user or group
	sub   string // the path's SSH key
	org   string
	body  []byte
	knobs Knobs
	entry *Request
}

// ServeHTTP implements http.Handler. The API is served under /api, Directory Insights under
// /insights/directory/v1 (on the same listener: clients derive one from the other), the admin
// endpoints under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	entry := &Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	resp := newResponse()
	drop := false
	// The log entry is recorded before the client can see the outcome, so a test that reads
	// the log right after a call finds it.
	defer func() {
		if drop {
			entry.Injected, entry.Dropped = true, true
			s.record(*entry)
			dropConnection(w)
			return
		}
		entry.Status = resp.status
		s.record(*entry)
		resp.writeTo(w)
	}()

	var rt routed
	if insightsPath, ok := strings.CutPrefix(r.URL.Path, insightsPrefix+"/"); ok {
		rt = routeInsights(r.Method, insightsPath)
		resp.insights = true
	} else {
		apiPath, ok := strings.CutPrefix(r.URL.Path, "/api/")
		if !ok {
			entry.Op = "unknown"
			resp.error(http.StatusNotFound, "Not Found")
			return
		}
		rt = route(r.Method, "/"+apiPath)
	}
	op, id, status := rt.op, rt.id, rt.status
	resp.v2 = rt.v2
	entry.Op = op
	switch {
	case rt.group:
		entry.GroupID = id
	default:
		entry.UserID = id
	}
	if op == "sshkey-delete" {
		entry.KeyID = rt.sub
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		resp.error(http.StatusBadRequest, "could not read the request body")
		return
	}
	if len(body) > maxBodyBytes {
		resp.error(http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	entry.Fields = topLevelKeys(body)
	if op == "member-add" {
		op = memberOpName(body)
		entry.Op = op
	}
	knobs := s.Knobs()
	if status == 0 && op == "suspend" && knobs.DisableSuspendRoute {
		status = http.StatusNotFound
	}
	if status != 0 {
		// Like a router that does not know the route: a plain answer, not JumpCloud's error.
		resp.raw(status, "text/plain; charset=utf-8", []byte(http.StatusText(status)+"\n"))
		return
	}
	if err := s.delay(r.Context(), knobs); err != nil {
		resp.error(http.StatusServiceUnavailable, "request cancelled")
		return
	}
	orgID, code, msg := s.authenticate(r)
	if code != 0 {
		resp.error(code, msg)
		return
	}
	entry.Org = orgID
	if retryAfter, limited := s.rateLimited(r.Header.Get("x-api-key"), knobs.RateLimit); limited {
		entry.Injected = true
		if knobs.RateLimit.RetryAfter {
			resp.header.Set("Retry-After", retryAfter)
		}
		resp.error(http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	fault, faulted := s.takeFault(op, knobs)
	if faulted && !fault.AfterCommit {
		entry.Injected = true
		if fault.Drop {
			drop = true
			return
		}
		if fault.RetryAfter != "" {
			resp.header.Set("Retry-After", fault.RetryAfter)
		}
		resp.error(fault.Code, http.StatusText(fault.Code))
		return
	}
	if h := s.hook.Load(); h != nil {
		(*h)(op, id)
	}
	c := &call{r: r, op: op, id: id, sub: rt.sub, org: orgID, body: body, knobs: knobs, entry: entry}
	s.dispatch(c, resp)

	drop = faulted && fault.AfterCommit
	if !drop && op == "create" && resp.status == http.StatusOK && knobs.Faults.CreateCommitThenDrop > 0 {
		drop = s.chance(knobs.Faults.CreateCommitThenDrop)
	}
	if drop {
		entry.Status = resp.status
	}
}

func (s *Server) record(r Request) {
	s.log.add(r)
	if s.onRequest != nil {
		s.onRequest(r)
	}
}

func (s *Server) dispatch(c *call, resp *response) {
	switch c.op {
	case "list":
		s.handleList(c, resp)
	case "get":
		s.handleGet(c, resp)
	case "create":
		s.handleCreate(c, resp)
	case "update":
		s.handleUpdate(c, resp)
	case "delete":
		s.handleDelete(c, resp)
	case "search":
		s.handleSearch(c, resp)
	case "sshkey-list":
		s.handleSSHKeyList(c, resp)
	case "sshkey-add":
		s.handleSSHKeyAdd(c, resp)
	case "sshkey-delete":
		s.handleSSHKeyDelete(c, resp)
	case "group-list":
		s.handleGroupList(c, resp)
	case "group-get":
		s.handleGroupGet(c, resp)
	case "group-create":
		s.handleGroupCreate(c, resp)
	case "group-update":
		s.handleGroupUpdate(c, resp)
	case "group-delete":
		s.handleGroupDelete(c, resp)
	case "member-list":
		s.handleMemberList(c, resp)
	case "member-add", "member-remove":
		s.handleMemberChange(c, resp)
	case "membership":
		s.handleMembership(c, resp)
	case "memberof":
		s.handleMemberOf(c, resp)
	case "events", "events-count":
		s.handleEvents(c, resp)
	default:
		s.handleAction(c, resp)
	}
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// topLevelKeys lists a JSON object's keys, sorted (nil when the body is not an object).
func topLevelKeys(body []byte) []string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// authenticate checks x-api-key and picks the organization.
func (s *Server) authenticate(r *http.Request) (org string, code int, msg string) {
	key := r.Header.Get("x-api-key")
	s.mu.RLock()
	orgs, ok := s.keys[key]
	s.mu.RUnlock()
	if key == "" || !ok {
		return "", http.StatusUnauthorized, "Unauthorized"
	}
	want := strings.TrimSpace(r.Header.Get("x-org-id"))
	switch {
	case want == "" && len(orgs) == 1:
		return orgs[0], 0, ""
	case want == "":
		return "", http.StatusUnauthorized, "x-org-id is required for multi-tenant administrators"
	case !slices.Contains(orgs, want):
		return "", http.StatusNotFound, "Organization not found"
	}
	return want, 0, ""
}

// delay sleeps for the latency knobs (and slow faults), returning early if the client left.
func (s *Server) delay(ctx context.Context, k Knobs) error {
	d := k.Latency
	if k.Jitter > 0 {
		d += time.Duration(s.float() * float64(k.Jitter))
	}
	if k.Faults.SlowRate > 0 && s.chance(k.Faults.SlowRate) {
		d += k.Faults.SlowDelay
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Server) float() float64 {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rng.Float64()
}

func (s *Server) chance(p float64) bool { return s.float() < p }

// rateLimited applies the per-key token bucket; the Retry-After value is whole seconds (>= 1).
func (s *Server) rateLimited(key string, rl RateLimit) (string, bool) {
	if rl.RPS <= 0 {
		return "", false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	lim := s.limiters[key]
	if lim == nil {
		burst := rl.Burst
		if burst <= 0 {
			burst = 1
		}
		lim = rate.NewLimiter(rate.Limit(rl.RPS), burst)
		s.limiters[key] = lim
	}
	now := time.Now()
	if lim.AllowN(now, 1) {
		return "", false
	}
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	return itoa(secs), true
}

// takeFault returns the fault to apply to this request, if any.
func (s *Server) takeFault(op string, k Knobs) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i := range s.queued {
		f := s.queued[i]
		if f.Op != op && f.Op != "*" {
			continue
		}
		s.queued[i].Times--
		if s.queued[i].Times <= 0 {
			s.queued = slices.Delete(s.queued, i, i+1)
		}
		if f.Code == 0 {
			f.Code = http.StatusServiceUnavailable
		}
		return f, true
	}
	if k.Faults.Rate5xx > 0 && s.rng.Float64() < k.Faults.Rate5xx {
		return Fault{Op: op, Code: k.Faults.Code}, true
	}
	return Fault{}, false
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var errNoOrg = errors.New("organization not found")

// orgLocked returns the organization; callers hold s.mu.
func (s *Server) orgLocked(id string) (*org, error) {
	o := s.orgs[id]
	if o == nil {
		return nil, errNoOrg
	}
	return o, nil
}
