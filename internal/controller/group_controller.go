package controller

import (
	"context"
	"errors"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// groupAPI is the JumpCloud calls the group reconciler makes; *jumpcloud.Client satisfies it.
type groupAPI interface {
	GetGroup(ctx context.Context, id string) (*jumpcloud.Group, error)
	FindGroupByName(ctx context.Context, name string) (*jumpcloud.Group, error)
	CreateGroup(ctx context.Context, f jumpcloud.GroupFields) (*jumpcloud.Group, error)
	UpdateGroup(ctx context.Context, id string, f jumpcloud.GroupFields) (*jumpcloud.Group, error)
	DeleteGroup(ctx context.Context, id string) error
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
	AddGroupMember(ctx context.Context, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
	FindUserByUsername(ctx context.Context, username string) (*jumpcloud.User, error)
}

var _ groupAPI = (*jumpcloud.Client)(nil)

// JumpCloudUserGroupReconciler makes JumpCloud match each JumpCloudUserGroup (docs/design.md
// §2.4): the group's fields, and its members.
type JumpCloudUserGroupReconciler struct {
	client.Client
	// feed, when set, hands on the groups the change feed names.
	feed     *feedRunner
	Registry *connection.Registry
	Recorder events.EventRecorder
	// DriftDetection says how a resync observes JumpCloud; "" means DriftDetectionBulk.
	DriftDetection DriftDetection
	// Snapshots holds each connection's views of its users and groups; nil means new ones.
	Snapshots *connection.Snapshots
	// Now and Jitter are injectable for tests; nil means the real clock and ±10% jitter.
	Now    func() time.Time
	Jitter func(time.Duration) time.Duration
	// API gives the JumpCloud calls of a connection; nil means the connection's client.
	API func(*connection.Connection) groupAPI

	writes writeLog
}

// groupScope carries what one pass learned; groupStatus derives the status from it.
type groupScope struct {
	group  *iamv1alpha1.JumpCloudUserGroup
	status *statusPatch
	conn   *connection.Connection
	api    groupAPI
	// snap is the connection's view of its groups in bulk drift detection, nil otherwise.
	snap         *connection.GroupSnapshot
	observed     *jumpcloud.Group
	fromSnapshot bool

	id        string
	ownership iamv1alpha1.Ownership
	deleting  iamv1alpha1.GroupDeletionPolicy
	// members are JumpCloud's members after this pass, nil when not read.
	members []string
	// unresolved are the spec's members that are no JumpCloud user yet.
	unresolved []iamv1alpha1.UnresolvedMember
}

func newGroupScope(g *iamv1alpha1.JumpCloudUserGroup) *groupScope {
	return &groupScope{group: g, status: newStatusPatch(g), id: g.Status.ID, ownership: g.Status.Ownership}
}

func (s *groupScope) observeOnly() bool {
	return s.group.Spec.ManagementPolicy == iamv1alpha1.ManagementPolicyObserveOnly
}

func (s *groupScope) paused() bool {
	return s.group.Annotations[iamv1alpha1.AnnotationPaused] == "true"
}

func (s *groupScope) readOnly() bool { return s.observeOnly() || s.paused() }

func (s *groupScope) forced() bool {
	token := s.group.Annotations[iamv1alpha1.AnnotationReconcile]
	h := s.group.Status.LastHandled
	return token != "" && (h == nil || h.Reconcile != token)
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusergroups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudusergroups/status,verbs=get;update;patch

// Reconcile brings one JumpCloudUserGroup and its JumpCloud group in line.
func (r *JumpCloudUserGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	g := &iamv1alpha1.JumpCloudUserGroup{}
	if err := r.Get(ctx, req.NamespacedName, g); err != nil {
		if apierrors.IsNotFound(err) {
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.behind(g) {
		return ctrl.Result{RequeueAfter: cacheLagDelay}, nil
	}
	defer r.writes.wrote(g, g.ResourceVersion)
	s := newGroupScope(g)
	defer func() { result, err = r.finish(ctx, s, result, err) }()

	if !g.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, s)
	}
	if !s.observeOnly() {
		added, err := addFinalizer(ctx, r.Client, g)
		if err != nil {
			return ctrl.Result{}, err
		}
		if added {
			s.status.rebase(g)
		}
	}
	for _, phase := range []func(context.Context, *groupScope) error{
		r.resolveConnection,
		r.checkManagedElsewhere,
		r.observe,
		r.create,
		r.update,
		r.syncMembers,
	} {
		if err := phase(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

func (r *JumpCloudUserGroupReconciler) clock() clock { return clock{Now: r.Now, Jitter: r.Jitter} }

// finish derives the status, writes it once, and turns the outcome into the pass's result.
func (r *JumpCloudUserGroupReconciler) finish(ctx context.Context, s *groupScope, result ctrl.Result, err error) (ctrl.Result, error) {
	g := s.group
	v := verdictOf(err)
	groupStatus(s, v, r.clock().now())
	switch v.state {
	case stateDone:
		if g.DeletionTimestamp.IsZero() {
			result.RequeueAfter = r.clock().jitter(resyncOf(s.conn))
		}
	case stateStalled:
		r.Recorder.Eventf(g, nil, corev1.EventTypeWarning, v.reason, "Reconcile", "%s", v.message)
		result.RequeueAfter = r.clock().jitter(resyncOf(s.conn))
	case stateReconciling:
		result.RequeueAfter = v.requeue
	}
	if !g.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(g, iamv1alpha1.Finalizer) {
		return result, v.err
	}
	if err := s.status.flush(ctx, r.Client, g, v.err); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

func (r *JumpCloudUserGroupReconciler) resolveConnection(ctx context.Context, s *groupScope) error {
	conn, err := connectionFor(ctx, r.Client, r.Registry, s.group.Namespace, s.group.Spec.ConnectionRef)
	if err != nil {
		return err
	}
	s.conn = conn
	s.api = conn.Client
	if r.API != nil {
		s.api = r.API(conn)
	}
	if r.DriftDetection != DriftDetectionPerResource && r.Snapshots != nil {
		s.snap = r.Snapshots.Groups(conn)
	}
	return nil
}

// checkManagedElsewhere stalls when another JumpCloudUserGroup on the same connection manages a
// group of this name: the one that knows the id wins; between equals, the older one.
func (r *JumpCloudUserGroupReconciler) checkManagedElsewhere(ctx context.Context, s *groupScope) error {
	if s.observeOnly() {
		return nil
	}
	var others iamv1alpha1.JumpCloudUserGroupList
	if err := r.List(ctx, &others, client.MatchingFields{indexGroupName: s.group.Spec.Name}); err != nil {
		return err
	}
	for i := range others.Items {
		o := &others.Items[i]
		if o.UID == s.group.UID || o.Spec.ManagementPolicy == iamv1alpha1.ManagementPolicyObserveOnly || !o.DeletionTimestamp.IsZero() {
			continue
		}
		oc, err := connection.Resolve(ctx, r.Client, r.Registry, o.Namespace, o.Spec.ConnectionRef)
		if err != nil || oc.Ref != s.conn.Ref {
			continue
		}
		if claimsBefore(&o.ObjectMeta, o.Status.ID, o.Status.Ownership, &s.group.ObjectMeta, s.group.Status.ID, s.group.Status.Ownership) {
			return stalled(iamv1alpha1.ReasonManagedElsewhere, "JumpCloud group %q is already managed by JumpCloudUserGroup %s/%s",
				s.group.Spec.Name, o.Namespace, o.Name)
		}
	}
	return nil
}

// claimsBefore reports whether object a has the better claim on a JumpCloud object than b: the
// one that knows its id (and does not only observe it) wins; between equals, the older one.
func claimsBefore(a *metav1.ObjectMeta, aID string, aOwn iamv1alpha1.Ownership, b *metav1.ObjectMeta, bID string, bOwn iamv1alpha1.Ownership) bool {
	aOwns := aID != "" && aOwn != iamv1alpha1.OwnershipObserved
	bOwns := bID != "" && bOwn != iamv1alpha1.OwnershipObserved
	if aOwns != bOwns {
		return aOwns
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// lookupGroup answers from the connection's view of its groups, listing them first when the view
// is older than the resync interval; nil when the view cannot answer (per-resource drift
// detection, a forced pass, no entry).
func (r *JumpCloudUserGroupReconciler) lookupGroup(ctx context.Context, s *groupScope,
	get func(*connection.GroupSnapshot) (jumpcloud.Group, bool)) (*jumpcloud.Group, error) {
	if s.snap == nil || s.forced() {
		return nil, nil
	}
	if err := s.snap.Fresh(ctx, resyncOf(s.conn)); err != nil {
		if wait := waitForList(err, r.clock().now()); wait != nil {
			return nil, wait
		}
		return nil, fromJumpCloud(err)
	}
	if g, ok := get(s.snap); ok {
		return &g, nil
	}
	return nil, nil
}

// observe reads the JumpCloud group: by id when known, by name when a create may have been lost
// or when the resource only observes. It has no side effects in JumpCloud.
func (r *JumpCloudUserGroupReconciler) observe(ctx context.Context, s *groupScope) error {
	if s.id != "" {
		id := s.id
		g, err := r.lookupGroup(ctx, s, func(snap *connection.GroupSnapshot) (jumpcloud.Group, bool) { return snap.Group(id) })
		if err != nil || g != nil {
			s.observed, s.fromSnapshot = g, g != nil
			return err
		}
		return r.observeByID(ctx, s)
	}
	pending := s.group.Status.CreatePending != nil
	if !pending && !s.readOnly() {
		// The happy path creates without a look-up; a view that is fresh anyway may know the name.
		if s.snap != nil && !s.forced() && s.snap.Current(resyncOf(s.conn)) {
			if g, ok := s.snap.GroupByName(s.group.Spec.Name); ok {
				s.fromSnapshot = true
				return r.takeOver(s, &g, false)
			}
		}
		return nil
	}
	g, err := r.findByName(ctx, s)
	switch {
	case jumpcloud.IsNotFound(err):
		if s.readOnly() {
			return stalled(iamv1alpha1.ReasonGroupNotFound, "JumpCloud has no group %q", s.group.Spec.Name)
		}
		return nil
	case err != nil:
		return fromJumpCloud(err)
	}
	s.observed, s.id = g, g.ID
	switch {
	case pending:
		s.ownership, s.group.Status.CreatePending = iamv1alpha1.OwnershipCreated, nil
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, "CreateRecovered", "Create",
			"Found JumpCloud group %s created by an earlier attempt whose answer was lost", g.ID)
	case s.observeOnly():
		s.ownership = iamv1alpha1.OwnershipObserved
	}
	return nil
}

// findByName finds the group holding the spec's name: the view when it can answer, else JumpCloud.
func (r *JumpCloudUserGroupReconciler) findByName(ctx context.Context, s *groupScope) (*jumpcloud.Group, error) {
	if s.group.Status.CreatePending == nil {
		g, err := r.lookupGroup(ctx, s, func(snap *connection.GroupSnapshot) (jumpcloud.Group, bool) {
			return snap.GroupByName(s.group.Spec.Name)
		})
		if err != nil || g != nil {
			s.fromSnapshot = g != nil
			return g, err
		}
	}
	return s.api.FindGroupByName(ctx, s.group.Spec.Name)
}

// observeByID reads the group with a GET. A group deleted outside the operator is created again,
// unless the resource only observes it.
func (r *JumpCloudUserGroupReconciler) observeByID(ctx context.Context, s *groupScope) error {
	s.observed, s.fromSnapshot = nil, false
	g, err := s.api.GetGroup(ctx, s.id)
	var gone *goneError
	switch err := fromJumpCloud(err); {
	case err == nil:
		s.observed = g
		if s.snap != nil {
			s.snap.Put(*g)
		}
		return nil
	case errors.As(err, &gone):
		if s.snap != nil {
			s.snap.Forget(s.id)
		}
		if s.readOnly() || s.ownership == iamv1alpha1.OwnershipObserved || s.ownership == iamv1alpha1.OwnershipAdopted {
			return stalled(iamv1alpha1.ReasonGroupNotFound, "JumpCloud group %s (%q) does not exist", s.id, s.group.Spec.Name)
		}
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonGroupNotFound, "Observe",
			"JumpCloud group %s was deleted outside the operator; creating it again", s.id)
		s.id, s.ownership = "", ""
		return nil
	default:
		return err
	}
}

// create makes the JumpCloud group when it does not exist, or adopts an existing one as allowed.
func (r *JumpCloudUserGroupReconciler) create(ctx context.Context, s *groupScope) error {
	if s.observed != nil || s.readOnly() {
		return nil
	}
	st := &s.group.Status
	hadPending := st.CreatePending != nil
	now := metav1.NewTime(r.clock().now())
	st.CreatePending = &now
	recordGroupFacts(s)
	if err := s.status.persist(ctx, r.Client, s.group); err != nil {
		return err
	}
	g, err := s.api.CreateGroup(ctx, groupCreateFields(&s.group.Spec))
	switch {
	case err == nil:
		st.CreatePending = nil
		s.id, s.ownership, s.observed = g.ID, iamv1alpha1.OwnershipCreated, g
		if s.snap != nil {
			s.snap.Put(*g)
		}
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, "Created", "Create", "Created JumpCloud group %s", g.ID)
		return nil
	case jumpcloud.IsAlreadyExists(err):
		found, ferr := s.api.FindGroupByName(ctx, s.group.Spec.Name)
		if ferr != nil {
			if jumpcloud.IsNotFound(ferr) {
				st.CreatePending = nil
				return rejection(err)
			}
			if !hadPending {
				st.CreatePending = nil
			}
			return fromJumpCloud(ferr)
		}
		st.CreatePending = nil
		return r.takeOver(s, found, hadPending)
	case transient(err):
		return err // the answer may be lost after JumpCloud committed: keep the marker
	default:
		st.CreatePending = nil
		return rejection(err)
	}
}

// takeOver applies the adoption rules to an existing group holding the spec's name.
func (r *JumpCloudUserGroupReconciler) takeOver(s *groupScope, g *jumpcloud.Group, hadPending bool) error {
	switch {
	case hadPending:
		s.ownership = iamv1alpha1.OwnershipCreated
	case s.group.Spec.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud group %q already exists (%s) and adoptionPolicy is Never; set adoptionPolicy: IfExists on a connection with allowAdoption to take it over",
			s.group.Spec.Name, g.ID)
	case !s.conn.Settings.AllowAdoption:
		return stalled(iamv1alpha1.ReasonAlreadyExists,
			"JumpCloud group %q already exists (%s); adoptionPolicy is IfExists but %s does not set allowAdoption",
			s.group.Spec.Name, g.ID, s.conn.Ref)
	default:
		s.ownership = iamv1alpha1.OwnershipAdopted
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "Adopted existing JumpCloud group %s", g.ID)
	}
	s.id, s.observed = g.ID, g
	return nil
}

// update writes the managed fields that differ; nothing when JumpCloud already matches.
func (r *JumpCloudUserGroupReconciler) update(ctx context.Context, s *groupScope) error {
	if s.observed == nil || s.readOnly() {
		return nil
	}
	if s.ownership == iamv1alpha1.OwnershipObserved || s.ownership == "" {
		// Switched from ObserveOnly to Full: taking over needs the adoption rules.
		if err := r.takeOver(s, s.observed, false); err != nil {
			return err
		}
	}
	fields, changed := groupDiff(&s.group.Spec, s.observed)
	if len(changed) == 0 {
		return nil
	}
	if s.fromSnapshot {
		// The view may be a resync interval old: read the group itself before writing to it.
		if err := r.observeByID(ctx, s); err != nil || s.observed == nil {
			return err
		}
		if fields, changed = groupDiff(&s.group.Spec, s.observed); len(changed) == 0 {
			return nil
		}
	}
	g, err := s.api.UpdateGroup(ctx, s.id, fields)
	if err != nil {
		var gone *goneError
		if err := fromJumpCloud(err); !errors.As(err, &gone) {
			return err
		}
		s.id, s.ownership, s.observed = "", "", nil
		return waiting(iamv1alpha1.ReasonGroupNotFound, time.Second, "the JumpCloud group disappeared; creating it again")
	}
	s.observed = g
	if s.snap != nil {
		s.snap.Put(*g)
	}
	reason, verb := "Updated", "Updated"
	if s.group.Generation == s.group.Status.ObservedGeneration {
		reason, verb = "DriftCorrected", "Corrected drift in"
	}
	r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, reason, "Update", "%s JumpCloud group %s: %s", verb, s.id, strings.Join(changed, ", "))
	return nil
}

// finalize applies the deletion policy, then releases the finalizer. A group the operator
// neither created nor adopted is never deleted.
func (r *JumpCloudUserGroupReconciler) finalize(ctx context.Context, s *groupScope) error {
	g := s.group
	if !controllerutil.ContainsFinalizer(g, iamv1alpha1.Finalizer) {
		return nil
	}
	policy := groupDeletionPolicy(&g.Spec, s.ownership)
	owned := s.ownership == iamv1alpha1.OwnershipCreated || s.ownership == iamv1alpha1.OwnershipAdopted
	pending := g.Status.CreatePending != nil
	if s.observeOnly() || policy != iamv1alpha1.GroupDeletionPolicyDelete || (!owned && !pending) {
		return removeFinalizer(ctx, r.Client, g)
	}
	s.deleting = policy
	if err := r.resolveConnection(ctx, s); err != nil {
		return err
	}
	id := s.id
	if id == "" { // a create may have committed without an answer
		found, err := s.api.FindGroupByName(ctx, g.Spec.Name)
		if jumpcloud.IsNotFound(err) {
			return removeFinalizer(ctx, r.Client, g)
		}
		if err != nil {
			return fromJumpCloud(err)
		}
		id = found.ID
	}
	var gone *goneError
	switch err := fromJumpCloud(s.api.DeleteGroup(ctx, id)); {
	case err == nil:
		r.Recorder.Eventf(g, nil, corev1.EventTypeNormal, "Deleted", "Delete", "Deleted JumpCloud group %s", id)
	case errors.As(err, &gone):
	default:
		return err
	}
	if s.snap != nil {
		s.snap.Forget(id)
	}
	return removeFinalizer(ctx, r.Client, g)
}

// Field indexes on JumpCloudUserGroups.
const (
	indexGroupName    = "spec.name"
	indexGroupUserRef = "spec.members.users.userRef.name"
)

func indexGroups(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &iamv1alpha1.JumpCloudUserGroup{}, indexJumpCloudID, func(o client.Object) []string {
		if id := o.(*iamv1alpha1.JumpCloudUserGroup).Status.ID; id != "" {
			return []string{id}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &iamv1alpha1.JumpCloudUserGroup{}, indexGroupName, func(o client.Object) []string {
		return []string{o.(*iamv1alpha1.JumpCloudUserGroup).Spec.Name}
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &iamv1alpha1.JumpCloudUserGroup{}, indexGroupUserRef, func(o client.Object) []string {
		m := o.(*iamv1alpha1.JumpCloudUserGroup).Spec.Members
		if m == nil {
			return nil
		}
		var names []string
		for _, u := range m.Users {
			if u.UserRef != nil {
				names = append(names, u.UserRef.Name)
			}
		}
		return names
	})
}

// SetupWithManager registers the reconciler, its indexes and watches: a JumpCloudUser that gets
// its id or changes its labels wakes the groups that name or select it.
func (r *JumpCloudUserGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexGroups(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if r.Snapshots == nil {
		r.Snapshots = connection.NewSnapshots()
	}
	byConnection := enqueueForConnection(r.Client, func() client.ObjectList { return &iamv1alpha1.JumpCloudUserGroupList{} },
		func(o client.Object) *iamv1alpha1.ConnectionReference {
			return o.(*iamv1alpha1.JumpCloudUserGroup).Spec.ConnectionRef
		})
	b := ctrl.NewControllerManagedBy(mgr).
		For(&iamv1alpha1.JumpCloudUserGroup{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionStarted{}))).
		Watches(&iamv1alpha1.JumpCloudUser{}, r.enqueueForUser(), builder.WithPredicates(memberIdentityChanged{})).
		Watches(&iamv1alpha1.JumpCloudConnection{}, byConnection, builder.WithPredicates(connectionChanged{})).
		Watches(&iamv1alpha1.ClusterJumpCloudConnection{}, byConnection, builder.WithPredicates(connectionChanged{})).
		WatchesRawSource(connectionInstalled(r.Registry, byConnection))
	if r.feed != nil {
		b = b.WatchesRawSource(r.feed.source(r.feed.groups))
	}
	return b.Named("jumpcloudusergroup").Complete(r)
}

// enqueueForUser maps a JumpCloudUser to the groups in its namespace that name it or select it.
func (r *JumpCloudUserGroupReconciler) enqueueForUser() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		var groups iamv1alpha1.JumpCloudUserGroupList
		if err := r.List(ctx, &groups, client.InNamespace(o.GetNamespace())); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		for i := range groups.Items {
			m := groups.Items[i].Spec.Members
			if m == nil {
				continue
			}
			if selects(m, o) || names(m, o.GetName()) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&groups.Items[i])})
			}
		}
		return reqs
	})
}

func names(m *iamv1alpha1.GroupMembers, user string) bool {
	for _, u := range m.Users {
		if u.UserRef != nil && u.UserRef.Name == user {
			return true
		}
	}
	return false
}

func selects(m *iamv1alpha1.GroupMembers, o client.Object) bool {
	if m.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(m.Selector)
	return err == nil && sel.Matches(labels.Set(o.GetLabels()))
}

// memberIdentityChanged passes the JumpCloudUser events that can change a group's members: a
// user created or deleted, its JumpCloud id set or changed, its labels changed.
type memberIdentityChanged struct{ predicate.Funcs }

func (memberIdentityChanged) Update(e event.UpdateEvent) bool {
	old, ok1 := e.ObjectOld.(*iamv1alpha1.JumpCloudUser)
	cur, ok2 := e.ObjectNew.(*iamv1alpha1.JumpCloudUser)
	if !ok1 || !ok2 {
		return false
	}
	return old.Status.ID != cur.Status.ID || !labels.Equals(old.Labels, cur.Labels)
}
