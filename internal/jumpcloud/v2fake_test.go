package jumpcloud

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// This file holds the scripted HTTP server the unit tests of groups, members and SSH keys use.

const fakeKey = "fake-key-0123456789"

// seenRequest is one request the fake server received.
type seenRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// answer is what the fake server replies; Drop closes the connection without an answer.
type answer struct {
	Status int
	Body   string
	Header http.Header
	Drop   bool
}

// fakeJC is an httptest server on 127.0.0.1 that records requests and answers with handle.
type fakeJC struct {
	mu     sync.Mutex
	reqs   []seenRequest
	handle func(n int, r seenRequest) answer // n: 0-based index of the request
	ops    map[string]int                    // "op status" as the Observer saw them
	retry  []string                          // "op reason"
	sleeps []time.Duration
}

// newFake starts the server and a client for it (no rate limit, sleeps recorded, not slept).
func newFake(t *testing.T, handle func(n int, r seenRequest) answer, opts ...func(*Options)) (*fakeJC, *Client) {
	t.Helper()
	f := &fakeJC{handle: handle, ops: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	o := Options{
		BaseURL:           srv.URL + "/api",
		APIKey:            fakeKey,
		RequestsPerSecond: -1,
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return ctx.Err()
		},
		Observer: ObserverFuncs{
			Request: func(op string, code int, _ time.Duration) {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.ops[op+" "+strconv.Itoa(code)]++
			},
			Retry: func(op, reason string) {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.retry = append(f.retry, op+" "+reason)
			},
		},
	}
	for _, fn := range opts {
		fn(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func (f *fakeJC) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	sr := seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(b)}
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, sr)
	f.mu.Unlock()
	a := f.handle(n, sr)
	if a.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	maps.Copy(w.Header(), a.Header)
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	w.WriteHeader(a.Status)
	_, _ = io.WriteString(w, a.Body)
}

func (f *fakeJC) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.reqs...)
}

func (f *fakeJC) observed(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[key]
}

func (f *fakeJC) retries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.retry...)
}

// always answers every request the same way.
func always(status int, body string) func(int, seenRequest) answer {
	return func(int, seenRequest) answer { return answer{Status: status, Body: body} }
}

// sequence answers the n-th request with answers[n], and the last one from then on.
func sequence(answers ...answer) func(int, seenRequest) answer {
	return func(n int, _ seenRequest) answer { return answers[min(n, len(answers)-1)] }
}

// pagedRows serves total JSON rows by limit and skip (limit capped at 100, default 10), rows
// rendered by row(i).
func pagedRows(total int, row func(i int) string) func(int, seenRequest) answer {
	return func(_ int, r seenRequest) answer {
		limit, skip := 10, 0
		if v := r.Query.Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		limit = min(limit, 100)
		if v := r.Query.Get("skip"); v != "" {
			skip, _ = strconv.Atoi(v)
		}
		body := "["
		for i := skip; i < min(skip+limit, total); i++ {
			if i > skip {
				body += ","
			}
			body += row(i)
		}
		return answer{Body: body + "]"}
	}
}

func oid(prefix byte, i int) string { return fmt.Sprintf("%c%023x", prefix, i) }
