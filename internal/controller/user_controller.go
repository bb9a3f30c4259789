package controller

import (
	"context"
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

// JumpCloudUserReconciler makes JumpCloud match each JumpCloudUser (docs/design.md §2.1).
type JumpCloudUserReconciler struct {
	client.Client
	// feed, when set, hands on the users the change feed names.
	feed *feedRunner
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
	// API gives the JumpCloud calls of a connection; nil means the connection's client.
	API apiSource

	// writes tells a pass whether the cache shows this reconciler's last write to its object.
	writes writeLog

	// passwords remembers, per Secret, the resourceVersion whose content was last hashed, so
	// that an unchanged Secret is not read again on every pass.
	passwords sync.Map // client.ObjectKey -> passwordMemo
}

// userScope carries what one pass learned from phase to phase. Phases record facts here;
// userStatus (user_status.go) derives the status from them when the pass ends. Only the durable
// markers (createPending, passwordPending, pendingResetMFA) are written to status by the phases
// themselves, each before the JumpCloud call it guards.
type userScope struct {
	user   *iamv1alpha1.JumpCloudUser
	status *statusPatch
	conn   *connection.Connection
	api    userAPI
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

	// What the resource knows of its JumpCloud user, read from status when the pass starts and
	// written back by userStatus.
	id        string
	ownership iamv1alpha1.Ownership
	// passwordVersion identifies the password JumpCloud holds (status.passwordSecretVersion).
	passwordVersion string
	// lockedBySpec says the account is locked because the spec asks for it.
	lockedBySpec bool
	// handled holds the one-shot tokens handled so far, nil while none was looked at.
	handled *iamv1alpha1.LastHandledTokens
	// deleting is the deletion policy being applied, "" for a live resource.
	deleting iamv1alpha1.DeletionPolicy
}

func newUserScope(user *iamv1alpha1.JumpCloudUser) *userScope {
	st := &user.Status
	s := &userScope{
		user: user, status: newStatusPatch(user),
		id: st.ID, ownership: st.Ownership, passwordVersion: st.PasswordSecretVersion, lockedBySpec: st.LockedBySpec,
	}
	if st.LastHandled != nil {
		s.handled = st.LastHandled.DeepCopy()
	}
	return s
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
	return token != "" && (s.handled == nil || s.handled.Reconcile != token)
}

// mark is the owner mark this resource's JumpCloud user carries (its custom attribute and value),
// nil when the connection sets none.
func (s *userScope) mark() *jumpcloud.Attribute {
	if s.conn == nil || s.conn.Settings.OwnerMark == nil {
		return nil
	}
	m := s.conn.Settings.OwnerMark
	return &jumpcloud.Attribute{Name: m.Attribute, Value: m.For(s.user.Namespace, s.user.Name)}
}

// markedOurs reports whether the JumpCloud user carries this resource's owner mark.
func (s *userScope) markedOurs(u *jumpcloud.User) bool {
	m := s.mark()
	if m == nil {
		return false
	}
	v, ok := markOf(u, m.Name)
	return ok && v == m.Value
}

// owned is true when the operator created or adopted the JumpCloud user.
func (s *userScope) owned() bool {
	return s.ownership == iamv1alpha1.OwnershipCreated || s.ownership == iamv1alpha1.OwnershipAdopted
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusers/status,verbs=get;update;patch
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
	defer r.writes.wrote(user, user.ResourceVersion) // runs after finish, which writes last
	s := newUserScope(user)
	defer func() {
		result, err = r.finish(ctx, s, result, err)
	}()

	if !user.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, s)
	}
	if !s.observeOnly() {
		added, err := addFinalizer(ctx, r.Client, user)
		if err != nil {
			return ctrl.Result{}, err
		}
		if added {
			s.status.rebase(user)
		}
	}
	return ctrl.Result{}, r.reconcileNormal(ctx, s)
}

