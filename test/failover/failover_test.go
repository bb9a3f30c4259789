// Package failover proves that the operator survives the loss of its leader and of the API
// server: two manager processes with leader election, the leader SIGKILLed while it creates 200
// users and runs 30 operations, the standby taking over (five times, for the takeover time); and
// kube-apiserver stopped for 30 s while the operator works, with and without leader election.
// Nothing may be lost or duplicated, and no ResetMFA may be sent twice. The figures are printed;
// FAILOVER_KEEP=DIR keeps each test's directory (the managers' logs) under DIR.
package failover

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	apiKey      = "failover-key"
	leaseNS     = "jumpcloud-system"
	settle      = 3 * time.Minute
	outage      = 30 * time.Second
	failovers   = 5
	failUsers   = 200
	failOps     = 30
	outageUsers = 100
)

func report(format string, args ...any) { fmt.Printf("failover: "+format+"\n", args...) }

// world is a control plane, a simulator that outlives managers, and the manager binary.
type world struct {
	t   *testing.T
	g   *WithT
	env *devenv.Env
	c   client.Client
	sim *jcsim.Server
	url string
	bin string
}

func newWorld(t *testing.T, restartable bool) *world {
	t.Helper()
	w := &world{t: t, g: NewWithT(t)}
	env, err := devenv.Start(devenv.Options{NoSimulator: true, RestartableAPIServer: restartable})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	w.env = env
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{"a1", "b1", "manager", "replacement"} {
				tail(fmt.Sprintf("%s/%s.log", env.Dir, name), 30)
			}
		}
		if d := os.Getenv("FAILOVER_KEEP"); d != "" {
			// The managers' logs, for an investigation.
			_ = os.CopyFS(filepath.Join(d, t.Name()), os.DirFS(env.Dir))
		}
		if err := env.Stop(); err != nil {
			t.Logf("stopping the control plane: %v", err)
		}
	})
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS = -1
	if w.c, err = client.New(cfg, client.Options{Scheme: testenv.Scheme()}); err != nil {
		t.Fatal(err)
	}
	w.sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {devenv.Org}}, RequestLogSize: 1 << 20})
	if w.url, err = w.sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.sim.Close() })
	if w.bin, err = env.BuildManager(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNS}})
	return w
}

// create makes an object, retrying while the API server is away.
func (w *world) create(o client.Object) {
	w.t.Helper()
	w.g.Eventually(func() error { return w.c.Create(context.Background(), o) }, settle, 200*time.Millisecond).Should(Succeed())
}

// tenant makes a namespace with its API key Secret and connection, and returns its name.
func (w *world) tenant(ns string, rps int32) {
	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	w.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jumpcloud"}, StringData: map[string]string{"api-key": apiKey}})
	w.create(&iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{
				BaseURL: w.url, RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: rps, Burst: rps},
			},
		},
	})
}

func userName(ns string, i int) string { return fmt.Sprintf("%s-u%03d", ns, i) }

func (w *world) users(ns string, n int) {
	for i := range n {
		w.create(&iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: userName(ns, i)},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: userName(ns, i), Email: userName(ns, i) + "@example.com"},
		})
	}
}

// operations creates n operations on the namespace's users, a third of each kind.
func (w *world) operations(ns string, n int) {
	for i := range n {
		typ := []iamv1alpha1.OperationType{iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationExpirePassword, iamv1alpha1.OperationUnlock}[i%3]
		w.create(&iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("op-%02d", i)},
			Spec:       iamv1alpha1.JumpCloudUserOperationSpec{UserRef: &iamv1alpha1.LocalObjectReference{Name: userName(ns, i*3)}, Type: typ},
		})
	}
}

