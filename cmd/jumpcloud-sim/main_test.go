package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out syncBuffer
	err := run(context.Background(), []string{"--help"}, &out, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{
		"listen", "api-key", "admin-token", "seed-users", "verbose", "default-state", "duplicate-status",
		"username-pattern", "username-max-length", "username-case-insensitive", "password-min-length",
		"password-needs-lowercase", "password-needs-uppercase", "password-needs-numeric", "password-needs-symbol",
		"password-max-history", "disable-suspend-route", "reject-put-activate-staged", "max-limit",
		"max-search-limit", "latency", "jitter", "rate-limit-rps", "rate-limit-burst", "rate-limit-retry-after",
		"fault-5xx-rate", "fault-5xx-code", "fault-slow-rate", "fault-slow-delay", "fault-create-commit-then-drop",
		"seed", "request-log-size", "manager-null", "lenient-ssh-keys", "duplicate-sshkey-status",
		"group-duplicate-status", "group-name-case-insensitive", "group-delete-no-content", "member-exists-status",
		"member-missing-status", "dynamic-member-edit-status", "auto-approve-suggestions", "omit-total-count-header",
	} {
		if !strings.Contains(out.String(), "-"+f) {
			t.Errorf("--help does not mention --%s", f)
		}
	}
}

func TestBadArguments(t *testing.T) {
	for name, args := range map[string][]string{
		"no key":         {},
		"empty key":      {"--api-key", ":org"},
		"bad state":      {"--api-key", "k", "--default-state", "GONE"},
		"bad duplicate":  {"--api-key", "k", "--duplicate-status", "418"},
		"bad rate":       {"--api-key", "k", "--fault-5xx-rate", "2"},
		"extra argument": {"--api-key", "k", "serve"},
		"unknown flag":   {"--api-key", "k", "--nope"},
		"bad listen":     {"--api-key", "k", "--listen", "256.0.0.1:x"},
		"bad pattern":    {"--api-key", "k", "--username-pattern", "("},
		"bad group dup":  {"--api-key", "k", "--group-duplicate-status", "404"},
		"bad member":     {"--api-key", "k", "--member-exists-status", "500"},
	} {
		if err := run(context.Background(), args, io.Discard, nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--api-key", "k1", "--api-key", "mtp:org-a,org-b", "--seed-users", "3", "--verbose"}, &logs, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	get := func(key, org string) (int, int) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/systemusers", nil)
		req.Header.Set("x-api-key", key)
		if org != "" {
			req.Header.Set("x-org-id", org)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var l struct {
			TotalCount int `json:"totalCount"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&l)
		return resp.StatusCode, l.TotalCount
	}
	if code, total := get("k1", ""); code != 200 || total != 3 {
		t.Errorf("default org: %d, %d users", code, total)
	}
	if code, total := get("mtp", "org-b"); code != 200 || total != 3 {
		t.Errorf("org-b: %d, %d users", code, total)
	}
	if code, _ := get("mtp", ""); code != 401 {
		t.Errorf("multi-tenant key without org: %d", code)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v2/usergroups", strings.NewReader(`{"name":"admins"}`))
	req.Header.Set("x-api-key", "k1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("create a user group: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if !strings.Contains(logs.String(), "GET /api/systemusers op=list") || !strings.Contains(logs.String(), "op=group-create") || strings.Contains(logs.String(), "k1") {
		t.Errorf("logs:\n%s", logs.String())
	}
}
