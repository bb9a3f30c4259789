package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// JumpCloudUserReconciler makes JumpCloud match each JumpCloudUser (DESIGN.md §2.1).
type JumpCloudUserReconciler struct {
	client.Client
	// APIReader reads Secrets directly, so that Secret contents are never cached.
	APIReader client.Reader
	Registry  *connection.Registry
	Recorder  events.EventRecorder
	// DefaultDeletionPolicy applies to users whose spec leaves deletionPolicy unset.
	DefaultDeletionPolicy iamv1alpha1.DeletionPolicy
	// DriftDetection says how a resync observes JumpCloud; "" means DriftDetectionBulk.
	DriftDetection DriftDetection
	// Snapshots holds each connection's snapshot of its users (bulk drift detection); nil means
	// new ones.
	Snapshots *connection.Snapshots
	// MaxConcurrentReconciles bounds parallel reconciles; 0 means DefaultUserConcurrency.
	MaxConcurrentReconciles int
	// Now and Jitter are injectable for tests; nil means the real clock and ±10% jitter.
	Now    func() time.Time
	Jitter func(time.Duration) time.Duration

	// writes tells a pass whether the cache shows this reconciler's last write to its object.
	writes writeLog

	// passwords remembers, per Secret, the resourceVersion whose content was last hashed, so
	// that an unchanged Secret is not read again on every pass.
	passwords sync.Map // client.ObjectKey -> passwordMemo
}

type passwordMemo struct {
	resourceVersion string
	userUID         string
	version         string
}

// userScope carries what one pass learned from phase to phase.
type userScope struct {
	user *iamv1alpha1.JumpCloudUser
	// base is the object as last read or written; patch is the deferred status patch from it.
	base  *iamv1alpha1.JumpCloudUser
	patch client.Patch
	conn  *connection.Connection
	// snap is the connection's snapshot of its users in bulk drift detection, nil otherwise.
	snap *connection.Snapshot
	// observed is the JumpCloud user, nil when it does not exist (yet).
	observed *jumpcloud.User
	// fromSnapshot says observed is the snapshot's entry, which may be a resync interval old,
	// rather than JumpCloud's answer in this pass.
	fromSnapshot bool
	// ranOneShot says a one-shot action was sent, which changes the user in ways observed does
	// not show.
	ranOneShot bool
	// managerID is the resolved manager, nil when the spec names none.
	managerID *string
	// invalidAnnotation says why a one-shot annotation could not run.
	invalidAnnotation string
}

func (s *userScope) observeOnly() bool {
	return s.user.Spec.ManagementPolicy == iamv1alpha1.ManagementPolicyObserveOnly
}

func (s *userScope) paused() bool {
	return s.user.Annotations[iamv1alpha1.AnnotationPaused] == "true"
}

// readOnly is true when this pass must not write to JumpCloud.
func (s *userScope) readOnly() bool { return s.observeOnly() || s.paused() }

// forced is true when a reconcile token asks for a pass that reads JumpCloud itself.
func (s *userScope) forced() bool {
	token := s.user.Annotations[iamv1alpha1.AnnotationReconcile]
	return token != "" && (s.user.Status.LastHandled == nil || s.user.Status.LastHandled.Reconcile != token)
}

// stalledError marks a failure that needs a human; the pass records it and does not retry.
type stalledError struct {
	reason, message string
}

func (e *stalledError) Error() string { return e.message }

