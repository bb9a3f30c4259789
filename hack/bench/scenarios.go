package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// The simulator settings of scenarios (a) and (c): JumpCloud-like latency and a server-side limit
// that the connection's rateLimit matches exactly.
const (
	createLatency = 50 * time.Millisecond
	createRPS     = 20
	createBurst   = 20
)

// Organizations, one per scenario.
const (
	orgCreates = "5f0c1a2b3c4d5e6f7081b001"
	orgLatency = "5f0c1a2b3c4d5e6f7081b002"
	orgSteady  = "5f0c1a2b3c4d5e6f7081b003"
)

func rateLimited() (jcsim.Knobs, iamv1alpha1.ConnectionSettings) {
	return jcsim.Knobs{Latency: createLatency, RateLimit: jcsim.RateLimit{RPS: createRPS, Burst: createBurst}},
		iamv1alpha1.ConnectionSettings{RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: createRPS, Burst: createBurst}}
}

func newUser(ns, name string) *iamv1alpha1.JumpCloudUser {
	return &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: iamv1alpha1.JumpCloudUserSpec{
			Username: name,
			Email:    name + "@example.com",
			// Clean-up between scenarios must not cost the simulator calls.
			DeletionPolicy: iamv1alpha1.DeletionPolicyOrphan,
		},
	}
}

// creates is scenario (a).
func (b *bench) creates(_ context.Context, res *results) error {
	n := b.cfg.creates
	ns := "bench-creates"
	logf("(a) %d new users, %s latency, server limit %d req/s (burst %d)", n, createLatency, createRPS, createBurst)
	knobs, settings := rateLimited()
	sim, key, rec, err := b.simulator(orgCreates, knobs)
	if err != nil {
		return err
	}
	from := time.Now()
	if err := b.connection(ns, sim.URL(), key, settings); err != nil {
		return err
	}
	t, err := b.track(ns)
	if err != nil {
		return err
	}
	defer t.stop()

	start := time.Now()
	if err := b.createUsers(n, 32, func(i int) *iamv1alpha1.JumpCloudUser {
		return newUser(ns, fmt.Sprintf("create%05d", i))
	}); err != nil {
		return err
	}
	applied := time.Since(start)
	if err := t.waitFor(15*time.Minute, "every created user to be Ready", func(ready, _ int) bool { return ready >= n }); err != nil {
		return err
	}
	converged := t.lastReady().Sub(start)
	time.Sleep(2 * time.Second) // anything still on its way counts too
	calls := rec.between(from, time.Now())
	floor := time.Duration(float64(n) / createRPS * float64(time.Second))
	res.Creates = &createsResult{
		Users:                    n,
		Calls:                    calls,
		CallsPerCreatedUser:      float64(calls.Total) / float64(n),
		ApplySeconds:             applied.Seconds(),
		ConvergenceSeconds:       converged.Seconds(),
		FloorSeconds:             floor.Seconds(),
		ConvergenceOverFloor:     converged.Seconds() / floor.Seconds(),
		TooManyRequests:          calls.TooManyRequests,
		SimulatorUsersAfterwards: sim.UserCount(orgCreates),
	}
	logf("(a) converged in %s (floor %s), %d calls, %d × 429", converged.Round(time.Millisecond), floor, calls.Total, calls.TooManyRequests)
	return b.cleanUp(ns, t)
}

// cleanUp deletes the users of a scenario (deletionPolicy Orphan: no calls) and waits until the
// manager released them.
func (b *bench) cleanUp(ns string, t *tracker) error {
	if err := b.c.DeleteAllOf(b.ctx, &iamv1alpha1.JumpCloudUser{}, client.InNamespace(ns)); err != nil {
		return err
	}
	return t.waitFor(5*time.Minute, "the users of "+ns+" to be deleted", func(_, existing int) bool { return existing == 0 })
}

