// Command demo runs the whole system on this machine: a local control plane (kube-apiserver and
// etcd, built from Go modules by hack/envtest.sh), the JumpCloud simulator, and the operator; it
// applies config/samples, waits until they are Ready, shows them, and keeps running until Ctrl-C.
//
// With JUMPCLOUD_API_KEY set (and optionally JUMPCLOUD_ORG_ID, JUMPCLOUD_BASE_URL) it talks to that
// JumpCloud organization instead of the simulator. DEMO_EXIT_WHEN_READY=1 makes it stop once the
// samples are Ready (for CI).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	namespace       = "demo"
	systemNamespace = "jumpcloud-system"
	readyTimeout    = 3 * time.Minute
)

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[%5.1fs] ==> %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	realKey := os.Getenv("JUMPCLOUD_API_KEY")
	if realKey != "" {
		fmt.Println(strings.Repeat("!", 78))
		fmt.Println("!! JUMPCLOUD_API_KEY is set: this demo talks to your REAL JumpCloud organization.")
		fmt.Println("!! It will create the sample users (alice, bob) and the sample group (platform) there and suspend them on exit.")
		fmt.Println("!! Press Ctrl-C within 10 seconds to abort.")
		fmt.Println(strings.Repeat("!", 78))
		select {
		case <-ctx.Done():
			return errors.New("aborted")
		case <-time.After(10 * time.Second):
		}
	}

	step("Building the control plane binaries (kube-apiserver, etcd, kubectl; cached after the first run)")
	assets, err := testenv.AssetsDir()
	if err != nil {
		return fmt.Errorf("building the control plane: %w", err)
	}

	step("Starting a local control plane and %s", map[bool]string{true: "no simulator (real JumpCloud)", false: "the JumpCloud simulator"}[realKey != ""])
	env, err := devenv.Start(devenv.Options{NoSimulator: realKey != ""})
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping the operator, the simulator and the control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "cleanup: %v\n", err)
		}
	}()

	baseURL, apiKey, orgID := env.SimURL, env.APIKey, ""
	if realKey != "" {
		baseURL, apiKey, orgID = os.Getenv("JUMPCLOUD_BASE_URL"), realKey, os.Getenv("JUMPCLOUD_ORG_ID")
	} else {
		// carol already exists in "JumpCloud": the ObserveOnly sample observes her.
		if _, err := env.Sim.AddUser(devenv.Org, jcsim.User{Username: "carol", Email: "carol@example.com", Firstname: "Carol", Department: "Sales"}, ""); err != nil {
			return err
		}
		if _, err := env.Sim.SeedUsers(devenv.Org, 5); err != nil {
			return err
		}
		step("Simulator listening on %s with %d users", env.SimURL, env.Sim.UserCount(devenv.Org))
	}

	step("Building and starting the operator (log: %s)", env.ManagerLog())
	bin, err := env.BuildManager(ctx)
	if err != nil {
		return err
	}
	if err := env.StartManager(bin, nil, "--zap-log-level=info"); err != nil {
		return err
	}

	step("Applying config/samples to namespace %q (connections pointed at %s)", namespace, orDefault(baseURL, "the US region"))
	if err := applySamples(ctx, env.Client, baseURL, apiKey, orgID); err != nil {
		return err
	}

	step("Waiting for every sample to be Ready (up to %s)", readyTimeout)
	if err := waitReady(ctx, env.Client); err != nil {
		return err
	}
	step("All samples Ready after %.1fs", time.Since(start).Seconds())

	kubectl := filepath.Join(assets, "kubectl")
	show := exec.CommandContext(ctx, kubectl, "--kubeconfig", env.Kubeconfig, "get", "jumpcloud", "-A", "-o", "wide")
	show.Stdout, show.Stderr = os.Stdout, os.Stderr
	fmt.Println()
	_ = show.Run()
	if realKey == "" {
		fmt.Printf("\nThe simulator saw %v\n", env.Sim.Counts())
	}

	if os.Getenv("DEMO_EXIT_WHEN_READY") != "" {
		return nil
	}
	fmt.Printf(`
The demo keeps running until you press Ctrl-C. In another terminal:

  export KUBECONFIG=%s
  alias kubectl=%s
  kubectl get jumpcloud -n %s                       # every kind at once (category "jumpcloud")
  kubectl get jcuser -n %s -o wide                  # users with their JumpCloud ids
  kubectl explain jumpclouduser.spec.locked
  kubectl -n %s annotate jcuser alice iam.jumpcloud-operator.dev/expire-password=$(date +%%s)
  kubectl -n %s patch jcuser bob --type=merge -p '{"spec":{"activated":true}}'
  kubectl -n %s get events --sort-by=.lastTimestamp

The operator's log is in %s.
`, env.Kubeconfig, kubectl, namespace, namespace, namespace, namespace, namespace, env.ManagerLog())
	if realKey == "" {
		fmt.Printf("The simulator answers on %s (API key %q); its request log: curl %s/../_sim/requests\n", env.SimURL, env.APIKey, env.SimURL)
	}
	<-ctx.Done()
	fmt.Println()
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// applySamples creates the namespaces, the API key Secrets and every object of config/samples,
// with each connection pointed at the demo's JumpCloud.
func applySamples(ctx context.Context, c client.Client, baseURL, apiKey, orgID string) error {
	for _, ns := range []string{namespace, systemNamespace} {
		if err := client.IgnoreAlreadyExists(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})); err != nil {
			return err
		}
	}
	for _, ns := range []string{namespace, systemNamespace} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jumpcloud-api-key"}, StringData: map[string]string{"api-key": apiKey}}
		if err := client.IgnoreAlreadyExists(c.Create(ctx, secret)); err != nil {
			return err
		}
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "iam_*.yaml"))
	if err != nil {
		return err
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		for doc := range strings.SplitSeq(string(data), "\n---\n") {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if !strings.HasPrefix(u.GetKind(), "Cluster") {
				u.SetNamespace(namespace)
			}
			if strings.HasSuffix(u.GetKind(), "JumpCloudConnection") {
				_ = unstructured.SetNestedField(u.Object, baseURL, "spec", "baseURL")
				_ = unstructured.SetNestedField(u.Object, orgID, "spec", "orgID")
			}
			if err := c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
			}
			fmt.Printf("         created %s %s\n", u.GetKind(), u.GetName())
		}
	}
	return nil
}

