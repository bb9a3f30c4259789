package jumpcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the Directory Insights call: POST /events of JumpCloud's insights API, which
// lives on its own host (api.<domain>/insights/directory/v1) but takes the same x-api-key and
// x-org-id as v1 and v2.
//
// JumpCloud does not document which event types an administrator's change to a user or group
// produces, nor the exact shape of every event, so decoding is tolerant: an odd event yields empty
// fields, never an error, and the kinds of its resource and association ends are recognised by
// their type under several spellings.

// OpEvents is the operation name of Events, as passed to the Observer and set in Error.Operation.
const OpEvents = "events"

// Page sizes of Events (JumpCloud's documented default and maximum).
const (
	DefaultEventLimit = 1000
	MaxEventLimit     = 10000
)

// The kinds of EventTarget.
const (
	EventKindUser  = "user"
	EventKindGroup = "group"
)

// EventQuery selects Directory Insights events, oldest first.
type EventQuery struct {
	// Start is the earliest event time (inclusive). Required. It is sent to the millisecond
	// (rounded down). JumpCloud refuses a start in the future of its own clock (400).
	Start time.Time
	// End is the time the events must be before (exclusive); zero leaves the query open.
	End time.Time
	// Services are the Directory Insights services to read; empty means ["directory"], where
	// admin changes to users and groups are logged. "all" reads every service.
	Services []string
	// EventTypes, when set, keeps only those event types (sent lowercased as the search term
	// {"or": {"event_type": [...]}}). Empty: no filter.
	EventTypes []string
	// Limit is the page size: 0 means DefaultEventLimit; larger than MaxEventLimit is lowered.
	Limit int
	// SearchAfter continues a query: the previous page's EventPage.SearchAfter, sent as
	// search_after. The rest of the query must stay the same. nil for the first page.
	SearchAfter json.RawMessage
}

// EventTarget is a user or group an event names.
type EventTarget struct {
	// Kind is EventKindUser, EventKindGroup, or "" for anything else (a system, an admin, an
	// application) or a type the client does not recognise.
	Kind string
	// ID is the object's JumpCloud id ("" when the event did not say).
	ID string
	// Name is a user's username or a group's name, when the event carries it.
	Name string
}

// Event is one Directory Insights event, reduced to what tells which users and groups changed.
// Any field may be empty when the event lacked it or it could not be read.
type Event struct {
	// ID is the event's id, unique within the organization's events.
	ID string
	// Type is the event_type (user_create, user_update, group_update, association_change, ...).
	Type string
	// Time is the event's timestamp (UTC); zero when missing or unreadable.
	Time time.Time
	// Resource is what the event is about (its "resource").
	Resource EventTarget
	// Associated are both ends of an association change (a group and its member user, for a
	// membership change), from the event's "association"; empty for other events. Ends of other
	// kinds (a system, an application) are kept with Kind "".
	Associated []EventTarget
	// UserAgent is the client that made the change: the useragent string, or, when JumpCloud
	// sends its parsed form (an object), "name/major.minor.patch (os)". Empty when the event has
	// none, or the parser did not recognise the client (name "Other"), so that it cannot be
	// mistaken for one.
	UserAgent string
	// Raw is the event as JumpCloud sent it (it aliases the answer: copy it to keep it long).
	Raw json.RawMessage
}

// EventPage is one answer of Events.
type EventPage struct {
	// Events are in ascending time order (JumpCloud's sort on the timestamp).
	Events []Event
	// SearchAfter continues the query on the next page (EventQuery.SearchAfter). It is the
	// answer's X-Search_after header or, when that is missing or unreadable, [millis, id] of
	// the last event; with no event at all, the query's own SearchAfter. nil when none is known.
	SearchAfter json.RawMessage
	// More is true when the page was full (X-Result-Count equals X-Limit, JumpCloud's rule), so
	// more events may match: ask again with SearchAfter. It is false when no SearchAfter could
	// be made, since asking again would only repeat this page.
	More bool
}

// InsightsURL returns the base URL of the Directory Insights API the client reads events from:
// Options.InsightsURL, or the one derived from the base URL.
func (c *Client) InsightsURL() string { return c.insights }

// forInsights returns a client for the insights API: the same key, organization, User-Agent,
// HTTP client, timeouts, clock and Observer, and the same rate limiter (JumpCloud's limit is per
// key, and one bucket keeps the connection's calls within it), with base as its base URL. It has
// no write hook: it only reads.
func (c *Client) forInsights(base string) *Client {
	return &Client{
		base: base, apiKey: c.apiKey, orgID: c.orgID, userAgent: c.userAgent, hc: c.hc, limiter: c.limiter,
		maxRetries: c.maxRetries, timeout: c.timeout, baseDelay: c.baseDelay, maxDelay: c.maxDelay,
		obs: c.obs, now: c.now, sleep: c.sleep, rand: c.rand,
	}
}

