package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// resolveManager turns spec.profile.manager into a JumpCloud id.
func (r *JumpCloudUserReconciler) resolveManager(ctx context.Context, s *userScope) error {
	p := s.user.Spec.Profile
	if p == nil || p.Manager == nil {
		return nil
	}
	if p.Manager.ID != "" {
		s.managerID = &p.Manager.ID
		return nil
	}
	var m iamv1alpha1.JumpCloudUser
	if err := r.Get(ctx, client.ObjectKey{Namespace: s.user.Namespace, Name: p.Manager.Name}, &m); err != nil {
		if apierrors.IsNotFound(err) {
			return waiting(iamv1alpha1.ReasonManagerNotFound, time.Minute, "manager JumpCloudUser %s/%s does not exist", s.user.Namespace, p.Manager.Name)
		}
		return err
	}
	if m.Status.ID == "" {
		return waiting(iamv1alpha1.ReasonManagerNotFound, time.Minute, "waiting for manager JumpCloudUser %s to exist in JumpCloud", p.Manager.Name)
	}
	s.managerID = &m.Status.ID
	return nil
}

// create makes the JumpCloud user when it does not exist, or adopts an existing one as allowed.
func (r *JumpCloudUserReconciler) create(ctx context.Context, s *userScope) error {
	if s.observed != nil || s.readOnly() {
		return nil
	}
	st := &s.user.Status
	password, version, err := r.password(ctx, s, true)
	if err != nil {
		return err
	}
	hadPending := st.CreatePending != nil
	now := metav1.NewTime(r.clock().now())
	st.CreatePending = &now
	if password != nil {
		// Recorded with the marker: a create recovered after a lost answer sent this password.
		st.PasswordPending = version
	}
	if err := r.writeStatus(ctx, s); err != nil {
		return err
	}

	u, err := s.api.CreateUser(ctx, createFields(&s.user.Spec, s.managerID, password, s.mark()),
		jumpcloud.CreateOptions{FullValidationDetails: password != nil})
	switch {
	case err == nil:
		st.CreatePending, st.PasswordPending = nil, ""
		s.id, s.ownership, s.passwordVersion = u.ID, iamv1alpha1.OwnershipCreated, version
		s.lockedBySpec = wantLocked(&s.user.Spec)
		s.observed = u
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Created", "Create", "Created JumpCloud user %s", u.ID)
		return nil
	case jumpcloud.IsAlreadyExists(err):
		err := r.adopt(ctx, s, hadPending, version, err)
		if hadPending && err != nil && verdictOf(err).state != stateStalled {
			// An earlier create may have landed, and the look-up that would tell got no answer:
			// the markers stay, so that the next pass looks again instead of taking the user for
			// someone else's.
			return err
		}
		st.CreatePending, st.PasswordPending = nil, ""
		return err
	case transient(err):
		// The answer may be lost after JumpCloud committed: keep the marker, look before retrying.
		return err
	default:
		st.CreatePending, st.PasswordPending = nil, ""
		return rejection(err)
	}
}

// passwordReused reports whether JumpCloud refused a password as one used before.
func passwordReused(err error) bool {
	var je *jumpcloud.Error
	if !errors.As(err, &je) {
		return false
	}
	for _, v := range je.FieldViolations {
		if v.Field == "password" && strings.Contains(strings.ToLower(v.Description), "history") {
			return true
		}
	}
	return false
}

// adopt handles a create refused because the user exists.
func (r *JumpCloudUserReconciler) adopt(ctx context.Context, s *userScope, hadPending bool, version string, createErr error) error {
	u, err := r.findExisting(ctx, s, hadPending)
	if jumpcloud.IsNotFound(err) {
		// Not the username: another user holds the email or employee id.
		return rejection(createErr)
	}
	if err != nil {
		return fromJumpCloud(err)
	}
	return r.takeOver(s, u, hadPending, version)
}

// findExisting finds the user holding the spec's username after a create was refused. In bulk
// drift detection the snapshot answers (refreshed when old): when many existing users are taken
// over, one list serves them all. After a lost create only JumpCloud itself can tell.
func (r *JumpCloudUserReconciler) findExisting(ctx context.Context, s *userScope, hadPending bool) (*jumpcloud.User, error) {
	if !hadPending {
		refused := r.clock().now()
		u, err := r.lookup(ctx, s, func(snap *connection.Snapshot) (jumpcloud.User, bool) {
			return snap.UserByUsername(s.user.Spec.Username)
		})
		if err != nil || u != nil {
			s.fromSnapshot = u != nil
			return u, err
		}
		if s.snap != nil && s.snap.ListedSince(refused) {
			// Listed after JumpCloud refused the create, and the username is not there.
			return nil, &jumpcloud.Error{Kind: jumpcloud.KindNotFound, Operation: jumpcloud.OpList, Message: "no user with that username"}
		}
	}
	return s.api.FindUserByUsername(ctx, s.user.Spec.Username)
}

