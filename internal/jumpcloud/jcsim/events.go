package jcsim

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file simulates JumpCloud's Directory Insights: every change, made through the API or by a
// console helper, is recorded as an event of the "directory" service, and POST
// /insights/directory/v1/events (and /events/count) answer queries over them as the document
// describes: service and start_time required, end_time exclusive, sort ASC or DESC on the
// timestamp, limit (default 1000, at most 10000), search_after [millis, id], search_term (the
// field/value maps and the operator form), fields; headers X-Result-Count, X-Limit, X-Sort,
// X-Search_after. The event types of each change are knobs (EventTypes); so are the ingestion
// delay, the clock skew, and whether useragent and changes are sent.

// insightsPrefix is where the Directory Insights API is served on the simulator's listener.
const insightsPrefix = "/insights/directory/v1"

// Paging of /events (the document's default and maximum row counts).
const (
	defaultEventLimit = 1000
	maxEventLimit     = 10000
)

// The actors of changes: API requests act as the key's administrator, console helpers as an
// administrator in a browser.
const (
	consoleAdminID    = "5c0ffee5c0ffee5c0ffee5c0"
	consoleAdminEmail = "console-admin@example.com"
	consoleClientIP   = "203.0.113.10"
	// ConsoleUserAgent is the User-Agent of the console helpers' events.
	ConsoleUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
	apiAdminEmail    = "api-admin@example.com"
)

// Event is one Directory Insights event the simulator recorded.
type Event struct {
	// ID is unique among the simulator's events and grows with each one recorded.
	ID string
	// Type is the event_type (see EventTypes).
	Type string
	// Service is "directory".
	Service string
	// Time is the event's timestamp: the simulator's clock plus EventClockSkew, to the
	// millisecond.
	Time         time.Time
	Organization string
	InitiatedBy  EventActor
	Resource     EventObject
	// Association is set on membership changes.
	Association *EventAssociation
	// Changes lists the fields an update changed (before the EventsOmitChanges knob applies).
	Changes []EventChange
	// ClientIP is the address of the request (the console's for helpers).
	ClientIP string
	// UserAgent is the request's User-Agent header (a browser's for console helpers), before
	// the EventsRawUserAgent and EventsOmitUserAgent knobs apply.
	UserAgent string
	// AuthMethod is "api-key" for API requests and "session" for console edits (and "" for
	// the failed logins of LockOut).
	AuthMethod string
	// VisibleAt is when /events starts returning the event (the simulator's clock): the time
	// it happened plus EventDelay and its jitter.
	VisibleAt time.Time
}

// EventActor is an event's initiated_by.
type EventActor struct {
	ID       string `json:"id,omitempty"`
	Type     string `json:"type"`
	Email    string `json:"email,omitempty"`
	Username string `json:"username,omitempty"`
}

