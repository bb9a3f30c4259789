package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Table tests for outcome.go: how a failed JumpCloud call becomes done, stalled, waiting or
// transient, and how a pass's error reads as a verdict.

// jcErr builds a JumpCloud client error. Message is always "bad", so that tests can check that
// messages are built from JumpCloud's message.
func jcErr(kind jumpcloud.Kind, status int, fv ...jumpcloud.FieldViolation) *jumpcloud.Error {
	return &jumpcloud.Error{Kind: kind, Operation: "create", StatusCode: status, Message: "bad", FieldViolations: fv}
}

// The errors the outcome tests share.
var (
	outRateLimited = jcErr(jumpcloud.KindRateLimited, 429)
	outUnavailable = jcErr(jumpcloud.KindUnavailable, 503)
	outServerError = jcErr(jumpcloud.KindUnavailable, 500)
	outBadGateway  = jcErr(jumpcloud.KindUnavailable, 502)
	outGatewayTO   = jcErr(jumpcloud.KindUnavailable, 504)
	outNoAnswer    = &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "create", Err: errors.New("read: connection reset by peer")}
	outTimeout     = &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "create", Err: context.DeadlineExceeded}
	outCanceled    = &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "create", Err: context.Canceled}
	outNotFound    = jcErr(jumpcloud.KindNotFound, 404)
	outUnauth      = jcErr(jumpcloud.KindUnauthorized, 401)
	outForbidden   = jcErr(jumpcloud.KindForbidden, 403)
	outPassword    = jcErr(jumpcloud.KindValidation, 400,
		jumpcloud.FieldViolation{Field: "password", Description: "minLength"},
		jumpcloud.FieldViolation{Field: "password", Description: "specialCharacter"})
	outValidation = jcErr(jumpcloud.KindValidation, 400, jumpcloud.FieldViolation{Field: "email", Description: "invalid"})
	outClientSide = &jumpcloud.Error{Kind: jumpcloud.KindValidation, Operation: "create", Message: "username and email are required"}
	outConflict   = jcErr(jumpcloud.KindConflict, 409)
	outExists     = jcErr(jumpcloud.KindAlreadyExists, 409, jumpcloud.FieldViolation{Field: "username", Description: "already exists"})
	outUnknown    = jcErr(jumpcloud.KindUnknown, 418)
	errPlain      = errors.New("boom")
)

// outcome kinds a mapping can give.
const (
	outNil       = "nil"
	outSame      = "same" // the error itself, unchanged (transient)
	outGone      = "gone"
	outStalled   = "stalled"
	outUnknownOC = "unknown"
)

// outcomeKind classifies what fromJumpCloud or fromCall returned for in.
func outcomeKind(t *testing.T, in, got error) (string, *stalledError) {
	t.Helper()
	var st *stalledError
	var gone *goneError
	var unknown *unknownOutcomeError
	switch {
	case got == nil:
		return outNil, nil
	case got == in: //nolint:errorlint // identity: the mapping must hand back the very error
		return outSame, nil
	case errors.As(got, &st):
		return outStalled, st
	case errors.As(got, &gone):
		return outGone, nil
	case errors.As(got, &unknown):
		return outUnknownOC, nil
	}
	t.Fatalf("unexpected outcome %T: %v", got, got)
	return "", nil
}

