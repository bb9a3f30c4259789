package controller

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// FuzzResetMFAParams feeds arbitrary reset-mfa parameter annotations (as a user or a GitOps tool
// could write them) to the parser: it must never panic, accept only what JumpCloud takes (1 to 365
// whole days, or one RFC 3339 time, never both), and say why it refused.
func FuzzResetMFAParams(f *testing.F) {
	for _, seed := range []struct {
		days, until       string
		hasDays, hasUntil bool
	}{
		{"20", "", true, false},
		{"", "2026-12-01T00:00:00Z", false, true},
		{"3", "2026-12-01T00:00:00Z", true, true},
		{"0", "", true, false},
		{"366", "", true, false},
		{"-1", "", true, false},
		{"+7", "", true, false},
		{"007", "", true, false},
		{" 7", "", true, false},
		{"1e2", "", true, false},
		{"99999999999999999999", "", true, false},
		{"", "tomorrow", false, true},
		{"", "2026-12-01T00:00:00+02:00", false, true},
		{"", "2026-02-30T00:00:00Z", false, true},
		{"", "", false, false},
		{"", "", true, true},
	} {
		f.Add(seed.days, seed.until, seed.hasDays, seed.hasUntil)
	}
	f.Fuzz(func(t *testing.T, days, until string, hasDays, hasUntil bool) {
		annotations := map[string]string{iamv1alpha1.AnnotationResetMFA: "token"}
		if hasDays {
			annotations[iamv1alpha1.AnnotationResetMFAExclusionDays] = days
		}
		if hasUntil {
			annotations[iamv1alpha1.AnnotationResetMFAExclusionUntil] = until
		}
		d, u, err := resetMFAParams(annotations)

		if err != nil {
			if d != nil || u != nil {
				t.Fatalf("an error with parameters: %v %v %v", d, u, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, iamv1alpha1.AnnotationResetMFAExclusionDays) && !strings.Contains(msg, iamv1alpha1.AnnotationResetMFAExclusionUntil) {
				t.Fatalf("the error does not name the annotation at fault: %q", msg)
			}
			if hasDays && !hasUntil {
				if n, perr := strconv.Atoi(days); perr == nil && n >= 1 && n <= 365 {
					t.Fatalf("refused a valid number of days %q: %v", days, err)
				}
			}
			if hasUntil && !hasDays {
				if _, perr := time.Parse(time.RFC3339, until); perr == nil {
					t.Fatalf("refused a valid RFC 3339 time %q: %v", until, err)
				}
			}
			return
		}

		if hasDays && hasUntil {
			t.Fatalf("accepted both exclusion-days %q and exclusion-until %q", days, until)
		}
		if d != nil && u != nil {
			t.Fatalf("both parameters returned: %d %v", *d, *u)
		}
		switch {
		case hasDays:
			if d == nil {
				t.Fatalf("days %q accepted but not returned", days)
			}
			if *d < 1 || *d > 365 {
				t.Fatalf("days out of range accepted: %q -> %d", days, *d)
			}
			if n, perr := strconv.Atoi(days); perr != nil || n != *d {
				t.Fatalf("days %q parsed as %d", days, *d)
			}
		case hasUntil:
			if u == nil {
				t.Fatalf("until %q accepted but not returned", until)
			}
			want, perr := time.Parse(time.RFC3339, until)
			if perr != nil || !want.Equal(*u) {
				t.Fatalf("until %q parsed as %v", until, *u)
			}
		default:
			if d != nil || u != nil {
				t.Fatalf("parameters without annotations: %v %v", d, u)
			}
		}
	})
}

// FuzzOutcomeUnknown checks the exactly-once rule's classifier on arbitrary errors: only a call
// with no answer at all, or a gateway's 502/504 (the gateway gave up, JumpCloud may have acted),
// counts as "may have happened"; any answer from JumpCloud itself says it did not.
func FuzzOutcomeUnknown(f *testing.F) {
	for _, code := range []int{0, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504} {
		f.Add(code, "Unavailable")
		f.Add(code, "RateLimited")
	}
	f.Fuzz(func(t *testing.T, status int, kind string) {
		err := &jumpcloud.Error{StatusCode: status, Kind: jumpcloud.Kind(kind), Operation: "resetmfa"}
		unknown := outcomeUnknown(fmt.Errorf("wrapped: %w", err))
		gateway := status == http.StatusBadGateway || status == http.StatusGatewayTimeout
		switch {
		case status == 0 && jumpcloud.Kind(kind) == jumpcloud.KindUnavailable && !unknown:
			t.Fatalf("no answer (%s) treated as a known outcome", kind)
		case gateway && !unknown:
			t.Fatalf("a gateway's HTTP %d treated as a known outcome", status)
		case status != 0 && !gateway && unknown:
			t.Fatalf("JumpCloud's HTTP %d (%s) treated as an unknown outcome", status, kind)
		}
	})
}
