package jumpcloud_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const (
	testKey      = "test-key-0123456789"
	testPassword = "Corr3ct-Horse!"
)

// sleeper records the client's backoff sleeps and returns at once.
type sleeper struct {
	mu    sync.Mutex
	calls []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, d)
	return nil
}

func (s *sleeper) Calls() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.calls...)
}

// recorder is an Observer that counts what it is told.
type recorder struct {
	mu       sync.Mutex
	requests map[string]int // "op status"
	retries  []string       // "op reason"
	waits    int
}

func (r *recorder) ObserveRequest(op string, code int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests == nil {
		r.requests = map[string]int{}
	}
	r.requests[fmt.Sprintf("%s %d", op, code)]++
}

func (r *recorder) ObserveRetry(op, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, op+" "+reason)
}

func (r *recorder) ObserveRateLimitWait(time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits++
}

func (r *recorder) Requests(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[key]
}

func (r *recorder) Retries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.retries...)
}

type env struct {
	sim    *jcsim.Server
	url    string
	client *jumpcloud.Client
	sleeps *sleeper
	obs    *recorder
}

// newEnv starts a simulator on 127.0.0.1 and a client for it. configure may adjust either's
// options before they are used.
func newEnv(t *testing.T, configure ...func(*jcsim.Options, *jumpcloud.Options)) *env {
	t.Helper()
	e := &env{sleeps: &sleeper{}, obs: &recorder{}}
	so := jcsim.Options{APIKeys: map[string][]string{testKey: {jcsim.DefaultOrg}}}
	co := jumpcloud.Options{
		APIKey:            testKey,
		RequestsPerSecond: -1,
		Sleep:             e.sleeps.Sleep,
		Observer:          e.obs,
	}
	for _, c := range configure {
		c(&so, &co)
	}
	e.sim = jcsim.New(so)
	url, err := e.sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sim.Close() })
	e.url = url
	if co.BaseURL == "" {
		co.BaseURL = url
	}
	e.client, err = jumpcloud.New(co)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// createUser creates username via the client with an email derived from it.
func (e *env) createUser(t *testing.T, username string, extra ...func(*jumpcloud.UserFields)) *jumpcloud.User {
	t.Helper()
	f := jumpcloud.UserFields{Username: jumpcloud.Ptr(username), Email: jumpcloud.Ptr(username + "@example.com")}
	for _, x := range extra {
		x(&f)
	}
	u, err := e.client.CreateUser(context.Background(), f, jumpcloud.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
