package plugin_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/plugin"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	// apiKey is the simulator's key; no output of the plugin may ever contain it.
	apiKey = "plugin-test-key-5c1e7d"
	org    = jcsim.DefaultOrg
	// ns holds the default JumpCloudConnection and its Secret.
	ns = "plugin"
)

var (
	env        *envtest.Environment
	k8sClient  client.Client
	sim        *jcsim.Server
	simURL     string
	kubeconfig string
	// viewerKubeconfig belongs to a user who may read connections but not Secrets.
	viewerKubeconfig string
	ctx              context.Context
	cancel           context.CancelFunc
)

func TestPlugin(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kubectl-jumpcloud suite (envtest + simulator)")
}

var _ = BeforeSuite(func() {
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	env, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	Expect(err).NotTo(HaveOccurred())

	dir := GinkgoT().TempDir()
	kubeconfig = writeKubeconfig(dir, envtest.User{Name: "plugin-admin", Groups: []string{"system:masters"}})
	viewerKubeconfig = writeKubeconfig(dir, envtest.User{Name: "viewer", Groups: []string{"jumpcloud-viewers"}})
	Expect(k8sClient.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "jumpcloud-viewer"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{iamv1alpha1.GroupVersion.Group},
			Resources: []string{"jumpcloudconnections", "clusterjumpcloudconnections"},
			Verbs:     []string{"get", "list"},
		}},
	})).To(Succeed())
	Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "jumpcloud-viewers"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "jumpcloud-viewer"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "jumpcloud-viewers"}},
	})).To(Succeed())

	sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {org}}})
	simURL, err = sim.Start()
	Expect(err).NotTo(HaveOccurred())

	createNamespace(ns)
	createDefaultConnection(ns)
	seedDirectory()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if sim != nil {
		Expect(sim.Close()).To(Succeed())
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// writeKubeconfig provisions a user on the envtest apiserver and writes its kubeconfig.
func writeKubeconfig(dir string, u envtest.User) string {
	au, err := env.AddUser(u, nil)
	Expect(err).NotTo(HaveOccurred())
	b, err := au.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, u.Name+".kubeconfig")
	Expect(os.WriteFile(path, b, 0o600)).To(Succeed())
	return path
}

func createNamespace(name string) {
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
}

// createDefaultConnection creates the JumpCloudConnection "default" in namespace, pointing at the
// simulator, and its API key Secret.
func createDefaultConnection(namespace string) {
	createSecret(namespace, "jumpcloud-api-key", apiKey)
	Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud-api-key"},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL},
		},
	})).To(Succeed())
}

func createSecret(namespace, name, key string) {
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		StringData: map[string]string{"api-key": key},
	})).To(Succeed())
}

// The directory every spec reads. Usernames are distinct from the seeded ones (seedNNNNN).
var (
	grace, alan, ada, johnDoe, johnDoe2, staged jcsim.User
	seeded                                      []jcsim.User
)

func seedDirectory() {
	add := func(u jcsim.User) jcsim.User {
		out, err := sim.AddUser(org, u, "")
		Expect(err).NotTo(HaveOccurred())
		return out
	}
	grace = add(jcsim.User{
		Username: "grace.hopper", Email: "grace@example.com", Firstname: "Grace", Lastname: "Hopper",
		Department: "Research", JobTitle: "Rear Admiral", Company: "Example Inc", CostCenter: "4711",
		Location: "Arlington", EmployeeIdentifier: "E-1906",
		PhoneNumbers: []jcsim.PhoneNumber{{Type: "work", Number: "+1 555 1906"}},
		Attributes:   []jcsim.Attribute{{Name: "team", Value: "compilers"}},
	})
	manager := grace.ID
	alan = add(jcsim.User{
		Username: "alan_turing", Email: "alan@example.com", Firstname: "Alan", Lastname: "Turing",
		Department: "Research", JobTitle: "Researcher", Manager: &manager,
		Addresses: []jcsim.Address{{Type: "work", StreetAddress: "Bletchley Park", Locality: "Milton Keynes", Country: "GB"}},
	})
	ada = add(jcsim.User{
		Username: "ada", Email: "ada@example.com", Firstname: "Ada", Lastname: "Lovelace",
		Department: "Analytics", AccountLocked: true,
	})
	johnDoe = add(jcsim.User{Username: "john_doe", Email: "john_doe@example.com", Department: "Field Sales"})
	johnDoe2 = add(jcsim.User{Username: "John-Doe", Email: "john-doe@example.com", Department: "Field Sales"})
	staged = add(jcsim.User{Username: "stan", Email: "stan@example.com", Department: "Onboarding", State: jcsim.StateStaged})
	var err error
	seeded, err = sim.SeedUsers(org, 120)
	Expect(err).NotTo(HaveOccurred())
}

// result is one run of the plugin.
type result struct {
	code   int
	stdout string
	stderr string
}

// run runs kubectl-jumpcloud in-process against the envtest apiserver, in namespace ns unless
// args name another with -n. It logs the transcript (go test -v -ginkgo.v shows it) and checks
// that the API key appears in no output.
func run(args ...string) result {
	return runAs(kubeconfig, args...)
}

func runAs(kubeconfigPath string, args ...string) result {
	var out, errOut bytes.Buffer
	full := append([]string{"--kubeconfig", kubeconfigPath}, args...)
	if !hasNamespace(args) {
		full = append(full, "-n", ns)
	}
	code := plugin.Run(ctx, full, plugin.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	GinkgoWriter.Printf("$ kubectl jumpcloud %s\n%s%s(exit %d)\n\n", strings.Join(args, " "), out.String(), errOut.String(), code)
	Expect(out.String()).NotTo(ContainSubstring(apiKey), "the API key must never be printed")
	Expect(errOut.String()).NotTo(ContainSubstring(apiKey), "the API key must never be printed")
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func hasNamespace(args []string) bool {
	for _, a := range args {
		if a == "-n" || a == "--namespace" || strings.HasPrefix(a, "--namespace=") || strings.HasPrefix(a, "-n=") {
			return true
		}
	}
	return false
}

// lastRequest returns the last logged request of op.
func lastRequest(op string) jcsim.Request {
	reqs := sim.RequestsFor(op)
	ExpectWithOffset(1, reqs).NotTo(BeEmpty(), "no %s request was logged", op)
	return reqs[len(reqs)-1]
}