// Events reads one page of Directory Insights events (POST <insights URL>/events), oldest first.
//
// It is made once per call and never retried by the client, not even after a 429: the caller
// polls at its own interval, and RetryAfterOf(err) says when JumpCloud wants it back. It goes
// through the client's rate limiter and Observer (operation "events") like every call.
//
// Errors are the client's *Error. IsFeedRefused tells the answers that mean the organization or
// key cannot read events at all (401, 402 "Directory Insights is not enabled", 403, 404), which
// no retry will change; 429 is RateLimited; 5xx and transport errors Unavailable; a 400 (a start
// time in JumpCloud's future, for one) Validation.
func (c *Client) Events(ctx context.Context, q EventQuery) (*EventPage, error) {
	body, limit, err := q.body()
	if err != nil {
		return nil, err
	}
	resp, err := c.forInsights(c.insights).do(ctx, request{op: OpEvents, method: http.MethodPost, path: "/events", body: body, retry: retryNever, read: true})
	if err != nil {
		return nil, err
	}
	rows, n, err := decodeArray(resp.body)
	if err != nil {
		return nil, decodeError(OpEvents, resp.status)
	}
	page := &EventPage{Events: make([]Event, 0, len(rows))}
	for _, raw := range rows {
		page.Events = append(page.Events, decodeEvent(raw))
	}
	count, ok := headerInt(resp.header, "X-Result-Count")
	if !ok {
		count = n
	}
	if l, ok := headerInt(resp.header, "X-Limit"); ok && l > 0 {
		limit = l
	}
	page.SearchAfter = searchAfterOf(resp.header.Get("X-Search_after"), page.Events, q.SearchAfter)
	page.More = count > 0 && count >= limit && page.SearchAfter != nil
	if page.More && q.SearchAfter != nil && bytes.Equal(page.SearchAfter, compactJSON(q.SearchAfter)) {
		// The next page would start where this one did: a server that ignores search_after.
		return nil, &Error{Kind: KindUnknown, Operation: OpEvents, StatusCode: resp.status,
			Err: errors.New("a full page ended at the search_after it was asked with; the server appears to ignore search_after")}
	}
	return page, nil
}

// IsFeedRefused reports whether err is an Events answer that says the events cannot be read with
// this key and organization at all: 401 (invalid key, or x-org-id missing), 402 (Directory
// Insights is not enabled for the organization), 403 (the key may not read them) or 404 (no such
// route or organization). Trying again soon will not help; the other errors are transient.
func IsFeedRefused(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Operation != OpEvents {
		return false
	}
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// eventQueryBody is the EventQuery of JumpCloud's document.
type eventQueryBody struct {
	Service     []string                       `json:"service"`
	StartTime   string                         `json:"start_time"`
	EndTime     string                         `json:"end_time,omitempty"`
	Sort        string                         `json:"sort"`
	Limit       int                            `json:"limit"`
	SearchAfter json.RawMessage                `json:"search_after,omitempty"`
	SearchTerm  map[string]map[string][]string `json:"search_term,omitempty"`
}

// body checks q and renders it; it also returns the page size sent.
func (q EventQuery) body() ([]byte, int, error) {
	if q.Start.IsZero() {
		return nil, 0, invalidArgument(OpEvents, "the start time is required")
	}
	if !q.End.IsZero() && q.End.Before(q.Start) {
		return nil, 0, invalidArgument(OpEvents, "the end time is before the start time")
	}
	if q.Limit < 0 {
		return nil, 0, invalidArgument(OpEvents, "the limit must not be negative")
	}
	b := eventQueryBody{
		Service:   lowerSet(q.Services),
		StartTime: formatEventTime(q.Start.Truncate(time.Millisecond)),
		Sort:      "ASC",
		Limit:     q.Limit,
	}
	if len(b.Service) == 0 {
		b.Service = []string{"directory"}
	}
	if !q.End.IsZero() {
		end := q.End.Truncate(time.Millisecond)
		if end.Before(q.End) {
			end = end.Add(time.Millisecond) // events carry milliseconds: none is lost by rounding up
		}
		b.EndTime = formatEventTime(end)
	}
	switch {
	case b.Limit == 0:
		b.Limit = DefaultEventLimit
	case b.Limit > MaxEventLimit:
		b.Limit = MaxEventLimit
	}
	if len(q.SearchAfter) > 0 {
		sa := compactJSON(q.SearchAfter)
		if len(sa) == 0 || sa[0] != '[' {
			return nil, 0, invalidArgument(OpEvents, "search_after must be the JSON array of a previous page")
		}
		b.SearchAfter = sa
	}
	if types := lowerSet(q.EventTypes); len(types) > 0 {
		b.SearchTerm = map[string]map[string][]string{"or": {"event_type": types}}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, 0, invalidArgument(OpEvents, "the query cannot be encoded as JSON")
	}
	return body, b.Limit, nil
}

// formatEventTime writes a UTC RFC 3339 time, with milliseconds only when it has them.
func formatEventTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

// lowerSet trims and lowercases ss (Directory Insights stores values lowercased), dropping empty
// and repeated entries.
func lowerSet(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// compactJSON returns b without insignificant space; nil when b is not valid JSON.
func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return nil
	}
	return buf.Bytes()
}

