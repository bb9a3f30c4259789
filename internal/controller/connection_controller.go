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

// connectionVerifier is what both connection reconcilers share: read the key, verify it with one
// cheap call, and install the client in the registry. Secrets are read with a direct API call
// (no cache of Secret contents); their metadata is watched to notice changes.
type connectionVerifier struct {
	APIReader client.Reader
	Registry  *connection.Registry
	// Snapshots holds the connections' snapshots of their users; a deleted connection's is
	// dropped. Nil means none.
	Snapshots *connection.Snapshots
	Recorder  events.EventRecorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (v *connectionVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// sync brings one connection's registry entry and status in line with its spec and Secret.
func (v *connectionVerifier) sync(ctx context.Context, obj client.Object, ref connection.Ref, secret client.ObjectKey, key string,
	settings iamv1alpha1.ConnectionSettings, status *iamv1alpha1.JumpCloudConnectionStatus) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	gen := obj.GetGeneration()

	apiKey, err := v.readKey(ctx, secret, key)
	if err != nil {
		var missing *missingSecretError
		if errors.As(err, &missing) {
			v.Registry.Remove(ref)
			markStalled(&status.Conditions, gen, iamv1alpha1.ReasonSecretNotFound, missing.Error())
			status.ObservedGeneration = gen
			return ctrl.Result{}, nil // the Secret watch brings us back
		}
		return ctrl.Result{}, err
	}

	s := connection.SettingsFrom(settings)
	fp := connection.Fingerprint(apiKey, s)
	recheck := s.ResyncInterval
	if v.Registry.Current(ref, fp) && status.ObservedGeneration == gen && status.LastVerifiedTime != nil &&
		v.now().Sub(status.LastVerifiedTime.Time) < recheck {
		v.Registry.UpdateSettings(ref, s)
		return ctrl.Result{RequeueAfter: recheck - v.now().Sub(status.LastVerifiedTime.Time)}, nil
	}

	// A periodic re-verification goes through the installed client: a new one would start with a
	// full token bucket while the old one's calls still count against JumpCloud's limit, and
	// installing it would wake every user of the connection.
	conn, current := v.Registry.Get(ref)
	current = current && v.Registry.Current(ref, fp)
	if !current {
		built, err := v.Registry.Build(ref, apiKey, s)
		if err != nil {
			v.Registry.Remove(ref)
			markStalled(&status.Conditions, gen, iamv1alpha1.ReasonKeyRejected, fmt.Sprintf("cannot build a JumpCloud client: %v", err))
			status.ObservedGeneration = gen
			return ctrl.Result{}, nil
		}
		conn = built
	}
	if _, err := conn.Client.ListUsers(ctx, jumpcloud.ListOptions{Limit: 1, Fields: []string{"_id"}}); err != nil {
		switch {
		case jumpcloud.IsUnauthorized(err), jumpcloud.IsForbidden(err), jumpcloud.IsNotFound(err):
			v.Registry.Remove(ref)
			msg := fmt.Sprintf("JumpCloud rejected the API key or organization: %v", err)
			markStalled(&status.Conditions, gen, iamv1alpha1.ReasonKeyRejected, msg)
			status.ObservedGeneration = gen
			v.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, iamv1alpha1.ReasonKeyRejected, "Verify", msg)
			return ctrl.Result{}, nil
		default:
			markReconciling(&status.Conditions, gen, iamv1alpha1.ReasonUnreachable, fmt.Sprintf("cannot reach JumpCloud: %v", err))
			return ctrl.Result{}, fmt.Errorf("verifying %s: %w", ref, err)
		}
	}

	if current {
		v.Registry.UpdateSettings(ref, s)
	} else {
		v.Registry.Install(conn)
		log.Info("Connection verified; client installed", "connection", ref.String())
		v.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, iamv1alpha1.ReasonReconciled, "Verify", "JumpCloud accepted the API key")
	}
	now := metav1.NewTime(v.now())
	status.LastVerifiedTime = &now
	status.ObservedGeneration = gen
	markReady(&status.Conditions, gen, iamv1alpha1.ReasonReconciled, "JumpCloud accepted the API key")
	return ctrl.Result{RequeueAfter: recheck}, nil
}

// forget drops what the operator holds for a deleted connection: its client and its snapshot.
func (v *connectionVerifier) forget(ref connection.Ref) {
	v.Registry.Remove(ref)
	if v.Snapshots != nil {
		v.Snapshots.Drop(ref)
	}
}

type missingSecretError struct{ msg string }

func (e *missingSecretError) Error() string { return e.msg }

// readKey reads the API key with a direct GET, never through a cache of Secrets.
func (v *connectionVerifier) readKey(ctx context.Context, secret client.ObjectKey, key string) (string, error) {
	var s corev1.Secret
	if err := v.APIReader.Get(withoutLogger(ctx), secret, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &missingSecretError{fmt.Sprintf("Secret %s does not exist", secret)}
		}
		return "", err
	}
	value := string(s.Data[key])
	if value == "" {
		return "", &missingSecretError{fmt.Sprintf("Secret %s has no key %q", secret, key)}
	}
	return value, nil
}

