package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Field indexes on connections: the Secret ("namespace/name") holding their API key.
const indexConnectionSecret = "spec.apiKeySecretRef"

// ConnectionReconciler verifies the connections of one kind (JumpCloudConnection or
// ClusterJumpCloudConnection; one reconciler per kind, one body for both): it reads the key,
// verifies it with one cheap call, and installs the client in the registry. Secrets are read
// with a direct API call (no cache of Secret contents); their metadata is watched to notice
// changes.
type ConnectionReconciler struct {
	client.Client
	// feed, when set, tells of changes of the connection's change feed state.
	feed *feedRunner
	// Kind is the connection kind this reconciler serves.
	Kind      iamv1alpha1.ConnectionKind
	APIReader client.Reader
	Registry  *connection.Registry
	// Snapshots holds the connections' snapshots of their users; a deleted connection's is
	// dropped. Nil means none.
	Snapshots *connection.Snapshots
	Recorder  events.EventRecorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// writes tells a pass whether the cache shows the reconciler's last write to its object.
	writes writeLog
}

// connectionObject is what a pass needs of either kind.
type connectionObject struct {
	obj    client.Object
	source *connection.Source
	status *iamv1alpha1.JumpCloudConnectionStatus
	// refused says why the spec cannot be used as it is, "" when it can.
	refused string
}

func (r *ConnectionReconciler) newObject() client.Object {
	if r.Kind == iamv1alpha1.ConnectionKindCluster {
		return &iamv1alpha1.ClusterJumpCloudConnection{}
	}
	return &iamv1alpha1.JumpCloudConnection{}
}

func (r *ConnectionReconciler) newList() client.ObjectList {
	if r.Kind == iamv1alpha1.ConnectionKindCluster {
		return &iamv1alpha1.ClusterJumpCloudConnectionList{}
	}
	return &iamv1alpha1.JumpCloudConnectionList{}
}