func TestOutcomeFromJumpCloud(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		err        error
		want       string
		reason     string
		msgHas     []string
		wantVerdct verdict // state, reason; err compared separately
	}{
		{name: "nil", err: nil, want: outNil, wantVerdct: verdict{state: stateDone}},
		{name: "429 rate limited", err: outRateLimited, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "503 unavailable", err: outUnavailable, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "500", err: outServerError, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "502 (repeatable call)", err: outBadGateway, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "no answer", err: outNoAnswer, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "timeout", err: outTimeout, want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "wrapped 429", err: fmt.Errorf("updating: %w", outRateLimited), want: outSame,
			wantVerdct: verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable}},
		{name: "404 is gone", err: outNotFound, want: outGone, msgHas: []string{"JumpCloud refused the request", "bad"},
			wantVerdct: verdict{state: stateStalled, reason: iamv1alpha1.ReasonUserNotFound}},
		{name: "401", err: outUnauth, want: outStalled, reason: iamv1alpha1.ReasonKeyRejected,
			msgHas: []string{"JumpCloud refused the request", "Unauthorized", "HTTP 401", "bad"}},
		{name: "403", err: outForbidden, want: outStalled, reason: iamv1alpha1.ReasonKeyRejected,
			msgHas: []string{"JumpCloud refused the request", "Forbidden", "HTTP 403", "bad"}},
		{name: "password violations", err: outPassword, want: outStalled, reason: iamv1alpha1.ReasonPasswordRejected,
			msgHas: []string{"JumpCloud rejected the password: minLength; specialCharacter"}},
		{name: "a password violation among others",
			err: jcErr(jumpcloud.KindValidation, 400, jumpcloud.FieldViolation{Field: "email", Description: "invalid"},
				jumpcloud.FieldViolation{Field: "password", Description: "history"}),
			want: outStalled, reason: iamv1alpha1.ReasonPasswordRejected, msgHas: []string{"invalid; history"}},
		{name: "400 validation", err: outValidation, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"JumpCloud rejected the request", "Validation", "HTTP 400", "bad", "email: invalid"}},
		{name: "client-side validation", err: outClientSide, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"username and email are required"}},
		{name: "409 conflict", err: outConflict, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"Conflict", "HTTP 409", "bad"}},
		{name: "409 already exists (callers that adopt check first)", err: outExists, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"AlreadyExists", "username: already exists"}},
		{name: "unknown answer", err: outUnknown, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"Unknown", "HTTP 418", "bad"}},
		{name: "a plain error", err: errPlain, want: outStalled, reason: iamv1alpha1.ReasonRejected,
			msgHas: []string{"JumpCloud rejected the request: boom"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := fromJumpCloud(tc.err)
			kind, st := outcomeKind(t, tc.err, got)
			if kind != tc.want {
				t.Fatalf("fromJumpCloud(%v) is %s (%T), want %s", tc.err, kind, got, tc.want)
			}
			if tc.err != nil && !errors.Is(got, tc.err) {
				t.Errorf("the outcome does not wrap the JumpCloud error")
			}
			if st != nil && st.reason != tc.reason {
				t.Errorf("reason = %q, want %q", st.reason, tc.reason)
			}
			v := verdictOf(got)
			msg := v.message
			for _, s := range tc.msgHas {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
			if kind == outStalled {
				tc.wantVerdct = verdict{state: stateStalled, reason: tc.reason}
				if msg != st.message {
					t.Errorf("verdict message %q, stall message %q", msg, st.message)
				}
			}
			if v.state != tc.wantVerdct.state || v.reason != tc.wantVerdct.reason {
				t.Errorf("verdict = %s/%s, want %s/%s", v.state, v.reason, tc.wantVerdct.state, tc.wantVerdct.reason)
			}
			// Only a transient outcome goes back to the work queue.
			if wantErr := kind == outSame; (v.err != nil) != wantErr || (wantErr && v.err != got) { //nolint:errorlint // identity: the verdict carries the very error
				t.Errorf("verdict err = %v, want the error returned: %v", v.err, wantErr)
			}
			if v.requeue != 0 {
				t.Errorf("requeue = %s, want 0 (the work queue's backoff or the resync)", v.requeue)
			}
		})
	}
}

func TestOutcomeGone(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("deleting: %w", outNotFound)
	cases := []struct {
		name string
		err  error
	}{
		{"404", outNotFound},
		{"wrapped 404", wrapped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := fromJumpCloud(tc.err)
			var gone *goneError
			if !errors.As(got, &gone) {
				t.Fatalf("fromJumpCloud(%v) = %T, want *goneError", tc.err, got)
			}
			if got.Error() != tc.err.Error() {
				t.Errorf("message %q, want the JumpCloud error's %q", got.Error(), tc.err.Error())
			}
			if !jumpcloud.IsNotFound(got) {
				t.Errorf("a goneError does not read as NotFound")
			}
			// Wrapped by a phase, it still reads as gone.
			v := verdictOf(fmt.Errorf("phase: %w", got))
			if v.state != stateStalled || v.reason != iamv1alpha1.ReasonUserNotFound || v.err != nil {
				t.Errorf("verdict = %+v, want Stalled UserNotFound without err", v)
			}
		})
	}
}

