package controller

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// finalize applies the deletion policy, then releases the finalizer. The operator never deletes
// or suspends a user it neither created nor adopted; a user already gone counts as deleted.
func (r *JumpCloudUserReconciler) finalize(ctx context.Context, s *userScope) error {
	u := s.user
	if !controllerutil.ContainsFinalizer(u, iamv1alpha1.Finalizer) {
		return nil
	}
	policy := u.Spec.DeletionPolicy
	if policy == "" {
		policy = r.DefaultDeletionPolicy
	}
	if s.observeOnly() || policy == iamv1alpha1.DeletionPolicyOrphan {
		return removeFinalizer(ctx, r.Client, u)
	}
	id := s.id
	if !s.owned() && u.Status.CreatePending == nil {
		// Not known to own a user; but one restored without status may still own a marked one.
		found, err := r.markedUser(ctx, s)
		if err != nil {
			return err
		}
		if found == nil {
			return removeFinalizer(ctx, r.Client, u)
		}
		id = found.ID
	}
	s.deleting = policy
	if s.conn == nil { // markedUser may have resolved it already
		if err := r.resolveConnection(ctx, s); err != nil {
			return err
		}
	}
	if id == "" { // a create may have committed without an answer
		found, err := s.api.FindUserByUsername(ctx, u.Spec.Username)
		if jumpcloud.IsNotFound(err) {
			return removeFinalizer(ctx, r.Client, u)
		}
		if err != nil {
			return fromJumpCloud(err)
		}
		id = found.ID
	}
	var err error
	switch policy {
	case iamv1alpha1.DeletionPolicyDelete:
		err = s.api.DeleteUser(ctx, id, jumpcloud.DeleteOptions{CascadeManager: "null"})
	default:
		err = s.api.SuspendUser(ctx, id)
	}
	var gone *goneError
	switch err := fromJumpCloud(err); {
	case err == nil:
		reason := "Suspended"
		if policy == iamv1alpha1.DeletionPolicyDelete {
			reason = "Deleted"
		}
		r.Recorder.Eventf(u, nil, corev1.EventTypeNormal, reason, "Delete", "Applied deletionPolicy %s to JumpCloud user %s", policy, id)
	case errors.As(err, &gone):
		// Already gone: counts as deleted.
	default:
		return err
	}
	if s.snap != nil {
		s.snap.Forget(id)
	}
	return removeFinalizer(ctx, r.Client, u)
}

// markedUser finds, for a resource that knows of no JumpCloud user (its status was lost), the
// user holding its username when that user carries the resource's owner mark. It returns nil
// when the resource's connection cannot be had at once, sets no owner mark, or the user is not
// marked as the resource's: then nothing is applied, as before the mark existed.
func (r *JumpCloudUserReconciler) markedUser(ctx context.Context, s *userScope) (*jumpcloud.User, error) {
	if s.ownership != "" || s.id != "" {
		return nil, nil
	}
	if err := r.resolveConnection(ctx, s); err != nil || s.mark() == nil {
		return nil, nil
	}
	found, err := s.api.FindUserByUsername(ctx, s.user.Spec.Username)
	switch {
	case jumpcloud.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fromJumpCloud(err)
	case !s.markedOurs(found):
		return nil, nil
	}
	return found, nil
}
