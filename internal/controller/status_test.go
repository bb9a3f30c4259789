package controller

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Table tests for the per-kind status functions: userStatus, operationStatus, connectionStatus.

const statusGen = 3

var statusNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// statusUser is a JumpCloudUser at generation 3 whose status was last concluded at generation 1.
func statusUser() *iamv1alpha1.JumpCloudUser {
	return &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ann", UID: "uid-ann", Generation: statusGen},
		Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "ann", Email: "ann@example.com"},
		Status:     iamv1alpha1.JumpCloudUserStatus{ObservedGeneration: 1},
	}
}

// statusObserved is the JumpCloud user matching statusUser's spec.
func statusObserved() *jumpcloud.User {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &jumpcloud.User{ID: "5f0c1a2b3c4d5e6f70819a01", Username: "ann", Email: "ann@example.com",
		State: jumpcloud.StateActivated, Activated: true, Created: &created}
}

// trueCondition returns the one of Ready, Reconciling and Stalled that is True, failing the test
// unless exactly one is and all three describe generation 3.
func trueCondition(t *testing.T, conds []metav1.Condition) *metav1.Condition {
	t.Helper()
	var found *metav1.Condition
	for _, typ := range []string{iamv1alpha1.ConditionReady, iamv1alpha1.ConditionReconciling, iamv1alpha1.ConditionStalled} {
		c := meta.FindStatusCondition(conds, typ)
		if c == nil {
			t.Fatalf("no %s condition in %+v", typ, conds)
		}
		if c.ObservedGeneration != statusGen {
			t.Errorf("%s describes generation %d, want %d", typ, c.ObservedGeneration, statusGen)
		}
		if c.Status == metav1.ConditionTrue {
			if found != nil {
				t.Errorf("both %s and %s are True", found.Type, typ)
			}
			found = c
		}
	}
	if found == nil {
		t.Fatalf("none of Ready, Reconciling, Stalled is True: %+v", conds)
	}
	return found
}

