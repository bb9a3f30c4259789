package controller

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// observe reads the JumpCloud user: by id when known; by username when a create may have been
// lost or when the resource only observes. In bulk drift detection it answers from the
// connection's snapshot, and asks JumpCloud only what the snapshot cannot tell: an id it does not
// hold, a username it does not know, whether a lost create landed, or a pass the reconcile token
// forces. It has no side effects in JumpCloud.
func (r *JumpCloudUserReconciler) observe(ctx context.Context, s *userScope) error {
	if s.id != "" {
		id := s.id
		u, err := r.lookup(ctx, s, func(snap *connection.Snapshot) (jumpcloud.User, bool) { return snap.User(id) })
		if err != nil || u != nil {
			s.observed, s.fromSnapshot = u, u != nil
			return err
		}
		return r.observeByID(ctx, s)
	}
	if s.user.Status.CreatePending == nil {
		if s.readOnly() {
			u, err := r.lookup(ctx, s, func(snap *connection.Snapshot) (jumpcloud.User, bool) {
				return snap.UserByUsername(s.user.Spec.Username)
			})
			if err != nil {
				return err
			}
			if u != nil {
				s.fromSnapshot = true
				r.observedByUsername(s, u)
				return nil
			}
		} else {
			return r.findBeforeCreate(ctx, s)
		}
	}
	u, err := s.api.FindUserByUsername(ctx, s.user.Spec.Username)
	switch {
	case jumpcloud.IsNotFound(err):
		if s.readOnly() {
			return stalled(iamv1alpha1.ReasonUserNotFound, "JumpCloud has no user %q", s.user.Spec.Username)
		}
		return nil
	case err != nil:
		return fromJumpCloud(err)
	}
	r.observedByUsername(s, u)
	return nil
}

// findBeforeCreate looks for the user a resource without status is about to create. The happy
// path creates without a lookup; a snapshot that is fresh anyway may know the username, which
// saves a create that JumpCloud would refuse. With an owner mark, a resource without status may be
// one whose status was lost (a rebuilt cluster, a restore): the snapshot is listed if need be (one
// list serves them all), so that such resources take their users back instead of sending creates.
func (r *JumpCloudUserReconciler) findBeforeCreate(ctx context.Context, s *userScope) error {
	var u *jumpcloud.User
	switch {
	case s.forced() && s.mark() != nil:
		// A forced pass reads JumpCloud itself: one look-up rather than a create that
		// JumpCloud would refuse if the user is there.
		found, err := s.api.FindUserByUsername(ctx, s.user.Spec.Username)
		if err != nil && !jumpcloud.IsNotFound(err) {
			return fromJumpCloud(err)
		}
		if found == nil {
			return nil
		}
		return r.takeOver(s, found, false, "")
	case s.snap == nil || s.forced():
		return nil
	case s.mark() != nil:
		found, err := r.lookup(ctx, s, func(snap *connection.Snapshot) (jumpcloud.User, bool) {
			return snap.UserByUsername(s.user.Spec.Username)
		})
		if err != nil {
			return err
		}
		u = found
	case s.snap.Peek(string(s.user.UID), resyncOf(s.conn)):
		if found, ok := s.snap.UserByUsername(s.user.Spec.Username); ok {
			u = &found
		}
	}
	if u == nil {
		return nil
	}
	s.fromSnapshot = true
	return r.takeOver(s, u, false, "")
}

// observedByUsername records the user a lookup by username found.
func (r *JumpCloudUserReconciler) observedByUsername(s *userScope, u *jumpcloud.User) {
	st := &s.user.Status
	s.observed, s.id = u, u.ID
	switch {
	case st.CreatePending != nil:
		// An earlier create reached JumpCloud but its answer was lost: the user is ours, with
		// the password that create carried.
		s.ownership, st.CreatePending = iamv1alpha1.OwnershipCreated, nil
		if st.PasswordPending != "" {
			s.passwordVersion, st.PasswordPending = st.PasswordPending, ""
		}
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "CreateRecovered", "Create",
			"Found JumpCloud user %s created by an earlier attempt whose answer was lost", u.ID)
	case s.observeOnly():
		s.ownership = iamv1alpha1.OwnershipObserved
	}
}

// lookup answers from the connection's snapshot, listing every user first when the snapshot is
// older than the resync interval and a list is worth it. It returns nil when the snapshot cannot
// answer: per-resource drift detection, a pass forced by the reconcile token, a stale snapshot
// that too few resources read to pay for a list, or no entry.
func (r *JumpCloudUserReconciler) lookup(ctx context.Context, s *userScope,
	get func(*connection.Snapshot) (jumpcloud.User, bool)) (*jumpcloud.User, error) {
	if s.snap == nil || s.forced() {
		return nil, nil
	}
	if ok, err := s.snap.Use(ctx, string(s.user.UID), resyncOf(s.conn)); err != nil || !ok {
		if wait := waitForList(err, r.clock().now()); wait != nil {
			return nil, wait
		}
		return nil, err
	}
	if u, ok := get(s.snap); ok {
		return &u, nil
	}
	return nil, nil
}

// observeByID reads the user with a GET. A user deleted outside the operator leaves observed nil
// and the id cleared, so that the pass creates it again, unless the resource only observes it.
func (r *JumpCloudUserReconciler) observeByID(ctx context.Context, s *userScope) error {
	s.observed, s.fromSnapshot = nil, false
	u, err := s.api.GetUser(ctx, s.id)
	var gone *goneError
	switch err := fromJumpCloud(err); {
	case err == nil:
		s.observed = u
		return nil
	case errors.As(err, &gone):
		if s.snap != nil {
			s.snap.Forget(s.id)
		}
		if s.readOnly() || s.ownership == iamv1alpha1.OwnershipObserved {
			return stalled(iamv1alpha1.ReasonUserNotFound, "JumpCloud user %s (%q) does not exist", s.id, s.user.Spec.Username)
		}
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonUserNotFound, "Observe",
			"JumpCloud user %s was deleted outside the operator; creating it again", s.id)
		s.id, s.ownership = "", ""
		return nil
	default:
		return err
	}
}

// remember writes what this pass learned about the user into the snapshot: JumpCloud's answers
// replace the entry; after a one-shot action, whose effect the answers do not show, the entry is
// dropped so that the next pass reads the user itself.
func (s *userScope) remember() {
	if s.snap == nil || s.observed == nil {
		return
	}
	switch {
	case s.ranOneShot:
		s.snap.Forget(s.observed.ID)
	case !s.fromSnapshot:
		s.snap.Put(*s.observed)
	}
}
