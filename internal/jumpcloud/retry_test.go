package jumpcloud_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

func TestRetryAfterSecondsThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusTooManyRequests, RetryAfter: "3"})
	if _, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := e.sleeps.Calls(); !slices.Equal(got, []time.Duration{3 * time.Second}) {
		t.Errorf("sleeps %v, want [3s]", got)
	}
	if e.sim.Count("list") != 2 {
		t.Errorf("list requests %d, want 2", e.sim.Count("list"))
	}
	if r := e.obs.Retries(); !slices.Equal(r, []string{"list 429"}) {
		t.Errorf("retries %v", r)
	}
	if e.obs.Requests("list 429") != 1 || e.obs.Requests("list 200") != 1 {
		t.Errorf("observed %v", e.obs.requests)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) { co.Now = func() time.Time { return now } })
	e.sim.InjectFault(jcsim.Fault{Op: "get", Code: http.StatusServiceUnavailable, RetryAfter: now.Add(7 * time.Second).Format(http.TimeFormat)})
	u := e.createUser(t, "quinn")
	if _, err := e.client.GetUser(ctx(t), u.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.sleeps.Calls(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
		t.Errorf("sleeps %v, want [7s]", got)
	}
}

func TestServiceUnavailableTwiceThenSuccess(t *testing.T) {
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) {
		co.RetryBaseDelay = 100 * time.Millisecond
		co.RetryMaxDelay = time.Second
	})
	e.sim.FailNext("search", 2, http.StatusServiceUnavailable)
	if _, err := e.client.SearchUsers(ctx(t), jumpcloud.SearchRequest{}); err != nil {
		t.Fatal(err)
	}
	sleeps := e.sleeps.Calls()
	if len(sleeps) != 2 || sleeps[0] >= 100*time.Millisecond || sleeps[1] >= 200*time.Millisecond || sleeps[0] < 0 {
		t.Errorf("sleeps %v, want full jitter below 100ms then 200ms", sleeps)
	}
	if e.sim.Count("search") != 3 {
		t.Errorf("search requests %d, want 3", e.sim.Count("search"))
	}
}

func TestRetryGivesUpAfterBudget(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) { co.MaxRetries = 3 })
			e.sim.FailNext("get", 100, code)
			_, err := e.client.GetUser(ctx(t), "0123456789abcdef01234567")
			var je *jumpcloud.Error
			if !errors.As(err, &je) || je.StatusCode != code {
				t.Fatalf("err = %v", err)
			}
			if e.sim.Count("get") != 4 || len(e.sleeps.Calls()) != 3 {
				t.Errorf("requests %d sleeps %d, want 4 and 3", e.sim.Count("get"), len(e.sleeps.Calls()))
			}
		})
	}
	t.Run("default budget is 4 retries", func(t *testing.T) {
		e := newEnv(t)
		e.sim.FailNext("list", 100, http.StatusServiceUnavailable)
		if _, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{}); !jumpcloud.IsUnavailable(err) {
			t.Fatalf("err = %v", err)
		}
		if e.sim.Count("list") != 5 {
			t.Errorf("requests %d, want 5", e.sim.Count("list"))
		}
	})
	t.Run("non-retryable statuses are not retried", func(t *testing.T) {
		e := newEnv(t)
		for _, code := range []int{400, 401, 403, 404, 409, 500} {
			e.sim.FailNext("list", 1, code)
			_, _ = e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
		}
		if e.sim.Count("list") != 6 || len(e.sleeps.Calls()) != 0 {
			t.Errorf("requests %d sleeps %v", e.sim.Count("list"), e.sleeps.Calls())
		}
	})
}

