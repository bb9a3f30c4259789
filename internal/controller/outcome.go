package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// A pass ends in one of four outcomes, and every reconciler reads them the same way
// (docs/architecture.md, "Outcomes"):
//
//   - done: nil.
//   - stalled (*stalledError): needs a human (a bad spec, a refusal by JumpCloud). The pass records
//     it and does not retry; a slow resync and the watches bring the resource back.
//   - waiting (*waitingError): resolves by itself (a dependency not ready yet); the pass comes
//     back after a set delay.
//   - transient (any other error): trying again may succeed (429, 5xx, no answer, a conflict on
//     the Kubernetes side); it goes back to the work queue, whose rate limiter backs off.
//
// fromJumpCloud is the one mapping from a failed JumpCloud call to these outcomes.

// stalledError marks a failure that needs a human. Reason is a condition reason.
type stalledError struct {
	reason, message string
	err             error
}

func (e *stalledError) Error() string { return e.message }
func (e *stalledError) Unwrap() error { return e.err }

func stalled(reason, format string, args ...any) error {
	return &stalledError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// waitingError marks a state that resolves itself; the pass comes back after the delay.
type waitingError struct {
	reason, message string
	after           time.Duration
	err             error
}

func (e *waitingError) Error() string { return e.message }
func (e *waitingError) Unwrap() error { return e.err }

func waiting(reason string, after time.Duration, format string, args ...any) error {
	return &waitingError{reason: reason, after: after, message: fmt.Sprintf(format, args...)}
}

// goneError says JumpCloud has no such object (HTTP 404). Each caller decides what that means
// (a user deleted outside the operator is created again; a deletion is done); left as it is, it
// stalls with ReasonUserNotFound.
type goneError struct{ err error }

func (e *goneError) Error() string { return e.err.Error() }
func (e *goneError) Unwrap() error { return e.err }

// unknownOutcomeError says a call that must not be repeated got no answer: it may or may not
// have taken effect.
type unknownOutcomeError struct{ err error }

func (e *unknownOutcomeError) Error() string { return e.err.Error() }
func (e *unknownOutcomeError) Unwrap() error { return e.err }

// fromJumpCloud maps the error of a JumpCloud call to an outcome: nil stays nil; a transient
// failure is returned as it is; a missing object is a *goneError; any other refusal is a
// *stalledError whose reason and message say what JumpCloud refused. An AlreadyExists refusal is a
// *stalledError too: a caller that adopts existing objects checks jumpcloud.IsAlreadyExists first.
func fromJumpCloud(err error) error {
	switch {
	case err == nil:
		return nil
	case transient(err):
		return err
	case jumpcloud.IsNotFound(err):
		return &goneError{err: err}
	}
	return rejection(err)
}

// fromCall is fromJumpCloud for a call that must not be repeated when its outcome is unknown
// (ResetMFA emails the user on every call): such a failure is an *unknownOutcomeError.
func fromCall(err error, idempotent bool) error {
	if err != nil && !idempotent && outcomeUnknown(err) {
		return &unknownOutcomeError{err: err}
	}
	return fromJumpCloud(err)
}

// transient reports whether trying again later may succeed.
func transient(err error) bool {
	return jumpcloud.IsRetryable(err) || jumpcloud.IsUnavailable(err)
}

// outcomeUnknown reports whether a failed call may nonetheless have taken effect: no HTTP answer
// arrived (a timeout or a dropped connection), or a gateway answered for a backend that may have
// run it (502, 504). Other error answers (429, 503, 4xx) say the request was not run.
func outcomeUnknown(err error) bool {
	var je *jumpcloud.Error
	if errors.As(err, &je) {
		switch je.StatusCode {
		case 0:
			return je.Kind == jumpcloud.KindUnavailable
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !errors.Is(err, context.Canceled)
}

// rejection turns a permanent JumpCloud refusal into a stall that names JumpCloud's reasons.
func rejection(err error) *stalledError {
	var je *jumpcloud.Error
	if errors.As(err, &je) {
		for _, v := range je.FieldViolations {
			if v.Field == "password" {
				return &stalledError{reason: iamv1alpha1.ReasonPasswordRejected, err: err,
					message: "JumpCloud rejected the password: " + violations(je)}
			}
		}
		switch je.Kind {
		case jumpcloud.KindUnauthorized, jumpcloud.KindForbidden:
			return &stalledError{reason: iamv1alpha1.ReasonKeyRejected, err: err, message: fmt.Sprintf("JumpCloud refused the request: %v", err)}
		case jumpcloud.KindNotFound:
			return &stalledError{reason: iamv1alpha1.ReasonUserNotFound, err: err, message: fmt.Sprintf("JumpCloud refused the request: %v", err)}
		}
	}
	return &stalledError{reason: iamv1alpha1.ReasonRejected, err: err, message: fmt.Sprintf("JumpCloud rejected the request: %v", err)}
}

func violations(e *jumpcloud.Error) string {
	parts := make([]string, 0, len(e.FieldViolations))
	for _, v := range e.FieldViolations {
		parts = append(parts, v.Description)
	}
	if len(parts) == 0 {
		return e.Message
	}
	return strings.Join(parts, "; ")
}

// verdict is how a pass's outcome shows in the kstatus conditions and the pass's result.
type verdict struct {
	// ready, reconciling or stalled: which of the three conditions is True ("" for done).
	state   string
	reason  string
	message string
	// requeue is how soon to come back (0: the caller's resync, or the work queue's backoff).
	requeue time.Duration
	// err is returned to the work queue (transient outcomes only).
	err error
}

const (
	stateDone        = ""
	stateReconciling = "Reconciling"
	stateStalled     = "Stalled"
)

// verdictOf reads a pass's error as an outcome. A goneError left unhandled stalls; a transient
// error says Unreachable when JumpCloud could not be reached.
func verdictOf(err error) verdict {
	var st *stalledError
	var wt *waitingError
	var gone *goneError
	var unknown *unknownOutcomeError
	switch {
	case err == nil:
		return verdict{state: stateDone}
	case errors.As(err, &st):
		return verdict{state: stateStalled, reason: st.reason, message: st.message}
	case errors.As(err, &wt):
		return verdict{state: stateReconciling, reason: wt.reason, message: wt.message, requeue: wt.after}
	case errors.As(err, &unknown):
		return verdict{state: stateStalled, reason: iamv1alpha1.ReasonOutcomeUnknown, message: err.Error()}
	case errors.As(err, &gone):
		return verdict{state: stateStalled, reason: iamv1alpha1.ReasonUserNotFound, message: rejection(err).message}
	case jumpcloud.IsRetryable(err):
		return verdict{state: stateReconciling, reason: iamv1alpha1.ReasonUnreachable, message: err.Error(), err: err}
	default:
		return verdict{state: stateReconciling, reason: iamv1alpha1.ReasonProgressing, message: err.Error(), err: err}
	}
}