func TestOutcomeRejection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		reason string
		msg    string
	}{
		{"password", outPassword, iamv1alpha1.ReasonPasswordRejected, "JumpCloud rejected the password: minLength; specialCharacter"},
		{"401", outUnauth, iamv1alpha1.ReasonKeyRejected, "JumpCloud refused the request: jumpcloud create: Unauthorized (HTTP 401): bad"},
		{"403", outForbidden, iamv1alpha1.ReasonKeyRejected, "JumpCloud refused the request: jumpcloud create: Forbidden (HTTP 403): bad"},
		{"404", outNotFound, iamv1alpha1.ReasonUserNotFound, "JumpCloud refused the request: jumpcloud create: NotFound (HTTP 404): bad"},
		{"400", outValidation, iamv1alpha1.ReasonRejected, "JumpCloud rejected the request: jumpcloud create: Validation (HTTP 400): bad [email: invalid]"},
		{"409", outConflict, iamv1alpha1.ReasonRejected, "JumpCloud rejected the request: jumpcloud create: Conflict (HTTP 409): bad"},
		{"unknown", outUnknown, iamv1alpha1.ReasonRejected, "JumpCloud rejected the request: jumpcloud create: Unknown (HTTP 418): bad"},
		{"plain", errPlain, iamv1alpha1.ReasonRejected, "JumpCloud rejected the request: boom"},
		{"wrapped 401", fmt.Errorf("get: %w", outUnauth), iamv1alpha1.ReasonKeyRejected, "JumpCloud refused the request: get: jumpcloud create: Unauthorized (HTTP 401): bad"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := rejection(tc.err)
			if st.reason != tc.reason {
				t.Errorf("reason = %q, want %q", st.reason, tc.reason)
			}
			if st.message != tc.msg || st.Error() != tc.msg {
				t.Errorf("message = %q, want %q", st.message, tc.msg)
			}
			if !errors.Is(st, tc.err) || errors.Unwrap(st) != tc.err { //nolint:errorlint // identity: Unwrap gives the cause itself
				t.Errorf("the stall does not wrap the error")
			}
		})
	}
}

func TestOutcomeVerdictOf(t *testing.T) {
	t.Parallel()
	st := stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", "ns/pw")
	wt := waiting(iamv1alpha1.ReasonManagerNotFound, 30*time.Second, "waiting for manager %s", "bob")
	unknown := &unknownOutcomeError{err: outNoAnswer}
	cases := []struct {
		name    string
		err     error
		state   string
		reason  string
		message string
		requeue time.Duration
		withErr bool
	}{
		{name: "nil", state: stateDone},
		{name: "stalled", err: st, state: stateStalled, reason: iamv1alpha1.ReasonSecretNotFound,
			message: "password Secret ns/pw does not exist"},
		{name: "wrapped stalled keeps the stall's message", err: fmt.Errorf("create: %w", st), state: stateStalled,
			reason: iamv1alpha1.ReasonSecretNotFound, message: "password Secret ns/pw does not exist"},
		{name: "waiting", err: wt, state: stateReconciling, reason: iamv1alpha1.ReasonManagerNotFound,
			message: "waiting for manager bob", requeue: 30 * time.Second},
		{name: "wrapped waiting", err: fmt.Errorf("resolveManager: %w", wt), state: stateReconciling,
			reason: iamv1alpha1.ReasonManagerNotFound, message: "waiting for manager bob", requeue: 30 * time.Second},
		{name: "unknown outcome", err: unknown, state: stateStalled, reason: iamv1alpha1.ReasonOutcomeUnknown,
			message: outNoAnswer.Error()},
		{name: "429", err: outRateLimited, state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable,
			message: outRateLimited.Error(), withErr: true},
		{name: "503", err: outUnavailable, state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable,
			message: outUnavailable.Error(), withErr: true},
		{name: "no answer", err: outNoAnswer, state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable,
			message: outNoAnswer.Error(), withErr: true},
		{name: "a cancelled call is progressing (not Unreachable), and retried", err: outCanceled, state: stateReconciling,
			reason: iamv1alpha1.ReasonProgressing, message: outCanceled.Error(), withErr: true},
		{name: "a plain error is progressing, and retried", err: errPlain, state: stateReconciling,
			reason: iamv1alpha1.ReasonProgressing, message: "boom", withErr: true},
		{name: "a Kubernetes-side error is progressing", err: fmt.Errorf("patching status: %w", errors.New("conflict")),
			state: stateReconciling, reason: iamv1alpha1.ReasonProgressing, message: "patching status: conflict", withErr: true},
		{name: "a stall wrapping a transient error stays a stall",
			err:   &stalledError{reason: iamv1alpha1.ReasonKeyRejected, message: "refused", err: outUnavailable},
			state: stateStalled, reason: iamv1alpha1.ReasonKeyRejected, message: "refused"},
		{name: "waiting wrapping a transient error waits",
			err:   &waitingError{reason: iamv1alpha1.ReasonConnectionNotReady, message: "not ready", after: time.Minute, err: outUnavailable},
			state: stateReconciling, reason: iamv1alpha1.ReasonConnectionNotReady, message: "not ready", requeue: time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := verdictOf(tc.err)
			if v.state != tc.state || v.reason != tc.reason || v.message != tc.message || v.requeue != tc.requeue {
				t.Errorf("verdict = {%q %q %q %s}, want {%q %q %q %s}", v.state, v.reason, v.message, v.requeue,
					tc.state, tc.reason, tc.message, tc.requeue)
			}
			if tc.withErr && v.err != tc.err { //nolint:errorlint // identity: the verdict carries the very error
				t.Errorf("verdict err = %v, want the error itself", v.err)
			}
			if !tc.withErr && v.err != nil {
				t.Errorf("verdict err = %v, want none (not retried through the work queue)", v.err)
			}
		})
	}
}

