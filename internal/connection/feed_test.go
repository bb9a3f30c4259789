package connection

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// fakeEvents answers events queries from a script: one answer (page or error) per call.
type fakeEvents struct {
	answers []func(q jumpcloud.EventQuery) (*jumpcloud.EventPage, error)
	queries []jumpcloud.EventQuery
}

func (f *fakeEvents) Events(_ context.Context, q jumpcloud.EventQuery) (*jumpcloud.EventPage, error) {
	f.queries = append(f.queries, q)
	if len(f.answers) == 0 {
		return &jumpcloud.EventPage{}, nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a(q)
}

func page(more bool, evs ...jumpcloud.Event) func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error) {
	return func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error) {
		p := &jumpcloud.EventPage{Events: evs, More: more}
		if n := len(evs); n > 0 {
			p.SearchAfter = json.RawMessage(`[1, "` + evs[n-1].ID + `"]`)
		}
		return p, nil
	}
}

func failure(err error) func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error) {
	return func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error) { return nil, err }
}

const (
	userA  = "aaaaaaaaaaaaaaaaaaaaaaaa"
	userB  = "bbbbbbbbbbbbbbbbbbbbbbbb"
	groupG = "cccccccccccccccccccccccc"
)

func userEvent(id, target, ua string) jumpcloud.Event {
	return jumpcloud.Event{ID: id, Type: "user_update", Resource: jumpcloud.EventTarget{Kind: "user", ID: target}, UserAgent: ua}
}

func TestFeedPoll(t *testing.T) {
	const instance = "jumpcloud-operator-instance/0123456789ab"
	ours := instance + " jumpcloud-operator/v1"
	console := "Mozilla/5.0"
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	member := jumpcloud.Event{ID: "m1", Type: "association_change", Associated: []jumpcloud.EventTarget{
		{Kind: "group", ID: groupG}, {Kind: "user", ID: userA}}}

	for _, tc := range []struct {
		name    string
		own     []string // ids the operator wrote before the poll
		answers []func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error)
		want    []Change
		wantOwn int
		resync  bool
		calls   int
	}{
		{name: "nothing happened: one call", calls: 1},
		{name: "a console edit names its user", answers: answers(page(false, userEvent("e1", userA, console))),
			want: []Change{{"user", userA}}, calls: 1},
		{name: "the operator's own write, told by its user agent, is left out",
			answers: answers(page(false, userEvent("e1", userA, ours), userEvent("e2", userB, console))),
			want:    []Change{{"user", userB}}, wantOwn: 1, calls: 1},
		{name: "another installation's write is someone else's",
			answers: answers(page(false, userEvent("e1", userA, "jumpcloud-operator-instance/ffffffffffff jumpcloud-operator/v1"))),
			want:    []Change{{"user", userA}}, calls: 1},
		{name: "without user agents, a write of the operator stands for one event", own: []string{userA},
			answers: answers(page(false, userEvent("e1", userA, ""), userEvent("e2", userA, ""))),
			want:    []Change{{"user", userA}}, wantOwn: 1, calls: 1},
		{name: "a user agent wins over a waiting write", own: []string{userA},
			answers: answers(page(false, userEvent("e1", userA, console))),
			want:    []Change{{"user", userA}}, calls: 1},
		{name: "someone else's event leaves the waiting write for the operator's own", own: []string{userA},
			answers: answers(page(false, userEvent("e1", userA, console), userEvent("e2", userA, ""))),
			want:    []Change{{"user", userA}}, wantOwn: 1, calls: 1},
		{name: "several events of one user: one change",
			answers: answers(page(false, userEvent("e1", userA, console), userEvent("e2", userA, console))),
			want:    []Change{{"user", userA}}, calls: 1},
		{name: "a membership change is the group's", answers: answers(page(false, member)),
			want: []Change{{"group", groupG}}, calls: 1},
		{name: "events that name no user or group are ignored",
			answers: answers(page(false, jumpcloud.Event{ID: "x", Type: "admin_login_attempt"},
				jumpcloud.Event{ID: "y", Resource: jumpcloud.EventTarget{Kind: "system", ID: userA}})), calls: 1},
		{name: "pages are followed",
			answers: answers(page(true, userEvent("e1", userA, console)), page(false, userEvent("e2", userB, console))),
			want:    []Change{{"user", userA}, {"user", userB}}, calls: 2},
		{name: "more pages than a poll reads: compare everything",
			answers: answers(page(true, userEvent("e1", userA, console)), page(true, userEvent("e2", userA, console)),
				page(true, userEvent("e3", userA, console)), page(true, userEvent("e4", userA, console)),
				page(true, userEvent("e5", userA, console)), page(true, userEvent("e6", userA, console))),
			resync: true, calls: FeedMaxPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeEvents{answers: tc.answers}
			f := NewFeed(instance)
			f.Start()
			f.NoteWrite(tc.own, t0)
			res, err := f.Poll(context.Background(), src, t0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Changes, tc.want) || res.Own != tc.wantOwn || res.Resync != tc.resync || res.Calls != tc.calls {
				t.Errorf("got changes %v own %d resync %v calls %d; want %v own %d resync %v calls %d",
					res.Changes, res.Own, res.Resync, res.Calls, tc.want, tc.wantOwn, tc.resync, tc.calls)
			}
			if got := src.queries[0].Start; !got.Equal(t0.Add(-FeedOverlap)) {
				t.Errorf("first query starts at %v, want %v", got, t0.Add(-FeedOverlap))
			}
			for i, q := range src.queries[1:] {
				if string(q.SearchAfter) == "" {
					t.Errorf("page %d asked without search_after", i+2)
				}
			}
			if !f.Healthy() {
				t.Errorf("state after a successful poll: %v", f.state)
			}
		})
	}
}