func TestStatusUser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		user  func(*iamv1alpha1.JumpCloudUser) // before newUserScope
		scope func(*userScope)                 // facts the pass learned
		err   error                            // the pass's outcome
		// want: the True condition and its reason, and status.observedGeneration.
		wantTrue, wantReason string
		wantGen              int64
		check                func(*testing.T, *iamv1alpha1.JumpCloudUser)
	}{
		{
			name:     "done, in sync",
			scope:    func(s *userScope) { s.observed = statusObserved() },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				synced := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced)
				if synced == nil || synced.Status != metav1.ConditionTrue || synced.Reason != iamv1alpha1.ReasonInSync || synced.ObservedGeneration != statusGen {
					t.Errorf("Synced = %+v, want True InSync at generation 3", synced)
				}
				ready := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReady)
				if !strings.Contains(ready.Message, "5f0c1a2b3c4d5e6f70819a01") {
					t.Errorf("Ready message %q does not name the JumpCloud user", ready.Message)
				}
				if u.Status.LastSyncTime == nil || !u.Status.LastSyncTime.Time.Equal(statusNow) {
					t.Errorf("lastSyncTime = %v, want %v", u.Status.LastSyncTime, statusNow)
				}
			},
		},
		{
			name: "done, drifted: Synced False lists the fields",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Spec.Activated = jumpcloud.Ptr(false)
				u.Spec.Profile = &iamv1alpha1.UserProfile{Firstname: jumpcloud.Ptr("Ann")}
				u.Spec.Locked = jumpcloud.Ptr(true)
			},
			scope: func(s *userScope) {
				s.observed = statusObserved()
				s.managerID = jumpcloud.Ptr("5f0c1a2b3c4d5e6f70819aff")
			},
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				synced := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced)
				want := "JumpCloud differs from the spec in: firstname, manager, state, locked"
				if synced == nil || synced.Status != metav1.ConditionFalse || synced.Reason != iamv1alpha1.ReasonDrifted || synced.Message != want {
					t.Errorf("Synced = %+v, want False Drifted %q", synced, want)
				}
			},
		},
		{
			name: "paused",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationPaused: "true"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved() },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonPaused, wantGen: statusGen,
		},
		{
			name: "paused only when the annotation says true",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationPaused: "false"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved() },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
		},
		{
			name: "ObserveOnly says so, and reports drift",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Spec.ManagementPolicy = iamv1alpha1.ManagementPolicyObserveOnly
				u.Spec.Email = "ann@example.org"
			},
			scope:    func(s *userScope) { s.observed = statusObserved(); s.ownership = iamv1alpha1.OwnershipObserved },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				ready := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReady)
				if !strings.Contains(ready.Message, "ObserveOnly") {
					t.Errorf("Ready message %q does not say ObserveOnly", ready.Message)
				}
				if synced := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced); synced.Status != metav1.ConditionFalse {
					t.Errorf("Synced = %+v, want False", synced)
				}
				if u.Status.Ownership != iamv1alpha1.OwnershipObserved {
					t.Errorf("ownership = %q", u.Status.Ownership)
				}
			},
		},
		{
			name:     "locked out by JumpCloud",
			scope:    func(s *userScope) { s.observed = statusObserved(); s.observed.AccountLocked = true },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonLockedOut, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				if u.Status.Locked == nil || !*u.Status.Locked {
					t.Errorf("status.locked = %v, want true", u.Status.Locked)
				}
				// A lockout is not drift: the spec does not ask for an unlocked account.
				if synced := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced); synced.Status != metav1.ConditionTrue {
					t.Errorf("Synced = %+v, want True", synced)
				}
			},
		},
		{
			name: "locked by the spec is not a lockout",
			user: func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Locked = jumpcloud.Ptr(true) },
			scope: func(s *userScope) {
				s.observed = statusObserved()
				s.observed.AccountLocked = true
				s.lockedBySpec = true
			},
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				if !u.Status.LockedBySpec || u.Status.Locked == nil || !*u.Status.Locked {
					t.Errorf("lockedBySpec = %v, locked = %v, want both true", u.Status.LockedBySpec, u.Status.Locked)
				}
			},
		},
		{
			name: "paused wins over a lockout",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationPaused: "true"}
			},
			scope: func(s *userScope) {
				s.observed = statusObserved()
				s.observed.AccountLocked = true
			},
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonPaused, wantGen: statusGen,
		},
		{
			name: "stalled: conditions and generation move, nothing is mirrored",
			user: func(u *iamv1alpha1.JumpCloudUser) { u.Status.State = iamv1alpha1.UserStateStaged },
			scope: func(s *userScope) {
				s.observed = statusObserved()
			},
			err:      stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", "ns/pw"),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonSecretNotFound, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				st := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionStalled)
				if st.Message != "password Secret ns/pw does not exist" {
					t.Errorf("Stalled message %q", st.Message)
				}
				if u.Status.State != iamv1alpha1.UserStateStaged || u.Status.LastSyncTime != nil || u.Status.Locked != nil {
					t.Errorf("a stalled pass mirrored the user: state %q, lastSyncTime %v", u.Status.State, u.Status.LastSyncTime)
				}
				if meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced) != nil {
					t.Errorf("a stalled pass set Synced")
				}
			},
		},
		{
			name:     "stalled by JumpCloud (a rejection)",
			err:      fromJumpCloud(&jumpcloud.Error{Kind: jumpcloud.KindForbidden, Operation: "update", StatusCode: 403, Message: "bad"}),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonKeyRejected, wantGen: statusGen,
		},
		{
			name:     "stalled: a user gone that nothing handled",
			err:      fromJumpCloud(&jumpcloud.Error{Kind: jumpcloud.KindNotFound, Operation: "get", StatusCode: 404, Message: "bad"}),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonUserNotFound, wantGen: statusGen,
		},
		{
			name:     "stalled: outcome unknown",
			err:      fromCall(&jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "resetmfa"}, false),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonOutcomeUnknown, wantGen: statusGen,
		},
		{
			name:     "transient: Reconciling Unreachable, generation stays",
			scope:    func(s *userScope) { s.observed = statusObserved() },
			err:      &jumpcloud.Error{Kind: jumpcloud.KindRateLimited, Operation: "update", StatusCode: 429, Message: "bad"},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable, wantGen: 1,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				if u.Status.State != "" || u.Status.LastSyncTime != nil {
					t.Errorf("a transient pass mirrored the user")
				}
			},
		},
		{
			name:     "transient: a Kubernetes-side error is Progressing",
			err:      errors.New("etcdserver: request timed out"),
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonProgressing, wantGen: 1,
		},
		{
			name:     "waiting: Reconciling with its reason, generation stays",
			err:      waiting(iamv1alpha1.ReasonManagerNotFound, time.Minute, "waiting for manager %s", "bob"),
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonManagerNotFound, wantGen: 1,
		},
		{
			name: "invalid annotation after a finished pass stalls, but the user is mirrored",
			scope: func(s *userScope) {
				s.observed = statusObserved()
				s.invalidAnnotation = "reset-mfa-exclusion-days must be a whole number of days from 1 to 365"
			},
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonInvalidAnnotation, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				st := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionStalled)
				if !strings.Contains(st.Message, "reset-mfa-exclusion-days") {
					t.Errorf("Stalled message %q", st.Message)
				}
				if u.Status.State != iamv1alpha1.UserStateActivated || u.Status.LastSyncTime == nil {
					t.Errorf("the user was not mirrored")
				}
				if meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionSynced) == nil {
					t.Errorf("Synced not set")
				}
			},
		},
		{
			name: "an invalid annotation on a failed pass: the failure shows",
			scope: func(s *userScope) {
				s.observed = statusObserved()
				s.invalidAnnotation = "bad annotation"
			},
			err:      &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "update", StatusCode: 503, Message: "bad"},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable, wantGen: 1,
		},
		{
			name: "deleting",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "t1"}
			},
			scope:    func(s *userScope) { s.deleting = iamv1alpha1.DeletionPolicyDelete; s.observed = statusObserved() },
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonDeleting, wantGen: 1,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				rc := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReconciling)
				if rc.Message != "Applying deletionPolicy Delete" {
					t.Errorf("Reconciling message %q", rc.Message)
				}
				if u.Status.State != "" || u.Status.LastHandled != nil {
					t.Errorf("a deleting pass mirrored the user or recorded the reconcile token")
				}
			},
		},
		{
			name:     "deleting, but the deletion failed: the failure shows",
			scope:    func(s *userScope) { s.deleting = iamv1alpha1.DeletionPolicySuspend },
			err:      fromJumpCloud(&jumpcloud.Error{Kind: jumpcloud.KindConflict, Operation: "delete", StatusCode: 409, Message: "bad"}),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonRejected, wantGen: statusGen,
		},
		{
			name: "reconcile token recorded on a finished pass",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "t1"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved() },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				if u.Status.LastHandled == nil || u.Status.LastHandled.Reconcile != "t1" {
					t.Errorf("lastHandled = %+v, want reconcile t1", u.Status.LastHandled)
				}
			},
		},
		{
			name: "reconcile token recorded alongside the other tokens",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "t2"}
				u.Status.LastHandled = &iamv1alpha1.LastHandledTokens{Reconcile: "t1", ResetMFA: "r1"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved(); s.handled.Unlock = "u1" },
			wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				want := &iamv1alpha1.LastHandledTokens{Reconcile: "t2", ResetMFA: "r1", Unlock: "u1"}
				if !reflect.DeepEqual(u.Status.LastHandled, want) {
					t.Errorf("lastHandled = %+v, want %+v", u.Status.LastHandled, want)
				}
			},
		},
		{
			name: "reconcile token not recorded on a stalled pass",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "t2"}
				u.Status.LastHandled = &iamv1alpha1.LastHandledTokens{Reconcile: "t1", ResetMFA: "r1"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved() },
			err:      stalled(iamv1alpha1.ReasonRejected, "no"),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonRejected, wantGen: statusGen,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				want := &iamv1alpha1.LastHandledTokens{Reconcile: "t1", ResetMFA: "r1"}
				if !reflect.DeepEqual(u.Status.LastHandled, want) {
					t.Errorf("lastHandled = %+v, want %+v", u.Status.LastHandled, want)
				}
			},
		},
		{
			name: "reconcile token not recorded on a transient pass",
			user: func(u *iamv1alpha1.JumpCloudUser) {
				u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "t1"}
			},
			scope:    func(s *userScope) { s.observed = statusObserved() },
			err:      &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "get"},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable, wantGen: 1,
			check: func(t *testing.T, u *iamv1alpha1.JumpCloudUser) {
				if u.Status.LastHandled != nil {
					t.Errorf("lastHandled = %+v, want none", u.Status.LastHandled)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := statusUser()
			if tc.user != nil {
				tc.user(u)
			}
			s := newUserScope(u)
			if tc.scope != nil {
				tc.scope(s)
			}
			userStatus(s, verdictOf(tc.err), statusNow)
			c := trueCondition(t, u.Status.Conditions)
			if c.Type != tc.wantTrue || c.Reason != tc.wantReason {
				t.Errorf("%s %s is True, want %s %s (message %q)", c.Type, c.Reason, tc.wantTrue, tc.wantReason, c.Message)
			}
			if u.Status.ObservedGeneration != tc.wantGen {
				t.Errorf("status.observedGeneration = %d, want %d", u.Status.ObservedGeneration, tc.wantGen)
			}
			if tc.check != nil {
				tc.check(t, u)
			}
		})
	}
}