// settled waits until every user of the namespace is Ready at its generation and every operation
// has finished, and returns how the operations ended.
func (w *world) settled(ns string, users int, check func(Gomega, *iamv1alpha1.JumpCloudUser)) map[string]int {
	w.t.Helper()
	ended := map[string]int{}
	w.g.Eventually(func(g Gomega) {
		var list iamv1alpha1.JumpCloudUserList
		g.Expect(w.c.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(users))
		for i := range list.Items {
			u := &list.Items[i]
			g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(BeTrue(), "%s Ready", u.Name)
			g.Expect(u.Status.ObservedGeneration).To(Equal(u.Generation), u.Name)
			if check != nil {
				check(g, u)
			}
		}
		var ops iamv1alpha1.JumpCloudUserOperationList
		g.Expect(w.c.List(context.Background(), &ops, client.InNamespace(ns))).To(Succeed())
		clear(ended)
		for _, op := range ops.Items {
			switch op.Status.Phase {
			case iamv1alpha1.OperationSucceeded:
				ended["Succeeded"]++
			case iamv1alpha1.OperationFailed:
				// The only acceptable failure: a ResetMFA in flight when its leader died is not
				// sent again (it may have emailed the user already).
				c := meta.FindStatusCondition(op.Status.Conditions, iamv1alpha1.ConditionStalled)
				g.Expect(c).NotTo(BeNil())
				g.Expect(c.Reason).To(Equal(iamv1alpha1.ReasonOutcomeUnknown), "%s failed: %s", op.Name, op.Status.Message)
				ended["OutcomeUnknown"]++
			default:
				g.Expect(op.Status.Phase).To(BeElementOf(iamv1alpha1.OperationSucceeded, iamv1alpha1.OperationFailed), op.Name)
			}
		}
	}, settle, 250*time.Millisecond).Should(Succeed())
	return ended
}

// noDuplicates checks the simulator holds exactly one user per username of the namespace, and
// that no user got two MFA resets.
func (w *world) noDuplicates(ns string, users int) {
	w.t.Helper()
	for i := range users {
		_, ok := w.sim.FindUsername(devenv.Org, userName(ns, i))
		w.g.Expect(ok).To(BeTrue(), "%s exists in JumpCloud", userName(ns, i))
	}
	resets := map[string]int{}
	for _, r := range w.sim.RequestsFor("resetmfa") {
		if r.Status < 300 {
			resets[r.UserID]++
		}
	}
	for id, n := range resets {
		w.g.Expect(n).To(Equal(1), "MFA resets of %s", id)
	}
}

// firstCallAfter is the time of the first request JumpCloud received after t.
func (w *world) firstCallAfter(t time.Time) (time.Time, bool) {
	for _, r := range w.sim.Requests() {
		if r.Time.After(t) {
			return r.Time, true
		}
	}
	return time.Time{}, false
}

// logSays waits until the process's log has a line containing s (in any case).
func (w *world) logSays(m *devenv.Manager, s string) {
	w.t.Helper()
	w.g.Eventually(func() bool { return logContains(m.Log, s) }, time.Minute, 100*time.Millisecond).Should(BeTrue(),
		"%s's log says %q", m.Name, s)
}

