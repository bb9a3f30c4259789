package jcsim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// These helpers change state directly, as an administrator in the JumpCloud console would,
// bypassing the API (no request is logged, no knob applies but those of the events). org ""
// means DefaultOrg, or the only organization when there is exactly one. Each change is recorded
// as a Directory Insights event initiated by a console administrator in a browser (LockOut's by
// the user's failed logins).

// ErrNotFound is returned by helpers for an unknown organization or user.
var ErrNotFound = errors.New("jcsim: not found")

func (s *Server) resolveOrgLocked(id string) (*org, error) {
	if id == "" {
		if o := s.orgs[DefaultOrg]; o != nil {
			return o, nil
		}
		if len(s.orgs) == 1 {
			for _, o := range s.orgs {
				return o, nil
			}
		}
		return nil, fmt.Errorf("%w: no default organization", ErrNotFound)
	}
	if o := s.orgs[id]; o != nil {
		return o, nil
	}
	return nil, fmt.Errorf("%w: organization %q", ErrNotFound, id)
}

// Users returns copies of the organization's users in _id order.
func (s *Server) Users(org string) []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return nil
	}
	out := make([]User, len(o.users))
	for i, r := range o.users {
		out[i] = r.User.clone()
	}
	return out
}

// UserCount returns the number of users in the organization.
func (s *Server) UserCount(org string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return 0
	}
	return len(o.users)
}

// User returns a copy of one user.
func (s *Server) User(org, id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return User{}, false
	}
	r := o.byID[id]
	if r == nil {
		return User{}, false
	}
	return r.User.clone(), true
}

// FindUsername returns a copy of the user with that exact username.
func (s *Server) FindUsername(org, username string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return User{}, false
	}
	r := o.byUsername[usernameKey(username, s.Knobs().UsernameRules.CaseInsensitiveUnique)]
	if r == nil || r.Username != username {
		return User{}, false
	}
	return r.User.clone(), true
}

// EditUser changes a user with fn, like a console edit. The id and organization cannot change;
// suspended is kept consistent with state; unique fields must stay unique.
func (s *Server) EditUser(org, id string, fn func(*User)) error {
	return s.editUser(org, id, fn, func(k Knobs, _ *User) (string, actor) { return k.EventTypes.UserUpdate, consoleActor })
}

// editUser is EditUser; event names the event type and its actor.
func (s *Server) editUser(org, id string, fn func(*User), event func(Knobs, *User) (string, actor)) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return err
	}
	r := o.byID[id]
	if r == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	u := r.User.clone()
	fn(&u)
	u.ID, u.Organization = r.ID, r.Organization
	u.normalize()
	ci := k.UsernameRules.CaseInsensitiveUnique
	if field := o.clash(&u, ci); field != "" {
		return fmt.Errorf("jcsim: %s already exists", field)
	}
	s.assignIDs(&u)
	before := render(&r.User, nil, nil, false)
	o.unindex(r, ci)
	r.User = u
	o.index(r, ci)
	typ, a := event(k, &r.User)
	s.userEvent(o.id, a, k, typ, &r.User, before)
	return nil
}

// LockOut simulates failed logins: the account is locked and badLoginAttempts raised.
func (s *Server) LockOut(org, id string) error {
	return s.editUser(org, id, func(u *User) {
		u.BadLoginAttempts += 10
		if !u.AccountLocked {
			u.AccountLocked = true
			u.AccountLockedDate = strPtr(formatTime(s.now()))
		}
	}, func(k Knobs, u *User) (string, actor) {
		a := consoleActor
		a.by, a.authMethod = EventActor{ID: u.ID, Type: "user", Username: u.Username}, ""
		return k.EventTypes.UserLockout, a
	})
}

// RemoveUser deletes a user out of band (reports keep a dangling manager, as a console delete
// without cascade would leave them); it leaves its groups, as an API delete does.
func (s *Server) RemoveUser(org, id string) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return err
	}
	r := o.byID[id]
	if r == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	o.remove(r, k.UsernameRules.CaseInsensitiveUnique)
	o.dropMember(id)
	s.userEvent(o.id, consoleActor, k, k.EventTypes.UserDelete, &r.User, nil)
	return nil
}

