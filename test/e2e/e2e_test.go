// Package e2e drives the running system — control plane, simulator, and the operator as its own
// process — with a real kubectl (built from the same Kubernetes module as the control plane),
// the way a person would.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

var (
	env        *devenv.Env
	kubectlBin string
	binDir     string
	metricsURL string
	samples    string
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end suite (kubectl + operator process + simulator)")
}

var _ = BeforeSuite(func() {
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	assets, err := testenv.AssetsDir()
	Expect(err).NotTo(HaveOccurred())
	kubectlBin = filepath.Join(assets, "kubectl")

	env, err = devenv.Start(devenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			log, _ := os.ReadFile(env.ManagerLog())
			GinkgoWriter.Printf("manager log:\n%s\n", log)
		}
		Expect(env.Stop()).To(Succeed())
	})
	_, err = env.Sim.AddUser(devenv.Org, jcsim.User{Username: "carol", Email: "carol@example.com", Department: "Sales"}, "")
	Expect(err).NotTo(HaveOccurred())

	ctx := context.Background()
	bin, err := env.BuildManager(ctx)
	Expect(err).NotTo(HaveOccurred())
	binDir = filepath.Dir(bin)
	root, err := testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "kubectl-jumpcloud"), "./cmd/kubectl-jumpcloud")
	build.Dir = root
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	port := freePort()
	metricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	Expect(env.StartManager(bin, nil, "--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-secure=false", "--zap-log-level=debug")).To(Succeed())

	samples = prepareSamples()
})

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// prepareSamples copies config/samples (without the kustomization) with every connection pointed
// at the simulator, plus the API key Secrets the connections name.
func prepareSamples() string {
	root, err := testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	dir := filepath.Join(env.Dir, "samples")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "iam_*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		if strings.Contains(filepath.Base(f), "connection") {
			var obj map[string]any
			Expect(yaml.Unmarshal(data, &obj)).To(Succeed())
			obj["spec"].(map[string]any)["baseURL"] = env.SimURL
			data, err = yaml.Marshal(obj)
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644)).To(Succeed())
	}
	return dir
}

// kubectl runs the real kubectl against the control plane and returns its combined output.
func kubectl(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(kubectlBin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	// KUBECONFIG rather than --kubeconfig: kubectl refuses flags before a plugin's name.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	err := cmd.Run()
	GinkgoWriter.Printf("$ kubectl %s\n%s\n", strings.Join(args, " "), out.String())
	return out.String(), err
}

func mustKubectl(args ...string) string {
	out, err := kubectl(args...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), out)
	return out
}

// writes counts the simulator's write calls: users, groups, group members and SSH keys.
func writes() int {
	c := env.Sim.Counts()
	n := 0
	for _, op := range []string{"create", "update", "delete", "activate", "suspend", "unlock", "expire", "resetmfa",
		"group-create", "group-update", "group-delete", "member-add", "member-remove", "sshkey-add", "sshkey-delete"} {
		n += c[op]
	}
	return n
}

