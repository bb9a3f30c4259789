package connection

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const testKey = "snapshot-test-key"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newSnapshot starts a simulator with n users and returns it with a snapshot on a fake clock.
func newSnapshot(t *testing.T, n int) (*jcsim.Server, *Snapshot, *clock, []jcsim.User) {
	t.Helper()
	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{testKey: nil}})
	url, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	users, err := sim.SeedUsers("", n)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jumpcloud.New(jumpcloud.Options{BaseURL: url, APIKey: testKey, RequestsPerSecond: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	snap := NewSnapshot(c)
	snap.Now = clk.now
	sim.ResetLog()
	return sim, snap, clk, users
}

func TestSnapshotListsOnceAPeriod(t *testing.T) {
	sim, snap, clk, users := newSnapshot(t, 250)
	ctx := context.Background()
	if snap.Current(time.Minute) {
		t.Fatal("an unloaded snapshot is current")
	}
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := sim.Count("list"); n != 3 {
		t.Errorf("%d list calls for 250 users, want 3", n)
	}
	if snap.Len() != 250 || !snap.Current(time.Minute) {
		t.Errorf("len %d, current %v", snap.Len(), snap.Current(time.Minute))
	}
	if u, ok := snap.User(users[7].ID); !ok || u.Username != users[7].Username || u.Email != users[7].Email {
		t.Errorf("User = %+v, %v", u, ok)
	}
	if u, ok := snap.UserByUsername(users[200].Username); !ok || u.ID != users[200].ID {
		t.Errorf("UserByUsername = %+v, %v", u, ok)
	}
	if _, ok := snap.UserByUsername("nobody"); ok {
		t.Error("found an unknown username")
	}

	if !snap.ListedSince(clk.now()) || snap.ListedSince(clk.now().Add(time.Nanosecond)) {
		t.Error("ListedSince does not tell the list's start")
	}

	clk.advance(59 * time.Second)
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := sim.Count("*"); n != 3 {
		t.Errorf("%d calls while fresh, want 3", n)
	}
	clk.advance(time.Second)
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := sim.Count("list"); n != 6 {
		t.Errorf("%d list calls after a period, want 6", n)
	}
}

func TestSnapshotReadersShareOneList(t *testing.T) {
	sim, snap, _, _ := newSnapshot(t, 150)
	entered, release := make(chan struct{}, 8), make(chan struct{})
	var once sync.Once
	sim.SetHook(func(op, _ string) {
		if op == "list" {
			once.Do(func() {
				entered <- struct{}{}
				<-release
			})
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() { errs <- snap.Fresh(context.Background(), time.Minute) })
	}
	<-entered
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Count("list"); n != 2 {
		t.Errorf("%d list calls for 10 concurrent readers of 150 users, want 2", n)
	}
}

func TestSnapshotWritesDuringAListWin(t *testing.T) {
	sim, snap, clk, users := newSnapshot(t, 120)
	ctx := context.Background()
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)

	// The list reads the old department of users[0] and users[1]; meanwhile a write answers with
	// the new one and users[1] is deleted.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	sim.SetHook(func(op, _ string) {
		if op == "list" {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
	})
	done := make(chan error)
	go func() { done <- snap.Fresh(ctx, time.Minute) }()
	<-entered
	written, _ := snap.User(users[0].ID)
	written.Department = "Written"
	snap.Put(written)
	snap.Forget(users[1].ID)
	if u, _ := snap.User(users[0].ID); u.Department != "Written" {
		t.Errorf("a write is not visible at once: %q", u.Department)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if u, _ := snap.User(users[0].ID); u.Department != "Written" {
		t.Errorf("the list overwrote a later write: %q", u.Department)
	}
	if _, ok := snap.User(users[1].ID); ok {
		t.Error("the list brought back a forgotten user")
	}
	if _, ok := snap.UserByUsername(users[1].Username); ok {
		t.Error("the username of a forgotten user still resolves")
	}
	if _, ok := snap.User(users[2].ID); !ok {
		t.Error("an untouched user is missing")
	}
}

func TestSnapshotKeepsTheOldViewWhenAListFails(t *testing.T) {
	sim, snap, clk, users := newSnapshot(t, 50)
	ctx := context.Background()

	sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusForbidden})
	err := snap.Fresh(ctx, time.Minute)
	var ue *UnavailableError
	if !jumpcloud.IsForbidden(err) || !errors.As(err, &ue) {
		t.Fatalf("first list failed, Fresh = %v", err)
	}
	if want := clk.now().Add(minRetryDelay); !ue.RetryAt.Equal(want) {
		t.Errorf("the next list is due at %s, want %s", ue.RetryAt, want)
	}
	if err := snap.Fresh(ctx, time.Minute); !jumpcloud.IsForbidden(err) || sim.Count("list") != 1 {
		t.Fatalf("within the retry delay: Fresh = %v after %d list calls", err, sim.Count("list"))
	}
	clk.advance(minRetryDelay)
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}

	clk.advance(time.Minute)
	sim.ResetLog()
	sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusForbidden})
	if err := snap.Fresh(ctx, time.Minute); err != nil {
		t.Fatalf("a failed refresh with an old view: %v", err)
	}
	if _, ok := snap.User(users[0].ID); !ok {
		t.Error("the old view is gone")
	}
	if err := snap.Fresh(ctx, time.Minute); err != nil || sim.Count("list") != 1 {
		t.Errorf("within the retry delay: Fresh = %v after %d list calls, want no new call", err, sim.Count("list"))
	}
	clk.advance(minRetryDelay)
	if err := snap.Fresh(ctx, time.Minute); err != nil || sim.Count("list") != 2 || !snap.Current(time.Minute) {
		t.Errorf("after the retry delay: Fresh = %v after %d list calls", err, sim.Count("list"))
	}
}