// A pass that ends without observing a user (it cannot, over a live resource) reports nothing.
func TestStatusUserDoneWithoutObserved(t *testing.T) {
	t.Parallel()
	u := statusUser()
	s := newUserScope(u)
	s.id = "id-1"
	userStatus(s, verdictOf(nil), statusNow)
	if len(u.Status.Conditions) != 0 || u.Status.ObservedGeneration != 1 {
		t.Errorf("conditions %+v, observedGeneration %d; want none and 1", u.Status.Conditions, u.Status.ObservedGeneration)
	}
	if u.Status.ID != "id-1" {
		t.Errorf("the facts were not recorded: id %q", u.Status.ID)
	}
}

func TestStatusUserMirrors(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		observed func(*jumpcloud.User)
		want     func(*iamv1alpha1.JumpCloudUserStatus)
	}{
		{
			name:     "activated with a password",
			observed: func(*jumpcloud.User) {},
			want: func(st *iamv1alpha1.JumpCloudUserStatus) {
				st.State, st.Locked, st.PasswordSet, st.PasswordExpired = iamv1alpha1.UserStateActivated, jumpcloud.Ptr(false), jumpcloud.Ptr(true), jumpcloud.Ptr(false)
			},
		},
		{
			name:     "staged, no password yet",
			observed: func(o *jumpcloud.User) { o.State, o.Activated = jumpcloud.StateStaged, false },
			want: func(st *iamv1alpha1.JumpCloudUserStatus) {
				st.State, st.Locked, st.PasswordSet, st.PasswordExpired = iamv1alpha1.UserStateStaged, jumpcloud.Ptr(false), jumpcloud.Ptr(false), jumpcloud.Ptr(false)
			},
		},
		{
			name:     "suspended and locked",
			observed: func(o *jumpcloud.User) { o.State, o.Suspended, o.AccountLocked = jumpcloud.StateSuspended, true, true },
			want: func(st *iamv1alpha1.JumpCloudUserStatus) {
				st.State, st.Locked, st.PasswordSet, st.PasswordExpired = iamv1alpha1.UserStateSuspended, jumpcloud.Ptr(true), jumpcloud.Ptr(true), jumpcloud.Ptr(false)
			},
		},
		{
			name: "password expiry and MFA",
			observed: func(o *jumpcloud.User) {
				o.PasswordExpired, o.PasswordExpirationDate = true, &expires
				o.MFA.Configured, o.TOTPEnabled, o.MFAEnrollment.OverallStatus = true, true, jumpcloud.MFAEnrolled
			},
			want: func(st *iamv1alpha1.JumpCloudUserStatus) {
				st.State, st.Locked, st.PasswordSet, st.PasswordExpired = iamv1alpha1.UserStateActivated, jumpcloud.Ptr(false), jumpcloud.Ptr(true), jumpcloud.Ptr(true)
				st.PasswordExpirationDate = jumpcloud.Ptr(metav1.NewTime(expires))
				st.MFA = &iamv1alpha1.MFAStatus{Configured: true, TOTPEnabled: true, EnrollmentStatus: "ENROLLED"}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := statusUser()
			s := newUserScope(u)
			o := statusObserved()
			o.Created = &created
			tc.observed(o)
			s.observed, s.id = o, o.ID
			userStatus(s, verdictOf(nil), statusNow)

			want := iamv1alpha1.JumpCloudUserStatus{ID: o.ID, Created: jumpcloud.Ptr(metav1.NewTime(created)), MFA: &iamv1alpha1.MFAStatus{}}
			tc.want(&want)
			got := u.Status
			for _, f := range []struct {
				name      string
				got, want any
			}{
				{"id", got.ID, want.ID},
				{"state", got.State, want.State},
				{"locked", got.Locked, want.Locked},
				{"passwordSet", got.PasswordSet, want.PasswordSet},
				{"passwordExpired", got.PasswordExpired, want.PasswordExpired},
				{"passwordExpirationDate", got.PasswordExpirationDate, want.PasswordExpirationDate},
				{"created", got.Created, want.Created},
				{"mfa", got.MFA, want.MFA},
			} {
				if !reflect.DeepEqual(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.name, deref(f.got), deref(f.want))
				}
			}
		})
	}
}