func connectionObjectOf(obj client.Object) connectionObject {
	switch c := obj.(type) {
	case *iamv1alpha1.ClusterJumpCloudConnection:
		return connectionObject{obj: c, source: connection.ClusterSource(c), status: &c.Status}
	case *iamv1alpha1.JumpCloudConnection:
		co := connectionObject{obj: c, source: connection.NamespacedSource(c), status: &c.Status}
		// The schema already refuses a namespace here; the check stays as defence in depth.
		if ns := c.Spec.APIKeySecretRef.Namespace; ns != "" && ns != c.Namespace {
			co.refused = "a JumpCloudConnection may only read a Secret in its own namespace"
		}
		return co
	}
	panic(fmt.Sprintf("not a connection: %T", obj))
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudconnections/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=clusterjumpcloudconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=clusterjumpcloudconnections/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile verifies one connection.
func (r *ConnectionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	obj := r.newObject()
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(connection.Ref{Kind: r.Kind, Namespace: req.Namespace, Name: req.Name})
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.behind(obj) {
		return ctrl.Result{RequeueAfter: cacheLagDelay}, nil
	}
	defer r.writes.wrote(obj, obj.GetResourceVersion())
	status := newStatusPatch(obj)
	defer func() { err = status.flush(ctx, r.Client, obj, err) }()

	c := connectionObjectOf(obj)
	verifiedAt, err := r.verify(ctx, c)
	v := verdictOf(err)
	connectionStatus(c, v, verifiedAt)
	conn, _ := r.Registry.Get(c.source.Ref)
	feedCondition(c, conn)
	switch v.state {
	case stateDone:
		recheck := connection.SettingsFrom(c.source.ConnectionSettings).ResyncInterval
		return ctrl.Result{RequeueAfter: recheck - r.now().Sub(verifiedAt.Time)}, nil
	case stateStalled:
		return ctrl.Result{}, nil // a change to the spec or the Secret brings it back
	default:
		return ctrl.Result{RequeueAfter: v.requeue}, v.err
	}
}

func (r *ConnectionReconciler) now() time.Time { return clock{Now: r.Now}.now() }

// verify brings the connection's registry entry in line with its spec and Secret, and returns
// when JumpCloud last accepted the key (nil when it did not).
func (r *ConnectionReconciler) verify(ctx context.Context, c connectionObject) (*metav1.Time, error) {
	ref, gen := c.source.Ref, c.obj.GetGeneration()
	if c.refused != "" {
		r.Registry.Remove(ref)
		return nil, stalled(iamv1alpha1.ReasonSecretNotFound, "%s", c.refused)
	}
	apiKey, err := connection.ReadAPIKey(withoutLogger(ctx), r.APIReader, c.source)
	if err != nil {
		var missing *connection.MissingAPIKeyError
		if errors.As(err, &missing) {
			r.Registry.Remove(ref)
			return nil, &stalledError{reason: iamv1alpha1.ReasonSecretNotFound, message: missing.Error(), err: err}
		}
		return nil, err
	}

	s := connection.SettingsFrom(c.source.ConnectionSettings)
	fp := connection.Fingerprint(apiKey, s)
	last := c.status.LastVerifiedTime
	if r.Registry.Current(ref, fp) && c.status.ObservedGeneration == gen && last != nil && r.now().Sub(last.Time) < s.ResyncInterval {
		r.Registry.UpdateSettings(ref, s)
		return last, nil
	}

	// A periodic re-verification goes through the installed client: a new one would start with a
	// full token bucket while the old one's calls still count against JumpCloud's limit, and
	// installing it would wake every resource of the connection.
	conn, current := r.Registry.Get(ref)
	current = current && r.Registry.Current(ref, fp)
	if !current {
		built, err := r.Registry.Build(ref, apiKey, s)
		if err != nil {
			r.Registry.Remove(ref)
			return nil, stalled(iamv1alpha1.ReasonKeyRejected, "cannot build a JumpCloud client: %v", err)
		}
		conn = built
	}
	var api verifyAPI = conn.Client
	_, listErr := api.ListUsers(ctx, jumpcloud.ListOptions{Limit: 1, Fields: []string{"_id"}})
	var gone *goneError
	var refused *stalledError
	switch err := fromJumpCloud(listErr); {
	case err == nil:
	case errors.As(err, &gone), errors.As(err, &refused) && refused.reason == iamv1alpha1.ReasonKeyRejected:
		// A 404 to this list means the organization (x-org-id) does not exist for the key.
		r.Registry.Remove(ref)
		msg := fmt.Sprintf("JumpCloud rejected the API key or organization: %v", listErr)
		r.Recorder.Eventf(c.obj, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonKeyRejected, "Verify", "%s", msg)
		return nil, &stalledError{reason: iamv1alpha1.ReasonKeyRejected, message: msg, err: listErr}
	default:
		// Whatever else keeps the cheap list from answering is retried: the key itself was not
		// refused.
		return nil, &unreachableError{ref: ref, err: listErr}
	}

	if current {
		r.Registry.UpdateSettings(ref, s)
	} else {
		r.Registry.Install(conn)
		ctrl.LoggerFrom(ctx).Info("Connection verified; client installed", "connection", ref.String())
		r.Recorder.Eventf(c.obj, nil, corev1.EventTypeNormal, iamv1alpha1.ReasonReconciled, "Verify", "JumpCloud accepted the API key")
	}
	now := metav1.NewTime(r.now())
	return &now, nil
}

// unreachableError is a connection that could not be verified for want of an answer; it is
// retried, and reads Unreachable.
type unreachableError struct {
	ref connection.Ref
	err error
}

func (e *unreachableError) Error() string   { return fmt.Sprintf("verifying %s: %v", e.ref, e.err) }
func (e *unreachableError) Unwrap() error   { return e.err }
func (e *unreachableError) message() string { return "cannot reach JumpCloud: " + e.err.Error() }

// connectionStatus derives a connection's status from its verification. It is the one place
// that sets a connection's status.
func connectionStatus(c connectionObject, v verdict, verifiedAt *metav1.Time) {
	st, gen := c.status, c.obj.GetGeneration()
	switch v.state {
	case stateDone:
		st.LastVerifiedTime = verifiedAt
		st.ObservedGeneration = gen
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonReconciled, "JumpCloud accepted the API key")
	case stateStalled:
		st.ObservedGeneration = gen
		markStalled(&st.Conditions, gen, v.reason, v.message)
	default:
		var unreachable *unreachableError
		if errors.As(v.err, &unreachable) {
			v.reason, v.message = iamv1alpha1.ReasonUnreachable, unreachable.message()
		}
		markOutcome(&st.Conditions, gen, v)
	}
}

