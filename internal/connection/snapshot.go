package connection

import (
	"context"
	"fmt"
	"sync"
	"time"

	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Snapshot is one connection's view of every JumpCloud user, read with one paginated list
// (sorted by _id, 100 users a page) and shared by every resource that uses the connection. Bulk
// drift detection compares a resource with its entry here instead of reading the user by id, so
// that re-checking N users costs ⌈N/100⌉ calls per resync interval instead of N.
//
// The view is refreshed when a reader asks for one younger than it is; concurrent readers share
// one refresh. A list costs ⌈directory/100⌉ calls while reading each resource's user by id costs
// one call per resource, so a stale view is listed again only when the resources that used it in
// the last period were at least as many as a list has pages (Use); a large directory serving few
// resources is read user by user instead. Its age counts from the end of the last complete list, so that one refresh
// ends before the next may begin: any stretch of time as long as maxAge holds at most one list of
// the directory. Writes made while a list runs (Put, Forget) win over what the list read, which
// may be older. A failed refresh keeps the previous view, and no refresh is tried again for a
// while (5s, doubling up to maxAge), so that a struggling JumpCloud is not asked for the whole
// directory again and again.
//
// A Snapshot is safe for concurrent use.
type Snapshot struct {
	// Now is the clock; nil means time.Now. Set it before first use.
	Now func() time.Time

	mu     sync.Mutex
	client *jumpcloud.Client
	byID   map[string]*jumpcloud.User
	byName map[string]string // username -> id
	// listedFrom and loadedAt are when the last complete list began and ended; zero when there
	// was none.
	listedFrom, loadedAt time.Time
	// flight is the running refresh, nil when none runs.
	flight *refresh
	// overlay holds the writes (a user) and forgets (nil) since the running refresh began.
	overlay map[string]*jumpcloud.User
	// failures counts the refreshes that failed in a row; retryAt is when the next may run.
	failures int
	retryAt  time.Time
	lastErr  error
	// pages is how many calls the last complete list took.
	pages int
	// The resources that used the view in the current demand period (begun at periodStart), and
	// how many did in the last complete one (-1: none complete yet).
	periodStart time.Time
	users       map[string]struct{}
	lastDemand  int
}

type refresh struct {
	done chan struct{}
	err  error
}

// minRetryDelay is the pause after a first failed refresh; it doubles with each failure.
const minRetryDelay = 5 * time.Second

// NewSnapshot returns an empty snapshot that lists users through client.
func NewSnapshot(client *jumpcloud.Client) *Snapshot {
	return &Snapshot{client: client, byID: map[string]*jumpcloud.User{}, byName: map[string]string{},
		users: map[string]struct{}{}, lastDemand: -1}
}

func (s *Snapshot) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SetClient changes the client later refreshes use (a connection's client is rebuilt when its
// key or settings change).
func (s *Snapshot) SetClient(c *jumpcloud.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client = c
}

// UnavailableError says that a snapshot has no view to answer from: its last list failed (Err),
// and the next one will not be tried before RetryAt.
type UnavailableError struct {
	Err     error
	RetryAt time.Time
}

func (e *UnavailableError) Error() string { return fmt.Sprintf("listing JumpCloud users: %v", e.Err) }

func (e *UnavailableError) Unwrap() error { return e.Err }

// unavailable returns the error of a snapshot without a view after a failed list (nil when a
// later list has loaded one since).
func (s *Snapshot) unavailable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loadedAt.IsZero() {
		return nil
	}
	return &UnavailableError{Err: s.lastErr, RetryAt: s.retryAt}
}

// Fresh makes sure the view is younger than maxAge, listing every user first when it is not (one
// list, shared with concurrent callers). After a failed refresh it keeps answering from the
// previous view, if there is one, until the next attempt is due; without one it returns an
// *UnavailableError.
func (s *Snapshot) Fresh(ctx context.Context, maxAge time.Duration) error {
	s.mu.Lock()
	now := s.now()
	loaded := !s.loadedAt.IsZero()
	switch {
	case loaded && now.Sub(s.loadedAt) < maxAge:
		s.mu.Unlock()
		return nil
	case s.flight != nil:
		f := s.flight
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.err != nil && !loaded {
			return s.unavailable()
		}
		return nil
	case now.Before(s.retryAt):
		s.mu.Unlock()
		if loaded {
			return nil
		}
		return s.unavailable()
	}
	f := &refresh{done: make(chan struct{})}
	s.flight, s.overlay = f, map[string]*jumpcloud.User{}
	client, size := s.client, len(s.byID)
	s.mu.Unlock()

	start := time.Now()
	users, err := listAll(ctx, client, size+size/16)

	s.mu.Lock()
	if err == nil {
		s.install(users)
		s.listedFrom, s.loadedAt = now, s.now()
		s.pages = max(1, (len(users)+jumpcloud.MaxPageSize-1)/jumpcloud.MaxPageSize)
		s.failures, s.retryAt, s.lastErr = 0, time.Time{}, nil
	} else {
		s.failures++
		s.retryAt = s.now().Add(retryDelay(s.failures, maxAge))
		s.lastErr = err
	}
	s.flight, s.overlay = nil, nil
	f.err = err
	close(f.done)
	s.mu.Unlock()

	log := logf.FromContext(ctx)
	if err != nil {
		log.Error(err, "Listing JumpCloud users for the snapshot failed; keeping the previous one")
		if !loaded {
			return s.unavailable()
		}
		return nil
	}
	log.V(1).Info("Refreshed the snapshot of JumpCloud users", "users", len(users), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

func retryDelay(failures int, maxAge time.Duration) time.Duration {
	d := minRetryDelay
	for i := 1; i < failures && d < maxAge; i++ {
		d *= 2
	}
	return max(min(d, maxAge), time.Second)
}

// listAll reads every user, in _id order, 100 a page; sizeHint (the last count, with room to
// grow) spares the copies of a growing slice.
func listAll(ctx context.Context, client *jumpcloud.Client, sizeHint int) ([]jumpcloud.User, error) {
	if client == nil {
		return nil, fmt.Errorf("no JumpCloud client")
	}
	users := make([]jumpcloud.User, 0, sizeHint)
	for u, err := range client.AllUsers(ctx, jumpcloud.ListOptions{Limit: jumpcloud.MaxPageSize}) {
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// install replaces the view with users, then re-applies the writes made while they were listed.
func (s *Snapshot) install(users []jumpcloud.User) {
	byID := make(map[string]*jumpcloud.User, len(users))
	byName := make(map[string]string, len(users))
	for i := range users {
		u := &users[i]
		byID[u.ID] = u
		byName[u.Username] = u.ID
	}
	s.byID, s.byName = byID, byName
	for id, u := range s.overlay {
		if u == nil {
			s.remove(id)
		} else {
			s.set(u)
		}
	}
}

// Use notes that a resource (any stable key, such as its UID) reads the view, and makes the view
// younger than maxAge when that is worth a list: when it was never listed, or when at least as many
// resources read it in the last period (maxAge long) as a list takes pages. It reports whether the
// view may be read; when not, reading the resource's user by id is cheaper.
func (s *Snapshot) Use(ctx context.Context, resource string, maxAge time.Duration) (bool, error) {
	s.mu.Lock()
	now := s.now()
	s.note(resource, now, maxAge)
	switch {
	case s.loadedAt.IsZero():
	case now.Sub(s.loadedAt) < maxAge:
		s.mu.Unlock()
		return true, nil
	case s.lastDemand >= 0 && s.lastDemand < s.pages:
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	if err := s.Fresh(ctx, maxAge); err != nil {
		return false, err
	}
	return true, nil
}

// Peek notes that a resource reads the view, like Use, and reports whether the view is younger
// than maxAge, without refreshing it.
func (s *Snapshot) Peek(resource string, maxAge time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.note(resource, now, maxAge)
	return !s.loadedAt.IsZero() && now.Sub(s.loadedAt) < maxAge
}

// note counts a resource in the current demand period, starting a new period when it is over.
func (s *Snapshot) note(resource string, now time.Time, period time.Duration) {
	switch {
	case s.periodStart.IsZero():
		s.periodStart = now
	case now.Sub(s.periodStart) >= period:
		s.lastDemand = len(s.users)
		s.users = make(map[string]struct{}, len(s.users))
		s.periodStart = now
	}
	s.users[resource] = struct{}{}
}

// Demand returns how many resources read the view in the last complete period (-1: none yet) and
// how many pages the last list took.
func (s *Snapshot) Demand() (resources, pages int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastDemand, s.pages
}

// Current reports whether the view is younger than maxAge, without refreshing it.
func (s *Snapshot) Current(maxAge time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.loadedAt.IsZero() && s.now().Sub(s.loadedAt) < maxAge
}

// ListedSince reports whether the view comes from a list that began at or after t, so that a
// username it does not hold did not exist at t either (or was deleted since).
func (s *Snapshot) ListedSince(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.loadedAt.IsZero() && !s.listedFrom.Before(t)
}

// Loaded reports whether a complete list has been read.
func (s *Snapshot) Loaded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.loadedAt.IsZero()
}

// Len is the number of users in the view.
func (s *Snapshot) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// User returns the entry for a JumpCloud id. The copy shares its list fields with the snapshot:
// callers must not modify them.
func (s *Snapshot) User(id string) (jumpcloud.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byID[id]
	if !ok {
		return jumpcloud.User{}, false
	}
	return *u, true
}

// UserByUsername returns the entry for an exact (case-sensitive) username.
func (s *Snapshot) UserByUsername(username string) (jumpcloud.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byName[username]
	if !ok {
		return jumpcloud.User{}, false
	}
	u, ok := s.byID[id]
	if !ok {
		return jumpcloud.User{}, false
	}
	return *u, true
}

// Put records what JumpCloud answered to a read or write of one user.
func (s *Snapshot) Put(u jumpcloud.User) {
	if u.ID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(&u)
	if s.overlay != nil {
		s.overlay[u.ID] = &u
	}
}

// Forget drops the entry for id, so that the next reader asks JumpCloud: the user was deleted,
// or changed in a way the operator does not mirror (a one-shot action).
func (s *Snapshot) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(id)
	if s.overlay != nil {
		s.overlay[id] = nil
	}
}

func (s *Snapshot) set(u *jumpcloud.User) {
	if old, ok := s.byID[u.ID]; ok && old.Username != u.Username && s.byName[old.Username] == u.ID {
		delete(s.byName, old.Username)
	}
	s.byID[u.ID] = u
	s.byName[u.Username] = u.ID
}

func (s *Snapshot) remove(id string) {
	if old, ok := s.byID[id]; ok {
		if s.byName[old.Username] == id {
			delete(s.byName, old.Username)
		}
		delete(s.byID, id)
	}
}

// Snapshots holds one Snapshot per connection. It is safe for concurrent use.
type Snapshots struct {
	// Now is the clock handed to new snapshots; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	byRef map[Ref]*snapshotEntry
}

type snapshotEntry struct {
	fingerprint string
	snap        *Snapshot
	groups      *GroupSnapshot
}

// NewSnapshots returns an empty set of snapshots.
func NewSnapshots() *Snapshots {
	return &Snapshots{byRef: map[Ref]*snapshotEntry{}}
}

// For returns the snapshot of c's directory. A connection rebuilt from another key or settings
// (which may reach another organization) starts from an empty one.
func (ss *Snapshots) For(c *Connection) *Snapshot {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e := ss.byRef[c.Ref]
	if e == nil || e.fingerprint != c.fingerprint {
		snap := NewSnapshot(c.Client)
		snap.Now = ss.Now
		e = &snapshotEntry{fingerprint: c.fingerprint, snap: snap}
		ss.byRef[c.Ref] = e
		return snap
	}
	e.snap.SetClient(c.Client)
	return e.snap
}

// Groups returns the view of c's user groups, built on first use. A connection rebuilt from
// another key or settings starts from an empty one.
func (ss *Snapshots) Groups(c *Connection) *GroupSnapshot {
	ss.For(c) // the entry, renewed when the connection's fingerprint changed
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e := ss.byRef[c.Ref]
	if e.groups == nil {
		e.groups = NewGroupSnapshot(c.Client)
		e.groups.Now = ss.Now
	}
	e.groups.SetClient(c.Client)
	return e.groups
}

// Forget drops the entry for a JumpCloud user from the connection's snapshot, if there is one,
// so that the next reader asks JumpCloud: something changed the user (a one-shot action).
func (ss *Snapshots) Forget(ref Ref, id string) {
	ss.mu.Lock()
	e := ss.byRef[ref]
	ss.mu.Unlock()
	if e != nil {
		e.snap.Forget(id)
	}
}

// Has reports whether the connection has a snapshot.
func (ss *Snapshots) Has(ref Ref) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.byRef[ref]
	return ok
}

// Drop forgets the snapshot of a connection that is gone, and the directory it holds.
func (ss *Snapshots) Drop(ref Ref) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byRef, ref)
}
