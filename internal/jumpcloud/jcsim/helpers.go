package jcsim

import (
	"errors"
	"fmt"
	"strings"
)

// These helpers change state directly, as an administrator in the JumpCloud console would,
// bypassing the API (no request is logged, no knob applies). org "" means DefaultOrg, or the
// only organization when there is exactly one.

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
	ci := s.Knobs().UsernameRules.CaseInsensitiveUnique
	if field := o.clash(&u, ci); field != "" {
		return fmt.Errorf("jcsim: %s already exists", field)
	}
	s.assignIDs(&u)
	o.unindex(r, ci)
	r.User = u
	o.index(r, ci)
	return nil
}

// LockOut simulates failed logins: the account is locked and badLoginAttempts raised.
func (s *Server) LockOut(org, id string) error {
	return s.EditUser(org, id, func(u *User) {
		u.BadLoginAttempts += 10
		if !u.AccountLocked {
			u.AccountLocked = true
			u.AccountLockedDate = strPtr(formatTime(s.now()))
		}
	})
}

// RemoveUser deletes a user out of band (reports keep a dangling manager, as a console delete
// without cascade would leave them).
func (s *Server) RemoveUser(org, id string) error {
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
	o.remove(r, s.Knobs().UsernameRules.CaseInsensitiveUnique)
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

// Reset deletes every user of every organization, empties the request log and drops queued
// faults. API keys and knobs stay.
func (s *Server) Reset() {
	s.mu.Lock()
	for id := range s.orgs {
		s.orgs[id] = newOrg(id)
	}
	s.mu.Unlock()
	s.ClearFaults()
	s.ResetLog()
}