func stalled(reason, format string, args ...any) error {
	return &stalledError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// waitingError marks a state that resolves itself (a dependency not ready yet).
type waitingError struct {
	reason, message string
	after           time.Duration
}

func (e *waitingError) Error() string { return e.message }

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusers/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile brings one JumpCloudUser and its JumpCloud user in line.
func (r *JumpCloudUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	user := &iamv1alpha1.JumpCloudUser{}
	if err := r.Get(ctx, req.NamespacedName, user); err != nil {
		if apierrors.IsNotFound(err) {
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.behind(user) {
		return ctrl.Result{RequeueAfter: cacheLagDelay}, nil
	}
	readRV := user.ResourceVersion
	defer r.writes.wrote(user, readRV) // runs after finish, which writes last
	base := user.DeepCopy()
	s := &userScope{user: user, base: base, patch: client.MergeFrom(base)}
	defer func() {
		result, err = r.finish(ctx, s, result, err)
	}()

	if !user.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, s)
	}
	if !s.observeOnly() && controllerutil.AddFinalizer(user, iamv1alpha1.Finalizer) {
		// The finalizer is stored before any JumpCloud call, so no user can be created that a
		// deletion would not clean up.
		if err := r.Patch(ctx, user, client.MergeFrom(s.beforeFinalizer())); err != nil {
			return ctrl.Result{}, err
		}
		s.base = user.DeepCopy()
		s.patch = client.MergeFrom(s.base)
	}
	return ctrl.Result{}, r.reconcileNormal(ctx, s)
}

// beforeFinalizer returns the object as it was before AddFinalizer, for a metadata patch.
func (s *userScope) beforeFinalizer() *iamv1alpha1.JumpCloudUser {
	before := s.user.DeepCopy()
	controllerutil.RemoveFinalizer(before, iamv1alpha1.Finalizer)
	return before
}

// finish turns the pass's error into conditions and a result, and writes status once.
func (r *JumpCloudUserReconciler) finish(ctx context.Context, s *userScope, result ctrl.Result, err error) (ctrl.Result, error) {
	u := s.user
	gen := u.Generation
	var st *stalledError
	var wt *waitingError
	switch {
	case err == nil:
		if u.DeletionTimestamp.IsZero() {
			result.RequeueAfter = r.jitter(r.resync(s))
		}
	case errors.As(err, &st):
		markStalled(&u.Status.Conditions, gen, st.reason, st.message)
		// As in Flux: a stall concludes the pass for this generation (kstatus then reads Failed,
		// not InProgress); transient errors leave observedGeneration where it was.
		u.Status.ObservedGeneration = gen
		r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, st.reason, "Reconcile", st.message)
		// Watches bring the resource back when what it waits for changes in Kubernetes; a slow
		// resync notices fixes made in JumpCloud, without a hot loop.
		result.RequeueAfter = r.jitter(r.resync(s))
		err = nil // reconcile.TerminalError would also log it as an error; a stall is a state, not a bug.
	case errors.As(err, &wt):
		markReconciling(&u.Status.Conditions, gen, wt.reason, wt.message)
		result.RequeueAfter, err = wt.after, nil
	default:
		reason := iamv1alpha1.ReasonProgressing
		if jumpcloud.IsRetryable(err) || jumpcloud.IsUnavailable(err) {
			reason = iamv1alpha1.ReasonUnreachable
		}
		markReconciling(&u.Status.Conditions, gen, reason, err.Error())
	}
	if s.patch != nil && (u.DeletionTimestamp.IsZero() || controllerutil.ContainsFinalizer(u, iamv1alpha1.Finalizer)) {
		if perr := r.Status().Patch(ctx, u, s.patch); perr != nil && !apierrors.IsNotFound(perr) {
			err = errors.Join(err, fmt.Errorf("patching status: %w", perr))
		}
	}
	return result, err
}

