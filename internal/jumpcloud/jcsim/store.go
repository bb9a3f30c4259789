package jcsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// record is a stored user plus what is never returned: the password hash and its history.
type record struct {
	User
	passwordHash string   // "" when the user has no password
	history      []string // most recent first, including the current one
}

// org holds one organization's users ordered by _id (which is creation order), plus indexes
// for the unique fields, and its user groups ordered by id.
type org struct {
	id           string
	users        []*record // sorted by ID
	byID         map[string]*record
	byUsername   map[string]*record
	byEmail      map[string]*record
	byEmployeeID map[string]*record

	groups      []*groupRecord // sorted by ID
	groupByID   map[string]*groupRecord
	groupByName map[string]*groupRecord
}

func newOrg(id string) *org {
	return &org{
		id:           id,
		byID:         map[string]*record{},
		byUsername:   map[string]*record{},
		byEmail:      map[string]*record{},
		byEmployeeID: map[string]*record{},
		groupByID:    map[string]*groupRecord{},
		groupByName:  map[string]*groupRecord{},
	}
}

// keys of the unique indexes. Email is compared case-insensitively; username depending on rules.
func usernameKey(u string, caseInsensitive bool) string {
	if caseInsensitive {
		return strings.ToLower(u)
	}
	return u
}

func emailKey(e string) string { return strings.ToLower(e) }

// clash names the unique field of u that another user in o already holds, or "".
func (o *org) clash(u *User, caseInsensitive bool) string {
	if r, ok := o.byUsername[usernameKey(u.Username, caseInsensitive)]; ok && r.ID != u.ID {
		return "username"
	}
	if r, ok := o.byEmail[emailKey(u.Email)]; ok && r.ID != u.ID {
		return "email"
	}
	if u.EmployeeIdentifier != "" {
		if r, ok := o.byEmployeeID[u.EmployeeIdentifier]; ok && r.ID != u.ID {
			return "employeeIdentifier"
		}
	}
	return ""
}

func (o *org) index(r *record, caseInsensitive bool) {
	o.byID[r.ID] = r
	o.byUsername[usernameKey(r.Username, caseInsensitive)] = r
	o.byEmail[emailKey(r.Email)] = r
	if r.EmployeeIdentifier != "" {
		o.byEmployeeID[r.EmployeeIdentifier] = r
	}
}

func (o *org) unindex(r *record, caseInsensitive bool) {
	delete(o.byID, r.ID)
	if o.byUsername[usernameKey(r.Username, caseInsensitive)] == r {
		delete(o.byUsername, usernameKey(r.Username, caseInsensitive))
	}
	if o.byEmail[emailKey(r.Email)] == r {
		delete(o.byEmail, emailKey(r.Email))
	}
	if r.EmployeeIdentifier != "" && o.byEmployeeID[r.EmployeeIdentifier] == r {
		delete(o.byEmployeeID, r.EmployeeIdentifier)
	}
}

// reindexAll rebuilds the unique indexes (after the case-sensitivity rule changed).
func (o *org) reindexAll(caseInsensitive bool) {
	o.byID = map[string]*record{}
	o.byUsername = map[string]*record{}
	o.byEmail = map[string]*record{}
	o.byEmployeeID = map[string]*record{}
	for _, r := range o.users {
		o.index(r, caseInsensitive)
	}
}

// insert adds r keeping users ordered by ID (appending in the usual case of a fresh id).
func (o *org) insert(r *record, caseInsensitive bool) {
	n := len(o.users)
	if n == 0 || o.users[n-1].ID < r.ID {
		o.users = append(o.users, r)
	} else {
		i := sort.Search(n, func(i int) bool { return o.users[i].ID >= r.ID })
		o.users = slices.Insert(o.users, i, r)
	}
	o.index(r, caseInsensitive)
}

// remove deletes r.
func (o *org) remove(r *record, caseInsensitive bool) {
	i := sort.Search(len(o.users), func(i int) bool { return o.users[i].ID >= r.ID })
	if i < len(o.users) && o.users[i] == r {
		o.users = slices.Delete(o.users, i, i+1)
	}
	o.unindex(r, caseInsensitive)
}

// lowerBound returns the index of the first user whose ID is >= id (or > id when strict).
func (o *org) lowerBound(id string, strict bool) int {
	return sort.Search(len(o.users), func(i int) bool {
		if strict {
			return o.users[i].ID > id
		}
		return o.users[i].ID >= id
	})
}

// newID returns a 24-hex-digit id that sorts after every id handed out before, like a Mongo
// ObjectId: 4 bytes of seconds (never going backwards) and an 8-byte counter. Callers hold s.mu.
func (s *Server) newID() string {
	ts := max(uint32(s.now().Unix()), s.lastIDTime)
	s.lastIDTime = ts
	s.idCounter++
	return fmt.Sprintf("%08x%016x", ts, s.idCounter)
}

// isObjectID reports whether id looks like a 24-hex-digit ObjectId.
func isObjectID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func hashPassword(p string) string {
	h := sha256.Sum256([]byte("jcsim:" + p))
	return hex.EncodeToString(h[:])
}
