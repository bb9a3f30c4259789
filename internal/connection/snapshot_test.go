package connection

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
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

// fillRandom sets every field reachable from v (a pointer) to a random value: strings of any
// length (some empty, some past one varint byte), negative and positive ints, nil and empty
// lists, nil timestamps and timestamps in UTC, time.Local and a fixed zone. A kind it does not
// know fails the test: the record encoding must learn the new field first.
func fillRandom(t *testing.T, rng *rand.Rand, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		n := rng.IntN(4)
		switch n {
		case 0:
			v.SetString("")
		case 1:
			v.SetString(strings.Repeat("ü", 100+rng.IntN(200)))
		default:
			v.SetString(fmt.Sprintf("%s-%d", path, rng.Int64()))
		}
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 1)
	case reflect.Int:
		v.SetInt(rng.Int64N(1<<40) - 1<<39)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			sec, nsec := rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)
			ts := time.Unix(sec, nsec)
			switch rng.IntN(3) {
			case 0:
				ts = ts.UTC()
			case 1:
				ts = ts.Local()
			default:
				ts = ts.In(time.FixedZone(fmt.Sprintf("Z%d", rng.IntN(9)), (rng.IntN(48)-24)*1800))
			}
			v.Set(reflect.ValueOf(ts))
			return
		}
		for i := range v.NumField() {
			fillRandom(t, rng, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		if rng.IntN(4) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fillRandom(t, rng, p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		n := rng.IntN(4) - 1
		if n < 0 {
			v.SetZero()
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fillRandom(t, rng, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		t.Fatalf("%s is a %s: teach the snapshot's record encoding (snapshot.go) this field", path, v.Kind())
	}
}

func TestRecordsHoldEveryFieldOfAUser(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var w recordWriter
	for i := range 2000 {
		var u jumpcloud.User
		fillRandom(t, rng, reflect.ValueOf(&u).Elem(), "User")
		rec := w.user(&u)
		if got := rec.user(); !reflect.DeepEqual(got, u) {
			t.Fatalf("user %d changed in its record:\n got %+v\nwant %+v", i, got, u)
		}
		if id, username := rec.keys(); id != u.ID || username != u.Username {
			t.Fatalf("keys = %q, %q; want %q, %q", id, username, u.ID, u.Username)
		}
	}
	// Every field set at once (no zero value hides a field the encoding skips).
	var u jumpcloud.User
	setEveryField(reflect.ValueOf(&u).Elem())
	if got := w.user(&u).user(); !reflect.DeepEqual(got, u) {
		t.Fatalf("a user with every field set changed in its record:\n got %+v\nwant %+v", got, u)
	}
	if got := w.user(&jumpcloud.User{}).user(); !reflect.DeepEqual(got, jumpcloud.User{}) {
		t.Fatalf("the zero user changed in its record: %+v", got)
	}
}

// setEveryField sets every field reachable from v to a value other than its zero value.
func setEveryField(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int:
		v.SetInt(-7)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 27, 9, 0, 0, 1, time.UTC)))
			return
		}
		for i := range v.NumField() {
			setEveryField(v.Field(i))
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		setEveryField(p.Elem())
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			setEveryField(s.Index(i))
		}
		v.Set(s)
	}
}

func TestSnapshotAnswersWhatWasListedAndPut(t *testing.T) {
	_, snap, _, users := newSnapshot(t, 150)
	if err := snap.Fresh(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	direct, err := snap.client.GetUser(context.Background(), users[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := snap.User(users[3].ID); !ok || !reflect.DeepEqual(got, *direct) {
		t.Errorf("the snapshot's user differs from a read by id:\n got %+v\nwant %+v", got, *direct)
	}
	// A renamed user: the old username no longer resolves, the new one does.
	renamed := *direct
	renamed.Username = "renamed"
	snap.Put(renamed)
	if _, ok := snap.UserByUsername(users[3].Username); ok {
		t.Error("the old username still resolves")
	}
	if got, ok := snap.UserByUsername("renamed"); !ok || !reflect.DeepEqual(got, renamed) {
		t.Errorf("UserByUsername(renamed) = %+v, %v", got, ok)
	}
	if snap.Len() != 150 {
		t.Errorf("len %d after a rename, want 150", snap.Len())
	}
	snap.Forget(users[3].ID)
	if _, ok := snap.UserByUsername("renamed"); ok {
		t.Error("a forgotten user's username still resolves")
	}
	if snap.Len() != 149 {
		t.Errorf("len %d after a forget, want 149", snap.Len())
	}
}