// headerInt reads a non-negative integer header.
func headerInt(h http.Header, name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	return n, err == nil && n >= 0
}

// searchAfterOf picks the cursor of a page: the X-Search_after header when it is a non-empty
// JSON array, else [millis, id] of the last event that has both, else the query's own cursor.
func searchAfterOf(header string, events []Event, asked json.RawMessage) json.RawMessage {
	if h := compactJSON([]byte(strings.TrimSpace(header))); len(h) > 2 && h[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(h, &items) == nil && len(items) > 0 {
			return h
		}
	}
	if n := len(events); n > 0 {
		last := events[n-1]
		if last.ID != "" && !last.Time.IsZero() {
			b, err := json.Marshal([]any{last.Time.UnixMilli(), last.ID})
			if err == nil {
				return b
			}
		}
		return nil
	}
	if len(asked) > 0 {
		return compactJSON(asked)
	}
	return nil
}

// decodeEvent reads one event object; what it cannot read stays empty.
func decodeEvent(raw json.RawMessage) Event {
	ev := Event{Raw: raw}
	var m map[string]json.RawMessage
	if !decodeObjectInto(raw, &m) {
		return ev
	}
	ev.ID = scalarText(m["id"])
	ev.Type = strings.TrimSpace(scalarText(m["event_type"]))
	ev.Time = eventTime(m["timestamp"])
	ev.Resource = targetOf(m["resource"])
	ev.Associated = associatedOf(m["association"])
	ev.UserAgent = userAgentOf(m["useragent"])
	return ev
}

// scalarText returns a JSON string's value or a number's text; "" for anything else.
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// eventTime reads an RFC 3339 timestamp (with or without fractions) or epoch milliseconds.
func eventTime(raw json.RawMessage) time.Time {
	s := scalarText(raw)
	if t := parseTimestamp(s); t != nil {
		return *t
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// eventKind maps the type of an event's resource or association end to a kind.
func eventKind(typ string) string {
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "user", "users", "systemuser", "systemusers", "system_user", "system_users":
		return EventKindUser
	case "user_group", "user_groups", "usergroup", "usergroups", "group", "groups":
		return EventKindGroup
	}
	return ""
}

// targetOf reads a resource or association end: {"type", "id", "username" or "name"}.
func targetOf(raw json.RawMessage) EventTarget {
	var m map[string]json.RawMessage
	if !decodeObjectInto(raw, &m) {
		return EventTarget{}
	}
	t := EventTarget{Kind: eventKind(scalarText(m["type"])), ID: scalarText(m["id"])}
	if t.ID == "" {
		t.ID = scalarText(m["object_id"])
	}
	username, name := scalarText(m["username"]), scalarText(m["name"])
	switch {
	case t.Kind == EventKindGroup && name != "":
		t.Name = name
	case username != "":
		t.Name = username
	default:
		t.Name = name
	}
	return t
}

// associatedOf reads an association: {"op", "connection": {"from": end, "to": end}}, tolerating
// the ends one level up, or an association that is itself one end.
func associatedOf(raw json.RawMessage) []EventTarget {
	var m map[string]json.RawMessage
	if !decodeObjectInto(raw, &m) {
		return nil
	}
	conn := m
	var c map[string]json.RawMessage
	if decodeObjectInto(m["connection"], &c) {
		conn = c
	}
	var out []EventTarget
	for _, end := range []json.RawMessage{conn["from"], conn["to"]} {
		if t := targetOf(end); t.ID != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		if t := targetOf(raw); t.ID != "" {
			out = append(out, t)
		}
	}
	return out
}

// userAgentOf reads useragent: a string, or JumpCloud's parsed form {"name", "major", "minor",
// "patch", "os", ...}. A client the parser did not recognise ("Other") yields "".
func userAgentOf(raw json.RawMessage) string {
	if s := strings.TrimSpace(scalarText(raw)); s != "" {
		return s
	}
	var m map[string]json.RawMessage
	if !decodeObjectInto(raw, &m) {
		return ""
	}
	for _, k := range []string{"raw", "original", "user_agent", "ua"} {
		if s := strings.TrimSpace(scalarText(m[k])); s != "" {
			return s
		}
	}
	name := strings.TrimSpace(scalarText(m["name"]))
	if name == "" || strings.EqualFold(name, "other") {
		return ""
	}
	var version []string
	for _, k := range []string{"major", "minor", "patch"} {
		if v := strings.TrimSpace(scalarText(m[k])); v != "" {
			version = append(version, v)
		} else {
			break
		}
	}
	s := name
	if len(version) > 0 {
		s += "/" + strings.Join(version, ".")
	}
	os := strings.TrimSpace(scalarText(m["os"]))
	if os == "" {
		os = strings.TrimSpace(scalarText(m["os_name"]))
	}
	if os != "" && !strings.EqualFold(os, "other") {
		s += " (" + os + ")"
	}
	return s
}