// AddUser stores u as given (no naming or password policy applied; uniqueness is). An empty ID
// gets a fresh one, an empty Created now, an empty State the default state. password "" leaves
// the user without a password. It returns the stored user.
func (s *Server) AddUser(org string, u User, password string) (User, error) {
	if u.Username == "" || u.Email == "" {
		return User{}, errors.New("jcsim: username and email are required")
	}
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return User{}, err
	}
	u = u.clone()
	if u.ID == "" {
		u.ID = s.newID()
	} else if !isObjectID(u.ID) || o.byID[u.ID] != nil {
		return User{}, fmt.Errorf("jcsim: id %q is not a free 24-hex-digit id", u.ID)
	}
	ci := k.UsernameRules.CaseInsensitiveUnique
	if field := o.clash(&u, ci); field != "" {
		return User{}, fmt.Errorf("jcsim: %s already exists", field)
	}
	if u.State == "" {
		u.State = k.DefaultState
	}
	if u.Created == "" {
		u.Created = formatTime(s.now())
	}
	if u.MFAEnrollment == (MFAEnrollment{}) {
		u.MFAEnrollment = MFAEnrollment{OverallStatus: "NOT_ENROLLED", TOTPStatus: "NOT_ENROLLED", PushStatus: "NOT_ENROLLED", WebAuthnStatus: "NOT_ENROLLED"}
	}
	u.Organization = o.id
	s.assignIDs(&u)
	u.normalize()
	r := &record{User: u}
	if password != "" {
		h := hashPassword(password)
		r.passwordHash, r.history = h, []string{h}
		r.Activated = true
		if r.PasswordDate == nil {
			r.PasswordDate = strPtr(u.Created)
		}
	}
	o.insert(r, ci)
	s.userEvent(o.id, consoleActor, k, k.EventTypes.UserCreate, &r.User, nil)
	return r.User.clone(), nil
}

// PasswordMatches reports whether password is the user's current password. Tests use it to check
// that a password was (or was not) sent, without the simulator ever returning one.
func (s *Server) PasswordMatches(org, id, password string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return false
	}
	r := o.byID[id]
	return r != nil && r.passwordHash != "" && r.passwordHash == hashPassword(password)
}

var seedDepartments = []string{"Engineering", "Sales", "Finance", "IT", "Support", "Marketing"}

