package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// defaultAPIKeyKey is the Secret key of the API key when apiKeySecretRef.key is unset (the CRD's
// default).
const defaultAPIKeyKey = "api-key"

// globalOptions are the kubeconfig and connection flags every command shares, and the clients
// built from them.
type globalOptions struct {
	streams IOStreams

	kubeconfig string
	context    string
	namespace  string

	connection        string
	clusterConnection string
	apiKeyEnv         string
	baseURL           string
	region            string
	orgID             string

	kube client.WithWatch
}

func (g *globalOptions) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = g.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: g.context}
	overrides.Context.Namespace = g.namespace
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// targetNamespace is -n, else the kubeconfig context's namespace, else "default".
func (g *globalOptions) targetNamespace() (string, error) {
	if g.namespace != "" {
		return g.namespace, nil
	}
	ns, _, err := g.clientConfig().Namespace()
	if err != nil {
		if g.apiKeyEnv != "" {
			// Not talking to the cluster: a missing kubeconfig is no reason to fail.
			return metav1.NamespaceDefault, nil
		}
		return "", fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return ns, nil
}

// kubeClient returns a client for the kubeconfig's cluster, built once.
func (g *globalOptions) kubeClient() (client.WithWatch, error) {
	if g.kube != nil {
		return g.kube, nil
	}
	cfg, err := g.clientConfig().ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-jumpcloud/" + Version
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := iamv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	g.kube = c
	return c, nil
}

// connectionRef returns the connection named by --connection or --cluster-connection, nil for
// the default.
func (g *globalOptions) connectionRef() (*iamv1alpha1.ConnectionReference, error) {
	switch {
	case g.connection != "" && g.clusterConnection != "":
		return nil, errors.New("--connection and --cluster-connection are mutually exclusive")
	case g.connection != "":
		return &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: g.connection}, nil
	case g.clusterConnection != "":
		return &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: g.clusterConnection}, nil
	}
	return nil, nil
}

// jumpCloudClient builds a JumpCloud client from --api-key-env or from the cluster's connection,
// with --base-url, --region and --org-id applied on top.
func (g *globalOptions) jumpCloudClient(ctx context.Context) (*jumpcloud.Client, error) {
	ref, err := g.connectionRef()
	if err != nil {
		return nil, err
	}
	var key string
	var settings connection.Settings
	if g.apiKeyEnv != "" {
		if ref != nil {
			return nil, errors.New("--api-key-env bypasses the cluster; it cannot be combined with --connection or --cluster-connection")
		}
		v, ok := os.LookupEnv(g.apiKeyEnv)
		key = strings.TrimSpace(v)
		if !ok || key == "" {
			return nil, fmt.Errorf("environment variable %s (--api-key-env) is unset or empty", g.apiKeyEnv)
		}
		settings = connection.SettingsFrom(iamv1alpha1.ConnectionSettings{})
	} else {
		c, err := g.kubeClient()
		if err != nil {
			return nil, err
		}
		ns, err := g.targetNamespace()
		if err != nil {
			return nil, err
		}
		src, err := findConnection(ctx, c, ns, ref)
		if err != nil {
			return nil, err
		}
		if key, err = readAPIKey(ctx, c, src); err != nil {
			return nil, err
		}
		settings = connection.SettingsFrom(src.settings)
	}
	if g.region != "" {
		settings.Region, settings.BaseURL = g.region, ""
	}
	if g.baseURL != "" {
		settings.BaseURL = g.baseURL
	}
	if g.orgID != "" {
		settings.OrgID = g.orgID
	}
	return jumpcloud.New(jumpcloud.Options{
		BaseURL:           settings.BaseURL,
		Region:            settings.Region,
		APIKey:            key,
		OrgID:             settings.OrgID,
		RequestsPerSecond: settings.RequestsPerSecond,
		Burst:             settings.Burst,
		UserAgent:         "kubectl-jumpcloud/" + Version,
	})
}

// connectionSource is a connection object as the plugin needs it: where its key is and its
// settings.
type connectionSource struct {
	ref      connection.Ref
	secret   client.ObjectKey
	key      string
	settings iamv1alpha1.ConnectionSettings
}

