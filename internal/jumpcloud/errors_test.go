package jumpcloud_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

func TestDuplicatesAreAlreadyExists(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusConflict} {
		e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) { so.DuplicateStatus = status })
		e.createUser(t, "kate", func(f *jumpcloud.UserFields) { f.EmployeeIdentifier = jumpcloud.Ptr("E-1") })
		other := e.createUser(t, "leo")
		tests := []struct {
			name  string
			field string
			do    func() error
		}{
			{"create same username", "username", func() error {
				_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("kate"), Email: jumpcloud.Ptr("kate2@example.com")}, jumpcloud.CreateOptions{})
				return err
			}},
			{"create same email", "email", func() error {
				_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("kate2"), Email: jumpcloud.Ptr("KATE@example.com")}, jumpcloud.CreateOptions{})
				return err
			}},
			{"create same employeeIdentifier", "employeeIdentifier", func() error {
				_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("kate3"), Email: jumpcloud.Ptr("kate3@example.com"), EmployeeIdentifier: jumpcloud.Ptr("E-1")}, jumpcloud.CreateOptions{})
				return err
			}},
			{"update to a taken email", "email", func() error {
				_, err := e.client.UpdateUser(ctx(t), other.ID, jumpcloud.UserFields{Email: jumpcloud.Ptr("kate@example.com")})
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(http.StatusText(status)+"/"+tt.name, func(t *testing.T) {
				err := tt.do()
				if !jumpcloud.IsAlreadyExists(err) {
					t.Fatalf("err = %v, want AlreadyExists", err)
				}
				var je *jumpcloud.Error
				errors.As(err, &je)
				if je.StatusCode != status || len(je.FieldViolations) != 1 || je.FieldViolations[0].Field != tt.field {
					t.Errorf("error %+v, want status %d and field %s", je, status, tt.field)
				}
			})
		}
	}
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t)
	t.Run("password rules with full details", func(t *testing.T) {
		_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{
			Username: jumpcloud.Ptr("mia"), Email: jumpcloud.Ptr("mia@example.com"), Password: jumpcloud.Ptr("weakpass"),
		}, jumpcloud.CreateOptions{FullValidationDetails: true})
		var je *jumpcloud.Error
		if !errors.As(err, &je) || je.Kind != jumpcloud.KindValidation || je.StatusCode != 400 {
			t.Fatalf("err = %v", err)
		}
		var rules []string
		for _, v := range je.FieldViolations {
			if v.Field != "password" {
				t.Errorf("violation field %q", v.Field)
			}
			rules = append(rules, v.Description)
		}
		want := []string{"uppercaseCharacter", "numericCharacter", "specialCharacter"}
		if !slices.Equal(rules, want) {
			t.Errorf("rules %v, want %v", rules, want)
		}
		if strings.Contains(err.Error(), "weakpass") || strings.Contains(err.Error(), testKey) {
			t.Errorf("error leaks a secret: %v", err)
		}
	})
	t.Run("password rules without details", func(t *testing.T) {
		_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{
			Username: jumpcloud.Ptr("mia"), Email: jumpcloud.Ptr("mia@example.com"), Password: jumpcloud.Ptr("weakpass"),
		}, jumpcloud.CreateOptions{})
		var je *jumpcloud.Error
		if !errors.As(err, &je) || je.Kind != jumpcloud.KindValidation || len(je.FieldViolations) != 0 || je.Message == "" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("password history on update", func(t *testing.T) {
		u := e.createUser(t, "nina", func(f *jumpcloud.UserFields) { f.Password = jumpcloud.Ptr(testPassword) })
		_, err := e.client.UpdateUser(ctx(t), u.ID, jumpcloud.UserFields{Password: jumpcloud.Ptr(testPassword)})
		var je *jumpcloud.Error
		if !errors.As(err, &je) || je.Kind != jumpcloud.KindValidation || len(je.FieldViolations) != 1 || je.FieldViolations[0].Description != "passwordHistory" {
			t.Fatalf("err = %v", err)
		}
	})
	for _, tt := range []struct{ name, username, email string }{
		{"username starts with a digit", "1abc", "a1@example.com"},
		{"username with @", "a@b", "a2@example.com"},
		{"username with space", "a b", "a3@example.com"},
		{"bad email", "oscar", "not-an-email"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr(tt.username), Email: jumpcloud.Ptr(tt.email)}, jumpcloud.CreateOptions{})
			if !jumpcloud.IsValidation(err) {
				t.Errorf("err = %v, want Validation", err)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) {
		so.APIKeys["mtp-key"] = []string{"org-a", "org-b"}
	})
	client := func(key, org string) *jumpcloud.Client {
		c, err := jumpcloud.New(jumpcloud.Options{BaseURL: e.url, APIKey: key, OrgID: org, RequestsPerSecond: -1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		c    *jumpcloud.Client
		kind jumpcloud.Kind
	}{
		{"wrong key", client("wrong-key", ""), jumpcloud.KindUnauthorized},
		{"multi-tenant key without org", client("mtp-key", ""), jumpcloud.KindUnauthorized},
		{"multi-tenant key, unknown org", client("mtp-key", "org-z"), jumpcloud.KindNotFound},
		{"single-org key, other org", client(testKey, "org-a"), jumpcloud.KindNotFound},
		{"multi-tenant key with org", client("mtp-key", "org-b"), ""},
		{"single-org key with its org", client(testKey, jcsim.DefaultOrg), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.ListUsers(ctx(t), jumpcloud.ListOptions{})
			if got := jumpcloud.KindOf(err); got != tt.kind {
				t.Fatalf("kind %q (%v), want %q", got, err, tt.kind)
			}
			if err != nil && strings.Contains(err.Error(), "key") && strings.Contains(err.Error(), "wrong-key") {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
	// Organizations are isolated.
	a, b := client("mtp-key", "org-a"), client("mtp-key", "org-b")
	u, err := a.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("pat"), Email: jumpcloud.Ptr("pat@example.com")}, jumpcloud.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetUser(ctx(t), u.ID); !jumpcloud.IsNotFound(err) {
		t.Errorf("org-b sees org-a's user: %v", err)
	}
	if _, err := b.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("pat"), Email: jumpcloud.Ptr("pat@example.com")}, jumpcloud.CreateOptions{}); err != nil {
		t.Errorf("the same username in another org: %v", err)
	}
}

func TestStatusKinds(t *testing.T) {
	e := newEnv(t, func(_ *jcsim.Options, co *jumpcloud.Options) { co.MaxRetries = -1 })
	tests := []struct {
		code int
		kind jumpcloud.Kind
	}{
		{400, jumpcloud.KindValidation},
		{401, jumpcloud.KindUnauthorized},
		{403, jumpcloud.KindForbidden},
		{404, jumpcloud.KindNotFound},
		{409, jumpcloud.KindConflict},
		{418, jumpcloud.KindUnknown},
		{422, jumpcloud.KindValidation},
		{429, jumpcloud.KindRateLimited},
		{500, jumpcloud.KindUnavailable},
		{502, jumpcloud.KindUnavailable},
		{503, jumpcloud.KindUnavailable},
		{504, jumpcloud.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			e.sim.FailNext("list", 1, tt.code)
			_, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
			var je *jumpcloud.Error
			if !errors.As(err, &je) || je.Kind != tt.kind || je.StatusCode != tt.code || je.Operation != jumpcloud.OpList {
				t.Fatalf("err = %#v", err)
			}
			if je.Message != http.StatusText(tt.code) {
				t.Errorf("message %q", je.Message)
			}
			wantRetryable := tt.kind == jumpcloud.KindRateLimited || tt.kind == jumpcloud.KindUnavailable
			if jumpcloud.IsRetryable(err) != wantRetryable {
				t.Errorf("IsRetryable = %v", !wantRetryable)
			}
		})
	}
	// Predicates agree with Kind.
	preds := map[jumpcloud.Kind]func(error) bool{
		jumpcloud.KindNotFound: jumpcloud.IsNotFound, jumpcloud.KindAlreadyExists: jumpcloud.IsAlreadyExists,
		jumpcloud.KindValidation: jumpcloud.IsValidation, jumpcloud.KindUnauthorized: jumpcloud.IsUnauthorized,
		jumpcloud.KindForbidden: jumpcloud.IsForbidden, jumpcloud.KindRateLimited: jumpcloud.IsRateLimited,
		jumpcloud.KindUnavailable: jumpcloud.IsUnavailable, jumpcloud.KindConflict: jumpcloud.IsConflict,
	}
	for kind, pred := range preds {
		for other := range preds {
			err := error(&jumpcloud.Error{Kind: other})
			if pred(err) != (kind == other) {
				t.Errorf("predicate for %s on %s", kind, other)
			}
		}
		if pred(errors.New("plain")) || pred(nil) {
			t.Errorf("predicate for %s on a non-jumpcloud error", kind)
		}
	}
}