var _ = Describe("The operator driven by kubectl", Ordered, func() {
	const ns = "e2e"

	BeforeAll(func() {
		mustKubectl("create", "namespace", ns)
		mustKubectl("create", "namespace", "jumpcloud-system")
		for _, n := range []string{ns, "jumpcloud-system"} {
			mustKubectl("-n", n, "create", "secret", "generic", "jumpcloud-api-key", "--from-literal=api-key="+env.APIKey)
		}
	})

	It("applies the samples with kubectl apply and they become Ready", func() {
		mustKubectl("apply", "-n", ns, "-f", samples)
		mustKubectl("wait", "-n", ns, "--for=condition=Ready", "jumpclouduser", "--all", "--timeout=90s")
		mustKubectl("wait", "-n", ns, "--for=condition=Ready", "jumpcloudusergroup", "--all", "--timeout=60s")
		mustKubectl("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "jumpclouduseroperation", "--all", "--timeout=60s")
		mustKubectl("wait", "--for=condition=Ready", "clusterjumpcloudconnection/default", "--timeout=60s")
		_, ok := env.Sim.FindUsername(devenv.Org, "alice")
		Expect(ok).To(BeTrue())
	})

	It("re-applies without change: no conflict and no write to JumpCloud", func() {
		before := writes()
		out := mustKubectl("apply", "-n", ns, "-f", samples)
		Expect(out).To(ContainSubstring("unchanged"))
		out = mustKubectl("apply", "--server-side", "--force-conflicts=false", "-n", ns, "-f", samples)
		Expect(out).To(ContainSubstring("serverside-applied"))
		out = mustKubectl("apply", "--server-side", "-n", ns, "-f", samples)
		Expect(out).NotTo(ContainSubstring("conflict"))
		mustKubectl("wait", "-n", ns, "--for=condition=Ready", "jumpclouduser", "--all", "--timeout=60s")
		mustKubectl("wait", "-n", ns, "--for=condition=Ready", "jumpcloudusergroup", "--all", "--timeout=60s")
		Consistently(writes, 2*time.Second).Should(Equal(before))
	})

	It("lists every kind under the jumpcloud category", func() {
		out := mustKubectl("get", "jumpcloud", "-A")
		for _, want := range []string{"jumpclouduser.iam.jumpcloud-operator.dev/alice", "jumpclouduseroperation.iam.jumpcloud-operator.dev/alice-reset-mfa",
			"jumpcloudconnection.iam.jumpcloud-operator.dev/team-a", "clusterjumpcloudconnection.iam.jumpcloud-operator.dev/default",
			"jumpcloudusergroup.iam.jumpcloud-operator.dev/platform"} {
			Expect(out).To(ContainSubstring(want))
		}
	})

	It("applies a user and a group naming it from one directory, and the group gets the user as its member", func() {
		const groupNS, group = "e2e-group", "e2e-kubectl-group"
		mustKubectl("create", "namespace", groupNS)
		mustKubectl("-n", groupNS, "create", "secret", "generic", "jumpcloud-api-key", "--from-literal=api-key="+env.APIKey)
		dir := filepath.Join(env.Dir, "group-and-user")
		Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		// kubectl applies a directory's files in name order: the group comes before the user it
		// names, so it has to wait for the user's JumpCloud id.
		files := map[string]string{
			"connection.yaml": fmt.Sprintf(`apiVersion: iam.jumpcloud-operator.dev/v1alpha1
kind: JumpCloudConnection
metadata:
  name: default
spec:
  apiKeySecretRef:
    name: jumpcloud-api-key
  baseURL: %s
`, env.SimURL),
			"group.yaml": `apiVersion: iam.jumpcloud-operator.dev/v1alpha1
kind: JumpCloudUserGroup
metadata:
  name: ` + group + `
spec:
  name: ` + group + `
  description: Applied with kubectl apply -f <dir>
  members:
    users:
    - userRef:
        name: dana
`,
			"user.yaml": `apiVersion: iam.jumpcloud-operator.dev/v1alpha1
kind: JumpCloudUser
metadata:
  name: dana
spec:
  username: dana
  email: dana@example.com
`,
		}
		for name, content := range files {
			Expect(os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)).To(Succeed())
		}

		out := mustKubectl("apply", "-n", groupNS, "-f", dir)
		Expect(out).To(And(ContainSubstring("jumpcloudusergroup.iam.jumpcloud-operator.dev/"+group+" created"),
			ContainSubstring("jumpclouduser.iam.jumpcloud-operator.dev/dana created")))
		mustKubectl("wait", "-n", groupNS, "--for=condition=Ready", "jumpcloudusergroup/"+group, "--timeout=60s")

		out = mustKubectl("get", "jumpcloud", "-n", groupNS)
		Expect(out).To(And(ContainSubstring("jumpclouduser.iam.jumpcloud-operator.dev/dana"),
			ContainSubstring("jumpcloudusergroup.iam.jumpcloud-operator.dev/"+group)))
		Expect(out).To(MatchRegexp(`jumpcloudusergroup\.iam\.jumpcloud-operator\.dev/` + group + `\s+` + group + `\s+1\s+True`))

		dana, ok := env.Sim.FindUsername(devenv.Org, "dana")
		Expect(ok).To(BeTrue(), "the user exists in JumpCloud")
		g, ok := env.Sim.FindGroupName(devenv.Org, group)
		Expect(ok).To(BeTrue(), "the group exists in JumpCloud")
		Expect(mustKubectl("get", "-n", groupNS, "jcgroup", group, "-o", "jsonpath={.status.id}")).To(Equal(g.ID))
		Expect(g.Description).To(Equal("Applied with kubectl apply -f <dir>"))
		Expect(env.Sim.GroupMembers(devenv.Org, g.ID)).To(Equal([]string{dana.ID}))
	})

	It("shows the printer columns", func() {
		out := mustKubectl("get", "jcuser", "-n", ns, "-o", "wide")
		header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		Expect(header).To(Equal([]string{"NAME", "USERNAME", "EMAIL", "STATE", "LOCKED", "READY", "AGE", "ID"}))
		Expect(out).To(MatchRegexp(`alice\s+alice\s+alice@example.com\s+Activated\s+false\s+True\s+\S+\s+[0-9a-f]{24}`))
		Expect(out).To(MatchRegexp(`bob\s+bob\s+bob@example.com\s+Staged\s+false\s+True`))
	})

	It("explains the fields", func() {
		out := mustKubectl("explain", "jumpclouduser.spec.locked")
		Expect(out).To(And(ContainSubstring("FIELD: locked <boolean>"), ContainSubstring("LockedOut reason")))
	})

	It("onboards existing users with kubectl jumpcloud import, without a write", func() {
		const second = "e2e-import"
		mustKubectl("create", "namespace", second)
		mustKubectl("-n", second, "create", "secret", "generic", "jumpcloud-api-key", "--from-literal=api-key="+env.APIKey)
		conn := fmt.Sprintf(`{"apiVersion":"iam.jumpcloud-operator.dev/v1alpha1","kind":"JumpCloudConnection",
			"metadata":{"name":"default","namespace":%q},"spec":{"apiKeySecretRef":{"name":"jumpcloud-api-key"},"baseURL":%q}}`, second, env.SimURL)
		Expect(os.WriteFile(filepath.Join(env.Dir, "conn.json"), []byte(conn), 0o644)).To(Succeed())
		mustKubectl("apply", "-f", filepath.Join(env.Dir, "conn.json"))
		mustKubectl("wait", "-n", second, "--for=condition=Ready", "jumpcloudconnection/default", "--timeout=60s")

		out := filepath.Join(env.Dir, "imported")
		mustKubectl("jumpcloud", "import", "--all", "-n", second, "--out", out)
		files, err := filepath.Glob(filepath.Join(out, "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(HaveLen(env.Sim.UserCount(devenv.Org)))

		before := writes()
		mustKubectl("apply", "-n", second, "-f", out)
		mustKubectl("wait", "-n", second, "--for=condition=Ready", "jumpclouduser", "--all", "--timeout=90s")
		mustKubectl("wait", "-n", second, "--for=condition=Synced", "jumpclouduser", "--all", "--timeout=60s")
		Expect(mustKubectl("get", "jcuser", "-n", second, "-o", "jsonpath={.items[*].spec.managementPolicy}")).NotTo(ContainSubstring("Full"))
		Consistently(writes, 2*time.Second).Should(Equal(before), "observing imported users writes nothing")
	})

	It("runs the plugin's list, get and operation commands", func() {
		out := mustKubectl("jumpcloud", "list", "-n", ns, "--filter", "username:$eq:bob")
		Expect(out).To(ContainSubstring("bob@example.com"))
		bob, _ := env.Sim.FindUsername(devenv.Org, "bob")
		Expect(mustKubectl("jumpcloud", "get", bob.ID, "-n", ns, "-o", "json")).To(ContainSubstring(`"username": "bob"`))
		before := env.Sim.Count("expire")
		out = mustKubectl("jumpcloud", "expire-password", "bob", "-n", ns, "--timeout", "60s")
		Expect(out).To(ContainSubstring("Succeeded"))
		Expect(env.Sim.Count("expire")).To(Equal(before + 1))
	})

	It("serves metrics while it works", func() {
		Eventually(func(g Gomega) {
			resp, err := http.Get(metricsURL)
			g.Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			g.Expect(string(body)).To(ContainSubstring(`controller_runtime_reconcile_total{controller="jumpclouduser"`))
			g.Expect(string(body)).To(ContainSubstring("jumpcloud_operator_"))
			g.Expect(string(body)).NotTo(ContainSubstring(env.APIKey))
		}).Should(Succeed())
	})

	It("honours the deletion policy on kubectl delete", func() {
		alice, _ := env.Sim.FindUsername(devenv.Org, "alice")
		mustKubectl("delete", "-n", ns, "jumpclouduser", "alice", "--timeout=60s")
		got, ok := env.Sim.User(devenv.Org, alice.ID)
		Expect(ok).To(BeTrue())
		Expect(got.State).To(Equal(jcsim.StateSuspended), "the sample's deletionPolicy is Suspend")

		carol, _ := env.Sim.FindUsername(devenv.Org, "carol")
		mustKubectl("delete", "-n", ns, "jumpclouduser", "carol", "--timeout=60s")
		got, _ = env.Sim.User(devenv.Org, carol.ID)
		Expect(got.State).To(Equal(jcsim.StateActivated), "an observed user is never touched")
	})
})