// finish derives the status from the pass's facts and outcome, writes it once, and turns the
// outcome into the pass's result.
func (r *JumpCloudUserReconciler) finish(ctx context.Context, s *userScope, result ctrl.Result, err error) (ctrl.Result, error) {
	u := s.user
	v := verdictOf(err)
	userStatus(s, v, r.clock().now())
	switch v.state {
	case stateDone:
		if u.DeletionTimestamp.IsZero() {
			result.RequeueAfter = r.clock().jitter(resyncOf(s.conn))
		}
	case stateStalled:
		r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, v.reason, "Reconcile", "%s", v.message)
		// Watches bring the resource back when what it waits for changes in Kubernetes; a slow
		// resync notices fixes made in JumpCloud, without a hot loop. A stall is a state, not a
		// bug: it is not returned as an error (reconcile.TerminalError would log it as one).
		result.RequeueAfter = r.clock().jitter(resyncOf(s.conn))
	case stateReconciling:
		result.RequeueAfter = v.requeue
	}
	if !u.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(u, iamv1alpha1.Finalizer) {
		return result, v.err // released: nothing left to write
	}
	if err := s.status.flush(ctx, r.Client, u, v.err); err != nil {
		return ctrl.Result{}, err // the work queue's backoff, not the resync, brings it back
	}
	return result, nil
}

func (r *JumpCloudUserReconciler) clock() clock { return clock{Now: r.Now, Jitter: r.Jitter} }

// writeStatus stores the pass's facts and a marker set before a JumpCloud call, conditionally on
// the resourceVersion the pass read (see statusPatch.persist).
func (r *JumpCloudUserReconciler) writeStatus(ctx context.Context, s *userScope) error {
	recordUserFacts(s)
	return s.status.persist(ctx, r.Client, s.user)
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
	} {
		if err := phase(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (r *JumpCloudUserReconciler) resolveConnection(ctx context.Context, s *userScope) error {
	conn, err := connectionFor(ctx, r.Client, r.Registry, s.user.Namespace, s.user.Spec.ConnectionRef)
	if err != nil {
		return err
	}
	s.conn, s.api = conn, r.API.of(conn)
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
	return claimsBefore(&a.ObjectMeta, a.Status.ID, a.Status.Ownership, &b.ObjectMeta, b.Status.ID, b.Status.Ownership)
}

// Field indexes on JumpCloudUsers.
const (
	indexUsername       = "spec.username"
	indexPasswordSecret = "spec.passwordSecretRef.name"
	indexManager        = "spec.profile.manager.name"
)

// indexUsers registers the field indexes the reconciler lists JumpCloudUsers by.
func indexUsers(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &iamv1alpha1.JumpCloudUser{}, indexJumpCloudID, func(o client.Object) []string {
		if id := o.(*iamv1alpha1.JumpCloudUser).Status.ID; id != "" {
			return []string{id}
		}
		return nil
	}); err != nil {
		return err
	}
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
	byConnection := enqueueForConnection(r.Client, func() client.ObjectList { return &iamv1alpha1.JumpCloudUserList{} },
		func(o client.Object) *iamv1alpha1.ConnectionReference {
			return o.(*iamv1alpha1.JumpCloudUser).Spec.ConnectionRef
		})
	b := ctrl.NewControllerManagedBy(mgr).
		// Status writes must not trigger a new pass; spec, annotation (tokens, pause) and
		// deletion changes do.
		For(&iamv1alpha1.JumpCloudUser{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionStarted{}))).
		WatchesMetadata(&corev1.Secret{}, r.enqueueByIndex(indexPasswordSecret)).
		Watches(&iamv1alpha1.JumpCloudUser{}, r.enqueueByIndex(indexManager)).
		Watches(&iamv1alpha1.JumpCloudConnection{}, byConnection, builder.WithPredicates(connectionChanged{})).
		Watches(&iamv1alpha1.ClusterJumpCloudConnection{}, byConnection, builder.WithPredicates(connectionChanged{})).
		WatchesRawSource(connectionInstalled(r.Registry, byConnection)).
		Watches(&iamv1alpha1.JumpCloudUserOperation{}, enqueueOperationUser(), builder.WithPredicates(operationSucceeded{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers})
	if r.feed != nil {
		b = b.WatchesRawSource(r.feed.source(r.feed.users))
	}
	return b.Named("jumpclouduser").Complete(r)
}

// connectionChanged passes the connection updates its resources may care about: a spec change or
// a change of the Ready condition. The periodic re-verification of the key only moves
// status.lastVerifiedTime; waking every resource of the connection for it would cost a pass per
// resource (and, in per-resource drift detection, a GET per user) each resync interval.
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