func TestOutcomeStalledAndWaitingUnwrap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		reason string
	}{
		{"stalled", stalled(iamv1alpha1.ReasonAlreadyExists, "user %q exists", "ann"), iamv1alpha1.ReasonAlreadyExists},
		{"waiting", waiting(iamv1alpha1.ReasonUpdating, time.Second, "again in %s", time.Second), iamv1alpha1.ReasonUpdating},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wrapped := fmt.Errorf("phase: %w", tc.err)
			twice := fmt.Errorf("pass: %w", wrapped)
			if errors.Unwrap(wrapped) != tc.err || errors.Unwrap(twice) != wrapped { //nolint:errorlint // identity: Unwrap gives the cause itself
				t.Errorf("errors.Unwrap does not walk the chain")
			}
			if errors.Unwrap(tc.err) != nil {
				t.Errorf("a stall or wait built from a format wraps %v", errors.Unwrap(tc.err))
			}
			var st *stalledError
			var wt *waitingError
			switch {
			case errors.As(twice, &st):
				if st != tc.err || st.reason != tc.reason { //nolint:errorlint // identity: errors.As finds the very outcome
					t.Errorf("errors.As found %+v", st)
				}
			case errors.As(twice, &wt):
				if wt != tc.err || wt.reason != tc.reason || wt.after != time.Second { //nolint:errorlint // identity: errors.As finds the very outcome
					t.Errorf("errors.As found %+v", wt)
				}
			default:
				t.Fatalf("errors.As finds neither through %v", twice)
			}
			if !strings.HasSuffix(twice.Error(), tc.err.Error()) {
				t.Errorf("%q does not end with %q", twice.Error(), tc.err.Error())
			}
		})
	}
	t.Run("formats", func(t *testing.T) {
		t.Parallel()
		if got := stalled("R", "%d%%", 5).Error(); got != "5%" {
			t.Errorf("stalled message %q", got)
		}
		if got := waiting("R", 0, "no args").Error(); got != "no args" {
			t.Errorf("waiting message %q", got)
		}
	})
}

