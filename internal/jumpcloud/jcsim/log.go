package jcsim

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Request is one entry of the request log. It never holds the API key or a password: Fields
// lists the JSON field names of the body, not their values.
type Request struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Op is the operation name ("list", "get", "create", ..., "group-list", "member-add",
	// "sshkey-add", ...; "unknown" for other routes).
	Op  string `json:"op"`
	Org string `json:"org,omitempty"`
	// UserID is the system user the request is about: the path's user (v1, sshkey-*,
	// memberof) or the member added or removed (member-add, member-remove).
	UserID string `json:"userID,omitempty"`
	// GroupID is the user group of a v2 group or member request.
	GroupID string `json:"groupID,omitempty"`
	// KeyID is the SSH key added (sshkey-add) or deleted (sshkey-delete).
	KeyID string `json:"keyID,omitempty"`
	// Status is the answer's status code; for a dropped connection, the status the operation
	// would have answered (0 if it did not run).
	Status int      `json:"status"`
	Fields []string `json:"fields,omitempty"`
	// Detail summarizes an action's parameters (activation email mode, MFA exclusion).
	Detail string `json:"detail,omitempty"`
	// Injected is true when a knob decided the answer (fault, rate limit, drop).
	Injected bool `json:"injected,omitempty"`
	// Dropped is true when the connection was closed without an answer.
	Dropped bool `json:"dropped,omitempty"`
}

// requestLog is a bounded log plus unbounded counters by operation.
type requestLog struct {
	mu      sync.Mutex
	size    int
	entries []Request
	counts  map[string]int
}

func (l *requestLog) init(size int) {
	if size <= 0 {
		size = 10000
	}
	l.size = size
	l.counts = map[string]int{}
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Op]++
	if len(l.entries) >= l.size {
		l.entries = slices.Delete(l.entries, 0, len(l.entries)-l.size+1)
	}
	l.entries = append(l.entries, r)
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make([]Request, len(s.log.entries))
	for i, r := range s.log.entries {
		r.Fields = slices.Clone(r.Fields)
		out[i] = r
	}
	return out
}

// RequestsFor returns the logged requests of one operation.
func (s *Server) RequestsFor(op string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many requests of op were received since the last ResetLog ("*": all).
func (s *Server) Count(op string) int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	if op == "*" {
		n := 0
		for _, c := range s.log.counts {
			n += c
		}
		return n
	}
	return s.log.counts[op]
}

// Counts returns the counters by operation.
func (s *Server) Counts() map[string]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make(map[string]int, len(s.log.counts))
	maps.Copy(out, s.log.counts)
	return out
}

// ResetLog empties the request log and the counters.
func (s *Server) ResetLog() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.entries = nil
	s.log.counts = map[string]int{}
}