func TestSnapshotsFollowTheConnectionsKey(t *testing.T) {
	reg := NewRegistry()
	ref := Ref{Kind: "JumpCloudConnection", Namespace: "a", Name: "default"}
	s := Settings{BaseURL: "http://127.0.0.1:1/api", RequestsPerSecond: 10, Burst: 20}
	first, err := reg.Build(ref, "key-1", s)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := reg.Build(ref, "key-1", s)
	rotated, _ := reg.Build(ref, "key-2", s)

	snaps := NewSnapshots()
	snap := snaps.For(first)
	if snaps.For(again) != snap {
		t.Error("a rebuilt client of the same key got a new snapshot")
	}
	if snaps.For(rotated) == snap {
		t.Error("another key kept the snapshot of the first")
	}
	snaps.Drop(ref)
	if snaps.For(first) == snap {
		t.Error("a dropped snapshot came back")
	}
}

func TestClientRateLimitLeavesHeadroom(t *testing.T) {
	for _, tc := range []struct {
		rps       float64
		burst     int
		wantBurst int
	}{
		{20, 20, 15},
		{10, 20, 17},
		{1, 5, 4},
		{100, 10, 1},
		{-1, 20, 20}, // unlimited
	} {
		rps, burst := ClientRateLimit(tc.rps, tc.burst)
		if rps != tc.rps || burst != tc.wantBurst {
			t.Errorf("ClientRateLimit(%g, %d) = %g, %d; want burst %d", tc.rps, tc.burst, rps, burst, tc.wantBurst)
		}
	}
}

func TestSnapshotListsAgainOnlyWhenWorthIt(t *testing.T) {
	sim, snap, clk, _ := newSnapshot(t, 250) // a list takes 3 pages
	ctx := context.Background()
	use := func(resource string) bool {
		t.Helper()
		ok, err := snap.Use(ctx, resource, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !use("r1") || sim.Count("list") != 3 {
		t.Fatalf("a first use lists the directory: %d list calls", sim.Count("list"))
	}
	if !snap.Peek("r2", time.Minute) {
		t.Error("Peek of a fresh view")
	}

	// Two resources read the view in its first period: a list (3 pages) costs more than reading
	// both users by id.
	clk.advance(time.Minute)
	if use("r1") {
		t.Error("a stale view read by fewer resources than a list has pages is listed again")
	}
	if n, p := snap.Demand(); n != 2 || p != 3 {
		t.Errorf("Demand = %d resources, %d pages; want 2, 3", n, p)
	}
	for _, r := range []string{"r2", "r3", "r4"} {
		if use(r) {
			t.Errorf("%s: stale view used", r)
		}
	}
	if sim.Count("list") != 3 {
		t.Errorf("%d list calls, want no new one", sim.Count("list"))
	}
	if snap.Peek("r5", time.Minute) {
		t.Error("Peek of a stale view")
	}

	// Five resources in the last period: now a list pays off.
	clk.advance(time.Minute)
	if !use("r1") || sim.Count("list") != 6 {
		t.Errorf("a stale view read by more resources than pages: %d list calls, want 6", sim.Count("list"))
	}
}
