// Package identity proves that a JumpCloudUser's link to its JumpCloud user outlives the cluster:
// the operator creates 200 users (with one-shot tokens and operations) on one control plane; the
// control plane is thrown away, and a new one, given the same manifests without status, takes
// every user back through its owner mark: no create, no write. The same holds for objects a
// backup tool restores without status (finalizers included), whose deletion policy still applies.
// The simulator outlives the control planes, as JumpCloud does.
package identity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	namespace  = "team-a"
	numUsers   = 200
	numOps     = 30
	owner      = "identity-test"
	apiKey     = "identity-key"
	settleTime = 3 * time.Minute
)

// writes are the simulator operations that change JumpCloud.
var writes = []string{"create", "update", "delete", "suspend", "activate", "unlock", "expire", "resetmfa"}

func report(format string, args ...any) { fmt.Printf("identity: "+format+"\n", args...) }

// cluster is one control plane with a manager process.
type cluster struct {
	env *devenv.Env
	c   client.Client
}

func startCluster(t *testing.T, bin string) *cluster {
	t.Helper()
	env, err := devenv.Start(devenv.Options{NoSimulator: true})
	if err != nil {
		t.Fatalf("starting a control plane: %v", err)
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS = -1
	c, err := client.New(cfg, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{env: env, c: c}
	t.Cleanup(func() { cl.stop(t) })
	if bin != "" {
		if err := env.StartManager(bin, nil); err != nil {
			t.Fatal(err)
		}
	}
	return cl
}

// stop throws the control plane away (etcd's data with it) and ends its manager.
func (cl *cluster) stop(t *testing.T) {
	if cl.env == nil {
		return
	}
	if t.Failed() {
		if data, err := os.ReadFile(cl.env.ManagerLog()); err == nil {
			lines := strings.Split(string(data), "\n")
			report("last lines of the manager log:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	}
	if err := cl.env.Stop(); err != nil {
		t.Logf("stopping the control plane: %v", err)
	}
	cl.env = nil
}

// manifests are what Git holds: a namespace, the API key Secret, the connection (with an owner
// mark) and the users, some of them carrying one-shot tokens.
func manifests(simURL string) []client.Object {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "jumpcloud"}, StringData: map[string]string{"api-key": apiKey}},
		&iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{
					BaseURL:   simURL,
					RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: 100, Burst: 100},
					OwnerMark: &iamv1alpha1.OwnerMark{Owner: owner},
				},
			},
		},
	}
	for i := range numUsers {
		u := &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: userName(i)},
			Spec: iamv1alpha1.JumpCloudUserSpec{
				Username: userName(i), Email: userName(i) + "@example.com",
				Profile: &iamv1alpha1.UserProfile{Department: ptr("Platform"),
					Attributes: []iamv1alpha1.Attribute{{Name: "team", Value: "a"}}},
			},
		}
		if i%10 == 0 {
			u.Annotations = map[string]string{
				iamv1alpha1.AnnotationExpirePassword: "ticket-" + fmt.Sprint(i),
				iamv1alpha1.AnnotationResetMFA:       "ticket-" + fmt.Sprint(i),
			}
		}
		objs = append(objs, u)
	}
	return objs
}

func userName(i int) string { return fmt.Sprintf("user-%03d", i) }

func ptr[T any](v T) *T { return &v }

func apply(t *testing.T, c client.Client, objs []client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := c.Create(context.Background(), o.DeepCopyObject().(client.Object)); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
}

// waitReady waits until every user is Ready at its generation, and fails on any stall.
func waitReady(g *WithT, c client.Client) time.Duration {
	start := time.Now()
	g.Eventually(func(g Gomega) {
		var list iamv1alpha1.JumpCloudUserList
		g.Expect(c.List(context.Background(), &list, client.InNamespace(namespace))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(numUsers))
		ready := 0
		for _, u := range list.Items {
			if st := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionStalled); st != nil && st.Status == metav1.ConditionTrue {
				StopTrying(fmt.Sprintf("%s stalled: %s: %s", u.Name, st.Reason, st.Message)).Now()
			}
			if meta.IsStatusConditionTrue(u.Status.Conditions, iamv1alpha1.ConditionReady) && u.Status.ObservedGeneration == u.Generation {
				ready++
			}
		}
		g.Expect(ready).To(Equal(numUsers), "users Ready")
	}, settleTime, 200*time.Millisecond).Should(Succeed())
	return time.Since(start)
}

// calls renders the simulator's request counts, and returns how many wrote.
func calls(sim *jcsim.Server) (string, int) {
	counts := sim.Counts()
	ops := make([]string, 0, len(counts))
	for op := range counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var parts []string
	written := 0
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %d", op, counts[op]))
		if slices.Contains(writes, op) {
			written += counts[op]
		}
	}
	return strings.Join(parts, ", "), written
}