// withoutLogger drops the reconcile's logger for a Secret read: at high verbosity client-go logs
// whole response bodies with the logger the context carries, and a Secret's body is the secret.
func withoutLogger(ctx context.Context) context.Context {
	return ctrl.LoggerInto(ctx, logr.Discard())
}

// patchStatus writes the status computed by a pass, merging its error into the pass's error.
func patchStatus(ctx context.Context, c client.Client, obj client.Object, patch client.Patch, err *error) {
	if perr := c.Status().Patch(ctx, obj, patch); perr != nil && !apierrors.IsNotFound(perr) {
		*err = errors.Join(*err, fmt.Errorf("patching status: %w", perr))
	}
}

// JumpCloudConnectionReconciler verifies namespaced connections.
type JumpCloudConnectionReconciler struct {
	client.Client
	connectionVerifier

	// writes tells a pass whether the cache shows the reconciler's last write to its object.
	writes writeLog
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpcloudconnections/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile verifies one JumpCloudConnection.
func (r *JumpCloudConnectionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	ref := connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: req.Namespace, Name: req.Name}
	var obj iamv1alpha1.JumpCloudConnection
	if err := r.Get(ctx, req.NamespacedName, &obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(ref)
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.behind(&obj) {
		return ctrl.Result{RequeueAfter: cacheLagDelay}, nil
	}
	defer r.writes.wrote(&obj, obj.ResourceVersion)
	patch := client.MergeFrom(obj.DeepCopy())
	defer patchStatus(ctx, r.Client, &obj, patch, &err)

	// The schema already refuses a namespace here; the check stays as defence in depth.
	if ns := obj.Spec.APIKeySecretRef.Namespace; ns != "" && ns != obj.Namespace {
		markStalled(&obj.Status.Conditions, obj.Generation, iamv1alpha1.ReasonSecretNotFound,
			"a JumpCloudConnection may only read a Secret in its own namespace")
		r.Registry.Remove(ref)
		return ctrl.Result{}, nil
	}
	secret := client.ObjectKey{Namespace: obj.Namespace, Name: obj.Spec.APIKeySecretRef.Name}
	return r.sync(ctx, &obj, ref, secret, keyOrDefault(obj.Spec.APIKeySecretRef.Key), obj.Spec.ConnectionSettings, &obj.Status)
}

func keyOrDefault(k string) string {
	if k == "" {
		return "api-key"
	}
	return k
}

// SetupWithManager registers the reconciler and its watches.
func (r *JumpCloudConnectionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &iamv1alpha1.JumpCloudConnection{}, indexConnectionSecret,
		func(o client.Object) []string {
			c := o.(*iamv1alpha1.JumpCloudConnection)
			return []string{c.Namespace + "/" + c.Spec.APIKeySecretRef.Name}
		}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Its own status writes must not wake it (a refused key would be verified twice).
		For(&iamv1alpha1.JumpCloudConnection{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, enqueueBySecret(r.Client, func() client.ObjectList { return &iamv1alpha1.JumpCloudConnectionList{} })).
		Named("jumpcloudconnection").
		Complete(r)
}

// ClusterJumpCloudConnectionReconciler verifies cluster-scoped connections.
type ClusterJumpCloudConnectionReconciler struct {
	client.Client
	connectionVerifier

	// writes tells a pass whether the cache shows the reconciler's last write to its object.
	writes writeLog
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=clusterjumpcloudconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=clusterjumpcloudconnections/status,verbs=get;update;patch

// Reconcile verifies one ClusterJumpCloudConnection.
func (r *ClusterJumpCloudConnectionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	ref := connection.Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: req.Name}
	var obj iamv1alpha1.ClusterJumpCloudConnection
	if err := r.Get(ctx, req.NamespacedName, &obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(ref)
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.writes.behind(&obj) {
		return ctrl.Result{RequeueAfter: cacheLagDelay}, nil
	}
	defer r.writes.wrote(&obj, obj.ResourceVersion)
	patch := client.MergeFrom(obj.DeepCopy())
	defer patchStatus(ctx, r.Client, &obj, patch, &err)

	secret := client.ObjectKey{Namespace: obj.Spec.APIKeySecretRef.Namespace, Name: obj.Spec.APIKeySecretRef.Name}
	return r.sync(ctx, &obj, ref, secret, keyOrDefault(obj.Spec.APIKeySecretRef.Key), obj.Spec.ConnectionSettings, &obj.Status)
}

// SetupWithManager registers the reconciler and its watches.
func (r *ClusterJumpCloudConnectionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &iamv1alpha1.ClusterJumpCloudConnection{}, indexConnectionSecret,
		func(o client.Object) []string {
			c := o.(*iamv1alpha1.ClusterJumpCloudConnection)
			return []string{c.Spec.APIKeySecretRef.Namespace + "/" + c.Spec.APIKeySecretRef.Name}
		}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&iamv1alpha1.ClusterJumpCloudConnection{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, enqueueBySecret(r.Client, func() client.ObjectList { return &iamv1alpha1.ClusterJumpCloudConnectionList{} })).
		Named("clusterjumpcloudconnection").
		Complete(r)
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