// feedCondition shows the change feed's state on the connection: none when the feed is off.
func feedCondition(c connectionObject, conn *connection.Connection) {
	st, gen := c.status, c.obj.GetGeneration()
	if conn == nil || !conn.Settings.Feed.Enabled {
		meta.RemoveStatusCondition(&st.Conditions, iamv1alpha1.ConditionChangeFeed)
		return
	}
	cond := metav1.Condition{Type: iamv1alpha1.ConditionChangeFeed, ObservedGeneration: gen}
	switch state, msg := conn.Feed.State(); state {
	case connection.FeedPolling:
		cond.Status, cond.Reason = metav1.ConditionTrue, iamv1alpha1.ReasonPolling
		cond.Message = fmt.Sprintf("Polling the Directory Insights events every %s; every resource is compared every %s",
			conn.Settings.Feed.Interval, conn.Settings.Feed.ResyncInterval)
	case connection.FeedRefused:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, iamv1alpha1.ReasonFeedRefused, msg
	case connection.FeedFailing:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, iamv1alpha1.ReasonFeedFailing, msg
	default:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, iamv1alpha1.ReasonFeedStarting, "The change feed has not polled yet"
	}
	meta.SetStatusCondition(&st.Conditions, cond)
}

// forget drops what the operator holds for a deleted connection: its client and its snapshot.
func (r *ConnectionReconciler) forget(ref connection.Ref) {
	r.Registry.Remove(ref)
	if r.Snapshots != nil {
		r.Snapshots.Drop(ref)
	}
}

// withoutLogger drops the reconcile's logger for a Secret read: at high verbosity client-go logs
// whole response bodies with the logger the context carries, and a Secret's body is the secret.
func withoutLogger(ctx context.Context) context.Context {
	return ctrl.LoggerInto(ctx, logr.Discard())
}

// SetupWithManager registers the reconciler and its watches.
func (r *ConnectionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), r.newObject(), indexConnectionSecret,
		func(o client.Object) []string {
			s := connectionObjectOf(o).source.Secret
			return []string{s.Namespace + "/" + s.Name}
		}); err != nil {
		return err
	}
	name := "jumpcloudconnection"
	if r.Kind == iamv1alpha1.ConnectionKindCluster {
		name = "clusterjumpcloudconnection"
	}
	b := ctrl.NewControllerManagedBy(mgr).
		// Its own status writes must not wake it (a refused key would be verified twice).
		For(r.newObject(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, enqueueBySecret(r.Client, r.newList))
	if r.feed != nil {
		b = b.WatchesRawSource(r.feed.source(r.feed.connections[r.Kind]))
	}
	return b.Named(name).Complete(r)
}

// enqueueBySecret maps a Secret to the connections (of the list's kind) whose API key it holds.
func enqueueBySecret(c client.Reader, newList func() client.ObjectList) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := newList()
		if err := c.List(ctx, list, client.MatchingFields{indexConnectionSecret: o.GetNamespace() + "/" + o.GetName()}); err != nil {
			return nil
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(items))
		for _, item := range items {
			if obj, ok := item.(client.Object); ok {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
			}
		}
		return reqs
	})
}