// deref shows what a pointer points at in failure messages.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}

// statusVerdicts is one error per kind of outcome.
var statusVerdicts = []struct {
	name string
	err  error
}{
	{"done", nil},
	{"stalled", stalled(iamv1alpha1.ReasonRejected, "no")},
	{"waiting", waiting(iamv1alpha1.ReasonManagerNotFound, time.Minute, "later")},
	{"transient", &jumpcloud.Error{Kind: jumpcloud.KindRateLimited, Operation: "get", StatusCode: 429}},
	{"unknown outcome", &unknownOutcomeError{err: errors.New("lost")}},
}

// The resource's knowledge of its JumpCloud user is recorded whatever the verdict.
func TestStatusUserRecordsFactsWhateverTheVerdict(t *testing.T) {
	t.Parallel()
	for _, vc := range statusVerdicts {
		for _, deleting := range []iamv1alpha1.DeletionPolicy{"", iamv1alpha1.DeletionPolicySuspend} {
			t.Run(vc.name+"/deleting="+string(deleting), func(t *testing.T) {
				t.Parallel()
				u := statusUser()
				u.Status.ID, u.Status.Ownership, u.Status.PasswordSecretVersion = "old-id", iamv1alpha1.OwnershipObserved, "sha256:old"
				s := newUserScope(u)
				s.id, s.ownership, s.passwordVersion, s.lockedBySpec = "new-id", iamv1alpha1.OwnershipAdopted, "sha256:new", true
				s.handled = &iamv1alpha1.LastHandledTokens{Unlock: "u1"}
				s.deleting = deleting
				userStatus(s, verdictOf(vc.err), statusNow)
				st := u.Status
				if st.ID != "new-id" || st.Ownership != iamv1alpha1.OwnershipAdopted || st.PasswordSecretVersion != "sha256:new" || !st.LockedBySpec {
					t.Errorf("facts = id %q ownership %q passwordSecretVersion %q lockedBySpec %v", st.ID, st.Ownership, st.PasswordSecretVersion, st.LockedBySpec)
				}
				if st.LastHandled == nil || st.LastHandled.Unlock != "u1" {
					t.Errorf("lastHandled = %+v, want unlock u1", st.LastHandled)
				}
				if st.LastHandled == s.handled {
					t.Errorf("status shares the scope's token record")
				}
			})
		}
	}
}