func logContains(path, s string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(strings.ToLower(sc.Text()), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func tail(path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	report("last lines of %s:\n%s", path, strings.Join(lines[max(0, len(lines)-n):], "\n"))
}

var leaderArgs = []string{"--leader-elect", "--leader-election-namespace", leaseNS}

func TestLeaderFailover(t *testing.T) {
	w := newWorld(t, false)
	var takeovers []time.Duration
	for run := 1; run <= failovers; run++ {
		ns := fmt.Sprintf("run%d", run)
		w.tenant(ns, 40)
		leader, err := w.env.StartManagerNamed(fmt.Sprintf("a%d", run), w.bin, nil, leaderArgs...)
		w.g.Expect(err).NotTo(HaveOccurred())
		w.logSays(leader, "successfully acquired lease")
		standby, err := w.env.StartManagerNamed(fmt.Sprintf("b%d", run), w.bin, nil, leaderArgs...)
		w.g.Expect(err).NotTo(HaveOccurred())
		w.logSays(standby, "attempting to acquire leader lease")

		creates := w.sim.Count("create")
		w.users(ns, failUsers)
		w.operations(ns, failOps)
		// Mid-work: a quarter of the users created, the rest and the operations still to come.
		w.g.Eventually(func() int { return w.sim.Count("create") - creates }, settle, 20*time.Millisecond).Should(BeNumerically(">=", failUsers/4))
		killed := time.Now()
		w.g.Expect(leader.Kill()).To(Succeed())
		done := w.sim.Count("create") - creates

		ended := w.settled(ns, failUsers, nil)
		first, ok := w.firstCallAfter(killed)
		w.g.Expect(ok).To(BeTrue())
		takeover := first.Sub(killed)
		takeovers = append(takeovers, takeover)
		w.noDuplicates(ns, failUsers)
		w.g.Expect(w.sim.Count("create")-creates).To(Equal(failUsers), "one create per user")
		w.g.Expect(logContains(standby.Log, "successfully acquired lease")).To(BeTrue(), "the standby took over")
		report("run %d: leader killed after %d of %d creates; the standby's first call to JumpCloud %s later; operations: %v",
			run, done, failUsers, takeover.Round(100*time.Millisecond), ended)
		w.g.Expect(standby.Stop()).To(Succeed())
	}
	slices.Sort(takeovers)
	report("takeover (leader SIGKILLed → first reconcile by the new leader, default lease 15s/10s/2s) over %d runs: min %s, median %s, max %s",
		failovers, takeovers[0].Round(100*time.Millisecond), takeovers[len(takeovers)/2].Round(100*time.Millisecond),
		takeovers[len(takeovers)-1].Round(100*time.Millisecond))
}

func TestAPIServerOutage(t *testing.T) {
	for _, elect := range []bool{false, true} {
		name := "without leader election"
		if elect {
			name = "with leader election"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, true)
			ns := "outage"
			w.tenant(ns, 20)
			var args []string
			if elect {
				args = leaderArgs
			}
			m, err := w.env.StartManagerNamed("manager", w.bin, nil, args...)
			w.g.Expect(err).NotTo(HaveOccurred())
			creates := w.sim.Count("create")
			w.users(ns, outageUsers)
			w.g.Eventually(func() int { return w.sim.Count("create") - creates }, settle, 20*time.Millisecond).Should(BeNumerically(">=", outageUsers/4))

			down := time.Now()
			w.g.Expect(w.env.StopAPIServer()).To(Succeed())
			if elect {
				// A leader that cannot renew its lease ends, as kube-controller-manager does.
				w.g.Eventually(m.Done(), outage).Should(BeClosed(), "the leader ends when it cannot renew its lease")
				w.g.Expect(logContains(m.Log, "leader election lost")).To(BeTrue())
				report("%s: the manager ended %s after the API server went down (leader election lost)", name, time.Since(down).Round(100*time.Millisecond))
			}
			// The rest of the 30 s outage; the manager without leader election keeps running.
			w.g.Consistently(func() bool { return elect || !m.Exited() }, outage-time.Since(down), time.Second).Should(BeTrue(),
				"the manager without leader election keeps running while the API server is away")
			w.g.Expect(w.env.StartAPIServer()).To(Succeed())
			back := time.Now()
			report("%s: API server down for %s; %d of %d users created before it went", name, back.Sub(down).Round(100*time.Millisecond),
				w.sim.Count("create")-creates, outageUsers)
			if elect {
				// The kubelet's job: start the process again.
				if m, err = w.env.StartManagerNamed("replacement", w.bin, nil, args...); err != nil {
					t.Fatal(err)
				}
			}

			// A change made once the API server is back must reach JumpCloud.
			for i := range outageUsers {
				w.g.Eventually(func() error {
					var u iamv1alpha1.JumpCloudUser
					if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: userName(ns, i)}, &u); err != nil {
						return err
					}
					u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("After the outage")}
					return w.c.Update(context.Background(), &u)
				}, settle, 200*time.Millisecond).Should(Succeed())
			}
			w.settled(ns, outageUsers, func(g Gomega, u *iamv1alpha1.JumpCloudUser) {
				su, ok := w.sim.User(devenv.Org, u.Status.ID)
				g.Expect(ok).To(BeTrue())
				g.Expect(su.Department).To(Equal("After the outage"), u.Name)
			})
			converged := time.Since(back)
			w.noDuplicates(ns, outageUsers)
			w.g.Expect(w.sim.UserCount(devenv.Org)).To(Equal(outageUsers), "no duplicate")
			w.g.Expect(m.Exited()).To(BeFalse(), "the manager runs")
			report("%s: every user created once and the later change applied %s after the API server was back",
				name, converged.Round(100*time.Millisecond))
		})
	}
}

func ptr[T any](v T) *T { return &v }
