package connection

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// FeedSettings are a connection's change feed settings, with the documented defaults applied.
type FeedSettings struct {
	Enabled bool
	// Interval is the pause between two polls.
	Interval time.Duration
	// ResyncInterval replaces the connection's resync interval while the feed works.
	ResyncInterval time.Duration
}

// The change feed's defaults (the API documents them).
const (
	DefaultFeedInterval       = 30 * time.Second
	DefaultFeedResyncInterval = time.Hour
)

// FeedState is how a connection's change feed is doing.
type FeedState string

const (
	// FeedOff means the feed is disabled, or has not polled yet.
	FeedOff FeedState = ""
	// FeedPolling means the last poll succeeded.
	FeedPolling FeedState = "Polling"
	// FeedRefused means JumpCloud refused the events (Directory Insights not in the plan, or the key
	// may not read them); the feed is tried again after FeedRefusedRetry.
	FeedRefused FeedState = "Refused"
	// FeedFailing means polls have failed for longer than FeedOverlap (or since the first); the
	// periodic comparison runs at the connection's own interval meanwhile.
	FeedFailing FeedState = "Failing"
)

const (
	// FeedOverlap is how far back before the start of the last successful poll the next one
	// asks: events become visible in Directory Insights some time after they happened, and
	// JumpCloud's clock may differ from the operator's. An event that becomes visible later than
	// this is left to the periodic comparison.
	FeedOverlap = 2 * time.Minute
	// FeedRefusedRetry is how long the feed waits after JumpCloud refused the events.
	FeedRefusedRetry = 10 * time.Minute
	// FeedMaxPages bounds the pages one poll reads; more changes than that are left to a full
	// comparison, which is cheaper than reading them one by one.
	FeedMaxPages = 5
	// feedPageSize is the events asked for per page.
	feedPageSize = 1000
	// seenRetention is how long a handled event's id is kept: a poll asks from FeedOverlap
	// before the previous poll, which is at most the longest interval (10m) earlier.
	seenRetention = 2*FeedOverlap + 10*time.Minute
	// ownWriteExpiry is how long a write of the operator waits for its event.
	ownWriteExpiry = 10 * time.Minute
)

// feedServices is the Directory Insights service of users, groups and memberships. The document
// does not list which events an administrator's change produces, so the query asks for the
// service's events without a type filter and the feed keeps those that name a user or group.
var feedServices = []string{"directory"}

// EventSource reads Directory Insights events; *jumpcloud.Client is one.
type EventSource interface {
	Events(ctx context.Context, q jumpcloud.EventQuery) (*jumpcloud.EventPage, error)
}

// Change names one JumpCloud object someone else changed.
type Change struct {
	// Kind is "user" or "group".
	Kind string
	ID   string
}

// PollResult is what one poll learned.
type PollResult struct {
	// Changes are the objects changed by someone else, each once.
	Changes []Change
	// Resync is set when the feed cannot tell what changed (more changes than one poll reads):
	// every resource must be compared again.
	Resync bool
	// Calls is the number of events calls the poll made.
	Calls int
	// Own counts the events of the operator's own writes, which were left out.
	Own int
}

// Feed is a connection's change feed: where its polls stand, and the operator's own writes that
// are still to be recognised in the events. It is safe for concurrent use; one goroutine polls.
type Feed struct {
	// Instance marks this process's requests (in their User-Agent): an event whose user agent
	// carries it is the operator's own write.
	Instance string

	mu sync.Mutex
	// running is set while a goroutine polls the feed: only then are own writes recorded.
	running bool
	state   FeedState
	// message explains a Refused or Failing state.
	message string
	// lastOK is when the last successful poll began (the operator's clock); zero before one.
	lastOK time.Time
	// seen holds the ids of the events handled, with when they were seen, for as long as later
	// polls may return them again.
	seen map[string]time.Time
	// own holds, per JumpCloud id, the operator's writes whose events have not come yet.
	own map[string][]time.Time
}

// NewFeed returns a feed that has not polled yet.
func NewFeed(instance string) *Feed {
	return &Feed{Instance: instance, seen: map[string]time.Time{}, own: map[string][]time.Time{}}
}

// State returns the feed's state and, when it is not polling, why.
func (f *Feed) State() (FeedState, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state, f.message
}

// Healthy reports whether the feed polls successfully, so that the periodic comparison may run
// less often.
func (f *Feed) Healthy() bool {
	if f == nil {
		return false
	}
	s, _ := f.State()
	return s == FeedPolling
}

// Start marks the feed as polled: from now on the operator's writes are recorded, to be
// recognised in the events.
func (f *Feed) Start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = true
}