// latency is scenario (c).
func (b *bench) latency(_ context.Context, res *results) error {
	runs := b.cfg.latencyRuns
	ns := "bench-latency"
	logf("(c) apply→Ready of one user, %d runs", runs)
	knobs, settings := rateLimited()
	sim, key, rec, err := b.simulator(orgLatency, knobs)
	if err != nil {
		return err
	}
	if err := b.connection(ns, sim.URL(), key, settings); err != nil {
		return err
	}
	t, err := b.track(ns)
	if err != nil {
		return err
	}
	defer t.stop()
	from := time.Now()
	var samples []time.Duration
	for i := range runs {
		name := fmt.Sprintf("latency%03d", i)
		start := time.Now()
		if err := b.c.Create(b.ctx, newUser(ns, name)); err != nil {
			return err
		}
		if err := t.waitFor(time.Minute, name+" to be Ready", func(int, int) bool { _, ok := t.readyAt(name); return ok }); err != nil {
			return err
		}
		at, _ := t.readyAt(name)
		samples = append(samples, at.Sub(start))
	}
	calls := rec.between(from, time.Now())
	slices.Sort(samples)
	res.Latency = &latencyResult{
		Runs:            runs,
		P50Millis:       millis(percentile(samples, 50)),
		P95Millis:       millis(percentile(samples, 95)),
		MinMillis:       millis(samples[0]),
		MaxMillis:       millis(samples[len(samples)-1]),
		CallsPerApply:   float64(calls.Total) / float64(runs),
		TooManyRequests: calls.TooManyRequests,
	}
	logf("(c) p50 %.0f ms, p95 %.0f ms", res.Latency.P50Millis, res.Latency.P95Millis)
	return b.cleanUp(ns, t)
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// steady is what scenarios (b) and (e) share: the simulator with the existing users.
type steady struct {
	sim *jcsim.Server
	rec *recorder
	ns  string
}

// steadyBulk is scenarios (b) and (d).
func (b *bench) steadyBulk(_ context.Context, res *results) error {
	m, period := b.cfg.steadyUsers, b.cfg.resync
	logf("(b) %d existing users adopted, then one resync interval (%s) in bulk mode", m, period)
	// Latency as in (a); no server-side limit, so that per-resource mode (e) can do its N reads
	// within one interval and its cost shows in full.
	sim, key, rec, err := b.simulator(orgSteady, jcsim.Knobs{Latency: createLatency})
	if err != nil {
		return err
	}
	if _, err := sim.SeedUsers(orgSteady, m); err != nil {
		return err
	}
	b.steady = &steady{sim: sim, rec: rec, ns: "bench-steady"}
	from := time.Now()
	if err := b.connection(b.steady.ns, sim.URL(), key, iamv1alpha1.ConnectionSettings{
		AllowAdoption:  true,
		ResyncInterval: &metav1.Duration{Duration: period},
		RateLimit:      &iamv1alpha1.RateLimit{RequestsPerSecond: 1000, Burst: 1000},
	}); err != nil {
		return err
	}
	t, err := b.track(b.steady.ns)
	if err != nil {
		return err
	}
	defer t.stop()
	start := time.Now()
	seeded := sim.Users(orgSteady)
	if err := b.createUsers(m, 48, func(i int) *iamv1alpha1.JumpCloudUser {
		u := newUser(b.steady.ns, seeded[i].Username)
		u.Spec.Email = seeded[i].Email
		u.Spec.AdoptionPolicy = iamv1alpha1.AdoptionPolicyIfExists
		return u
	}); err != nil {
		return err
	}
	logf("(b) %d JumpCloudUsers applied in %s", m, time.Since(start).Round(time.Second))
	if err := t.waitFor(20*time.Minute, "every adopted user to be Ready", func(ready, _ int) bool { return ready >= m }); err != nil {
		return err
	}
	converged := time.Now()
	adoption := rec.between(from, converged)
	logf("(b) converged in %s with %d calls; measuring %s", converged.Sub(start).Round(time.Second), adoption.Total, period)
	atConvergence, err := b.memory()
	if err != nil {
		return err
	}
	// The profile forces a GC: it is taken after the reading.
	convergedProfile, err := b.heapProfile("converged")
	if err != nil {
		return err
	}

	window := b.measure(converged, period)
	mem, err := b.memory()
	if err != nil {
		return err
	}
	mem.ConvergedRSSMiB = atConvergence.RSSMiB
	if err := b.addProfiles(&mem, convergedProfile); err != nil {
		return err
	}
	res.Steady = &steadyResult{
		Users:                    m,
		ResyncIntervalSeconds:    period.Seconds(),
		ConvergenceSeconds:       converged.Sub(start).Seconds(),
		AdoptionCalls:            adoption,
		Bulk:                     window,
		BulkBound:                int(math.Ceil(float64(m)/100)) + 2,
		SimulatorUsersAfterwards: sim.UserCount(orgSteady),
	}
	res.Memory = &mem
	logf("(b) %d calls and %d writes in one resync interval; RSS %.0f MiB, heap %.0f MiB", window.Calls.Total, window.Calls.Writes, mem.RSSMiB, mem.HeapInuseMiB)
	return nil
}

// addProfiles records the heap profiles taken before, and one taken now ("steady").
func (b *bench) addProfiles(mem *memoryResult, earlier ...*heapProfile) error {
	steady, err := b.heapProfile("steady")
	if err != nil {
		return err
	}
	for _, p := range append(earlier, steady) {
		if p != nil {
			mem.HeapProfiles = append(mem.HeapProfiles, p)
		}
	}
	return nil
}

// measure counts the calls of one resync interval from start, once it is over.
func (b *bench) measure(start time.Time, period time.Duration) windowResult {
	end := start.Add(period)
	time.Sleep(time.Until(end) + 2*time.Second) // answers still on their way are recorded late
	return windowResult{From: start, To: end, Calls: b.steady.rec.between(start, end)}
}

// steadyPerResource is scenario (e).
func (b *bench) steadyPerResource(_ context.Context, res *results) error {
	m, period := b.cfg.steadyUsers, b.cfg.resync
	logf("(e) the manager restarted in per-resource mode; one resync interval of the same %d users", m)
	if err := b.env.StopManager(); err != nil {
		return err
	}
	restart := time.Now()
	if err := b.startManager("per-resource"); err != nil {
		return err
	}
	// After a start every user is read once; each comes back one jittered interval (±10%) after
	// its own read. The window starts a tenth of an interval after the last start-up read, so
	// that it holds exactly the next read of every user when the start-up took under 0.7 of an
	// interval.
	deadline := time.Now().Add(20 * time.Minute)
	var wave time.Time
	for {
		if at, ok := b.steady.rec.nth("get", m, restart); ok {
			wave = at
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the per-resource manager did not read every user after its start")
		}
		time.Sleep(time.Second)
	}
	startup := wave.Sub(restart)
	logf("(e) start-up read every user in %s; measuring %s", startup.Round(time.Second), period)
	window := b.measure(wave.Add(period/10), period)
	mem, err := b.memory()
	if err != nil {
		return err
	}
	if err := b.addProfiles(&mem); err != nil {
		return err
	}
	s := res.Steady
	s.PerResource = &window
	s.PerResourceStartupSeconds = startup.Seconds()
	s.PerResourceWindowExact = startup < period*7/10
	s.PerResourceMemory = &mem
	if window.Calls.Total > 0 {
		s.BulkOverPerResource = float64(s.Bulk.Calls.Total) / float64(window.Calls.Total)
	}
	logf("(e) %d calls (%d GET) in one resync interval", window.Calls.Total, window.Calls.ByOp["get"])
	return nil
}