func TestRetryAfterBeyondMaxDelayIsHandedToCaller(t *testing.T) {
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) { co.RetryMaxDelay = 10 * time.Second })
	e.sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusTooManyRequests, RetryAfter: "120"})
	_, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
	if !jumpcloud.IsRateLimited(err) || jumpcloud.RetryAfterOf(err) != 120*time.Second {
		t.Fatalf("err = %v, retry after %v", err, jumpcloud.RetryAfterOf(err))
	}
	if e.sim.Count("list") != 1 || len(e.sleeps.Calls()) != 0 {
		t.Errorf("requests %d sleeps %v", e.sim.Count("list"), e.sleeps.Calls())
	}
}

func TestCreateIsNeverRetried(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault jcsim.Fault
		kind  jumpcloud.Kind
		saved bool
	}{
		{"429", jcsim.Fault{Op: "create", Code: 429, RetryAfter: "1"}, jumpcloud.KindRateLimited, false},
		{"503", jcsim.Fault{Op: "create", Code: 503}, jumpcloud.KindUnavailable, false},
		{"dropped before", jcsim.Fault{Op: "create", Drop: true}, jumpcloud.KindUnavailable, false},
		{"commit then drop", jcsim.Fault{Op: "create", Drop: true, AfterCommit: true}, jumpcloud.KindUnavailable, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.sim.InjectFault(tt.fault)
			_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("rita"), Email: jumpcloud.Ptr("rita@example.com")}, jumpcloud.CreateOptions{})
			if jumpcloud.KindOf(err) != tt.kind {
				t.Fatalf("err = %v, want %s", err, tt.kind)
			}
			if e.sim.Count("create") != 1 || len(e.sleeps.Calls()) != 0 {
				t.Errorf("creates %d sleeps %v", e.sim.Count("create"), e.sleeps.Calls())
			}
			// The caller finds out whether the create took effect.
			u, ferr := e.client.FindUserByUsername(ctx(t), "rita")
			if tt.saved != (ferr == nil) {
				t.Fatalf("find after create: %v, %v", u, ferr)
			}
			if !tt.saved && !jumpcloud.IsNotFound(ferr) {
				t.Errorf("find: %v", ferr)
			}
		})
	}
	t.Run("random commit-then-drop knob", func(t *testing.T) {
		e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) { so.Faults.CreateCommitThenDrop = 1 })
		_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("sam"), Email: jumpcloud.Ptr("sam@example.com")}, jumpcloud.CreateOptions{})
		if !jumpcloud.IsUnavailable(err) {
			t.Fatalf("err = %v", err)
		}
		if _, ok := e.sim.FindUsername("", "sam"); !ok {
			t.Error("the user was not committed")
		}
		r := e.sim.RequestsFor("create")
		if len(r) != 1 || !r[0].Dropped || r[0].UserID == "" {
			t.Errorf("log %+v", r)
		}
	})
}

func TestNonIdempotentSideEffectsAreRetriedOnlyWhenRejected(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "tina", func(f *jumpcloud.UserFields) { f.Password = jumpcloud.Ptr(testPassword) })

	e.sim.FailNext("resetmfa", 1, http.StatusServiceUnavailable)
	if err := e.client.ResetMFA(ctx(t), u.ID, jumpcloud.ResetMFAOptions{}); !jumpcloud.IsUnavailable(err) {
		t.Fatalf("resetmfa after 503: %v", err)
	}
	e.sim.FailNext("resetmfa", 1, http.StatusTooManyRequests)
	if err := e.client.ResetMFA(ctx(t), u.ID, jumpcloud.ResetMFAOptions{}); err != nil {
		t.Fatalf("resetmfa after 429: %v", err)
	}
	if e.sim.Count("resetmfa") != 3 {
		t.Errorf("resetmfa requests %d, want 3", e.sim.Count("resetmfa"))
	}

	e.sim.FailNext("update", 1, http.StatusBadGateway)
	if _, err := e.client.UpdateUser(ctx(t), u.ID, jumpcloud.UserFields{Password: jumpcloud.Ptr("An0ther-Passw0rd")}); !jumpcloud.IsUnavailable(err) {
		t.Fatalf("password update after 502: %v", err)
	}
	e.sim.FailNext("update", 1, http.StatusBadGateway)
	if _, err := e.client.UpdateUser(ctx(t), u.ID, jumpcloud.UserFields{Department: jumpcloud.Ptr("IT")}); err != nil {
		t.Fatalf("plain update after 502: %v", err)
	}
	if e.sim.Count("update") != 3 {
		t.Errorf("update requests %d, want 3", e.sim.Count("update"))
	}
}