// takeOver applies the adoption rules to an existing user holding the spec's username. A user
// carrying this resource's owner mark is its own (the cluster was rebuilt, or the resource
// restored without status): it is taken back, without adoption and without a write.
func (r *JumpCloudUserReconciler) takeOver(s *userScope, u *jumpcloud.User, hadPending bool, version string) error {
	switch {
	case hadPending:
		s.ownership, s.passwordVersion = iamv1alpha1.OwnershipCreated, version
	case s.markedOurs(u):
		s.ownership = iamv1alpha1.OwnershipCreated
		s.spendTokens()
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Recovered", "Create",
			"Found JumpCloud user %s marked as this resource's (%s=%s); taking it back", u.ID, s.mark().Name, s.mark().Value)
	case s.user.Spec.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q already exists (%s) and adoptionPolicy is Never; set adoptionPolicy: IfExists on a connection with allowAdoption to take it over%s",
			s.user.Spec.Username, u.ID, s.markNote(u))
	case !s.conn.Settings.AllowAdoption:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q already exists (%s); adoptionPolicy is IfExists but %s does not set allowAdoption%s",
			s.user.Spec.Username, u.ID, s.conn.Ref, s.markNote(u))
	default:
		s.ownership = iamv1alpha1.OwnershipAdopted
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "Adopted existing JumpCloud user %s", u.ID)
	}
	s.id, s.observed = u.ID, u
	return nil
}

// claim applies the adoption rules to a user this resource only observed so far.
func (r *JumpCloudUserReconciler) claim(s *userScope) error {
	switch {
	case s.user.Spec.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q was only observed so far; set adoptionPolicy: IfExists on a connection with allowAdoption to manage it", s.user.Spec.Username)
	case !s.conn.Settings.AllowAdoption:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q was only observed so far; %s does not set allowAdoption", s.user.Spec.Username, s.conn.Ref)
	}
	s.ownership = iamv1alpha1.OwnershipAdopted
	r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "Adopted existing JumpCloud user %s", s.observed.ID)
	return nil
}

// update writes the managed fields that differ, moves the account state and lock, and sends a
// changed password. It writes nothing when JumpCloud already matches.
func (r *JumpCloudUserReconciler) update(ctx context.Context, s *userScope) error {
	if s.observed == nil || s.readOnly() {
		return nil
	}
	if s.ownership == iamv1alpha1.OwnershipObserved || s.ownership == "" {
		// Switched from ObserveOnly to Full: taking over needs the adoption rules.
		if err := r.claim(s); err != nil {
			return err
		}
	}
	spec := &s.user.Spec
	password, version, err := r.password(ctx, s, false)
	if err != nil {
		return err
	}
	if s.fromSnapshot && needsWrite(spec, s.managerID, s.observed, s.mark(), s.lockedBySpec, password != nil) {
		// The snapshot may be a resync interval old: read the user itself before writing to it.
		if err := r.observeByID(ctx, s); err != nil {
			return err
		}
		if s.observed == nil {
			return waiting(iamv1alpha1.ReasonUserNotFound, time.Second, "the JumpCloud user disappeared; creating it again")
		}
	}
	id := s.observed.ID

	fields, changed := fieldDiff(spec, s.managerID, s.observed, s.mark())
	if password != nil {
		fields.Password = password
		changed = append(changed, "password")
	}
	changed = append(changed, stateChanges(spec, s.observed, &fields)...)

	if len(changed) > 0 {
		if err := r.put(ctx, s, fields, changed, password, version); err != nil {
			return err
		}
	}

	if needsActivation(spec, s.observed) {
		opts := jumpcloud.ActivateOptions{}
		if a := spec.Activation; a != nil && a.SendEmail != nil {
			opts.SendEmail = a.SendEmail
		}
		if err := s.api.ActivateUser(ctx, id, opts); err != nil {
			return r.writeFailed(s, err)
		}
		s.observed.State, s.observed.Suspended = jumpcloud.StateActivated, false
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Activated", "Activate", "Activated JumpCloud user %s", id)
	}

	// spec.locked went from true to false: undo our own lock. A lockout by JumpCloud stays.
	if needsUnlock(spec, s.observed, s.lockedBySpec) {
		if err := s.api.UnlockUser(ctx, id); err != nil {
			return r.writeFailed(s, err)
		}
		s.observed.AccountLocked = false
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Unlocked", "Unlock", "Unlocked JumpCloud user %s (spec.locked is false)", id)
	}
	s.lockedBySpec = wantLocked(spec) && s.observed.AccountLocked
	return r.syncSSHKeys(ctx, s)
}