// The durable markers are the phases' to write: userStatus leaves them as they are.
func TestStatusUserLeavesMarkers(t *testing.T) {
	t.Parallel()
	pending := metav1.NewTime(statusNow.Add(-time.Minute))
	for _, vc := range statusVerdicts {
		for _, observed := range []bool{false, true} {
			name := vc.name
			if observed {
				name += "/observed"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				for _, set := range []bool{true, false} {
					u := statusUser()
					if set {
						u.Status.CreatePending, u.Status.PasswordPending, u.Status.PendingResetMFA = &pending, "sha256:pending", "token-1"
					}
					before := u.Status.DeepCopy()
					s := newUserScope(u)
					if observed {
						s.observed = statusObserved()
					}
					userStatus(s, verdictOf(vc.err), statusNow)
					if !reflect.DeepEqual(u.Status.CreatePending, before.CreatePending) || u.Status.PasswordPending != before.PasswordPending ||
						u.Status.PendingResetMFA != before.PendingResetMFA {
						t.Errorf("markers changed (set=%v): createPending %v passwordPending %q pendingResetMFA %q",
							set, u.Status.CreatePending, u.Status.PasswordPending, u.Status.PendingResetMFA)
					}
				}
			})
		}
	}
}

func TestStatusOperation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		phase     iamv1alpha1.OperationPhase
		reason    string
		wantTrue  string
		finished  bool
		wantCompl bool
	}{
		{"pending", iamv1alpha1.OperationPending, iamv1alpha1.ReasonProgressing, iamv1alpha1.ConditionReconciling, false, false},
		{"running", iamv1alpha1.OperationRunning, iamv1alpha1.ReasonProgressing, iamv1alpha1.ConditionReconciling, false, false},
		{"succeeded", iamv1alpha1.OperationSucceeded, iamv1alpha1.ReasonSucceeded, iamv1alpha1.ConditionReady, true, true},
		{"failed", iamv1alpha1.OperationFailed, iamv1alpha1.ReasonRetriesExhausted, iamv1alpha1.ConditionStalled, true, true},
		{"failed, outcome unknown", iamv1alpha1.OperationFailed, iamv1alpha1.ReasonOutcomeUnknown, iamv1alpha1.ConditionStalled, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := &iamv1alpha1.JumpCloudUserOperation{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "op", Generation: statusGen},
				Status:     iamv1alpha1.JumpCloudUserOperationStatus{ObservedGeneration: 1, Attempts: 2},
			}
			operationStatus(op, tc.phase, tc.reason, "the message", statusNow)
			st := op.Status
			if st.Phase != tc.phase || st.Message != "the message" {
				t.Errorf("phase %q message %q", st.Phase, st.Message)
			}
			c := trueCondition(t, st.Conditions)
			if c.Type != tc.wantTrue || c.Reason != tc.reason || c.Message != "the message" {
				t.Errorf("%s %s %q is True, want %s %s", c.Type, c.Reason, c.Message, tc.wantTrue, tc.reason)
			}
			if tc.wantCompl {
				if st.CompletionTime == nil || !st.CompletionTime.Time.Equal(statusNow) {
					t.Errorf("completionTime = %v, want %v", st.CompletionTime, statusNow)
				}
				if st.ObservedGeneration != statusGen {
					t.Errorf("observedGeneration = %d, want %d", st.ObservedGeneration, statusGen)
				}
			} else {
				if st.CompletionTime != nil {
					t.Errorf("completionTime = %v, want none", st.CompletionTime)
				}
				if st.ObservedGeneration != 1 {
					t.Errorf("observedGeneration = %d, want it unchanged (1)", st.ObservedGeneration)
				}
			}
			if st.Attempts != 2 {
				t.Errorf("attempts changed to %d", st.Attempts)
			}
		})
	}
}