// SeedUsers adds n generated users (usernames seed<N>, emails seed<N>@example.com, a
// department, a job title, an employee identifier; every third one without a password) and
// returns them.
func (s *Server) SeedUsers(org string, n int) ([]User, error) {
	out := make([]User, 0, n)
	next := s.UserCount(org) + 1
	for len(out) < n {
		name := fmt.Sprintf("seed%05d", next)
		next++
		if _, taken := s.FindUsername(org, name); taken {
			continue
		}
		pw := ""
		if next%3 != 1 {
			pw = "Seed-Passw0rd!" + name
		}
		u, err := s.AddUser(org, User{
			Username:           name,
			Email:              name + "@example.com",
			Firstname:          "Seed",
			Lastname:           strings.ToUpper(name[:1]) + name[1:],
			Displayname:        "Seed " + name,
			Department:         seedDepartments[next%len(seedDepartments)],
			JobTitle:           "Engineer",
			EmployeeIdentifier: "E-" + name,
		}, pw)
		if err != nil {
			if strings.Contains(err.Error(), "already exists") {
				continue
			}
			return out, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Reset deletes every user and group of every organization, empties the request log and the
// events and drops queued faults. API keys and knobs stay.
func (s *Server) Reset() {
	s.mu.Lock()
	for id := range s.orgs {
		s.orgs[id] = newOrg(id)
	}
	s.mu.Unlock()
	s.events.reset()
	s.ClearFaults()
	s.ResetLog()
}

// AddSSHKey gives a user a public SSH key, like a console edit (no validation of the key). It
// returns the stored key.
func (s *Server) AddSSHKey(org, userID, name, publicKey string) (SSHKey, error) {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return SSHKey{}, err
	}
	r := o.byID[userID]
	if r == nil {
		return SSHKey{}, fmt.Errorf("%w: user %q", ErrNotFound, userID)
	}
	key := SSHKey{ID: s.newID(), Name: name, PublicKey: publicKey, Created: formatTime(s.now())}
	r.SSHKeys = append(slices.Clip(r.SSHKeys), key)
	s.recordEvent(o.id, consoleActor, k, k.EventTypes.SSHKeyAdd, userObject(&r.User, k), nil, sshKeyChange(true, key))
	return key, nil
}

// groupLockedByID finds a group for a helper; callers hold s.mu.
func (s *Server) groupLockedByID(org, id string) (*org, *groupRecord, error) {
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return nil, nil, err
	}
	g := o.groupByID[id]
	if g == nil {
		return nil, nil, fmt.Errorf("%w: group %q", ErrNotFound, id)
	}
	return o, g, nil
}

// compileHelperQuery compiles a group's memberQuery for the helpers: a query without queryType
// is read in the v2 DSL (filters with operation), one with it in the v1 DSL (operator).
func compileHelperQuery(g *Group) (andExpr, error) {
	if g.MemberQuery == nil {
		return nil, nil
	}
	return compileQuery(g.MemberQuery, g.MemberQuery.QueryType == "")
}

// AddGroup stores a user group as given, like a console create: the name must be set and free,
// the group valid; an empty ID gets a fresh one, an empty membershipMethod NOTSET. members are
// its first static members (user ids). It returns the stored group.
func (s *Server) AddGroup(org string, g Group, members ...string) (Group, error) {
	k := s.Knobs()
	g = g.clone()
	if msg, _ := validateGroup(&g); msg != "" {
		return Group{}, errors.New("jcsim: " + msg)
	}
	q, err := compileHelperQuery(&g)
	if err != nil {
		return Group{}, fmt.Errorf("jcsim: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return Group{}, err
	}
	if g.ID == "" {
		g.ID = s.newID()
	} else if !isObjectID(g.ID) || o.groupByID[g.ID] != nil {
		return Group{}, fmt.Errorf("jcsim: id %q is not a free 24-hex-digit id", g.ID)
	}
	if o.groupClash(g.Name, g.ID, k.GroupNameCaseInsensitive) {
		return Group{}, fmt.Errorf("jcsim: group %q already exists", g.Name)
	}
	rec := &groupRecord{members: map[string]bool{}, query: q}
	for _, id := range members {
		if o.byID[id] == nil {
			return Group{}, fmt.Errorf("%w: user %q", ErrNotFound, id)
		}
		rec.members[id] = true
	}
	g.OrganizationObjectID = o.id
	g.normalize()
	rec.Group = g
	o.insertGroup(rec, k.GroupNameCaseInsensitive)
	s.groupEvent(o.id, consoleActor, k, k.EventTypes.GroupCreate, &rec.Group, nil)
	for _, id := range members {
		s.memberEvent(o.id, consoleActor, k, "add", &rec.Group, &o.byID[id].User)
	}
	return o.view(rec, k), nil
}

// Groups returns copies of the organization's user groups in id order.
func (s *Server) Groups(org string) []Group {
	k := s.Knobs()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return nil
	}
	out := make([]Group, len(o.groups))
	for i, g := range o.groups {
		out[i] = o.view(g, k)
	}
	return out
}

// Group returns a copy of one user group.
func (s *Server) Group(org, id string) (Group, bool) {
	k := s.Knobs()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, g, err := s.groupLockedByID(org, id)
	if err != nil {
		return Group{}, false
	}
	return o.view(g, k), true
}

// FindGroupName returns a copy of the user group with that exact name.
func (s *Server) FindGroupName(org, name string) (Group, bool) {
	k := s.Knobs()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return Group{}, false
	}
	g := o.groupByName[groupNameKey(name, k.GroupNameCaseInsensitive)]
	if g == nil || g.Name != name {
		return Group{}, false
	}
	return o.view(g, k), true
}

// GroupMembers returns the user ids of a group's members in _id order (for a dynamic group, the
// users its query selects now).
func (s *Server) GroupMembers(org, id string) ([]string, error) {
	k := s.Knobs()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, g, err := s.groupLockedByID(org, id)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, u := range o.memberRecords(g, k) {
		out = append(out, u.ID)
	}
	return out, nil
}