func (r *JumpCloudUserReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *JumpCloudUserReconciler) jitter(d time.Duration) time.Duration {
	if r.Jitter != nil {
		return r.Jitter(d)
	}
	// ±10%, so that users created together are not all re-checked together.
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

func (r *JumpCloudUserReconciler) resync(s *userScope) time.Duration {
	if s.conn != nil && s.conn.Settings.ResyncInterval > 0 {
		return s.conn.Settings.ResyncInterval
	}
	return 10 * time.Minute
}

// writeStatus persists the status now (for markers that must be durable before a JumpCloud call)
// and restarts the deferred patch from there. The write is conditional on the resourceVersion
// this pass read: a pass working from a stale cache (which may not yet show the id of a user an
// earlier pass created) fails here with a conflict, before it calls JumpCloud, and is retried.
func (r *JumpCloudUserReconciler) writeStatus(ctx context.Context, s *userScope) error {
	if err := r.Status().Patch(ctx, s.user, client.MergeFromWithOptions(s.base, client.MergeFromWithOptimisticLock{})); err != nil {
		// The marker set in memory was not stored and no call was made: the deferred patch must
		// not store it either, or the next pass would take a call that never happened as made.
		s.patch = nil
		return err
	}
	s.base = s.user.DeepCopy()
	s.patch = client.MergeFrom(s.base)
	return nil
}

// reconcileNormal runs the phases of a pass over a live resource.
func (r *JumpCloudUserReconciler) reconcileNormal(ctx context.Context, s *userScope) error {
	defer s.remember()
	for _, phase := range []func(context.Context, *userScope) error{
		r.resolveConnection,
		r.checkManagedElsewhere,
		r.observe,
		r.resolveManager,
		r.create,
		r.update,
		r.runOneShots,
		r.report,
	} {
		if err := phase(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (r *JumpCloudUserReconciler) resolveConnection(ctx context.Context, s *userScope) error {
	conn, err := connection.Resolve(ctx, r.Client, r.Registry, s.user.Namespace, s.user.Spec.ConnectionRef)
	if err != nil {
		var re *connection.ResolveError
		if errors.As(err, &re) {
			if re.Waiting {
				return &waitingError{reason: re.Reason, message: re.Message, after: time.Minute}
			}
			return stalled(re.Reason, "%s", re.Message)
		}
		return err
	}
	s.conn = conn
	if r.DriftDetection != DriftDetectionPerResource && r.Snapshots != nil {
		s.snap = r.Snapshots.For(conn)
	}
	return nil
}

// checkManagedElsewhere stalls when another JumpCloudUser on the same connection already manages
// this username. The one that knows the JumpCloud id wins; between equals, the older one.
func (r *JumpCloudUserReconciler) checkManagedElsewhere(ctx context.Context, s *userScope) error {
	if s.observeOnly() {
		return nil
	}
	var others iamv1alpha1.JumpCloudUserList
	if err := r.List(ctx, &others, client.MatchingFields{indexUsername: s.user.Spec.Username}); err != nil {
		return err
	}
	for i := range others.Items {
		o := &others.Items[i]
		if o.UID == s.user.UID || o.Spec.ManagementPolicy == iamv1alpha1.ManagementPolicyObserveOnly || !o.DeletionTimestamp.IsZero() {
			continue
		}
		oc, err := connection.Resolve(ctx, r.Client, r.Registry, o.Namespace, o.Spec.ConnectionRef)
		if err != nil || oc.Ref != s.conn.Ref {
			continue
		}
		if ownsBefore(o, s.user) {
			return stalled(iamv1alpha1.ReasonManagedElsewhere, "JumpCloud user %q is already managed by JumpCloudUser %s/%s",
				s.user.Spec.Username, o.Namespace, o.Name)
		}
	}
	return nil
}

// ownsBefore reports whether a has the better claim on a JumpCloud user than b.
func ownsBefore(a, b *iamv1alpha1.JumpCloudUser) bool {
	aOwns := a.Status.ID != "" && a.Status.Ownership != iamv1alpha1.OwnershipObserved
	bOwns := b.Status.ID != "" && b.Status.Ownership != iamv1alpha1.OwnershipObserved
	if aOwns != bOwns {
		return aOwns
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// observe reads the JumpCloud user: by id when known; by username when a create may have been
// lost or when the resource only observes. In bulk drift detection it answers from the
// connection's snapshot, and asks JumpCloud only what the snapshot cannot tell: an id it does not
// hold, a username it does not know, whether a lost create landed, or a pass the reconcile token
// forces. It has no side effects in JumpCloud.
func (r *JumpCloudUserReconciler) observe(ctx context.Context, s *userScope) error {
	st := &s.user.Status
	if st.ID != "" {
		u, err := r.lookup(ctx, s, func(snap *connection.Snapshot) (jumpcloud.User, bool) { return snap.User(st.ID) })
		if err != nil || u != nil {
			s.observed, s.fromSnapshot = u, u != nil
			return err
		}
		return r.observeByID(ctx, s)
	}
	if st.CreatePending == nil {
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
			// The happy path creates without a lookup. A snapshot that is fresh anyway may know
			// the username, which saves a create that JumpCloud would refuse.
			if s.snap != nil && !s.forced() && s.snap.Peek(string(s.user.UID), r.resync(s)) {
				if u, ok := s.snap.UserByUsername(s.user.Spec.Username); ok {
					s.fromSnapshot = true
					return r.takeOver(s, &u, false, "")
				}
			}
			return nil
		}
	}
	u, err := s.conn.Client.FindUserByUsername(ctx, s.user.Spec.Username)
	switch {
	case jumpcloud.IsNotFound(err):
		if s.readOnly() {
			return stalled(iamv1alpha1.ReasonUserNotFound, "JumpCloud has no user %q", s.user.Spec.Username)
		}
		return nil
	case err != nil:
		return err
	}
	r.observedByUsername(s, u)
	return nil
}

// observedByUsername records the user a lookup by username found.
func (r *JumpCloudUserReconciler) observedByUsername(s *userScope, u *jumpcloud.User) {
	st := &s.user.Status
	s.observed = u
	st.ID = u.ID
	switch {
	case st.CreatePending != nil:
		// An earlier create reached JumpCloud but its answer was lost: the user is ours, with
		// the password that create carried.
		st.Ownership, st.CreatePending = iamv1alpha1.OwnershipCreated, nil
		if st.PasswordPending != "" {
			st.PasswordSecretVersion, st.PasswordPending = st.PasswordPending, ""
		}
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "CreateRecovered", "Create",
			"Found JumpCloud user %s created by an earlier attempt whose answer was lost", u.ID)
	case s.observeOnly():
		st.Ownership = iamv1alpha1.OwnershipObserved
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
	if ok, err := s.snap.Use(ctx, string(s.user.UID), r.resync(s)); err != nil || !ok {
		var ue *connection.UnavailableError
		if errors.As(err, &ue) && jumpcloud.IsRetryable(err) {
			// Every user of the connection waits for the next list, which is not tried before
			// RetryAt: failing the pass would retry it at once, again and again, for each of them.
			after := max(ue.RetryAt.Sub(r.now()), time.Second)
			return nil, &waitingError{reason: iamv1alpha1.ReasonUnreachable, after: after,
				message: fmt.Sprintf("%v; trying again in %s", err, after.Round(time.Second))}
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
	st := &s.user.Status
	s.observed, s.fromSnapshot = nil, false
	u, err := s.conn.Client.GetUser(ctx, st.ID)
	switch {
	case err == nil:
		s.observed = u
		return nil
	case jumpcloud.IsNotFound(err):
		if s.snap != nil {
			s.snap.Forget(st.ID)
		}
		if s.readOnly() || st.Ownership == iamv1alpha1.OwnershipObserved {
			return stalled(iamv1alpha1.ReasonUserNotFound, "JumpCloud user %s (%q) does not exist", st.ID, s.user.Spec.Username)
		}
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonUserNotFound, "Observe",
			"JumpCloud user %s was deleted outside the operator; creating it again", st.ID)
		st.ID, st.Ownership = "", ""
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
			return &waitingError{reason: iamv1alpha1.ReasonManagerNotFound, after: time.Minute,
				message: fmt.Sprintf("manager JumpCloudUser %s/%s does not exist", s.user.Namespace, p.Manager.Name)}
		}
		return err
	}
	if m.Status.ID == "" {
		return &waitingError{reason: iamv1alpha1.ReasonManagerNotFound, after: time.Minute,
			message: fmt.Sprintf("waiting for manager JumpCloudUser %s to exist in JumpCloud", p.Manager.Name)}
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
	now := metav1.NewTime(r.now())
	st.CreatePending = &now
	if password != nil {
		// Recorded with the marker: a create recovered after a lost answer sent this password.
		st.PasswordPending = version
	}
	if err := r.writeStatus(ctx, s); err != nil {
		return err
	}

	u, err := s.conn.Client.CreateUser(ctx, createFields(&s.user.Spec, s.managerID, password),
		jumpcloud.CreateOptions{FullValidationDetails: password != nil})
	switch {
	case err == nil:
		st.ID, st.Ownership, st.CreatePending = u.ID, iamv1alpha1.OwnershipCreated, nil
		st.PasswordSecretVersion, st.PasswordPending = version, ""
		st.LockedBySpec = wantLocked(&s.user.Spec)
		s.observed = u
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Created", "Create", "Created JumpCloud user %s", u.ID)
		return nil
	case jumpcloud.IsAlreadyExists(err):
		st.CreatePending, st.PasswordPending = nil, ""
		return r.adopt(ctx, s, hadPending, version, err)
	case jumpcloud.IsValidation(err):
		st.CreatePending, st.PasswordPending = nil, ""
		return rejection(err)
	case jumpcloud.IsUnavailable(err) || jumpcloud.IsRetryable(err):
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

// rejection turns a permanent JumpCloud refusal into a stall that names JumpCloud's reasons.
func rejection(err error) error {
	var je *jumpcloud.Error
	if errors.As(err, &je) {
		for _, v := range je.FieldViolations {
			if v.Field == "password" {
				return stalled(iamv1alpha1.ReasonPasswordRejected, "JumpCloud rejected the password: %s", violations(je))
			}
		}
		switch je.Kind {
		case jumpcloud.KindUnauthorized, jumpcloud.KindForbidden:
			return stalled(iamv1alpha1.ReasonKeyRejected, "JumpCloud refused the request: %v", err)
		case jumpcloud.KindNotFound:
			return stalled(iamv1alpha1.ReasonUserNotFound, "JumpCloud refused the request: %v", err)
		}
	}
	return stalled(iamv1alpha1.ReasonRejected, "JumpCloud rejected the request: %v", err)
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

// adopt handles a create refused because the user exists.
func (r *JumpCloudUserReconciler) adopt(ctx context.Context, s *userScope, hadPending bool, version string, createErr error) error {
	u, err := r.findExisting(ctx, s, hadPending)
	if jumpcloud.IsNotFound(err) {
		// Not the username: another user holds the email or employee id.
		return rejection(createErr)
	}
	if err != nil {
		return err
	}
	return r.takeOver(s, u, hadPending, version)
}

// findExisting finds the user holding the spec's username after a create was refused. In bulk
// drift detection the snapshot answers (refreshed when old): when many existing users are taken
// over, one list serves them all. After a lost create only JumpCloud itself can tell.
func (r *JumpCloudUserReconciler) findExisting(ctx context.Context, s *userScope, hadPending bool) (*jumpcloud.User, error) {
	if !hadPending {
		refused := r.now()
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
	return s.conn.Client.FindUserByUsername(ctx, s.user.Spec.Username)
}

// takeOver applies the adoption rules to an existing user holding the spec's username.
func (r *JumpCloudUserReconciler) takeOver(s *userScope, u *jumpcloud.User, hadPending bool, version string) error {
	st := &s.user.Status
	switch {
	case hadPending:
		st.Ownership = iamv1alpha1.OwnershipCreated
		st.PasswordSecretVersion = version
	case s.user.Spec.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q already exists (%s) and adoptionPolicy is Never; set adoptionPolicy: IfExists on a connection with allowAdoption to take it over",
			s.user.Spec.Username, u.ID)
	case !s.conn.Settings.AllowAdoption:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q already exists (%s); adoptionPolicy is IfExists but %s does not set allowAdoption",
			s.user.Spec.Username, u.ID, s.conn.Ref)
	default:
		st.Ownership = iamv1alpha1.OwnershipAdopted
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "Adopted existing JumpCloud user %s", u.ID)
	}
	st.ID = u.ID
	s.observed = u
	return nil
}

// update writes the managed fields that differ, moves the account state and lock, and sends a
// changed password. It writes nothing when JumpCloud already matches.
func (r *JumpCloudUserReconciler) update(ctx context.Context, s *userScope) error {
	st := &s.user.Status
	if s.observed == nil || s.readOnly() {
		return nil
	}
	if st.Ownership == iamv1alpha1.OwnershipObserved || st.Ownership == "" {
		// Switched from ObserveOnly to Full: taking over needs the adoption rules.
		if err := r.claim(s); err != nil {
			return err
		}
	}
	spec := &s.user.Spec
	api := s.conn.Client
	password, version, err := r.password(ctx, s, false)
	if err != nil {
		return err
	}
	if s.fromSnapshot && needsWrite(s, password != nil) {
		// The snapshot may be a resync interval old: read the user itself before writing to it.
		if err := r.observeByID(ctx, s); err != nil {
			return err
		}
		if s.observed == nil {
			return &waitingError{reason: iamv1alpha1.ReasonUserNotFound, message: "the JumpCloud user disappeared; creating it again", after: time.Second}
		}
	}
	id := s.observed.ID

	fields, changed := fieldDiff(spec, s.managerID, s.observed)
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

	if wantActivated(spec) && s.observed.State == jumpcloud.StateStaged {
		opts := jumpcloud.ActivateOptions{}
		if a := spec.Activation; a != nil && a.SendEmail != nil {
			opts.SendEmail = a.SendEmail
		}
		if err := api.ActivateUser(ctx, id, opts); err != nil {
			return r.writeFailed(s, err)
		}
		s.observed.State, s.observed.Suspended = jumpcloud.StateActivated, false
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Activated", "Activate", "Activated JumpCloud user %s", id)
	}

	// spec.locked went from true to false: undo our own lock. A lockout by JumpCloud stays.
	if !wantLocked(spec) && st.LockedBySpec && s.observed.AccountLocked {
		if err := api.UnlockUser(ctx, id); err != nil {
			return r.writeFailed(s, err)
		}
		s.observed.AccountLocked = false
		r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Unlocked", "Unlock", "Unlocked JumpCloud user %s (spec.locked is false)", id)
	}
	st.LockedBySpec = wantLocked(spec) && s.observed.AccountLocked
	return nil
}

// needsWrite reports whether update would call JumpCloud for the observed user.
func needsWrite(s *userScope, password bool) bool {
	spec, o := &s.user.Spec, s.observed
	_, changed := fieldDiff(spec, s.managerID, o)
	var fields jumpcloud.UserFields
	return password || len(changed) > 0 || len(stateChanges(spec, o, &fields)) > 0 ||
		wantActivated(spec) && o.State == jumpcloud.StateStaged ||
		!wantLocked(spec) && s.user.Status.LockedBySpec && o.AccountLocked
}

// put sends the changed fields (and a changed password) in one PUT, recording a password as
// pending first so that a lost answer is never mistaken for a rejection on the next attempt.
func (r *JumpCloudUserReconciler) put(ctx context.Context, s *userScope, fields jumpcloud.UserFields, changed []string, password *string, version string) error {
	st := &s.user.Status
	api, id := s.conn.Client, s.observed.ID
	retried := password != nil && st.PasswordPending == version
	if password != nil && !retried {
		// Durable before the call: if the answer is lost, the next pass knows JumpCloud may
		// already have this password.
		st.PasswordPending = version
		if err := r.writeStatus(ctx, s); err != nil {
			return err
		}
	}
	u, err := api.UpdateUser(ctx, id, fields)
	if err != nil {
		if retried && passwordReused(err) {
			// The earlier attempt, whose answer was lost, did set this password.
			st.PasswordSecretVersion, st.PasswordPending = version, ""
			r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "PasswordRecovered", "Update",
				"JumpCloud already has the password an earlier, unanswered update sent")
			return &waitingError{reason: iamv1alpha1.ReasonUpdating, message: "the password was already set; sending the other changes", after: time.Second}
		}
		if password != nil && !outcomeUnknown(err) {
			st.PasswordPending = "" // JumpCloud answered: the password was not applied
		}
		return r.writeFailed(s, err)
	}
	s.observed = u
	if password != nil {
		st.PasswordSecretVersion, st.PasswordPending = version, ""
	}
	reason, verb := "Updated", "Updated"
	if s.user.Generation == st.ObservedGeneration {
		reason, verb = "DriftCorrected", "Corrected drift in"
	}
	r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, reason, "Update", "%s JumpCloud user %s: %s", verb, id, strings.Join(changed, ", "))
	return nil
}

// stateChanges adds to fields the state and lock changes a PUT can make (suspend, re-activate,
// lock), and names them. Activating a STAGED user and unlocking take their own endpoints.
func stateChanges(spec *iamv1alpha1.JumpCloudUserSpec, observed *jumpcloud.User, fields *jumpcloud.UserFields) []string {
	var changed []string
	switch {
	case wantActivated(spec) && observed.State == jumpcloud.StateSuspended:
		fields.State, fields.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
		changed = append(changed, "state")
	case !wantActivated(spec) && observed.State == jumpcloud.StateActivated:
		fields.State, fields.Suspended = jumpcloud.Ptr(jumpcloud.StateSuspended), jumpcloud.Ptr(true)
		changed = append(changed, "state")
	}
	if wantLocked(spec) && !observed.AccountLocked {
		fields.AccountLocked = jumpcloud.Ptr(true)
		changed = append(changed, "locked")
	}
	return changed
}

// claim applies the adoption rules to a user this resource only observed so far.
func (r *JumpCloudUserReconciler) claim(s *userScope) error {
	st := &s.user.Status
	switch {
	case s.user.Spec.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q was only observed so far; set adoptionPolicy: IfExists on a connection with allowAdoption to manage it", s.user.Spec.Username)
	case !s.conn.Settings.AllowAdoption:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud user %q was only observed so far; %s does not set allowAdoption", s.user.Spec.Username, s.conn.Ref)
	}
	st.Ownership = iamv1alpha1.OwnershipAdopted
	r.Recorder.Eventf(s.user, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "Adopted existing JumpCloud user %s", s.observed.ID)
	return nil
}

// writeFailed classifies a failed write: gone, rejected (stall), or transient (retry).
func (r *JumpCloudUserReconciler) writeFailed(s *userScope, err error) error {
	switch {
	case jumpcloud.IsNotFound(err):
		if s.snap != nil {
			s.snap.Forget(s.user.Status.ID)
		}
		s.observed = nil
		s.user.Status.ID, s.user.Status.Ownership = "", ""
		return &waitingError{reason: iamv1alpha1.ReasonUserNotFound, message: "the JumpCloud user disappeared; creating it again", after: time.Second}
	case jumpcloud.IsRetryable(err) || jumpcloud.IsUnavailable(err):
		return err
	default:
		return rejection(err)
	}
}

// report mirrors the JumpCloud user into status and computes the conditions of a successful pass.
func (r *JumpCloudUserReconciler) report(_ context.Context, s *userScope) error {
	u, st := s.user, &s.user.Status
	o := s.observed
	st.ID = o.ID
	st.State = stateOf(o.State)
	st.Locked = jumpcloud.Ptr(o.AccountLocked)
	st.PasswordSet = jumpcloud.Ptr(o.Activated)
	st.PasswordExpired = jumpcloud.Ptr(o.PasswordExpired)
	st.PasswordExpirationDate = timeOf(o.PasswordExpirationDate)
	st.Created = timeOf(o.Created)
	st.MFA = &iamv1alpha1.MFAStatus{Configured: o.MFA.Configured, TOTPEnabled: o.TOTPEnabled, EnrollmentStatus: string(o.MFAEnrollment.OverallStatus)}
	now := metav1.NewTime(r.now())
	st.LastSyncTime = &now
	if token, ok := u.Annotations[iamv1alpha1.AnnotationReconcile]; ok {
		if st.LastHandled == nil {
			st.LastHandled = &iamv1alpha1.LastHandledTokens{}
		}
		st.LastHandled.Reconcile = token
	}

	drift := driftOf(s)
	gen := u.Generation
	switch {
	case len(drift) > 0:
		msg := "JumpCloud differs from the spec in: " + strings.Join(drift, ", ")
		setCondition(&st.Conditions, gen, iamv1alpha1.ConditionSynced, metav1.ConditionFalse, iamv1alpha1.ReasonDrifted, msg)
	default:
		setCondition(&st.Conditions, gen, iamv1alpha1.ConditionSynced, metav1.ConditionTrue, iamv1alpha1.ReasonInSync, "JumpCloud matches the spec")
	}
	switch {
	case s.paused():
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonPaused, "Paused: the operator observes this user but writes nothing")
	case s.observeOnly():
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonReconciled, "Observed JumpCloud user "+o.ID+" (ObserveOnly: the Synced condition reports drift)")
	case o.AccountLocked && !wantLocked(&u.Spec):
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonLockedOut,
			"JumpCloud locked the account (for example after failed logins); unlock it with the unlock annotation or a JumpCloudUserOperation")
	default:
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonReconciled, "JumpCloud user "+o.ID+" matches the spec")
	}
	st.ObservedGeneration = gen
	if s.invalidAnnotation != "" {
		markStalled(&st.Conditions, gen, iamv1alpha1.ReasonInvalidAnnotation, s.invalidAnnotation)
	}
	return nil
}

// driftOf lists what differs between the spec and JumpCloud (for the Synced condition).
func driftOf(s *userScope) []string {
	_, names := fieldDiff(&s.user.Spec, s.managerID, s.observed)
	spec := &s.user.Spec
	switch st := s.observed.State; {
	case wantActivated(spec) && st != jumpcloud.StateActivated, !wantActivated(spec) && st == jumpcloud.StateActivated:
		names = append(names, "state")
	}
	if wantLocked(spec) && !s.observed.AccountLocked {
		names = append(names, "locked")
	}
	return names
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

// password returns the password to send (nil when none is due) and the version to record. On
// create any password is due; on update only one whose Secret content changed.
func (r *JumpCloudUserReconciler) password(ctx context.Context, s *userScope, creating bool) (*string, string, error) {
	ref := s.user.Spec.PasswordSecretRef
	if ref == nil {
		return nil, s.user.Status.PasswordSecretVersion, nil
	}
	key := client.ObjectKey{Namespace: s.user.Namespace, Name: ref.Name}
	var meta metav1.PartialObjectMetadata
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.Get(ctx, key, &meta); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", key)
		}
		return nil, "", err
	}
	if m, ok := r.passwords.Load(key); !creating && ok {
		memo := m.(passwordMemo)
		if memo.resourceVersion == meta.ResourceVersion && memo.userUID == string(s.user.UID) && memo.version == s.user.Status.PasswordSecretVersion {
			return nil, memo.version, nil
		}
	}
	var secret corev1.Secret
	if err := r.APIReader.Get(withoutLogger(ctx), key, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", key)
		}
		return nil, "", err
	}
	k := ref.Key
	if k == "" {
		k = "password"
	}
	value, ok := secret.Data[k]
	if !ok || len(value) == 0 {
		return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s has no key %q", key, k)
	}
	version := passwordVersion(string(s.user.UID), value)
	r.passwords.Store(key, passwordMemo{resourceVersion: secret.ResourceVersion, userUID: string(s.user.UID), version: version})
	if !creating && version == s.user.Status.PasswordSecretVersion {
		return nil, version, nil
	}
	p := string(value)
	return &p, version, nil
}