// findConnection resolves the connection the operator would use for a resource in namespace:
// ref, else the JumpCloudConnection "default" in the namespace, else the
// ClusterJumpCloudConnection "default" (whose namespaceSelector must admit the namespace).
func findConnection(ctx context.Context, c client.Reader, namespace string, ref *iamv1alpha1.ConnectionReference) (*connectionSource, error) {
	if ref != nil && ref.Kind != iamv1alpha1.ConnectionKindCluster {
		return namespacedConnection(ctx, c, namespace, ref.Name)
	}
	if ref != nil {
		return clusterConnection(ctx, c, namespace, ref.Name)
	}
	src, err := namespacedConnection(ctx, c, namespace, iamv1alpha1.DefaultConnectionName)
	if err == nil || !apierrors.IsNotFound(err) {
		return src, err
	}
	src, err = clusterConnection(ctx, c, namespace, iamv1alpha1.DefaultConnectionName)
	if err != nil && apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("no connection: neither a JumpCloudConnection %q in namespace %s nor a ClusterJumpCloudConnection %q exists; "+
			"name one with --connection or --cluster-connection, or bypass the cluster with --api-key-env",
			iamv1alpha1.DefaultConnectionName, namespace, iamv1alpha1.DefaultConnectionName)
	}
	return src, err
}

func namespacedConnection(ctx context.Context, c client.Reader, namespace, name string) (*connectionSource, error) {
	var nc iamv1alpha1.JumpCloudConnection
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &nc); err != nil {
		return nil, fmt.Errorf("reading JumpCloudConnection %s/%s: %w", namespace, name, err)
	}
	return &connectionSource{
		ref:      connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: namespace, Name: name},
		secret:   client.ObjectKey{Namespace: namespace, Name: nc.Spec.APIKeySecretRef.Name},
		key:      nc.Spec.APIKeySecretRef.Key,
		settings: nc.Spec.ConnectionSettings,
	}, nil
}

func clusterConnection(ctx context.Context, c client.Reader, namespace, name string) (*connectionSource, error) {
	var cc iamv1alpha1.ClusterJumpCloudConnection
	if err := c.Get(ctx, client.ObjectKey{Name: name}, &cc); err != nil {
		return nil, fmt.Errorf("reading ClusterJumpCloudConnection %s: %w", name, err)
	}
	if sel := cc.Spec.NamespaceSelector; sel != nil {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return nil, fmt.Errorf("ClusterJumpCloudConnection %s has an invalid namespaceSelector: %w", name, err)
		}
		var ns corev1.Namespace
		if err := c.Get(ctx, client.ObjectKey{Name: namespace}, &ns); err != nil {
			return nil, fmt.Errorf("reading namespace %s to check the namespaceSelector of ClusterJumpCloudConnection %s: %w", namespace, name, err)
		}
		if !s.Matches(labels.Set(ns.Labels)) {
			return nil, fmt.Errorf("ClusterJumpCloudConnection %s does not allow namespace %s (namespaceSelector %s)", name, namespace, s)
		}
	}
	return &connectionSource{
		ref:      connection.Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: name},
		secret:   client.ObjectKey{Namespace: cc.Spec.APIKeySecretRef.Namespace, Name: cc.Spec.APIKeySecretRef.Name},
		key:      cc.Spec.APIKeySecretRef.Key,
		settings: cc.Spec.ConnectionSettings,
	}, nil
}

// readAPIKey reads the connection's API key from its Secret, with the caller's credentials.
func readAPIKey(ctx context.Context, c client.Reader, src *connectionSource) (string, error) {
	key := src.key
	if key == "" {
		key = defaultAPIKeyKey
	}
	var s corev1.Secret
	if err := c.Get(ctx, src.secret, &s); err != nil {
		if apierrors.IsForbidden(err) {
			return "", fmt.Errorf("%s: you may not read its API key Secret %s (%w); ask for get access to it, or bypass the cluster with --api-key-env",
				src.ref, src.secret, err)
		}
		return "", fmt.Errorf("%s: reading its API key Secret %s: %w", src.ref, src.secret, err)
	}
	value := string(s.Data[key])
	if value == "" {
		return "", fmt.Errorf("%s: Secret %s has no key %q", src.ref, src.secret, key)
	}
	return value, nil
}
