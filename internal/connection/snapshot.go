package connection

import (
	"context"
	"encoding/binary"
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
// Each user is held as a record (a compact encoding, below) rather than a jumpcloud.User: a
// directory of tens of thousands of users then costs the manager a few megabytes instead of tens.
//
// A Snapshot is safe for concurrent use.
type Snapshot struct {
	// Now is the clock; nil means time.Now. Set it before first use.
	Now func() time.Time

	mu     sync.Mutex
	client *jumpcloud.Client
	// byID maps an id to its user's record; byName maps a username to its id. Their keys share
	// the records' bytes.
	byID   map[string]record
	byName map[string]string
	// listedFrom and loadedAt are when the last complete list began and ended; zero when there
	// was none.
	listedFrom, loadedAt time.Time
	// flight is the running refresh, nil when none runs.
	flight *refresh
	// overlay holds the writes (a record) and forgets ("") since the running refresh began.
	overlay map[string]record
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
	return &Snapshot{client: client, byID: map[string]record{}, byName: map[string]string{},
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
	s.flight, s.overlay = f, map[string]record{}
	client, size := s.client, len(s.byID)
	s.mu.Unlock()

	start := time.Now()
	listed, err := listAll(ctx, client, size+size/16)

	s.mu.Lock()
	if err == nil {
		s.install(listed)
		s.listedFrom, s.loadedAt = now, s.now()
		s.pages = max(1, (listed.users+jumpcloud.MaxPageSize-1)/jumpcloud.MaxPageSize)
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
	log.V(1).Info("Refreshed the snapshot of JumpCloud users", "users", listed.users, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

func retryDelay(failures int, maxAge time.Duration) time.Duration {
	d := minRetryDelay
	for i := 1; i < failures && d < maxAge; i++ {
		d *= 2
	}
	return max(min(d, maxAge), time.Second)
}

// listing is a complete list of the directory: its records by id, the ids by username, and how
// many users the list returned.
type listing struct {
	byID   map[string]record
	byName map[string]string
	users  int
}

// listAll reads every user, in _id order, 100 a page, and encodes each as it arrives, so that no
// page outlives its turn; sizeHint (the last count, with room to grow) sizes the maps.
func listAll(ctx context.Context, client *jumpcloud.Client, sizeHint int) (*listing, error) {
	if client == nil {
		return nil, fmt.Errorf("no JumpCloud client")
	}
	l := &listing{byID: make(map[string]record, sizeHint), byName: make(map[string]string, sizeHint)}
	var w recordWriter
	for u, err := range client.AllUsers(ctx, jumpcloud.ListOptions{Limit: jumpcloud.MaxPageSize}) {
		if err != nil {
			return nil, err
		}
		rec := w.user(&u)
		id, username := rec.keys()
		l.byID[id] = rec
		l.byName[username] = id
		l.users++
	}
	return l, nil
}

// install replaces the view with a list, then re-applies the writes made while it was read.
func (s *Snapshot) install(l *listing) {
	s.byID, s.byName = l.byID, l.byName
	for id, rec := range s.overlay {
		if rec == "" {
			s.remove(id)
		} else {
			s.set(rec)
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

// User returns the entry for a JumpCloud id. The copy's strings share the snapshot's memory (Go
// strings are immutable); its lists are its own.
func (s *Snapshot) User(id string) (jumpcloud.User, bool) {
	s.mu.Lock()
	rec, ok := s.byID[id]
	s.mu.Unlock()
	if !ok {
		return jumpcloud.User{}, false
	}
	return rec.user(), true
}

// UserByUsername returns the entry for an exact (case-sensitive) username.
func (s *Snapshot) UserByUsername(username string) (jumpcloud.User, bool) {
	s.mu.Lock()
	id, ok := s.byName[username]
	var rec record
	if ok {
		rec, ok = s.byID[id]
	}
	s.mu.Unlock()
	if !ok {
		return jumpcloud.User{}, false
	}
	return rec.user(), true
}

// Put records what JumpCloud answered to a read or write of one user.
func (s *Snapshot) Put(u jumpcloud.User) {
	if u.ID == "" {
		return
	}
	var w recordWriter
	rec := w.user(&u)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(rec)
	if s.overlay != nil {
		id, _ := rec.keys()
		s.overlay[id] = rec
	}
}

// Forget drops the entry for id, so that the next reader asks JumpCloud: the user was deleted,
// or changed in a way the operator does not mirror (a one-shot action).
func (s *Snapshot) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(id)
	if s.overlay != nil {
		s.overlay[id] = ""
	}
}

func (s *Snapshot) set(rec record) {
	id, username := rec.keys()
	if old, ok := s.byID[id]; ok {
		if _, oldName := old.keys(); oldName != username && s.byName[oldName] == id {
			delete(s.byName, oldName)
		}
	}
	s.byID[id] = rec
	s.byName[username] = id
}

func (s *Snapshot) remove(id string) {
	if old, ok := s.byID[id]; ok {
		if _, oldName := old.keys(); s.byName[oldName] == id {
			delete(s.byName, oldName)
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

// A record is one user of a snapshot in a compact, immutable encoding: one string (a single
// allocation of a few hundred bytes) instead of a jumpcloud.User (632 bytes plus an allocation for
// every string, list and timestamp). Reading a record builds the User again; its strings share
// the record's bytes. The id and the username come first, so that the snapshot's maps use them as
// keys without copies.
//
// The encoding: a string is its length (uvarint) and its bytes; a list is its length plus one
// (uvarint; 0 is a nil list) followed by its items; an int is a varint; the booleans are the bits
// of one uvarint; a timestamp is 0 (nil), 1 (UTC), 2 (time.Local) or 3 (another zone, then its
// name and offset), followed by its Unix seconds (varint) and nanoseconds (uvarint). Every field
// of jumpcloud.User is encoded, in the order recordWriter.user writes them and record.user reads
// them; the round-trip test fills every field, so that a field added to User without a place here
// fails it.
type record string

// recordWriter encodes records; its buffer is reused from one record to the next.
type recordWriter struct{ buf []byte }

// The zones of an encoded timestamp.
const (
	zoneNil = iota
	zoneUTC
	zoneLocal
	zoneFixed
)

// user encodes u.
func (w *recordWriter) user(u *jumpcloud.User) record {
	w.buf = w.buf[:0]
	for _, s := range [...]string{u.ID, u.Username, u.Email, u.Firstname, u.Middlename, u.Lastname, u.Displayname,
		u.AlternateEmail, u.JobTitle, u.Department, u.Company, u.CostCenter, u.Location, u.EmployeeType,
		u.EmployeeIdentifier, u.Description, u.Manager, string(u.State), u.CreationSource, u.Organization,
		string(u.MFAEnrollment.OverallStatus), string(u.MFAEnrollment.TOTPStatus),
		string(u.MFAEnrollment.PushStatus), string(u.MFAEnrollment.WebAuthnStatus)} {
		w.str(s)
	}
	var bits uint64
	for i, b := range [...]bool{u.HasSSHKeys, u.Activated, u.Suspended, u.AccountLocked, u.PasswordExpired,
		u.PasswordNeverExpires, u.Sudo, u.PasswordlessSudo, u.LDAPBindingUser, u.SambaServiceUser, u.AllowPublicKey,
		u.EnableManagedUID, u.DisableDeviceMaxLoginAttempts, u.EnableUserPortalMultifactor, u.TOTPEnabled,
		u.MFA.Configured, u.MFA.Exclusion, u.ExternallyManaged} {
		if b {
			bits |= 1 << i
		}
	}
	w.uint(bits)
	for _, v := range [...]int{u.BadLoginAttempts, u.UnixUID, u.UnixGUID, u.MFA.ExclusionDays} {
		w.int(int64(v))
	}
	for _, t := range [...]*time.Time{u.AccountLockedDate, u.PasswordExpirationDate, u.PasswordDate, u.MFA.ExclusionUntil, u.Created} {
		w.time(t)
	}
	w.count(len(u.PhoneNumbers), u.PhoneNumbers == nil)
	for _, p := range u.PhoneNumbers {
		w.str(p.ID)
		w.str(p.Type)
		w.str(p.Number)
	}
	w.count(len(u.Addresses), u.Addresses == nil)
	for _, a := range u.Addresses {
		for _, s := range [...]string{a.ID, a.Type, a.PoBox, a.ExtendedAddress, a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country} {
			w.str(s)
		}
	}
	w.count(len(u.Attributes), u.Attributes == nil)
	for _, a := range u.Attributes {
		w.str(a.Name)
		w.str(a.Value)
	}
	w.count(len(u.SSHKeys), u.SSHKeys == nil)
	for _, k := range u.SSHKeys {
		w.str(k.ID)
		w.str(k.Name)
		w.str(k.PublicKey)
		w.time(k.CreateDate)
	}
	w.count(len(u.MemberOf), u.MemberOf == nil)
	for _, g := range u.MemberOf {
		w.str(g)
	}
	return record(w.buf)
}

func (w *recordWriter) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

func (w *recordWriter) int(v int64) { w.buf = binary.AppendVarint(w.buf, v) }

func (w *recordWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *recordWriter) count(n int, isNil bool) {
	if isNil {
		w.uint(0)
		return
	}
	w.uint(uint64(n) + 1)
}

func (w *recordWriter) time(t *time.Time) {
	switch {
	case t == nil:
		w.uint(zoneNil)
		return
	case t.Location() == time.UTC:
		w.uint(zoneUTC)
	case t.Location() == time.Local:
		w.uint(zoneLocal)
	default:
		name, offset := t.Zone()
		w.uint(zoneFixed)
		w.str(name)
		w.int(int64(offset))
	}
	w.int(t.Unix())
	w.uint(uint64(t.Nanosecond()))
}

// keys returns the record's id and username, which share its bytes.
func (rec record) keys() (id, username string) {
	r := recordReader{s: string(rec)}
	return r.str(), r.str()
}

// user decodes the record.
func (rec record) user() jumpcloud.User {
	r := recordReader{s: string(rec)}
	var u jumpcloud.User
	for _, s := range [...]*string{&u.ID, &u.Username, &u.Email, &u.Firstname, &u.Middlename, &u.Lastname, &u.Displayname,
		&u.AlternateEmail, &u.JobTitle, &u.Department, &u.Company, &u.CostCenter, &u.Location, &u.EmployeeType,
		&u.EmployeeIdentifier, &u.Description, &u.Manager} {
		*s = r.str()
	}
	u.State = jumpcloud.State(r.str())
	u.CreationSource, u.Organization = r.str(), r.str()
	for _, s := range [...]*jumpcloud.MFAEnrollmentStatus{&u.MFAEnrollment.OverallStatus, &u.MFAEnrollment.TOTPStatus,
		&u.MFAEnrollment.PushStatus, &u.MFAEnrollment.WebAuthnStatus} {
		*s = jumpcloud.MFAEnrollmentStatus(r.str())
	}
	bits := r.uint()
	for i, b := range [...]*bool{&u.HasSSHKeys, &u.Activated, &u.Suspended, &u.AccountLocked, &u.PasswordExpired,
		&u.PasswordNeverExpires, &u.Sudo, &u.PasswordlessSudo, &u.LDAPBindingUser, &u.SambaServiceUser, &u.AllowPublicKey,
		&u.EnableManagedUID, &u.DisableDeviceMaxLoginAttempts, &u.EnableUserPortalMultifactor, &u.TOTPEnabled,
		&u.MFA.Configured, &u.MFA.Exclusion, &u.ExternallyManaged} {
		*b = bits&(1<<i) != 0
	}
	for _, v := range [...]*int{&u.BadLoginAttempts, &u.UnixUID, &u.UnixGUID, &u.MFA.ExclusionDays} {
		*v = int(r.int())
	}
	for _, t := range [...]**time.Time{&u.AccountLockedDate, &u.PasswordExpirationDate, &u.PasswordDate, &u.MFA.ExclusionUntil, &u.Created} {
		*t = r.time()
	}
	if n, ok := r.count(); ok {
		u.PhoneNumbers = make([]jumpcloud.PhoneNumber, n)
		for i := range u.PhoneNumbers {
			u.PhoneNumbers[i] = jumpcloud.PhoneNumber{ID: r.str(), Type: r.str(), Number: r.str()}
		}
	}
	if n, ok := r.count(); ok {
		u.Addresses = make([]jumpcloud.Address, n)
		for i := range u.Addresses {
			u.Addresses[i] = jumpcloud.Address{ID: r.str(), Type: r.str(), PoBox: r.str(), ExtendedAddress: r.str(),
				StreetAddress: r.str(), Locality: r.str(), Region: r.str(), PostalCode: r.str(), Country: r.str()}
		}
	}
	if n, ok := r.count(); ok {
		u.Attributes = make([]jumpcloud.Attribute, n)
		for i := range u.Attributes {
			u.Attributes[i] = jumpcloud.Attribute{Name: r.str(), Value: r.str()}
		}
	}
	if n, ok := r.count(); ok {
		u.SSHKeys = make([]jumpcloud.SSHKey, n)
		for i := range u.SSHKeys {
			u.SSHKeys[i] = jumpcloud.SSHKey{ID: r.str(), Name: r.str(), PublicKey: r.str(), CreateDate: r.time()}
		}
	}
	if n, ok := r.count(); ok {
		u.MemberOf = make([]string, n)
		for i := range u.MemberOf {
			u.MemberOf[i] = r.str()
		}
	}
	return u
}

// recordReader decodes a record; its methods read the fields in the order recordWriter wrote them.
type recordReader struct {
	s string
	i int
}

func (r *recordReader) uint() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b := r.s[r.i]
		r.i++
		if b < 0x80 {
			return v | uint64(b)<<shift
		}
		v |= uint64(b&0x7f) << shift
	}
}

// int reads a varint (zig-zag, as binary.AppendVarint writes it).
func (r *recordReader) int() int64 {
	u := r.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *recordReader) str() string {
	n := int(r.uint())
	if n == 0 {
		return ""
	}
	s := r.s[r.i : r.i+n]
	r.i += n
	return s
}

// count reads a list's length; ok is false for a nil list.
func (r *recordReader) count() (n int, ok bool) {
	c := r.uint()
	if c == 0 {
		return 0, false
	}
	return int(c - 1), true
}

func (r *recordReader) time() *time.Time {
	var loc *time.Location
	switch r.uint() {
	case zoneNil:
		return nil
	case zoneUTC:
		loc = time.UTC
	case zoneLocal:
		loc = time.Local
	case zoneFixed:
		name := r.str()
		loc = time.FixedZone(name, int(r.int()))
	}
	sec := r.int()
	t := time.Unix(sec, int64(r.uint())).In(loc)
	return &t
}
