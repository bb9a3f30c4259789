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

// Resolve finds the connection a resource in namespace uses (Find) and returns it verified, from
// the registry; one not yet verified is a Waiting ResolveError.
func Resolve(ctx context.Context, c client.Reader, reg *Registry, namespace string, ref *iamv1alpha1.ConnectionReference) (*Connection, error) {
	src, err := Find(ctx, c, namespace, ref)
	if err != nil {
		return nil, err
	}
	conn, ok := reg.Get(src.Ref)
	if !ok {
		return nil, &ResolveError{Reason: iamv1alpha1.ReasonConnectionNotReady, Waiting: true,
			Message: fmt.Sprintf("waiting for %s to become Ready", src.Ref)}
	}
	return conn, nil
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