// Stop forgets the feed's position and the writes it waited for: a feed enabled again starts
// from its first poll.
func (f *Feed) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running, f.state, f.message, f.lastOK = false, FeedOff, "", time.Time{}
	clear(f.seen)
	clear(f.own)
}

// NoteWrite records that the operator wrote the objects ids at now: the next event about each
// of them is its own, unless the event's user agent says otherwise.
func (f *Feed) NoteWrite(ids []string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running {
		return // no poll will look for them
	}
	for _, id := range ids {
		f.own[id] = append(f.own[id], now)
	}
}

// Poll reads the events since the last successful poll (less FeedOverlap) and returns the
// objects others changed. Its error is the events call's; the state says whether JumpCloud
// refused the feed (jumpcloud.IsFeedRefused) or it is failing.
func (f *Feed) Poll(ctx context.Context, src EventSource, now time.Time) (PollResult, error) {
	f.mu.Lock()
	lastOK := f.lastOK
	f.mu.Unlock()

	var res PollResult
	if lastOK.IsZero() {
		// A first poll has no position: what happened before it is what the resources' first
		// passes compare anyway. It still looks FeedOverlap back, for events still arriving.
		lastOK = now
	}
	q := jumpcloud.EventQuery{Start: lastOK.Add(-FeedOverlap), Services: feedServices, Limit: feedPageSize}
	var events []jumpcloud.Event
	for {
		page, err := src.Events(ctx, q)
		res.Calls++
		if err != nil {
			f.failed(err, now)
			return res, err
		}
		events = append(events, page.Events...)
		if !page.More || len(page.Events) == 0 {
			break
		}
		if res.Calls >= FeedMaxPages {
			res.Resync = true
			break
		}
		q.SearchAfter = page.SearchAfter
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	// Polls that failed lost nothing: this one asked from the last successful one on.
	f.state, f.message, f.lastOK = FeedPolling, "", now
	f.prune(now)
	if res.Resync {
		return res, nil
	}
	changed := map[Change]bool{}
	for _, ev := range events {
		if ev.ID != "" {
			if _, dup := f.seen[ev.ID]; dup {
				continue
			}
			f.seen[ev.ID] = now
		}
		targets := changedBy(ev)
		if len(targets) == 0 {
			continue
		}
		if f.isOwn(ev, targets) {
			res.Own++
			continue
		}
		for _, c := range targets {
			if !changed[c] {
				changed[c] = true
				res.Changes = append(res.Changes, c)
			}
		}
	}
	return res, nil
}

// changedBy returns the users and groups an event changed: its resource, or for a membership
// change the group (the users themselves did not change).
func changedBy(ev jumpcloud.Event) []Change {
	var out []Change
	if len(ev.Associated) > 0 {
		for _, t := range ev.Associated {
			if t.Kind == "group" && t.ID != "" {
				out = append(out, Change{Kind: t.Kind, ID: t.ID})
			}
		}
		return out
	}
	if t := ev.Resource; t.ID != "" && (t.Kind == "user" || t.Kind == "group") {
		out = append(out, Change{Kind: t.Kind, ID: t.ID})
	}
	return out
}

// isOwn tells whether an event is one of the operator's own writes: by its user agent when the
// event names one (this process's mark, or another client), else by a write of the operator to
// one of its objects still waiting for its event. An own event uses that write up, so that a
// later change by someone else is not taken for it.
func (f *Feed) isOwn(ev jumpcloud.Event, targets []Change) bool {
	if ev.UserAgent != "" && (f.Instance == "" || !strings.Contains(ev.UserAgent, f.Instance)) {
		return false
	}
	marked := false
	for _, t := range targets {
		if w := f.own[t.ID]; len(w) > 0 {
			if len(w) == 1 {
				delete(f.own, t.ID)
			} else {
				f.own[t.ID] = w[1:]
			}
			marked = true
		}
	}
	return marked || ev.UserAgent != ""
}

// failed records a failed poll.
func (f *Feed) failed(err error, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case jumpcloud.IsFeedRefused(err):
		f.state, f.message = FeedRefused, "JumpCloud refused the Directory Insights events: "+err.Error()
	case f.lastOK.IsZero() || now.Sub(f.lastOK) > FeedOverlap:
		f.state, f.message = FeedFailing, "reading the Directory Insights events failed: "+err.Error()
	}
}

// prune drops the event ids no later poll can return and the own writes whose events never came.
func (f *Feed) prune(now time.Time) {
	for id, at := range f.seen {
		if now.Sub(at) > seenRetention {
			delete(f.seen, id)
		}
	}
	for id, w := range f.own {
		for len(w) > 0 && now.Sub(w[0]) > ownWriteExpiry {
			w = w[1:]
		}
		if len(w) == 0 {
			delete(f.own, id)
		} else {
			f.own[id] = w
		}
	}
}
