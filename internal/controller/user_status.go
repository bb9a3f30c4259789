package controller

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// userStatus derives a JumpCloudUser's status from what the pass learned and how it ended. It is
// the one place that sets the status, but for the durable markers (createPending,
// passwordPending, pendingResetMFA) that the phases write before the calls they guard.
//
//   - The resource's knowledge of its JumpCloud user (id, ownership, password version, lock,
//     one-shot tokens) is always recorded: it stays true whatever happened later in the pass.
//   - A stalled or waiting pass sets Stalled or Reconciling; a stall concludes the generation
//     (kstatus then reads Failed, not InProgress), as in Flux; a transient error does not.
//   - A finished pass mirrors the JumpCloud user, reports drift in Synced, and says Ready.
func userStatus(s *userScope, v verdict, now time.Time) {
	u, st := s.user, &s.user.Status
	gen := u.Generation
	finished := v.state == stateDone && s.deleting == "" && s.observed != nil
	if token, ok := u.Annotations[iamv1alpha1.AnnotationReconcile]; ok && finished {
		if s.handled == nil {
			s.handled = &iamv1alpha1.LastHandledTokens{}
		}
		s.handled.Reconcile = token
	}
	recordUserFacts(s)
	if markUnfinished(&st.Conditions, &st.ObservedGeneration, gen, v, string(s.deleting)) || s.observed == nil {
		return // a finished pass over a live user always has observed it
	}

	o := s.observed
	mirrorUser(st, o)
	t := metav1.NewTime(now)
	st.LastSyncTime = &t
	synced, reason, message := syncedOf(driftOf(&u.Spec, s.managerID, o, s.mark()))
	setCondition(&st.Conditions, gen, iamv1alpha1.ConditionSynced, synced, reason, message)
	reason, message = readyOf(s)
	markReady(&st.Conditions, gen, reason, message)
	st.ObservedGeneration = gen
	if s.invalidAnnotation != "" {
		markStalled(&st.Conditions, gen, iamv1alpha1.ReasonInvalidAnnotation, s.invalidAnnotation)
	}
}

// recordUserFacts writes what the resource knows of its JumpCloud user into status. A durable
// write (of a marker) stores it too, so a marker is never stored without the facts it goes with.
func recordUserFacts(s *userScope) {
	st := &s.user.Status
	st.ID, st.Ownership = s.id, s.ownership
	st.PasswordSecretVersion = s.passwordVersion
	st.LockedBySpec = s.lockedBySpec
	if s.handled != nil {
		st.LastHandled = s.handled.DeepCopy()
	}
}

// mirrorUser copies what JumpCloud reports of the user into status.
func mirrorUser(st *iamv1alpha1.JumpCloudUserStatus, o *jumpcloud.User) {
	st.ID = o.ID
	st.State = stateOf(o.State)
	st.Locked = jumpcloud.Ptr(o.AccountLocked)
	st.PasswordSet = jumpcloud.Ptr(o.Activated)
	st.PasswordExpired = jumpcloud.Ptr(o.PasswordExpired)
	st.PasswordExpirationDate = timeOf(o.PasswordExpirationDate)
	st.Created = timeOf(o.Created)
	st.MFA = &iamv1alpha1.MFAStatus{Configured: o.MFA.Configured, TOTPEnabled: o.TOTPEnabled, EnrollmentStatus: string(o.MFAEnrollment.OverallStatus)}
}

// syncedOf is the Synced condition for the drift found.
func syncedOf(drift []string) (metav1.ConditionStatus, string, string) {
	if len(drift) > 0 {
		return metav1.ConditionFalse, iamv1alpha1.ReasonDrifted, "JumpCloud differs from the spec in: " + strings.Join(drift, ", ")
	}
	return metav1.ConditionTrue, iamv1alpha1.ReasonInSync, "JumpCloud matches the spec"
}

// readyOf is the reason and message of Ready after a finished pass.
func readyOf(s *userScope) (string, string) {
	o := s.observed
	switch {
	case s.paused():
		return iamv1alpha1.ReasonPaused, "Paused: the operator observes this user but writes nothing"
	case s.observeOnly():
		return iamv1alpha1.ReasonReconciled, "Observed JumpCloud user " + o.ID + " (ObserveOnly: the Synced condition reports drift)"
	case o.AccountLocked && !wantLocked(&s.user.Spec):
		return iamv1alpha1.ReasonLockedOut,
			"JumpCloud locked the account (for example after failed logins); unlock it with the unlock annotation or a JumpCloudUserOperation"
	default:
		return iamv1alpha1.ReasonReconciled, "JumpCloud user " + o.ID + " matches the spec"
	}
}

func stateOf(s jumpcloud.State) iamv1alpha1.UserState {
	switch s {
	case jumpcloud.StateStaged:
		return iamv1alpha1.UserStateStaged
	case jumpcloud.StateSuspended:
		return iamv1alpha1.UserStateSuspended
	default:
		return iamv1alpha1.UserStateActivated
	}
}

func timeOf(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	mt := metav1.NewTime(*t)
	return &mt
}