// passwordVersion identifies a password without revealing it: a hash salted with the user's UID,
// so equal passwords of different users do not look alike.
func passwordVersion(uid string, password []byte) string {
	h := sha256.New()
	h.Write([]byte(uid))
	h.Write([]byte{0})
	h.Write(password)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// finalize applies the deletion policy, then releases the finalizer.
func (r *JumpCloudUserReconciler) finalize(ctx context.Context, s *userScope) error {
	u := s.user
	if !controllerutil.ContainsFinalizer(u, iamv1alpha1.Finalizer) {
		return nil
	}
	policy := u.Spec.DeletionPolicy
	if policy == "" {
		policy = r.DefaultDeletionPolicy
	}
	owned := u.Status.Ownership == iamv1alpha1.OwnershipCreated || u.Status.Ownership == iamv1alpha1.OwnershipAdopted
	if s.observeOnly() || policy == iamv1alpha1.DeletionPolicyOrphan || (!owned && u.Status.CreatePending == nil) {
		return r.release(ctx, s)
	}
	markReconciling(&u.Status.Conditions, u.Generation, iamv1alpha1.ReasonDeleting, fmt.Sprintf("Applying deletionPolicy %s", policy))
	if err := r.resolveConnection(ctx, s); err != nil {
		return err
	}
	id := u.Status.ID
	if id == "" { // a create may have committed without an answer
		found, err := s.conn.Client.FindUserByUsername(ctx, u.Spec.Username)
		if jumpcloud.IsNotFound(err) {
			return r.release(ctx, s)
		}
		if err != nil {
			return err
		}
		id = found.ID
	}
	var err error
	switch policy {
	case iamv1alpha1.DeletionPolicyDelete:
		err = s.conn.Client.DeleteUser(ctx, id, jumpcloud.DeleteOptions{CascadeManager: "null"})
	default:
		err = s.conn.Client.SuspendUser(ctx, id)
	}
	switch {
	case err == nil:
		reason := map[iamv1alpha1.DeletionPolicy]string{iamv1alpha1.DeletionPolicyDelete: "Deleted"}[policy]
		if reason == "" {
			reason = "Suspended"
		}
		r.Recorder.Eventf(u, nil, corev1.EventTypeNormal, reason, "Delete", "Applied deletionPolicy %s to JumpCloud user %s", policy, id)
	case jumpcloud.IsNotFound(err):
		// Already gone: counts as deleted.
	case jumpcloud.IsRetryable(err) || jumpcloud.IsUnavailable(err):
		return err
	default:
		return rejection(err)
	}
	if s.snap != nil {
		s.snap.Forget(id)
	}
	return r.release(ctx, s)
}

func (r *JumpCloudUserReconciler) release(ctx context.Context, s *userScope) error {
	before := s.user.DeepCopy()
	controllerutil.RemoveFinalizer(s.user, iamv1alpha1.Finalizer)
	return client.IgnoreNotFound(r.Patch(ctx, s.user, client.MergeFrom(before)))
}

// Field indexes on JumpCloudUsers.
const (
	indexUsername       = "spec.username"
	indexPasswordSecret = "spec.passwordSecretRef.name"
	indexManager        = "spec.profile.manager.name"
)

// indexUsers registers the field indexes the reconciler lists JumpCloudUsers by.
func indexUsers(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &iamv1alpha1.JumpCloudUser{}, indexUsername, func(o client.Object) []string {
		return []string{o.(*iamv1alpha1.JumpCloudUser).Spec.Username}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &iamv1alpha1.JumpCloudUser{}, indexPasswordSecret, func(o client.Object) []string {
		if ref := o.(*iamv1alpha1.JumpCloudUser).Spec.PasswordSecretRef; ref != nil {
			return []string{ref.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &iamv1alpha1.JumpCloudUser{}, indexManager, func(o client.Object) []string {
		if p := o.(*iamv1alpha1.JumpCloudUser).Spec.Profile; p != nil && p.Manager != nil && p.Manager.Name != "" {
			return []string{p.Manager.Name}
		}
		return nil
	})
}

// SetupWithManager registers the reconciler, its indexes and watches.
func (r *JumpCloudUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexUsers(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	workers := r.MaxConcurrentReconciles
	if workers <= 0 {
		workers = DefaultUserConcurrency
	}
	if r.Snapshots == nil {
		r.Snapshots = connection.NewSnapshots()
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Status writes must not trigger a new pass; spec, annotation (tokens, pause) and
		// deletion changes do.
		For(&iamv1alpha1.JumpCloudUser{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionStarted{}))).
		WatchesMetadata(&corev1.Secret{}, r.enqueueByIndex(indexPasswordSecret)).
		Watches(&iamv1alpha1.JumpCloudUser{}, r.enqueueByIndex(indexManager)).
		Watches(&iamv1alpha1.JumpCloudConnection{}, r.enqueueForConnection(), builder.WithPredicates(connectionChanged{})).
		Watches(&iamv1alpha1.ClusterJumpCloudConnection{}, r.enqueueForConnection(), builder.WithPredicates(connectionChanged{})).
		WatchesRawSource(connectionInstalled(r.Registry, r.enqueueForConnection())).
		Watches(&iamv1alpha1.JumpCloudUserOperation{}, enqueueOperationUser(), builder.WithPredicates(operationSucceeded{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("jumpclouduser").
		Complete(r)
}

// connectionChanged passes the connection updates its users may care about: a spec change or a
// change of the Ready condition. The periodic re-verification of the key only moves
// status.lastVerifiedTime; waking every user of the connection for it would cost a pass per user
// (and, in per-resource drift detection, a GET per user) each resync interval.
type connectionChanged struct{ predicate.Funcs }

func (connectionChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
		return true
	}
	oldReady, newReady := connectionReady(e.ObjectOld), connectionReady(e.ObjectNew)
	return oldReady.Status != newReady.Status || oldReady.Reason != newReady.Reason
}

func connectionReady(o client.Object) metav1.Condition {
	var conds []metav1.Condition
	switch c := o.(type) {
	case *iamv1alpha1.JumpCloudConnection:
		conds = c.Status.Conditions
	case *iamv1alpha1.ClusterJumpCloudConnection:
		conds = c.Status.Conditions
	}
	for _, c := range conds {
		if c.Type == iamv1alpha1.ConditionReady {
			return c
		}
	}
	return metav1.Condition{}
}

// deletionStarted passes updates that set the deletion timestamp.
type deletionStarted struct{ predicate.Funcs }

func (deletionStarted) Update(e event.UpdateEvent) bool {
	return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
}