func TestTransportErrorsKeepContext(t *testing.T) {
	t.Run("cancelled context", func(t *testing.T) {
		e := newEnv(t)
		c, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.client.ListUsers(c, jumpcloud.ListOptions{})
		if !jumpcloud.IsUnavailable(err) || !errors.Is(err, context.Canceled) || jumpcloud.IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("attempt timeout", func(t *testing.T) {
		e := newEnv(t, func(so *jcsim.Options, co *jumpcloud.Options) {
			so.Latency = 300 * time.Millisecond
			co.RequestTimeout = 50 * time.Millisecond
			co.MaxRetries = 1
		})
		_, err := e.client.ListUsers(ctx(t), jumpcloud.ListOptions{})
		if !jumpcloud.IsUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if r := e.obs.Retries(); !slices.Equal(r, []string{"list timeout"}) {
			t.Errorf("retries %v", r)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		e := newEnv(t)
		url := e.url
		_ = e.sim.Close()
		c, err := jumpcloud.New(jumpcloud.Options{BaseURL: url, APIKey: testKey, MaxRetries: 2, Sleep: (&sleeper{}).Sleep, Observer: e.obs})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetUser(ctx(t), "0123456789abcdef01234567")
		if !jumpcloud.IsUnavailable(err) || !jumpcloud.IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
		if r := e.obs.Retries(); !slices.Equal(r, []string{"get connection", "get connection"}) {
			t.Errorf("retries %v", r)
		}
		if e.obs.Requests("get 0") != 3 {
			t.Errorf("observed %v", e.obs.requests)
		}
	})
}
