package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// Scenario (f): the change feed, on the users of (b).
const (
	feedInterval = 10 * time.Second
	feedEdits    = 20
	// feedEditGap spaces the console edits, so that they fall into different polls.
	feedEditGap = 3 * time.Second
	// feedWindow is the stretch without changes whose calls are counted.
	feedWindow = 2 * time.Minute
	// feedOffEdits are the console edits made with the feed off.
	feedOffEdits = 3
	// feedResync is the change feed's resyncInterval (its default).
	feedResync = time.Hour
	// defaultResync is a connection's default resyncInterval, for the per-hour comparison.
	defaultResync = 10 * time.Minute
)

type feedResult struct {
	Users           int     `json:"users"`
	IntervalSeconds float64 `json:"intervalSeconds"`
	// Edits are console edits of a managed field (email), one user each, feedEditGap apart.
	Edits          int       `json:"edits"`
	RevertSeconds  []float64 `json:"revertSeconds"`
	RevertP50      float64   `json:"revertP50Seconds"`
	RevertP95      float64   `json:"revertP95Seconds"`
	RevertMax      float64   `json:"revertMaxSeconds"`
	RevertP95Bound float64   `json:"revertP95BoundSeconds"`
	// EditCalls are the calls from the first edit until the last revert.
	EditCalls         callCounts `json:"editCalls"`
	EditSeconds       float64    `json:"editSeconds"`
	EventsCallsBound  int        `json:"eventsCallsBound"`
	ReadsPerEdit      float64    `json:"readsPerEdit"`
	WritesPerEdit     float64    `json:"writesPerEdit"`
	OwnEventsDetected bool       `json:"ownEventsDetected"`
	// Quiet is a window without changes, with the feed on.
	Quiet windowResult `json:"quiet"`
	// Per hour with no change, at the defaults (resyncInterval 10m; with the feed, its
	// resyncInterval 1h): the feed's polls measured in Quiet plus one list of the directory per
	// safety-net interval and the key re-verifications; bulk only: (b)'s resync calls six times.
	FeedCallsPerHour     float64 `json:"feedCallsPerHour"`
	BulkOnlyCallsPerHour float64 `json:"bulkOnlyCallsPerHour"`
	// OffRevertSeconds are the reverts of feedOffEdits edits made with the feed off; the
	// documented bound is two resync intervals.
	OffRevertSeconds []float64 `json:"offRevertSeconds"`
	OffBoundSeconds  float64   `json:"offBoundSeconds"`
}