// EventObject is an event's resource, or one end of an association.
type EventObject struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Username string `json:"username,omitempty"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
}

// EventAssociation is an association_change's association.
type EventAssociation struct {
	// Op is "add" or "remove".
	Op         string          `json:"op"`
	Connection EventConnection `json:"connection"`
}

// EventConnection are the two ends of an association: from the group to the user.
type EventConnection struct {
	From EventObject `json:"from"`
	To   EventObject `json:"to"`
}

// EventChange is one entry of changes.
type EventChange struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// eventRecord is a stored event and what queries need of it.
type eventRecord struct {
	Event
	ms  int64          // Time in Unix milliseconds (the sort key, with ID)
	doc map[string]any // the searchable JSON form, built on first search
}

// eventStore holds each organization's events in the order they were recorded.
type eventStore struct {
	mu     sync.Mutex
	size   int
	seq    uint64 // events recorded
	reqSeq uint64 // answers given (their X-Request-Id)
	byOrg  map[string][]*eventRecord
}

func (e *eventStore) init(size int) {
	if size <= 0 {
		size = 100000
	}
	e.size = size
	e.byOrg = map[string][]*eventRecord{}
}

func (e *eventStore) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byOrg = map[string][]*eventRecord{}
}

// actor is who made a change.
type actor struct {
	by         EventActor
	userAgent  string
	clientIP   string
	authMethod string
}

// apiActor is the administrator whose API key made the request. The administrator's id is
// derived from the key (a hash: the key itself never appears in an event).
func apiActor(c *call) actor {
	sum := sha256.Sum256([]byte("jcsim-admin:" + c.r.Header.Get("x-api-key")))
	ip, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil {
		ip = c.r.RemoteAddr
	}
	return actor{
		by:        EventActor{ID: hex.EncodeToString(sum[:12]), Type: "admin", Email: apiAdminEmail},
		userAgent: c.r.UserAgent(), clientIP: ip, authMethod: "api-key",
	}
}

// consoleActor is an administrator editing in the admin portal.
var consoleActor = actor{
	by:        EventActor{ID: consoleAdminID, Type: "admin", Email: consoleAdminEmail},
	userAgent: ConsoleUserAgent, clientIP: consoleClientIP, authMethod: "session",
}

// userObject and groupObject are the resources of users and groups.
func userObject(u *User, k Knobs) EventObject {
	return EventObject{ID: u.ID, Type: k.EventTypes.UserResource, Username: u.Username, Email: u.Email}
}

func groupObject(g *Group, k Knobs) EventObject {
	return EventObject{ID: g.ID, Type: k.EventTypes.GroupResource, Name: g.Name}
}

// recordEvent stores an event of org. Callers may hold s.mu; the store has its own lock.
func (s *Server) recordEvent(org string, a actor, k Knobs, typ string, resource EventObject, assoc *EventAssociation, changes []EventChange) {
	now := s.now()
	visible := now.Add(k.EventDelay)
	if k.EventDelayJitter > 0 {
		visible = visible.Add(time.Duration(s.float() * float64(k.EventDelayJitter)))
	}
	ts := now.Add(k.EventClockSkew).UTC().Truncate(time.Millisecond)
	e := &s.events
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	rec := &eventRecord{Event: Event{
		// 24 hex digits like JumpCloud's event ids, growing with each event so that events of
		// the same millisecond sort in the order they happened.
		ID: fmt.Sprintf("e%023x", e.seq), Type: typ, Service: "directory", Time: ts, Organization: org,
		InitiatedBy: a.by, Resource: resource, Association: assoc, Changes: changes,
		ClientIP: a.clientIP, UserAgent: a.userAgent, AuthMethod: a.authMethod, VisibleAt: visible,
	}, ms: ts.UnixMilli()}
	list := e.byOrg[org]
	if len(list) >= e.size {
		// The oldest go an eighth of the bound at a time, so that a full log costs no copy of
		// every event on each change.
		list = slices.Delete(list, 0, len(list)-e.size+max(1, e.size/8))
	}
	e.byOrg[org] = append(list, rec)
}

// userEvent records a change of one user; before is the user as rendered before it (nil for a
// create or a delete), diffed with u for changes.
func (s *Server) userEvent(org string, a actor, k Knobs, typ string, u *User, before json.RawMessage) {
	var changes []EventChange
	if before != nil {
		changes = diffJSON(before, render(u, nil, nil, false))
	}
	s.recordEvent(org, a, k, typ, userObject(u, k), nil, changes)
}

// groupEvent records a change of one group, like userEvent.
func (s *Server) groupEvent(org string, a actor, k Knobs, typ string, g *Group, before json.RawMessage) {
	var changes []EventChange
	if before != nil {
		changes = diffJSON(before, renderGroup(*g, nil))
	}
	s.recordEvent(org, a, k, typ, groupObject(g, k), nil, changes)
}

// memberEvent records a user added to (op "add") or removed from ("remove") a group.
func (s *Server) memberEvent(org string, a actor, k Knobs, op string, g *Group, u *User) {
	from, to := groupObject(g, k), userObject(u, k)
	to.Email = ""
	s.recordEvent(org, a, k, k.EventTypes.Association, from, &EventAssociation{Op: op, Connection: EventConnection{From: from, To: to}}, nil)
}

// diffJSON lists the top-level fields of two JSON objects that differ, in name order.
func diffJSON(before, after json.RawMessage) []EventChange {
	var b, a map[string]json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []EventChange
	for _, k := range keys {
		if bytes.Equal(b[k], a[k]) {
			continue
		}
		out = append(out, EventChange{Field: k, From: decodeAny(b[k]), To: decodeAny(a[k])})
	}
	return out
}

func decodeAny(raw json.RawMessage) any {
	var v any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

// Events returns copies of the recorded events of every organization, oldest first within each
// organization (organizations in id order), whether or not they are visible yet.
func (s *Server) Events() []Event {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	orgs := make([]string, 0, len(s.events.byOrg))
	for o := range s.events.byOrg {
		orgs = append(orgs, o)
	}
	sort.Strings(orgs)
	var out []Event
	for _, o := range orgs {
		for _, r := range s.events.byOrg[o] {
			ev := r.Event
			ev.Changes = slices.Clone(ev.Changes)
			if ev.Association != nil {
				a := *ev.Association
				ev.Association = &a
			}
			out = append(out, ev)
		}
	}
	return out
}

// adminEvents renders the events of org (all organizations when "") as /events would, with the
// time each becomes visible, for GET /_sim/events.
func (s *Server) adminEvents(org string) []json.RawMessage {
	k := s.Knobs()
	out := []json.RawMessage{}
	for _, ev := range s.Events() {
		if org != "" && ev.Organization != org {
			continue
		}
		b, _ := json.Marshal(struct {
			eventWire
			VisibleAt string `json:"visibleAt"`
		}{ev.wire(k), formatTime(ev.VisibleAt)})
		out = append(out, b)
	}
	return out
}

// eventWire is an event as /events answers it.
type eventWire struct {
	ID           string            `json:"id"`
	EventType    string            `json:"event_type"`
	Service      string            `json:"service"`
	Timestamp    string            `json:"timestamp"`
	Organization string            `json:"organization"`
	Success      bool              `json:"success"`
	InitiatedBy  EventActor        `json:"initiated_by"`
	Resource     EventObject       `json:"resource"`
	Association  *EventAssociation `json:"association,omitempty"`
	Changes      []EventChange     `json:"changes,omitempty"`
	ClientIP     string            `json:"client_ip,omitempty"`
	UserAgent    any               `json:"useragent,omitempty"`
	AuthMethod   string            `json:"auth_method,omitempty"`
	Version      string            `json:"@version"`
}

// wire renders the event with the knobs that shape answers.
func (e *Event) wire(k Knobs) eventWire {
	w := eventWire{
		ID: e.ID, EventType: e.Type, Service: e.Service, Timestamp: formatTime(e.Time), Organization: e.Organization,
		Success: true, InitiatedBy: e.InitiatedBy, Resource: e.Resource, Association: e.Association,
		ClientIP: e.ClientIP, AuthMethod: e.AuthMethod, Version: "1",
	}
	if !k.EventsOmitChanges {
		w.Changes = e.Changes
	}
	switch {
	case k.EventsOmitUserAgent || e.UserAgent == "":
	case k.EventsRawUserAgent:
		w.UserAgent = e.UserAgent
	default:
		w.UserAgent = parseUserAgent(e.UserAgent)
	}
	return w
}

// searchDoc is the event's JSON form for search terms: changes and useragent cannot be searched
// (the document says so), so they are left out.
func (r *eventRecord) searchDoc() map[string]any {
	if r.doc == nil {
		w := r.wire(Knobs{EventsOmitChanges: true, EventsOmitUserAgent: true})
		b, _ := json.Marshal(w)
		_ = json.Unmarshal(b, &r.doc)
	}
	return r.doc
}

// browserTokens are the browsers parseUserAgent recognises, in the order they are looked for
// (Edge's User-Agent names Chrome and Safari too, Chrome's names Safari).
var browserTokens = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
}

var versionRe = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// parseUserAgent is a small stand-in for the user-agent parser behind Directory Insights (its
// output has the fields of the document's example). Browsers are recognised; any other client,
// such as an API client, is "Other", as such parsers name what they do not know.
func parseUserAgent(ua string) map[string]string {
	out := map[string]string{"name": "Other", "major": "", "minor": "", "patch": "", "build": "", "os": "Other", "os_name": "Other", "device": "Other"}
	for _, b := range browserTokens {
		i := strings.Index(ua, b.token)
		if i < 0 {
			continue
		}
		out["name"] = b.name
		if m := versionRe.FindStringSubmatch(ua[i+len(b.token):]); m != nil {
			out["major"], out["minor"], out["patch"] = m[1], m[2], m[3]
		}
		break
	}
	switch {
	case strings.Contains(ua, "Mac OS X"):
		out["os"], out["os_name"] = "Mac OS X", "Mac OS X"
	case strings.Contains(ua, "Windows"):
		out["os"], out["os_name"] = "Windows", "Windows"
	case strings.Contains(ua, "Linux"):
		out["os"], out["os_name"] = "Linux", "Linux"
	}
	return out
}

// eventServices are the services the document lists (the enum of EventServiceTimeQuery, plus
// "alert", which its description uses).
var eventServices = keySet(
	"alerts", "alert", "all", "directory", "ldap", "mdm", "notifications", "object_storage", "password_manager",
	"password_vault", "radius", "reports", "saas_app_management", "software", "sso", "systems",
	"access_management", "asset_management", "workflows", "genai", "aigw", "ai_admin", "generic_di",
)

// knownEventFields are the field names a fields list may select (the document's directory
// attributes); one of them must be named.
var knownEventFields = keySet(
	"id", "event_type", "timestamp", "service", "organization", "success", "initiated_by", "resource",
	"association", "changes", "client_ip", "useragent", "auth_method", "@version", "correlation",
	"system_group", "mfa", "mfa_meta", "geoip", "provider", "auth_context", "application",
	"idm_client_id", "error_message", "message_chain", "system", "target_resource",
)

// eventKey is the sort key of an event, and the search_after cursor: timestamp in milliseconds,
// then id.
type eventKey struct {
	ms int64
	id string
}

func (a eventKey) compare(b eventKey) int {
	return cmp.Or(cmp.Compare(a.ms, b.ms), strings.Compare(a.id, b.id))
}

// routeInsights maps a path below /insights/directory/v1 to its operation.
func routeInsights(method, path string) routed {
	switch strings.TrimSuffix(path, "/") {
	case "events":
		return byMethod(method, map[string]string{http.MethodPost: "events"}, routed{})
	case "events/count":
		return byMethod(method, map[string]string{http.MethodPost: "events-count"}, routed{})
	}
	return routed{op: "unknown", status: http.StatusNotFound}
}

// eventQuery is a parsed /events body.
type eventQuery struct {
	services map[string]bool // nil: all
	start    time.Time
	end      time.Time // zero: open
	desc     bool
	limit    int
	skip     int
	after    *eventKey
	rawAfter json.RawMessage
	match    eventMatcher // nil: everything
	fields   []string     // nil: every field
}

// insightsError is the Directory Insights API's ErrorMessage.
type insightsError struct {
	Message string `json:"message"`
}

// parseEventQuery reads an EventQuery body; msg explains a 400. now is Directory Insights' clock.
//
//nolint:gocyclo // one check per documented field, in the document's order
func parseEventQuery(body []byte, now time.Time) (q eventQuery, msg string) {
	raw, msg := decodeObject(body)
	if msg != "" {
		return q, msg
	}
	var services []string
	if b, ok := raw["service"]; !ok || json.Unmarshal(b, &services) != nil || len(services) == 0 {
		return q, "service is required: a list of service names"
	}
	q.services = map[string]bool{}
	for _, sv := range services {
		sv = strings.ToLower(strings.TrimSpace(sv))
		if !eventServices[sv] {
			return q, fmt.Sprintf("unknown service %q; supported values: %s", sv, strings.Join(slices.Sorted(maps.Keys(eventServices)), ", "))
		}
		if sv == "all" {
			q.services = nil
			break
		}
		q.services[sv] = true
	}
	var start string
	if b, ok := raw["start_time"]; !ok || json.Unmarshal(b, &start) != nil {
		return q, "start_time is required: an RFC 3339 date-time"
	}
	var ok bool
	if q.start, ok = parseQueryTime(start); !ok {
		return q, "start_time must be an RFC 3339 date-time, such as 2020-01-01T14:00:00Z"
	}
	if q.start.After(now) {
		return q, "start_time must not be in the future"
	}
	if b, present := raw["end_time"]; present && !isNull(b) {
		var end string
		if json.Unmarshal(b, &end) != nil {
			return q, "end_time must be an RFC 3339 date-time"
		}
		if q.end, ok = parseQueryTime(end); !ok {
			return q, "end_time must be an RFC 3339 date-time, such as 2020-01-01T14:00:00Z"
		}
		if q.end.Before(q.start) {
			return q, "end_time must come after start_time"
		}
	}
	var sortDir string
	if json.Unmarshal(raw["sort"], &sortDir) == nil && strings.EqualFold(strings.TrimSpace(sortDir), "DESC") {
		q.desc = true // anything else, nonsense included, is ascending
	}
	q.limit = defaultEventLimit
	if n, ok := wholeNumber(raw["limit"]); ok && n >= 1 && n <= maxEventLimit {
		q.limit = n // nonsensical values give the default
	}
	if n, ok := wholeNumber(raw["skip"]); ok && n > 0 {
		q.skip = n
	}
	if b, present := raw["search_after"]; present && !isNull(b) {
		key, ok := parseSearchAfter(b)
		if !ok {
			return q, "search_after must be the X-Search_after of a previous answer: [timestamp in milliseconds, id]"
		}
		q.after, q.rawAfter = &key, b
	}
	if b, present := raw["search_term"]; present && !isNull(b) {
		m, err := compileSearchTerm(b)
		if err != nil {
			return q, "search_term: " + err.Error()
		}
		q.match = m
	}
	if b, present := raw["fields"]; present && !isNull(b) {
		if json.Unmarshal(b, &q.fields) != nil || len(q.fields) == 0 {
			return q, "fields must be a non-empty list of field names"
		}
		if !slices.ContainsFunc(q.fields, func(f string) bool { return knownEventFields[strings.Split(f, ".")[0]] }) {
			return q, "fields lists no known field"
		}
	}
	return q, ""
}

func isNull(b json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// parseQueryTime reads RFC 3339 (fractions allowed); the zone may be left out (UTC).
func parseQueryTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// wholeNumber reads a JSON number (or numeric string) that is a whole number.
func wholeNumber(b json.RawMessage) (int, bool) {
	s := rawScalar(b)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f < -1e15 || f > 1e15 {
		return 0, false
	}
	return int(f), true
}

// parseSearchAfter reads [millis, id] (the id may be left out; millis may be a string).
func parseSearchAfter(b json.RawMessage) (eventKey, bool) {
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil || len(items) == 0 || len(items) > 2 {
		return eventKey{}, false
	}
	ms, err := strconv.ParseInt(rawScalar(items[0]), 10, 64)
	if err != nil {
		return eventKey{}, false
	}
	key := eventKey{ms: ms}
	if len(items) == 2 && json.Unmarshal(items[1], &key.id) != nil {
		return eventKey{}, false
	}
	return key, true
}

// handleEvents serves POST /events and /events/count.
func (s *Server) handleEvents(c *call, resp *response) {
	if c.knobs.InsightsDisabled {
		resp.error(http.StatusPaymentRequired, "Directory Insights is not enabled for your organization")
		return
	}
	q, msg := parseEventQuery(c.body, s.now().Add(c.knobs.EventClockSkew))
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	rows := s.matchingEvents(c.org, q)
	if c.op == "events-count" {
		resp.json(http.StatusOK, map[string]int{"count": len(rows)})
		return
	}
	rows = rows[min(q.skip, len(rows)):]
	rows = rows[:min(q.limit, len(rows))]
	out := make([]json.RawMessage, 0, len(rows))
	for _, r := range rows {
		out = append(out, renderEvent(r, c.knobs, q.fields))
	}
	after := []byte("[]")
	if n := len(rows); n > 0 {
		after, _ = json.Marshal([]any{rows[n-1].ms, rows[n-1].ID})
	} else if q.rawAfter != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, q.rawAfter) == nil {
			after = buf.Bytes()
		}
	}
	sortName := "ASC"
	if q.desc {
		sortName = "DESC"
	}
	resp.header.Set("X-Result-Count", strconv.Itoa(len(out)))
	resp.header.Set("X-Limit", strconv.Itoa(q.limit))
	resp.header.Set("X-Sort", sortName)
	resp.header.Set("X-Search_after", string(after))
	resp.header.Set("X-Request-Id", fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(c.entry.Time.Unix()), s.requestSeq()))
	resp.json(http.StatusOK, out)
}

// requestSeq numbers the X-Request-Id of answers.
func (s *Server) requestSeq() uint64 {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.reqSeq++
	return s.events.reqSeq
}

// matchingEvents returns the visible events of org that match q, sorted and after q's cursor
// (skip and limit are the caller's).
func (s *Server) matchingEvents(org string, q eventQuery) []*eventRecord {
	now := s.now()
	e := &s.events
	e.mu.Lock()
	defer e.mu.Unlock()
	var rows []*eventRecord
	for _, r := range e.byOrg[org] {
		switch {
		case r.VisibleAt.After(now),
			q.services != nil && !q.services[r.Service],
			r.Time.Before(q.start),
			!q.end.IsZero() && !r.Time.Before(q.end),
			q.match != nil && !q.match(r.searchDoc()):
			continue
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b *eventRecord) int {
		c := eventKey{a.ms, a.ID}.compare(eventKey{b.ms, b.ID})
		if q.desc {
			return -c
		}
		return c
	})
	if q.after != nil {
		rows = slices.DeleteFunc(rows, func(r *eventRecord) bool {
			c := eventKey{r.ms, r.ID}.compare(*q.after)
			return c == 0 || (c < 0) != q.desc
		})
	}
	return rows
}

// renderEvent writes one event, keeping only fields when given (dotted names select nested
// fields).
func renderEvent(r *eventRecord, k Knobs, fields []string) json.RawMessage {
	b, _ := json.Marshal(r.wire(k))
	if fields == nil {
		return b
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	out := map[string]any{}
	for _, f := range fields {
		path := strings.Split(f, ".")
		v, ok := lookupPath(doc, path)
		if !ok {
			continue
		}
		dst := out
		for _, p := range path[:len(path)-1] {
			next, ok := dst[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				dst[p] = next
			}
			dst = next
		}
		dst[path[len(path)-1]] = v
	}
	b, _ = json.Marshal(out)
	return b
}

// lookupPath returns the value at a dotted path of a JSON object.
func lookupPath(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// eventMatcher is a compiled search_term.
type eventMatcher func(doc map[string]any) bool

// compileSearchTerm compiles a SearchTerm: an object with "and", "or" and/or "not". Each holds
// terms, either as the document's schema has it (an object of field: value, a list value meaning
// any of them) or as its examples have it (a list of such objects, of nested and/or/not objects,
// and of the operator form {"field", "operator", "value"}). Field names may be dotted; values are
// compared case-insensitively (Directory Insights lowercases them on insert).
func compileSearchTerm(raw json.RawMessage) (eventMatcher, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("must be an object with and, or or not")
	}
	var parts []eventMatcher
	for _, key := range slices.Sorted(maps.Keys(m)) {
		op := strings.ToLower(key)
		if op != "and" && op != "or" && op != "not" {
			return nil, fmt.Errorf("unknown conjunction %q (want and, or or not)", key)
		}
		terms, err := compileTerms(m[key])
		if err != nil {
			return nil, err
		}
		parts = append(parts, conjunction(op, terms))
	}
	return conjunction("and", parts), nil
}

// conjunction combines terms; an empty one matches everything.
func conjunction(op string, terms []eventMatcher) eventMatcher {
	return func(doc map[string]any) bool {
		if len(terms) == 0 {
			return true
		}
		switch op {
		case "or":
			return slices.ContainsFunc(terms, func(t eventMatcher) bool { return t(doc) })
		case "not":
			return !slices.ContainsFunc(terms, func(t eventMatcher) bool { return t(doc) })
		}
		return !slices.ContainsFunc(terms, func(t eventMatcher) bool { return !t(doc) })
	}
}

// compileTerms compiles the terms of one conjunction (an object or a list).
func compileTerms(raw json.RawMessage) ([]eventMatcher, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("terms must be a list of objects")
		}
		var out []eventMatcher
		for _, item := range items {
			t, err := compileTermObject(item)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("terms must be an object or a list of objects")
	}
	var out []eventMatcher
	for _, field := range slices.Sorted(maps.Keys(m)) {
		t, err := fieldTerm(field, "", m[field])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// compileTermObject compiles one element of a list of terms.
func compileTermObject(raw json.RawMessage) (eventMatcher, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("each term must be an object")
	}
	if f, ok := m["field"]; ok {
		if _, hasValue := m["value"]; hasValue || m["operator"] != nil {
			var field, op string
			if json.Unmarshal(f, &field) != nil || field == "" {
				return nil, fmt.Errorf("field must be a field name")
			}
			if o, ok := m["operator"]; ok && json.Unmarshal(o, &op) != nil {
				return nil, fmt.Errorf("operator must be a string")
			}
			return fieldTerm(field, op, m["value"])
		}
	}
	nested := len(m) > 0
	for k := range m {
		if l := strings.ToLower(k); l != "and" && l != "or" && l != "not" {
			nested = false
		}
	}
	if nested {
		return compileSearchTerm(raw)
	}
	terms, err := compileTerms(raw)
	if err != nil {
		return nil, err
	}
	return conjunction("and", terms), nil
}

// notSearchable are the fields the document says cannot be searched.
var notSearchable = keySet("changes", "useragent", "system_timestamp")

// fieldTerm compiles one condition on a field. op "" means eq for a single value, in for a list.
func fieldTerm(field, op string, raw json.RawMessage) (eventMatcher, error) {
	path := strings.Split(field, ".")
	if notSearchable[path[0]] {
		return nil, fmt.Errorf("%s cannot be searched", path[0])
	}
	var value any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &value); err != nil {
			return nil, fmt.Errorf("%s: invalid value", field)
		}
	}
	list, isList := value.([]any)
	if op == "" {
		op = "eq"
		if isList {
			op = "in"
		}
	}
	if !isList {
		list = []any{value}
	}
	wants := make([]string, len(list))
	for i, v := range list {
		wants[i] = canonical(v)
	}
	want := canonical(value)
	values := func(doc map[string]any) []any { return fieldValues(doc, path) }
	anyValue := func(pred func(v any) bool) eventMatcher {
		return func(doc map[string]any) bool { return slices.ContainsFunc(values(doc), pred) }
	}
	switch strings.ToLower(op) {
	case "eq":
		return anyValue(func(v any) bool { return canonical(v) == want }), nil
	case "ne":
		return func(doc map[string]any) bool {
			return !slices.ContainsFunc(values(doc), func(v any) bool { return canonical(v) == want })
		}, nil
	case "in":
		return anyValue(func(v any) bool { return slices.Contains(wants, canonical(v)) }), nil
	case "not_in":
		return func(doc map[string]any) bool {
			return !slices.ContainsFunc(values(doc), func(v any) bool { return slices.Contains(wants, canonical(v)) })
		}, nil
	case "contains":
		return anyValue(func(v any) bool { return strings.Contains(canonical(v), want) }), nil
	case "startswith":
		return anyValue(func(v any) bool { return strings.HasPrefix(canonical(v), want) }), nil
	case "endswith":
		return anyValue(func(v any) bool { return strings.HasSuffix(canonical(v), want) }), nil
	case "lt", "gt", "lte", "gte":
		n, ok := value.(float64)
		if !ok {
			return nil, fmt.Errorf("%s: %s needs a number", field, op)
		}
		return anyValue(func(v any) bool {
			f, ok := v.(float64)
			return ok && compareOp(op, cmp.Compare(f, n))
		}), nil
	case "before", "after":
		s, _ := value.(string)
		t, ok := parseQueryTime(s)
		if !ok {
			return nil, fmt.Errorf("%s: %s needs an RFC 3339 date-time", field, op)
		}
		return anyValue(func(v any) bool {
			s, _ := v.(string)
			vt, ok := parseQueryTime(s)
			return ok && (op == "before" && vt.Before(t) || op == "after" && vt.After(t))
		}), nil
	}
	return nil, fmt.Errorf("%s: unknown operator %q", field, op)
}

func compareOp(op string, c int) bool {
	switch op {
	case "lt":
		return c < 0
	case "gt":
		return c > 0
	case "lte":
		return c <= 0
	}
	return c >= 0
}

// fieldValues returns the values at a dotted path; lists along the way contribute each element.
func fieldValues(doc any, path []string) []any {
	if len(path) == 0 {
		if l, ok := doc.([]any); ok {
			return l
		}
		return []any{doc}
	}
	switch d := doc.(type) {
	case map[string]any:
		v, ok := d[path[0]]
		if !ok {
			return nil
		}
		return fieldValues(v, path[1:])
	case []any:
		var out []any
		for _, e := range d {
			out = append(out, fieldValues(e, path)...)
		}
		return out
	}
	return nil
}

// canonical is how values are compared: strings lowercased, other scalars as JSON text.
func canonical(v any) string {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return strings.ToLower(string(b))
}