func answers(a ...func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error)) []func(jumpcloud.EventQuery) (*jumpcloud.EventPage, error) {
	return a
}

func TestFeedPollsFollowOn(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	f := NewFeed("jumpcloud-operator-instance/0123456789ab")
	e1 := userEvent("e1", userA, "Mozilla/5.0")
	src := &fakeEvents{answers: answers(
		page(false, e1),
		// The next poll asks from the overlap before the first: e1 again, handled once.
		page(false, e1, userEvent("e2", userB, "Mozilla/5.0")),
		failure(errors.New("connection reset")),
		failure(errors.New("connection reset")),
		page(false),
	)}
	poll := func(at time.Time) PollResult {
		t.Helper()
		res, _ := f.Poll(context.Background(), src, at)
		return res
	}
	if res := poll(t0); !slices.Equal(res.Changes, []Change{{"user", userA}}) {
		t.Fatalf("first poll: %v", res.Changes)
	}
	t1 := t0.Add(10 * time.Second)
	if res := poll(t1); !slices.Equal(res.Changes, []Change{{"user", userB}}) {
		t.Fatalf("second poll: %v", res.Changes)
	}
	if got, want := src.queries[1].Start, t0.Add(-FeedOverlap); !got.Equal(want) {
		t.Errorf("second poll starts at %v, want %v", got, want)
	}
	// A failure shorter than the overlap keeps the feed healthy; a longer one does not.
	poll(t1.Add(10 * time.Second))
	if !f.Healthy() {
		t.Errorf("one failed poll made the feed unhealthy")
	}
	poll(t1.Add(FeedOverlap + time.Second))
	if s, msg := f.State(); s != FeedFailing || msg == "" {
		t.Errorf("after failing for longer than the overlap: %q %q", s, msg)
	}
	// Recovery asks from the last successful poll: nothing lost.
	poll(t1.Add(FeedOverlap + 20*time.Second))
	if got, want := src.queries[4].Start, t1.Add(-FeedOverlap); !got.Equal(want) {
		t.Errorf("recovering poll starts at %v, want %v", got, want)
	}
	if !f.Healthy() {
		t.Errorf("not healthy after a successful poll")
	}
}

func TestFeedRecordsWritesOnlyWhilePolled(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	f := NewFeed("jumpcloud-operator-instance/0123456789ab")
	f.NoteWrite([]string{userA}, t0)
	if len(f.own) != 0 {
		t.Fatalf("a feed nobody polls recorded a write: %v", f.own)
	}
	f.Start()
	f.NoteWrite([]string{userA}, t0)
	if len(f.own) != 1 {
		t.Fatalf("a polled feed did not record the write: %v", f.own)
	}
	f.Stop()
	if len(f.own) != 0 || f.Healthy() {
		t.Fatalf("a stopped feed kept its writes or its state: %v %v", f.own, f.state)
	}
	// Writes whose events never came are dropped after ownWriteExpiry.
	f.Start()
	f.NoteWrite([]string{userA}, t0)
	if _, err := f.Poll(context.Background(), &fakeEvents{}, t0.Add(ownWriteExpiry+time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(f.own) != 0 {
		t.Fatalf("an expired write is still waiting: %v", f.own)
	}
}
