package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

var (
	env       *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	registry  *connection.Registry
	snapshots *connection.Snapshots
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller suite (envtest + simulator)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	SetDefaultConsistentlyDuration(time.Second)
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	env, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	Expect(err).NotTo(HaveOccurred())

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	registry = connection.NewRegistry()
	registry.ClientOptions = func(o *jumpcloud.Options) {
		o.RetryBaseDelay, o.RetryMaxDelay, o.MaxRetries = 5*time.Millisecond, 50*time.Millisecond, 3
	}
	snapshots = connection.NewSnapshots()
	Expect(Setup(mgr, Options{Registry: registry, Snapshots: snapshots, UserConcurrency: 4, OperationRetryDelay: 20 * time.Millisecond})).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	cancel()
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// fixture is one test's world: a namespace, a simulator of its own, and a connection to it.
type fixture struct {
	ns     string
	sim    *jcsim.Server
	org    string
	apiKey string
}

const orgA = "5f0c1a2b3c4d5e6f70819a01"

type fixtureOption func(*iamv1alpha1.JumpCloudConnectionSpec)

func allowAdoption(s *iamv1alpha1.JumpCloudConnectionSpec) { s.AllowAdoption = true }

// newFixture starts a simulator and a Ready JumpCloudConnection "default" in a fresh namespace.
func newFixture(opts ...fixtureOption) *fixture {
	f := &fixture{ns: "t-" + rand.String(8), org: orgA, apiKey: "key-" + rand.String(16)}
	f.sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{f.apiKey: {f.org}}})
	url, err := f.sim.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(f.sim.Close)

	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "jumpcloud"},
		StringData: map[string]string{"api-key": f.apiKey},
	})).To(Succeed())
	spec := iamv1alpha1.JumpCloudConnectionSpec{
		APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
		ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: url},
	}
	for _, o := range opts {
		o(&spec)
	}
	Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}, Spec: spec,
	})).To(Succeed())
	Eventually(func(g Gomega) {
		var c iamv1alpha1.JumpCloudConnection
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}, &c)).To(Succeed())
		g.Expect(conditionOf(c.Status.Conditions, iamv1alpha1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
	}).Should(Succeed())
	f.sim.ResetLog()
	return f
}

// user returns a minimal JumpCloudUser in the fixture's namespace.
func (f *fixture) user(name string) *iamv1alpha1.JumpCloudUser {
	return &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: iamv1alpha1.JumpCloudUserSpec{
			Username: name,
			Email:    name + "@example.com",
		},
	}
}

// get re-reads a resource.
func (f *fixture) get(name string) *iamv1alpha1.JumpCloudUser {
	var u iamv1alpha1.JumpCloudUser
	ExpectWithOffset(1, k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &u)).To(Succeed())
	return &u
}

// edit applies a change to a resource, retrying on conflicts.
func (f *fixture) edit(name string, fn func(*iamv1alpha1.JumpCloudUser)) {
	EventuallyWithOffset(1, func() error {
		u := f.get(name)
		fn(u)
		return k8sClient.Update(ctx, u)
	}).Should(Succeed())
}

// resync forces a pass through the reconcile token annotation and waits until it was handled.
func (f *fixture) resync(name string) *iamv1alpha1.JumpCloudUser {
	token := rand.String(8)
	f.edit(name, func(u *iamv1alpha1.JumpCloudUser) {
		if u.Annotations == nil {
			u.Annotations = map[string]string{}
		}
		u.Annotations[iamv1alpha1.AnnotationReconcile] = token
	})
	var u *iamv1alpha1.JumpCloudUser
	EventuallyWithOffset(1, func(g Gomega) {
		u = f.get(name)
		g.Expect(u.Status.LastHandled).NotTo(BeNil())
		g.Expect(u.Status.LastHandled.Reconcile).To(Equal(token))
	}).Should(Succeed())
	return u
}

// ready waits for a resource to be Ready at its current generation and returns it.
func (f *fixture) ready(name string) *iamv1alpha1.JumpCloudUser {
	var u *iamv1alpha1.JumpCloudUser
	EventuallyWithOffset(1, func(g Gomega) {
		u = f.get(name)
		g.Expect(u.Status.ObservedGeneration).To(Equal(u.Generation))
		g.Expect(conditionOf(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
	}).Should(Succeed())
	return u
}

// stalled waits for a resource to be Stalled with the reason and returns the condition.
func (f *fixture) stalled(name, reason string) metav1.Condition {
	var c metav1.Condition
	EventuallyWithOffset(1, func(g Gomega) {
		u := f.get(name)
		got := conditionOf(u.Status.Conditions, iamv1alpha1.ConditionStalled)
		g.Expect(got).To(HaveField("Status", metav1.ConditionTrue))
		g.Expect(got.Reason).To(Equal(reason))
		c = got
	}).Should(Succeed())
	return c
}

// simUser returns the simulator's copy of a user.
func (f *fixture) simUser(id string) jcsim.User {
	u, ok := f.sim.User(f.org, id)
	ExpectWithOffset(1, ok).To(BeTrue(), "the simulator has no user %s", id)
	return u
}

// events returns the reasons of the events recorded about a resource.
func (f *fixture) events(name string) []string {
	var list eventsv1.EventList
	ExpectWithOffset(1, k8sClient.List(ctx, &list, client.InNamespace(f.ns))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

func conditionOf(conds []metav1.Condition, typ string) metav1.Condition {
	for _, c := range conds {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{Type: typ, Status: metav1.ConditionUnknown, Reason: "Absent", Message: fmt.Sprintf("no %s condition", typ)}
}