// syncSSHKeys makes JumpCloud's SSH keys the spec's, adding before deleting so that a rotation
// never leaves the user without a key. An add whose answer was lost is found by its material on
// the next pass, never added twice.
func (r *JumpCloudUserReconciler) syncSSHKeys(ctx context.Context, s *userScope) error {
	spec, o := &s.user.Spec, s.observed
	if spec.SSHKeys == nil {
		return nil
	}
	keys := o.SSHKeys
	if !o.HasSSHKeys {
		listed, err := s.api.ListSSHKeys(ctx, o.ID)
		if err != nil {
			return r.writeFailed(s, err)
		}
		keys = listed
	}
	add, del := sshKeyPlan(spec.SSHKeys, keys)
	for _, k := range add {
		created, err := s.api.AddSSHKey(ctx, o.ID, k.Name, k.PublicKey)
		if err != nil {
			return r.writeFailed(s, err)
		}
		keys = append(keys, *created)
	}
	for _, id := range del {
		if err := s.api.DeleteSSHKey(ctx, o.ID, id); err != nil {
			return r.writeFailed(s, err)
		}
		keys = slices.DeleteFunc(keys, func(k jumpcloud.SSHKey) bool { return k.ID == id })
	}
	o.SSHKeys, o.HasSSHKeys = keys, true
	if len(add)+len(del) > 0 {
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "SSHKeysUpdated", "Update",
			"Added %d and removed %d SSH keys of JumpCloud user %s", len(add), len(del), o.ID)
	}
	return nil
}

// put sends the changed fields (and a changed password) in one PUT, recording a password as
// pending first so that a lost answer is never mistaken for a rejection on the next attempt.
func (r *JumpCloudUserReconciler) put(ctx context.Context, s *userScope, fields jumpcloud.UserFields, changed []string, password *string, version string) error {
	st := &s.user.Status
	id := s.observed.ID
	retried := password != nil && st.PasswordPending == version
	if password != nil && !retried {
		// Durable before the call: if the answer is lost, the next pass knows JumpCloud may
		// already have this password.
		st.PasswordPending = version
		if err := r.writeStatus(ctx, s); err != nil {
			return err
		}
	}
	u, err := s.api.UpdateUser(ctx, id, fields)
	if err != nil {
		if retried && passwordReused(err) {
			// The earlier attempt, whose answer was lost, did set this password.
			s.passwordVersion, st.PasswordPending = version, ""
			r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "PasswordRecovered", "Update",
				"JumpCloud already has the password an earlier, unanswered update sent")
			return waiting(iamv1alpha1.ReasonUpdating, time.Second, "the password was already set; sending the other changes")
		}
		if password != nil && !outcomeUnknown(err) {
			st.PasswordPending = "" // JumpCloud answered: the password was not applied
		}
		return r.writeFailed(s, err)
	}
	s.observed = u
	if password != nil {
		s.passwordVersion, st.PasswordPending = version, ""
	}
	reason, verb := "Updated", "Updated"
	if s.user.Generation == st.ObservedGeneration {
		reason, verb = "DriftCorrected", "Corrected drift in"
	}
	r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, reason, "Update", "%s JumpCloud user %s: %s", verb, id, strings.Join(changed, ", "))
	return nil
}

// writeFailed reads a failed write: a user gone from JumpCloud is created again; anything else
// is the outcome fromJumpCloud gives.
func (r *JumpCloudUserReconciler) writeFailed(s *userScope, err error) error {
	var gone *goneError
	if err := fromJumpCloud(err); !errors.As(err, &gone) {
		return err
	}
	if s.snap != nil {
		s.snap.Forget(s.id)
	}
	s.observed = nil
	s.id, s.ownership = "", ""
	return &waitingError{reason: iamv1alpha1.ReasonUserNotFound, message: "the JumpCloud user disappeared; creating it again", after: time.Second, err: err}
}

// markNote says, for a refusal, what owner mark the existing user carries.
func (s *userScope) markNote(u *jumpcloud.User) string {
	m := s.mark()
	if m == nil {
		return ""
	}
	if v, ok := markOf(u, m.Name); ok {
		return fmt.Sprintf(" (it is marked %s=%s, not this resource's %s)", m.Name, v, m.Value)
	}
	return fmt.Sprintf(" (it carries no %s mark)", m.Name)
}

// spendTokens takes the one-shot tokens the resource carries as handled. A resource taken back
// after its status was lost carries the tokens it had before, whose actions already ran; running
// them again would, for example, email the user a second MFA reset. A token added while the
// status was lost is skipped too: at most once, never twice.
func (s *userScope) spendTokens() {
	if s.handled == nil {
		s.handled = &iamv1alpha1.LastHandledTokens{}
	}
	for _, o := range oneShots {
		if token := s.user.Annotations[o.annotation]; token != "" {
			*o.handled(s.handled) = token
		}
	}
}