// changeFeed is scenario (f).
func (b *bench) changeFeed(ctx context.Context, res *results) error {
	st := b.steady
	m := b.cfg.steadyUsers
	logf("(f) the change feed (every %s) on the %d users of (b): %d console edits, a quiet window, then %d edits with the feed off",
		feedInterval, m, feedEdits, feedOffEdits)
	if b.mode != "bulk" {
		if err := b.env.StopManager(); err != nil {
			return err
		}
		if err := b.startManager("bulk"); err != nil {
			return err
		}
	}
	if err := b.setFeed(st.ns, true); err != nil {
		return err
	}
	if err := b.waitFeed(st.ns, metav1.ConditionTrue, time.Minute); err != nil {
		return err
	}
	// Let the passes the settings change woke settle before editing.
	if err := b.quiet(st.rec, 5*time.Second, 5*time.Minute); err != nil {
		return err
	}
	out := &feedResult{Users: m, IntervalSeconds: feedInterval.Seconds(), Edits: feedEdits,
		RevertP95Bound: 60}
	res.Feed = out

	users := st.sim.Users(orgSteady)
	if len(users) < feedEdits+feedOffEdits {
		return fmt.Errorf("(f) needs at least %d users", feedEdits+feedOffEdits)
	}
	pick := func(i int) jcsim.User { return users[(i*len(users))/(feedEdits+feedOffEdits)] }

	start := time.Now()
	reverts, err := b.editAndWait(st, pick, 0, feedEdits, feedEditGap, 3*time.Minute)
	if err != nil {
		return err
	}
	end := time.Now()
	out.RevertSeconds = reverts
	sorted := slices.Clone(reverts)
	slices.Sort(sorted)
	out.RevertP50, out.RevertP95, out.RevertMax = pct(sorted, 0.5), pct(sorted, 0.95), sorted[len(sorted)-1]
	// Answers still on their way are recorded late.
	time.Sleep(2 * time.Second)
	out.EditCalls = st.rec.between(start, end.Add(2*time.Second))
	out.EditSeconds = end.Sub(start).Seconds()
	out.EventsCallsBound = int(math.Ceil(out.EditSeconds/feedInterval.Seconds())) + 1
	out.ReadsPerEdit = float64(out.EditCalls.ByOp["get"]) / feedEdits
	out.WritesPerEdit = float64(out.EditCalls.Writes) / feedEdits
	logf("(f) %d edits reverted: p50 %.1fs, p95 %.1fs, max %.1fs; %d events calls, %.2f reads and %.2f writes per edit",
		feedEdits, out.RevertP50, out.RevertP95, out.RevertMax, out.EditCalls.ByOp["events"], out.ReadsPerEdit, out.WritesPerEdit)

	// The users' timers set before the feed worked fire once more at (b)'s interval; the quiet
	// window starts after them.
	if wait := time.Until(start.Add(b.cfg.resync * 12 / 10)); wait > 0 {
		logf("(f) waiting %s for the passes scheduled before the feed", wait.Round(time.Second))
		time.Sleep(wait)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	from := time.Now()
	time.Sleep(feedWindow + 2*time.Second)
	out.Quiet = windowResult{From: from, To: from.Add(feedWindow), Calls: st.rec.between(from, from.Add(feedWindow))}
	pages := float64(res.Steady.Bulk.Calls.ByOp["list"])
	perHour := 3600 / feedWindow.Seconds()
	keyChecks := 3600 / defaultResync.Seconds()
	out.FeedCallsPerHour = float64(out.Quiet.Calls.ByOp["events"])*perHour + pages*3600/feedResync.Seconds() + keyChecks
	out.BulkOnlyCallsPerHour = (pages + 1) * 3600 / defaultResync.Seconds()
	logf("(f) quiet window of %s: %d calls (%v); per hour with no change: %.0f with the feed, %.0f bulk only",
		feedWindow, out.Quiet.Calls.Total, out.Quiet.Calls.ByOp, out.FeedCallsPerHour, out.BulkOnlyCallsPerHour)

	// The feed off: the same edit waits for the periodic comparison.
	if err := b.setFeed(st.ns, false); err != nil {
		return err
	}
	// Turning the feed off wakes every user (the resync interval changed), and their passes may
	// list the directory: the edits come after, so that only the periodic comparison sees them.
	if err := b.quiet(st.rec, 5*time.Second, 5*time.Minute); err != nil {
		return err
	}
	out.OffBoundSeconds = 2 * b.cfg.resync.Seconds()
	off, err := b.editAndWait(st, pick, feedEdits, feedOffEdits, 0, 3*b.cfg.resync)
	if err != nil {
		return err
	}
	out.OffRevertSeconds = off
	logf("(f) with the feed off, %d edits reverted after %v s (bound %.0fs)", feedOffEdits, roundAll(off), out.OffBoundSeconds)
	return nil
}

// editAndWait makes n console edits of users pick(first...first+n-1), gap apart, and returns how
// long each took to be reverted.
func (b *bench) editAndWait(st *steady, pick func(int) jcsim.User, first, n int, gap, timeout time.Duration) ([]float64, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	out := make([]float64, n)
	for i := range n {
		u := pick(first + i)
		edited := time.Now()
		if err := st.sim.EditUser(orgSteady, u.ID, func(cu *jcsim.User) { cu.Email = fmt.Sprintf("console-%d-%s", first+i, u.Email) }); err != nil {
			return nil, err
		}
		wg.Go(func() {
			deadline := edited.Add(timeout)
			for time.Now().Before(deadline) {
				if cur, ok := st.sim.User(orgSteady, u.ID); ok && cur.Email == u.Email {
					out[i] = time.Since(edited).Seconds()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			errs = append(errs, fmt.Errorf("the console edit of %s was not reverted within %s", u.Username, timeout))
			mu.Unlock()
		})
		if i < n-1 {
			time.Sleep(gap)
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return out, errs[0]
	}
	return out, nil
}

// setFeed turns the change feed of the namespace's connection on or off.
func (b *bench) setFeed(ns string, on bool) error {
	var c iamv1alpha1.JumpCloudConnection
	if err := b.c.Get(b.ctx, client.ObjectKey{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName}, &c); err != nil {
		return err
	}
	patch := client.MergeFrom(c.DeepCopy())
	c.Spec.ChangeFeed = &iamv1alpha1.ChangeFeed{Enabled: on, Interval: &metav1.Duration{Duration: feedInterval},
		ResyncInterval: &metav1.Duration{Duration: feedResync}}
	return b.c.Patch(b.ctx, &c, patch)
}

// waitFeed waits for the connection's ChangeFeed condition to have status.
func (b *bench) waitFeed(ns string, status metav1.ConditionStatus, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var c iamv1alpha1.JumpCloudConnection
		if err := b.c.Get(b.ctx, client.ObjectKey{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName}, &c); err == nil {
			if cond := meta.FindStatusCondition(c.Status.Conditions, iamv1alpha1.ConditionChangeFeed); cond != nil && cond.Status == status {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the ChangeFeed condition of %s/default did not become %s within %s", ns, status, timeout)
}

// quiet waits until the simulator answered no call but events for d.
func (b *bench) quiet(rec *recorder, d, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c := rec.between(time.Now().Add(-d), time.Now())
		if c.Total-c.ByOp["events"] == 0 {
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("the operator did not settle within %s", timeout)
}

func pct(sorted []float64, p float64) float64 {
	return sorted[int(math.Ceil(p*float64(len(sorted))))-1]
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x*10) / 10
	}
	return out
}

func (f *feedResult) rows() []row {
	editCalls := f.EditCalls.ByOp["events"]
	quietOther := f.Quiet.Calls.Total - f.Quiet.Calls.ByOp["events"]
	return []row{
		{fmt.Sprintf("(f) feed every %.0fs: console edit reverted, p95 over %d edits (p50, max)", f.IntervalSeconds, f.Edits),
			fmt.Sprintf("%.1fs (%.1fs, %.1fs)", f.RevertP95, f.RevertP50, f.RevertMax), fmt.Sprintf("≤ %.0fs", f.RevertP95Bound),
			check(f.RevertP95 <= f.RevertP95Bound)},
		{fmt.Sprintf("(f) events calls while editing (%.0fs)", f.EditSeconds), strconv.Itoa(editCalls),
			fmt.Sprintf("≤ %d", f.EventsCallsBound), check(editCalls <= f.EventsCallsBound)},
		{"(f) reads / writes per edited user (" + ops(f.EditCalls.ByOp) + ")",
			fmt.Sprintf("%.2f / %.2f", f.ReadsPerEdit, f.WritesPerEdit), "1 / 1",
			check(f.ReadsPerEdit <= 1 && f.WritesPerEdit == 1)},
		{fmt.Sprintf("(f) quiet %.0fs with the feed on: events calls, other calls", f.Quiet.To.Sub(f.Quiet.From).Seconds()),
			fmt.Sprintf("%d, %d", f.Quiet.Calls.ByOp["events"], quietOther), "", nil},
		{fmt.Sprintf("(f) calls per hour with no change, %d users: feed / bulk only", f.Users),
			fmt.Sprintf("%.0f / %.0f", f.FeedCallsPerHour, f.BulkOnlyCallsPerHour), "", nil},
		{fmt.Sprintf("(f) feed off: %d edits reverted after (s)", len(f.OffRevertSeconds)),
			fmt.Sprint(roundAll(f.OffRevertSeconds)), fmt.Sprintf("≤ %.0fs", f.OffBoundSeconds),
			check(len(f.OffRevertSeconds) > 0 && slices.Max(f.OffRevertSeconds) <= f.OffBoundSeconds)},
	}
}