func statusConnection(edit ...func(*iamv1alpha1.JumpCloudConnection)) *iamv1alpha1.JumpCloudConnection {
	c := &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "default", Generation: statusGen},
		Spec:       iamv1alpha1.JumpCloudConnectionSpec{APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"}},
		Status:     iamv1alpha1.JumpCloudConnectionStatus{ObservedGeneration: 1},
	}
	for _, e := range edit {
		e(c)
	}
	return c
}

func TestStatusConnection(t *testing.T) {
	t.Parallel()
	verified := metav1.NewTime(statusNow)
	earlier := metav1.NewTime(statusNow.Add(-time.Hour))
	ref := connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: "team-a", Name: "default"}
	cases := []struct {
		name       string
		obj        func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus)
		err        error
		verifiedAt *metav1.Time
		wantTrue   string
		wantReason string
		msgPrefix  string
		wantGen    int64
		wantLast   *metav1.Time
	}{
		{
			name:       "done",
			verifiedAt: &verified, wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled,
			msgPrefix: "JumpCloud accepted the API key", wantGen: statusGen, wantLast: &verified,
		},
		{
			name: "done, cluster connection",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				cc := &iamv1alpha1.ClusterJumpCloudConnection{
					ObjectMeta: metav1.ObjectMeta{Name: "default", Generation: statusGen},
					Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
						APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Namespace: "vault", Name: "jumpcloud"}},
					Status: iamv1alpha1.JumpCloudConnectionStatus{ObservedGeneration: 1},
				}
				return connectionObjectOf(cc), &cc.Status
			},
			verifiedAt: &verified, wantTrue: iamv1alpha1.ConditionReady, wantReason: iamv1alpha1.ReasonReconciled,
			wantGen: statusGen, wantLast: &verified,
		},
		{
			name: "stalled: key rejected",
			err: &stalledError{reason: iamv1alpha1.ReasonKeyRejected, message: "JumpCloud rejected the API key or organization: x",
				err: &jumpcloud.Error{Kind: jumpcloud.KindUnauthorized, Operation: "list", StatusCode: 401}},
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonKeyRejected,
			msgPrefix: "JumpCloud rejected the API key", wantGen: statusGen, wantLast: &earlier,
		},
		{
			name:     "stalled: Secret missing",
			err:      stalled(iamv1alpha1.ReasonSecretNotFound, "Secret team-a/jumpcloud does not exist"),
			wantTrue: iamv1alpha1.ConditionStalled, wantReason: iamv1alpha1.ReasonSecretNotFound,
			msgPrefix: "Secret team-a/jumpcloud", wantGen: statusGen, wantLast: &earlier,
		},
		{
			name:     "unreachable: 503",
			err:      &unreachableError{ref: ref, err: &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "list", StatusCode: 503, Message: "bad"}},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable,
			msgPrefix: "cannot reach JumpCloud: jumpcloud list: Unavailable (HTTP 503): bad", wantGen: 1, wantLast: &earlier,
		},
		{
			name:     "unreachable: no answer",
			err:      &unreachableError{ref: ref, err: &jumpcloud.Error{Kind: jumpcloud.KindUnavailable, Operation: "list", Err: errors.New("dial tcp: refused")}},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable,
			msgPrefix: "cannot reach JumpCloud: ", wantGen: 1, wantLast: &earlier,
		},
		{
			name:     "unreachable: an odd answer to the list still reads Unreachable",
			err:      &unreachableError{ref: ref, err: &jumpcloud.Error{Kind: jumpcloud.KindUnknown, Operation: "list", StatusCode: 418}},
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonUnreachable,
			msgPrefix: "cannot reach JumpCloud: ", wantGen: 1, wantLast: &earlier,
		},
		{
			name:     "waiting",
			err:      waiting(iamv1alpha1.ReasonProgressing, 5*time.Second, "waiting for the Secret cache"),
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonProgressing,
			msgPrefix: "waiting for the Secret cache", wantGen: 1, wantLast: &earlier,
		},
		{
			name:     "a transient Kubernetes-side error",
			err:      errors.New("reading Secret: the server is currently unable to handle the request"),
			wantTrue: iamv1alpha1.ConditionReconciling, wantReason: iamv1alpha1.ReasonProgressing,
			msgPrefix: "reading Secret", wantGen: 1, wantLast: &earlier,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c connectionObject
			var st *iamv1alpha1.JumpCloudConnectionStatus
			if tc.obj != nil {
				c, st = tc.obj()
			} else {
				nc := statusConnection()
				c, st = connectionObjectOf(nc), &nc.Status
			}
			st.LastVerifiedTime = &earlier
			v := verdictOf(tc.err)
			connectionStatus(c, v, tc.verifiedAt)
			cond := trueCondition(t, st.Conditions)
			if cond.Type != tc.wantTrue || cond.Reason != tc.wantReason {
				t.Errorf("%s %s is True, want %s %s (message %q)", cond.Type, cond.Reason, tc.wantTrue, tc.wantReason, cond.Message)
			}
			if !strings.HasPrefix(cond.Message, tc.msgPrefix) {
				t.Errorf("message %q does not start with %q", cond.Message, tc.msgPrefix)
			}
			if st.ObservedGeneration != tc.wantGen {
				t.Errorf("observedGeneration = %d, want %d", st.ObservedGeneration, tc.wantGen)
			}
			if !st.LastVerifiedTime.Equal(tc.wantLast) {
				t.Errorf("lastVerifiedTime = %v, want %v", st.LastVerifiedTime, tc.wantLast)
			}
		})
	}
}

func TestStatusConnectionObjectOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		obj        func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus)
		refused    bool
		wantRef    connection.Ref
		wantSecret string
		wantKey    string
	}{
		{
			name: "namespaced, default key",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				nc := statusConnection()
				return connectionObjectOf(nc), &nc.Status
			},
			wantRef:    connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: "team-a", Name: "default"},
			wantSecret: "team-a/jumpcloud", wantKey: "api-key",
		},
		{
			name: "namespaced, a key named",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				nc := statusConnection(func(c *iamv1alpha1.JumpCloudConnection) { c.Spec.APIKeySecretRef.Key = "token" })
				return connectionObjectOf(nc), &nc.Status
			},
			wantRef:    connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: "team-a", Name: "default"},
			wantSecret: "team-a/jumpcloud", wantKey: "token",
		},
		{
			name: "namespaced, its own namespace named",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				nc := statusConnection(func(c *iamv1alpha1.JumpCloudConnection) { c.Spec.APIKeySecretRef.Namespace = "team-a" })
				return connectionObjectOf(nc), &nc.Status
			},
			wantRef:    connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: "team-a", Name: "default"},
			wantSecret: "team-a/jumpcloud", wantKey: "api-key",
		},
		{
			name: "namespaced, another namespace is refused and never read",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				nc := statusConnection(func(c *iamv1alpha1.JumpCloudConnection) { c.Spec.APIKeySecretRef.Namespace = "kube-system" })
				return connectionObjectOf(nc), &nc.Status
			},
			refused:    true,
			wantRef:    connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: "team-a", Name: "default"},
			wantSecret: "team-a/jumpcloud", wantKey: "api-key",
		},
		{
			name: "cluster, a Secret in another namespace",
			obj: func() (connectionObject, *iamv1alpha1.JumpCloudConnectionStatus) {
				cc := &iamv1alpha1.ClusterJumpCloudConnection{
					ObjectMeta: metav1.ObjectMeta{Name: "shared"},
					Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
						APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Namespace: "vault", Name: "jc"}},
				}
				return connectionObjectOf(cc), &cc.Status
			},
			wantRef:    connection.Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: "shared"},
			wantSecret: "vault/jc", wantKey: "api-key",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, st := tc.obj()
			if (c.refused != "") != tc.refused {
				t.Errorf("refused = %q, want refused %v", c.refused, tc.refused)
			}
			if c.source.Ref != tc.wantRef {
				t.Errorf("ref = %v, want %v", c.source.Ref, tc.wantRef)
			}
			if got := c.source.Secret.String(); got != tc.wantSecret {
				t.Errorf("Secret = %s, want %s", got, tc.wantSecret)
			}
			if c.source.Key != tc.wantKey {
				t.Errorf("key = %q, want %q", c.source.Key, tc.wantKey)
			}
			if c.status != st {
				t.Errorf("status does not point at the object's status")
			}
		})
	}
}