func TestOutcomeFromCall(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		want   string
		reason string
	}{
		{name: "nil", err: nil, want: outNil},
		{name: "no answer", err: outNoAnswer, want: outUnknownOC},
		{name: "timeout", err: outTimeout, want: outUnknownOC},
		{name: "502", err: outBadGateway, want: outUnknownOC},
		{name: "504", err: outGatewayTO, want: outUnknownOC},
		{name: "wrapped no answer", err: fmt.Errorf("reset: %w", outNoAnswer), want: outUnknownOC},
		{name: "429 was not run: transient", err: outRateLimited, want: outSame},
		{name: "503 was not run: transient", err: outUnavailable, want: outSame},
		{name: "500 was not run: transient", err: outServerError, want: outSame},
		{name: "404", err: outNotFound, want: outGone},
		{name: "400", err: outValidation, want: outStalled, reason: iamv1alpha1.ReasonRejected},
		{name: "401", err: outUnauth, want: outStalled, reason: iamv1alpha1.ReasonKeyRejected},
		{name: "client-side validation (nothing sent)", err: outClientSide, want: outStalled, reason: iamv1alpha1.ReasonRejected},
		{name: "a plain error may have happened", err: errPlain, want: outUnknownOC},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/not idempotent", func(t *testing.T) {
			t.Parallel()
			got := fromCall(tc.err, false)
			kind, st := outcomeKind(t, tc.err, got)
			if kind != tc.want {
				t.Fatalf("fromCall(%v, false) is %s (%T), want %s", tc.err, kind, got, tc.want)
			}
			if st != nil && st.reason != tc.reason {
				t.Errorf("reason = %q, want %q", st.reason, tc.reason)
			}
			if kind == outUnknownOC {
				if !errors.Is(got, tc.err) || got.Error() != tc.err.Error() {
					t.Errorf("the unknown outcome does not carry the error: %v", got)
				}
				v := verdictOf(got)
				if v.state != stateStalled || v.reason != iamv1alpha1.ReasonOutcomeUnknown || v.err != nil {
					t.Errorf("verdict = %+v, want Stalled OutcomeUnknown, not retried", v)
				}
			}
		})
		t.Run(tc.name+"/idempotent", func(t *testing.T) {
			t.Parallel()
			got, want := fromCall(tc.err, true), fromJumpCloud(tc.err)
			gk, _ := outcomeKind(t, tc.err, got)
			wk, _ := outcomeKind(t, tc.err, want)
			if gk != wk {
				t.Fatalf("fromCall(%v, true) is %s, fromJumpCloud %s", tc.err, gk, wk)
			}
			if gv, wv := verdictOf(got), verdictOf(want); gv.state != wv.state || gv.reason != wv.reason || gv.message != wv.message {
				t.Errorf("verdicts differ: %+v vs %+v", gv, wv)
			}
		})
	}
}

func TestOutcomeTransient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"429", outRateLimited, true},
		{"503", outUnavailable, true},
		{"500", outServerError, true},
		{"502", outBadGateway, true},
		{"504", outGatewayTO, true},
		{"no answer", outNoAnswer, true},
		{"timeout", outTimeout, true},
		{"cancelled by the operator", outCanceled, true},
		{"wrapped 429", fmt.Errorf("x: %w", outRateLimited), true},
		{"404", outNotFound, false},
		{"400", outValidation, false},
		{"401", outUnauth, false},
		{"403", outForbidden, false},
		{"409", outConflict, false},
		{"already exists", outExists, false},
		{"unknown", outUnknown, false},
		{"plain", errPlain, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := transient(tc.err); got != tc.want {
				t.Errorf("transient = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOutcomeUnknown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"no answer", outNoAnswer, true},
		{"timeout", outTimeout, true},
		{"wrapped no answer", fmt.Errorf("x: %w", outNoAnswer), true},
		{"502", outBadGateway, true},
		{"504", outGatewayTO, true},
		{"503 says it was not run", outUnavailable, false},
		{"500", outServerError, false},
		{"429", outRateLimited, false},
		{"400", outValidation, false},
		{"404", outNotFound, false},
		{"409", outConflict, false},
		{"client-side validation, nothing sent", outClientSide, false},
		{"a plain error", errPlain, true},
		{"cancelled in flight: may have been sent", outCanceled, true},
		{"context canceled", context.Canceled, false},
		{"wrapped context canceled", fmt.Errorf("x: %w", context.Canceled), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := outcomeUnknown(tc.err); got != tc.want {
				t.Errorf("outcomeUnknown = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOutcomeMessagesComeFromJumpCloud is a sanity check: condition messages are built from
// JumpCloud's message (never from anything else the request carried, such as the API key).
func TestOutcomeMessagesComeFromJumpCloud(t *testing.T) {
	t.Parallel()
	const apiKey = "jcapikey-0123456789abcdef" // never put into any error
	for _, err := range []*jumpcloud.Error{outRateLimited, outUnavailable, outNotFound, outUnauth, outForbidden,
		outValidation, outConflict, outExists, outUnknown} {
		t.Run(string(err.Kind)+"/"+fmt.Sprint(err.StatusCode), func(t *testing.T) {
			t.Parallel()
			for _, idempotent := range []bool{true, false} {
				v := verdictOf(fromCall(err, idempotent))
				if !strings.Contains(v.message, "bad") {
					t.Errorf("message %q is not built from JumpCloud's message", v.message)
				}
				if strings.Contains(v.message, apiKey) {
					t.Errorf("message %q contains the API key", v.message)
				}
			}
		})
	}
}