// waitReady polls until every sample is Ready (an operation: Succeeded), printing what changes.
func waitReady(ctx context.Context, c client.Client) error {
	deadline := time.Now().Add(readyTimeout)
	last := map[string]string{}
	for {
		pending := 0
		states := map[string]string{}
		var users iamv1alpha1.JumpCloudUserList
		var groups iamv1alpha1.JumpCloudUserGroupList
		var ops iamv1alpha1.JumpCloudUserOperationList
		var conns iamv1alpha1.JumpCloudConnectionList
		var cconns iamv1alpha1.ClusterJumpCloudConnectionList
		if err := errors.Join(c.List(ctx, &users, client.InNamespace(namespace)), c.List(ctx, &groups, client.InNamespace(namespace)),
			c.List(ctx, &ops, client.InNamespace(namespace)),
			c.List(ctx, &conns, client.InNamespace(namespace)), c.List(ctx, &cconns)); err != nil {
			return err
		}
		for _, u := range users.Items {
			states["JumpCloudUser/"+u.Name] = readiness(u.Status.Conditions)
		}
		for _, g := range groups.Items {
			states["JumpCloudUserGroup/"+g.Name] = readiness(g.Status.Conditions)
		}
		for _, o := range ops.Items {
			states["JumpCloudUserOperation/"+o.Name] = string(o.Status.Phase)
			if o.Status.Phase == iamv1alpha1.OperationSucceeded {
				states["JumpCloudUserOperation/"+o.Name] = "Ready"
			}
		}
		for _, cn := range conns.Items {
			states["JumpCloudConnection/"+cn.Name] = readiness(cn.Status.Conditions)
		}
		for _, cn := range cconns.Items {
			states["ClusterJumpCloudConnection/"+cn.Name] = readiness(cn.Status.Conditions)
		}
		for k, v := range states {
			if v != "Ready" {
				pending++
			}
			if last[k] != v {
				fmt.Printf("         %-45s %s\n", k, v)
			}
		}
		last = states
		if pending == 0 && len(states) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d samples not Ready after %s (see the operator log)", pending, readyTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// readiness summarises conditions as "Ready" or "<Reason>: <message>".
func readiness(conds []metav1.Condition) string {
	for _, c := range conds {
		if c.Type == iamv1alpha1.ConditionReady {
			if c.Status == metav1.ConditionTrue {
				return "Ready"
			}
			return c.Reason + ": " + c.Message
		}
	}
	return "waiting for the operator"
}