func TestDroppedConnectionOnIdempotentCallIsRetried(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "uma")
	e.sim.InjectFault(jcsim.Fault{Op: "update", Drop: true, AfterCommit: true})
	got, err := e.client.UpdateUser(ctx(t), u.ID, jumpcloud.UserFields{JobTitle: jumpcloud.Ptr("CTO")})
	if err != nil {
		t.Fatal(err)
	}
	if got.JobTitle != "CTO" || e.sim.Count("update") != 2 {
		t.Errorf("jobTitle %q, updates %d", got.JobTitle, e.sim.Count("update"))
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	c, cancel := context.WithCancel(context.Background())
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) {
		co.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}
	})
	e.sim.FailNext("list", 1, http.StatusServiceUnavailable)
	_, err := e.client.ListUsers(c, jumpcloud.ListOptions{})
	var je *jumpcloud.Error
	if !errors.As(err, &je) || !errors.Is(err, context.Canceled) || je.StatusCode != 503 {
		t.Fatalf("err = %#v", err)
	}
}

func TestClientRateLimiter(t *testing.T) {
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) {
		co.RequestsPerSecond = 20
		co.Burst = 1
	})
	start := time.Now()
	for range 3 {
		if _, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("3 requests at 20 rps with burst 1 took %v, want at least ~100ms", d)
	}
	if e.obs.waits == 0 {
		t.Error("no rate-limit wait observed")
	}
	// A deadline shorter than the wait fails fast, as a deadline error.
	slow, err := jumpcloud.New(jumpcloud.Options{BaseURL: e.url, APIKey: testKey, RequestsPerSecond: 0.1, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.ListUsers(ctx(t), jumpcloud.ListOptions{}); err != nil { // takes the only token
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = slow.ListUsers(short, jumpcloud.ListOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !jumpcloud.IsUnavailable(err) {
		t.Fatalf("err = %v", err)
	}
	// Unlimited again.
	e.client.SetRateLimit(-1, 0)
	for range 5 {
		if _, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerRateLimit(t *testing.T) {
	e := newEnv(t, func(so *jcsim.Options, co *jumpcloud.Options) {
		so.RateLimit = jcsim.RateLimit{RPS: 0.001, Burst: 2, RetryAfter: true}
		co.MaxRetries = -1
	})
	for range 2 {
		if _, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
	if !jumpcloud.IsRateLimited(err) || jumpcloud.RetryAfterOf(err) < time.Second {
		t.Fatalf("err = %v retry-after %v", err, jumpcloud.RetryAfterOf(err))
	}
	e.sim.SetRateLimit(jcsim.RateLimit{RPS: 0.001, Burst: 1})
	_, _ = e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
	_, err = e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
	if !jumpcloud.IsRateLimited(err) || jumpcloud.RetryAfterOf(err) != 0 {
		t.Fatalf("without Retry-After: err = %v retry-after %v", err, jumpcloud.RetryAfterOf(err))
	}
}

func TestRetryAfterBeyondDeadlineIsHandedToCaller(t *testing.T) {
	e := newEnv(t)
	e.sim.InjectFault(jcsim.Fault{Op: "list", Code: http.StatusServiceUnavailable, RetryAfter: "20"})
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := e.client.ListUsers(c, jumpcloud.ListOptions{})
	if !jumpcloud.IsUnavailable(err) || jumpcloud.RetryAfterOf(err) != 20*time.Second || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if len(e.sleeps.Calls()) != 0 {
		t.Errorf("slept %v", e.sleeps.Calls())
	}
}