// MemberOf returns the ids of the groups a user is a member of, in group order.
func (s *Server) MemberOf(org, userID string) []string {
	k := s.Knobs()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.resolveOrgLocked(org)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, g := range o.groups {
		if o.isMember(g, userID, k) {
			out = append(out, g.ID)
		}
	}
	return out
}

// AddMember makes a user a static member of a group, like a console edit: no error for a
// member already there, and dynamic groups too are changed (their stored members matter again
// once they are made static).
func (s *Server) AddMember(org, groupID, userID string) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g, err := s.groupLockedByID(org, groupID)
	if err != nil {
		return err
	}
	u := o.byID[userID]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, userID)
	}
	if !g.members[userID] {
		g.members[userID] = true
		s.memberEvent(o.id, consoleActor, k, "add", &g.Group, &u.User)
	}
	return nil
}

// RemoveMember removes a user from a group's static members, like a console edit (no error when
// it was not one).
func (s *Server) RemoveMember(org, groupID, userID string) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g, err := s.groupLockedByID(org, groupID)
	if err != nil {
		return err
	}
	if g.members[userID] {
		delete(g.members, userID)
		s.memberEvent(o.id, consoleActor, k, "remove", &g.Group, o.userOrStub(userID))
	}
	return nil
}

// EditGroup changes a group with fn, like a console edit. The id, type and organization cannot
// change; the name must stay free and the group valid. A group leaving DYNAMIC_AUTOMATED keeps
// its current members as static ones.
func (s *Server) EditGroup(org, id string, fn func(*Group)) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g, err := s.groupLockedByID(org, id)
	if err != nil {
		return err
	}
	next := g.clone()
	fn(&next)
	next.ID, next.OrganizationObjectID = g.ID, g.OrganizationObjectID
	next.normalize()
	if msg, _ := validateGroup(&next); msg != "" {
		return errors.New("jcsim: " + msg)
	}
	q, err := compileHelperQuery(&next)
	if err != nil {
		return fmt.Errorf("jcsim: %w", err)
	}
	if o.groupClash(next.Name, g.ID, k.GroupNameCaseInsensitive) {
		return fmt.Errorf("jcsim: group %q already exists", next.Name)
	}
	before := renderGroup(g.Group, nil)
	o.setMethod(g, next.MembershipMethod, k)
	o.renameGroup(g, next.Name, k.GroupNameCaseInsensitive)
	g.Group, g.query = next, q
	s.groupEvent(o.id, consoleActor, k, k.EventTypes.GroupUpdate, &g.Group, before)
	return nil
}

// RemoveGroup deletes a group out of band.
func (s *Server) RemoveGroup(org, id string) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g, err := s.groupLockedByID(org, id)
	if err != nil {
		return err
	}
	o.removeGroup(g, k.GroupNameCaseInsensitive)
	s.groupEvent(o.id, consoleActor, k, k.EventTypes.GroupDelete, &g.Group, nil)
	return nil
}

// ApproveSuggestions applies the pending suggestions of a DYNAMIC_REVIEW_REQUIRED group, as an
// administrator reviewing them in the console would: its members become the users its query
// selects.
func (s *Server) ApproveSuggestions(org, id string) error {
	k := s.Knobs()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g, err := s.groupLockedByID(org, id)
	if err != nil {
		return err
	}
	if g.MembershipMethod != MembershipReviewRequired {
		return fmt.Errorf("jcsim: group %q is not %s", g.Name, MembershipReviewRequired)
	}
	members := map[string]bool{}
	for _, u := range o.users {
		if g.matches(&u.User) {
			members[u.ID] = true
			if !g.members[u.ID] {
				s.memberEvent(o.id, consoleActor, k, "add", &g.Group, &u.User)
			}
		}
	}
	for _, uid := range slices.Sorted(maps.Keys(g.members)) {
		if !members[uid] {
			s.memberEvent(o.id, consoleActor, k, "remove", &g.Group, o.userOrStub(uid))
		}
	}
	g.members = members
	return nil
}

// userOrStub returns the user with id, or a stand-in holding the id only (a member that is no
// user any more). Callers hold s.mu.
func (o *org) userOrStub(id string) *User {
	if r := o.byID[id]; r != nil {
		return &r.User
	}
	return &User{ID: id}
}
