package connection

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// DefaultAPIKeyKey is the key within the Secret that holds the API key when apiKeySecretRef.key
// is unset. The CRD defaults the field to the same value (api/v1alpha1); the code applies it too,
// so that an object that never went through the schema's defaulting reads the same key.
const DefaultAPIKeyKey = "api-key"

// KeyName returns the key within the Secret that holds the API key: k, or DefaultAPIKeyKey.
func KeyName(k string) string {
	if k == "" {
		return DefaultAPIKeyKey
	}
	return k
}

// Source is a connection object as far as building a client goes: where its API key is and its
// settings. The operator and kubectl-jumpcloud both start from it, so that they use the same
// connection with the same key.
type Source struct {
	Ref Ref
	// Secret holds the API key.
	Secret client.ObjectKey
	// Key is the key of the API key within the Secret, defaulted (KeyName).
	Key string
	// ConnectionSettings are the settings as written; SettingsFrom applies their defaults.
	ConnectionSettings iamv1alpha1.ConnectionSettings
}

// NamespacedSource describes a JumpCloudConnection. Its Secret is the one in its own namespace,
// whatever apiKeySecretRef.namespace says (the schema refuses another namespace, the reconciler
// reports one): a Secret elsewhere would let whoever may create a connection use a key they may
// not read.
func NamespacedSource(nc *iamv1alpha1.JumpCloudConnection) *Source {
	return &Source{
		Ref:                Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: nc.Namespace, Name: nc.Name},
		Secret:             client.ObjectKey{Namespace: nc.Namespace, Name: nc.Spec.APIKeySecretRef.Name},
		Key:                KeyName(nc.Spec.APIKeySecretRef.Key),
		ConnectionSettings: nc.Spec.ConnectionSettings,
	}
}

// ClusterSource describes a ClusterJumpCloudConnection.
func ClusterSource(cc *iamv1alpha1.ClusterJumpCloudConnection) *Source {
	return &Source{
		Ref:                Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: cc.Name},
		Secret:             client.ObjectKey{Namespace: cc.Spec.APIKeySecretRef.Namespace, Name: cc.Spec.APIKeySecretRef.Name},
		Key:                KeyName(cc.Spec.APIKeySecretRef.Key),
		ConnectionSettings: cc.Spec.ConnectionSettings,
	}
}

// Find returns the connection a resource in namespace uses: ref, else the JumpCloudConnection
// "default" in the namespace, else the ClusterJumpCloudConnection "default"; a cluster
// connection's namespaceSelector must admit the namespace. A missing connection or a refused
// namespace is a *ResolveError (ConnectionNotFound, NamespaceNotAllowed); other errors, the API's,
// are returned as they are. It reads with c, so kubectl-jumpcloud finds with the caller's own
// credentials what the operator finds with its own.
func Find(ctx context.Context, c client.Reader, namespace string, ref *iamv1alpha1.ConnectionReference) (*Source, error) {
	if explicit := RefFor(namespace, ref); explicit != nil {
		if explicit.Kind == iamv1alpha1.ConnectionKindNamespaced {
			var nc iamv1alpha1.JumpCloudConnection
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: explicit.Name}, &nc); err != nil {
				return nil, notFound(err, fmt.Sprintf("%s does not exist", explicit))
			}
			return NamespacedSource(&nc), nil
		}
		var cc iamv1alpha1.ClusterJumpCloudConnection
		if err := c.Get(ctx, client.ObjectKey{Name: explicit.Name}, &cc); err != nil {
			return nil, notFound(err, fmt.Sprintf("%s does not exist", explicit))
		}
		if err := allowed(ctx, c, &cc, namespace); err != nil {
			return nil, err
		}
		return ClusterSource(&cc), nil
	}

	var nc iamv1alpha1.JumpCloudConnection
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName}, &nc)
	if err == nil {
		return NamespacedSource(&nc), nil
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
	return ClusterSource(&cc), nil
}

// MissingAPIKeyError says that a connection's API key is not where its spec points: the Secret
// does not exist, or has no (or an empty) value under the key. Retrying cannot help; a change to
// the Secret or to the spec does.
type MissingAPIKeyError struct {
	Secret client.ObjectKey
	Key    string
	// NoSecret says the Secret itself does not exist.
	NoSecret bool
}

func (e *MissingAPIKeyError) Error() string {
	if e.NoSecret {
		return fmt.Sprintf("Secret %s does not exist", e.Secret)
	}
	return fmt.Sprintf("Secret %s has no key %q", e.Secret, e.Key)
}

// ReadAPIKey reads src's API key with one GET through c: the operator passes a reader that holds
// no cache of Secrets, kubectl-jumpcloud a client with the caller's own credentials. A missing
// Secret or key is a *MissingAPIKeyError; other errors (Forbidden, ...) are returned as they are.
// No error carries the key's value.
func ReadAPIKey(ctx context.Context, c client.Reader, src *Source) (string, error) {
	key := KeyName(src.Key)
	var s corev1.Secret
	if err := c.Get(ctx, src.Secret, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &MissingAPIKeyError{Secret: src.Secret, Key: key, NoSecret: true}
		}
		return "", err
	}
	value := string(s.Data[key])
	if value == "" {
		return "", &MissingAPIKeyError{Secret: src.Secret, Key: key}
	}
	return value, nil
}
