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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

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
		settings = connection.SettingsFrom(src.ConnectionSettings)
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

// bypassHint ends the errors that keep the plugin from the cluster's connection: the way round.
const bypassHint = "bypass the cluster with --api-key-env"

// hinted is an error the plugin words for its user while keeping the cause for errors.As.
type hinted struct {
	msg   string
	cause error
}

func (e *hinted) Error() string { return e.msg }
func (e *hinted) Unwrap() error { return e.cause }

// findConnection picks the connection the operator would use for a resource in namespace, with
// the operator's own code (connection.Find), and words a failure in terms of the plugin's flags.
func findConnection(ctx context.Context, c client.Reader, namespace string, ref *iamv1alpha1.ConnectionReference) (*connection.Source, error) {
	src, err := connection.Find(ctx, c, namespace, ref)
	if err == nil {
		return src, nil
	}
	var re *connection.ResolveError
	switch {
	case !errors.As(err, &re):
		return nil, fmt.Errorf("finding the connection for namespace %s: %w", namespace, err)
	case re.Reason != iamv1alpha1.ReasonConnectionNotFound:
		return nil, fmt.Errorf("%w; name another connection with --connection or --cluster-connection, or %s", err, bypassHint)
	case ref != nil:
		return nil, &hinted{cause: err, msg: fmt.Sprintf("reading %s: not found; name an existing connection with --connection or --cluster-connection, or %s",
			connection.RefFor(namespace, ref), bypassHint)}
	}
	return nil, &hinted{cause: err, msg: fmt.Sprintf("no connection: neither a JumpCloudConnection %q in namespace %s nor a ClusterJumpCloudConnection %q exists; "+
		"name one with --connection or --cluster-connection, or %s",
		iamv1alpha1.DefaultConnectionName, namespace, iamv1alpha1.DefaultConnectionName, bypassHint)}
}

// readAPIKey reads the connection's API key from its Secret with the caller's own credentials
// (connection.ReadAPIKey), so the plugin never reaches a key its user may not read.
func readAPIKey(ctx context.Context, c client.Reader, src *connection.Source) (string, error) {
	key, err := connection.ReadAPIKey(ctx, c, src)
	var missing *connection.MissingAPIKeyError
	switch {
	case err == nil:
		return key, nil
	case apierrors.IsForbidden(err):
		return "", fmt.Errorf("%s: you may not read its API key Secret %s (%w); ask for get access to it, or %s",
			src.Ref, src.Secret, err, bypassHint)
	case errors.As(err, &missing):
		return "", fmt.Errorf("%s: %w", src.Ref, err)
	}
	return "", fmt.Errorf("%s: reading its API key Secret %s: %w", src.Ref, src.Secret, err)
}
