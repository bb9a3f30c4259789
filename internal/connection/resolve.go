package connection

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// ResolveError says why a resource cannot use a connection. Reason is one of the API's condition
// reasons (ConnectionNotFound, NamespaceNotAllowed, ConnectionNotReady). Waiting errors clear by
// themselves once the connection becomes Ready; the others need a human.
type ResolveError struct {
	Reason  string
	Message string
	Waiting bool
}

func (e *ResolveError) Error() string { return e.Message }

// RefFor returns the explicit connection a resource names, resolved to a Ref, or nil when it
// names none (the default applies).
func RefFor(namespace string, ref *iamv1alpha1.ConnectionReference) *Ref {
	if ref == nil {
		return nil
	}
	if ref.Kind == iamv1alpha1.ConnectionKindCluster {
		return &Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: ref.Name}
	}
	return &Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: namespace, Name: ref.Name}
}

// Resolve finds the connection a resource in namespace uses (ref, or the defaults: the
// JumpCloudConnection "default" in the namespace, then the ClusterJumpCloudConnection "default"),
// enforces a cluster connection's namespaceSelector, and returns the verified connection from the
// registry.
func Resolve(ctx context.Context, c client.Reader, reg *Registry, namespace string, ref *iamv1alpha1.ConnectionReference) (*Connection, error) {
	target, err := find(ctx, c, namespace, ref)
	if err != nil {
		return nil, err
	}
	conn, ok := reg.Get(*target)
	if !ok {
		return nil, &ResolveError{Reason: iamv1alpha1.ReasonConnectionNotReady, Waiting: true,
			Message: fmt.Sprintf("waiting for %s to become Ready", target)}
	}
	return conn, nil
}

func find(ctx context.Context, c client.Reader, namespace string, ref *iamv1alpha1.ConnectionReference) (*Ref, error) {
	if explicit := RefFor(namespace, ref); explicit != nil {
		if explicit.Kind == iamv1alpha1.ConnectionKindNamespaced {
			var nc iamv1alpha1.JumpCloudConnection
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &nc); err != nil {
				return nil, notFound(err, fmt.Sprintf("%s does not exist", explicit))
			}
			return explicit, nil
		}
		var cc iamv1alpha1.ClusterJumpCloudConnection
		if err := c.Get(ctx, client.ObjectKey{Name: ref.Name}, &cc); err != nil {
			return nil, notFound(err, fmt.Sprintf("%s does not exist", explicit))
		}
		if err := allowed(ctx, c, &cc, namespace); err != nil {
			return nil, err
		}
		return explicit, nil
	}

	var nc iamv1alpha1.JumpCloudConnection
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName}, &nc)
	if err == nil {
		return &Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName}, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	var cc iamv1alpha1.ClusterJumpCloudConnection
	if err := c.Get(ctx, client.ObjectKey{Name: iamv1alpha1.DefaultConnectionName}, &cc); err != nil {
		return nil, notFound(err, fmt.Sprintf("no connection: create a JumpCloudConnection named %q in namespace %s or a ClusterJumpCloudConnection named %q, or set spec.connectionRef",
			iamv1alpha1.DefaultConnectionName, namespace, iamv1alpha1.DefaultConnectionName))
	}
	if err := allowed(ctx, c, &cc, namespace); err != nil {
		return nil, err
	}
	return &Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: iamv1alpha1.DefaultConnectionName}, nil
}

func notFound(err error, msg string) error {
	if apierrors.IsNotFound(err) {
		return &ResolveError{Reason: iamv1alpha1.ReasonConnectionNotFound, Message: msg}
	}
	return err
}

// allowed enforces a ClusterJumpCloudConnection's namespaceSelector.
func allowed(ctx context.Context, c client.Reader, cc *iamv1alpha1.ClusterJumpCloudConnection, namespace string) error {
	if cc.Spec.NamespaceSelector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(cc.Spec.NamespaceSelector)
	if err != nil {
		return &ResolveError{Reason: iamv1alpha1.ReasonNamespaceNotAllowed,
			Message: fmt.Sprintf("ClusterJumpCloudConnection %s has an invalid namespaceSelector: %v", cc.Name, err)}
	}
	var ns corev1.Namespace
	if err := c.Get(ctx, client.ObjectKey{Name: namespace}, &ns); err != nil {
		return err
	}
	if !sel.Matches(labels.Set(ns.Labels)) {
		return &ResolveError{Reason: iamv1alpha1.ReasonNamespaceNotAllowed,
			Message: fmt.Sprintf("ClusterJumpCloudConnection %s does not allow namespace %s (namespaceSelector %s)", cc.Name, namespace, sel)}
	}
	return nil
}
