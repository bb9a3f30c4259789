package controller

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// runOneShots runs the one-shot annotations whose token differs from the last one handled
// (docs/design.md §3). A token is recorded once its call ran, so re-applying a manifest is a
// no-op; the annotations themselves are never touched. They wait while the resource is paused or
// the user does not exist yet.
func (r *JumpCloudUserReconciler) runOneShots(ctx context.Context, s *userScope) error {
	u, st := s.user, &s.user.Status
	if s.observed == nil || s.paused() {
		return nil
	}
	if s.handled == nil {
		s.handled = &iamv1alpha1.LastHandledTokens{}
	}
	for _, o := range oneShots {
		token := u.Annotations[o.annotation]
		if token == "" || token == *o.handled(s.handled) {
			continue
		}
		markHandled := func() { *o.handled(s.handled) = token }
		if s.observeOnly() {
			markHandled()
			r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, "Ignored", string(o.typ),
				"Ignored %s token %q: an ObserveOnly user is never written to; use a JumpCloudUserOperation", o.annotation, token)
			continue
		}
		a := action{Type: o.typ}
		if o.typ == iamv1alpha1.OperationResetMFA {
			days, until, err := resetMFAParams(u.Annotations)
			if err != nil {
				s.invalidAnnotation = err.Error()
				r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonInvalidAnnotation, string(o.typ), "Not resetting MFA: %v", err)
				continue
			}
			a.ExclusionDays, a.ExclusionUntil = days, until
			if st.PendingResetMFA == token {
				// A pass died while this reset was in flight: it may have reached JumpCloud.
				markHandled()
				st.PendingResetMFA = ""
				r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonOutcomeUnknown, string(o.typ),
					"MFA reset %q may or may not have reached JumpCloud before the operator stopped; not repeating it (JumpCloud emails the user on every reset)", token)
				continue
			}
			// Durable before the call: the marker, and the tokens handled before it.
			st.PendingResetMFA = token
			if err := r.writeStatus(ctx, s); err != nil {
				return err
			}
		}
		err := a.run(ctx, s.api, s.observed.ID)
		s.ranOneShot = true
		if o.typ == iamv1alpha1.OperationResetMFA {
			st.PendingResetMFA = ""
		}
		var refused *stalledError
		var gone *goneError
		var unknown *unknownOutcomeError
		switch err := fromCall(err, a.idempotent()); {
		case err == nil:
			markHandled()
			r.Recorder.Eventf(u, nil, corev1.EventTypeNormal, string(o.typ), string(o.typ), "Ran %s (token %q) on JumpCloud user %s", o.typ, token, s.observed.ID)
			if o.typ == iamv1alpha1.OperationUnlock {
				s.observed.AccountLocked = false
			}
		case errors.As(err, &unknown):
			markHandled()
			r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonOutcomeUnknown, string(o.typ),
				"MFA reset %q got no answer from JumpCloud; not repeating it: %v", token, err)
		case errors.As(err, &gone):
			markHandled()
			r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonUserNotFound, string(o.typ), "%s (token %q) failed: %v", o.typ, token, err)
		case errors.As(err, &refused):
			// A refused action is reported, and its token spent: the resource itself is fine.
			markHandled()
			r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, refused.reason, string(o.typ), "%s (token %q) failed: %v", o.typ, token, refused.err)
		default:
			return err
		}
	}
	return nil
}