func TestIdentityOutlivesTheControlPlane(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {devenv.Org}}, RequestLogSize: 1 << 16})
	simURL, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	first := startCluster(t, "")
	built, err := first.env.BuildManager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The binary outlives the first control plane's directory.
	bin := filepath.Join(t.TempDir(), "manager")
	if err := os.Rename(built, bin); err != nil {
		t.Fatal(err)
	}
	if err := first.env.StartManager(bin, nil); err != nil {
		t.Fatal(err)
	}
	git := manifests(simURL)

	// 1. The first cluster creates the users and runs their one-shot actions and 30 operations.
	apply(t, first.c, git)
	took := waitReady(g, first.c)
	for i := range numOps {
		typ := []iamv1alpha1.OperationType{iamv1alpha1.OperationExpirePassword, iamv1alpha1.OperationUnlock, iamv1alpha1.OperationResetMFA}[i%3]
		g.Expect(first.c.Create(ctx, &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("op-%02d", i)},
			Spec:       iamv1alpha1.JumpCloudUserOperationSpec{UserRef: &iamv1alpha1.LocalObjectReference{Name: userName(i * 5)}, Type: typ},
		})).To(Succeed())
	}
	g.Eventually(func(g Gomega) {
		var ops iamv1alpha1.JumpCloudUserOperationList
		g.Expect(first.c.List(ctx, &ops, client.InNamespace(namespace))).To(Succeed())
		for _, op := range ops.Items {
			g.Expect(op.Status.Phase).To(Equal(iamv1alpha1.OperationSucceeded), op.Name)
		}
	}, settleTime, 200*time.Millisecond).Should(Succeed())
	used, _ := calls(sim)
	report("first cluster: %d users Ready %s after they were applied; calls: %s", numUsers, took.Round(100*time.Millisecond), used)
	g.Expect(sim.Count("create")).To(Equal(numUsers))
	g.Expect(sim.UserCount(devenv.Org)).To(Equal(numUsers))
	resets := sim.Count("resetmfa")

	// 2. Rebuild from Git: the control plane is thrown away; a new one gets the same manifests.
	first.stop(t)
	sim.ResetLog()
	rebuilt := startCluster(t, bin)
	apply(t, rebuilt.c, git)
	took = waitReady(g, rebuilt.c)
	used, written := calls(sim)
	report("rebuilt from Git: %d users Ready %s after the manifests were applied; calls: %s; %d creates, %d writes",
		numUsers, took.Round(100*time.Millisecond), used, sim.Count("create"), written)
	g.Expect(written).To(BeZero(), "writes to JumpCloud after the rebuild (calls: %s)", used)
	g.Expect(sim.UserCount(devenv.Org)).To(Equal(numUsers), "no duplicate")
	var list iamv1alpha1.JumpCloudUserList
	g.Expect(rebuilt.c.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
	for _, u := range list.Items {
		g.Expect(u.Status.Ownership).To(Equal(iamv1alpha1.OwnershipCreated), u.Name)
	}

	// 3. Restore without status: a backup tool re-creates the same objects, finalizers and
	// annotations included, on a new control plane.
	rebuilt.stop(t)
	sim.ResetLog()
	restored := startCluster(t, bin)
	var backup []client.Object
	for _, o := range git {
		o = o.DeepCopyObject().(client.Object)
		if _, ok := o.(*iamv1alpha1.JumpCloudUser); ok {
			o.SetFinalizers([]string{iamv1alpha1.Finalizer})
		}
		backup = append(backup, o)
	}
	apply(t, restored.c, backup)
	took = waitReady(g, restored.c)
	used, written = calls(sim)
	report("restored without status: %d users Ready %s after the objects were restored; calls: %s; %d creates, %d writes",
		numUsers, took.Round(100*time.Millisecond), used, sim.Count("create"), written)
	g.Expect(written).To(BeZero(), "writes to JumpCloud after the restore (calls: %s)", used)
	g.Expect(sim.Count("resetmfa")).To(BeZero())
	report("MFA resets: %d in the first cluster, 0 after the rebuild and the restore", resets)

	// Deleting a restored user applies its deletion policy (Suspend).
	victim, ok := sim.FindUsername(devenv.Org, userName(7))
	g.Expect(ok).To(BeTrue())
	g.Expect(restored.c.Delete(ctx, &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: userName(7)}})).To(Succeed())
	g.Eventually(func() string { u, _ := sim.User(devenv.Org, victim.ID); return u.State }, time.Minute).Should(Equal(jcsim.StateSuspended))
	g.Expect(sim.Count("suspend")+sim.Count("update")).To(Equal(1), "one call applies the deletion policy")
}
