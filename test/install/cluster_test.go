package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// fieldOwner is the field manager of everything the suite applies.
const fieldOwner = client.FieldOwner("install-test")

// cluster is one envtest control plane with no CRDs: the install brings its own.
type cluster struct {
	env   *envtest.Environment
	Admin client.Client
	// Config is the administrator's (system:masters) connection.
	Config *rest.Config
}

func startCluster() (*cluster, error) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		return nil, err
	}
	scheme := testenv.Scheme()
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
		// As testenv.New allows: a small shared machine running several suites at once.
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	// PodSecurity is on by default; named so that the restricted check cannot pass by its absence.
	// OwnerReferencesPermissionEnforcement is not, but some distributions run it (OpenShift): it
	// is where the finalizers subresource's permission would be checked.
	env.ControlPlane.GetAPIServer().Configure().
		Append("enable-admission-plugins", "PodSecurity", "OwnerReferencesPermissionEnforcement")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	c := &cluster{env: env, Config: cfg}
	if c.Admin, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) Stop() error { return c.env.Stop() }

// applyAll applies every object of the rendering with server-side apply: the CRDs first, which
// must become Established, then the Namespaces, then the rest in the order rendered.
func (c *cluster) applyAll(ctx context.Context, g Gomega, r *rendering) {
	first := func(o *unstructured.Unstructured) int {
		switch o.GetKind() {
		case "CustomResourceDefinition":
			return 0
		case "Namespace":
			return 1
		}
		return 2
	}
	for phase := range 3 {
		for _, o := range r.Objects {
			if first(o) != phase {
				continue
			}
			g.Expect(c.Admin.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), fieldOwner, client.ForceOwnership)).
				To(Succeed(), "applying %s %s from %s", o.GetKind(), o.GetName(), r.Source)
		}
		if phase == 0 {
			for _, o := range r.ofKind("CustomResourceDefinition") {
				g.Eventually(func(g Gomega) {
					crd := &unstructured.Unstructured{}
					crd.SetGroupVersionKind(o.GroupVersionKind())
					g.Expect(c.Admin.Get(ctx, client.ObjectKey{Name: o.GetName()}, crd)).To(Succeed())
					g.Expect(established(crd)).To(BeTrue(), "CRD %s is Established", o.GetName())
				}).Should(Succeed())
			}
		}
	}
}

// established reads a CustomResourceDefinition's Established condition.
func established(crd *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conditions {
		if c, ok := c.(map[string]any); ok && c["type"] == "Established" {
			return c["status"] == "True"
		}
	}
	return false
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates with a token of the
// ServiceAccount (a TokenRequest, as the kubelet mounts one into the Pod), and returns its path.
func (c *cluster) serviceAccountKubeconfig(ctx context.Context, namespace, name, dir string) (string, error) {
	token, err := c.serviceAccountToken(ctx, namespace, name)
	if err != nil {
		return "", err
	}
	user := "system:serviceaccount:" + namespace + ":" + name
	kubeconfig := clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{"envtest": {
			Server: c.Config.Host, CertificateAuthorityData: c.Config.CAData,
		}},
		AuthInfos: map[string]*clientcmdapi.AuthInfo{user: {Token: token}},
		Contexts: map[string]*clientcmdapi.Context{"manager": {
			Cluster: "envtest", AuthInfo: user, Namespace: namespace,
		}},
		CurrentContext: "manager",
	}
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(kubeconfig, path); err != nil {
		return "", err
	}
	return path, os.Chmod(path, 0o600)
}

// serviceAccountToken asks the API server for a token of the ServiceAccount.
func (c *cluster) serviceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	expiry := int64(3600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
	if err := c.Admin.SubResource("token").Create(ctx, sa, tr); err != nil {
		return "", fmt.Errorf("requesting a token of ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}
