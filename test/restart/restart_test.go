// Package restart proves the exactly-once rules across an operator restart: a manager is stopped
// while a call to JumpCloud is in flight (a simulator hook holds it), a new manager takes over,
// and the simulator's request log shows what reached JumpCloud.
package restart

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/controller"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

var (
	env       *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
)

func TestRestart(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Restart suite (envtest + simulator)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	var err error
	env, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// operator is one manager process: started, and stopped as abruptly as an in-process test can
// (its context is cancelled, so nothing after the in-flight call is written).
type operator struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startOperator() *operator {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	reg := connection.NewRegistry()
	reg.ClientOptions = func(o *jumpcloud.Options) {
		o.RetryBaseDelay, o.RetryMaxDelay, o.MaxRetries = 5*time.Millisecond, 50*time.Millisecond, 2
	}
	Expect(controller.Setup(mgr, controller.Options{Registry: reg, OperationRetryDelay: 20 * time.Millisecond})).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	op := &operator{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer GinkgoRecover()
		defer close(op.done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	DeferCleanup(op.stop)
	return op
}

func (o *operator) stop() {
	o.once.Do(func() {
		o.cancel()
		Eventually(o.done).Should(BeClosed())
	})
}

func ptr[T any](v T) *T { return &v }

// gate holds every call of one operation inside the simulator until released.
type gate struct {
	op      string
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(sim *jcsim.Server, op string) *gate {
	g := &gate{op: op, entered: make(chan struct{}, 16), release: make(chan struct{})}
	sim.SetHook(func(o, _ string) {
		if o == g.op {
			g.entered <- struct{}{}
			<-g.release
		}
	})
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

type world struct {
	ns  string
	sim *jcsim.Server
	org string
	id  string
}

// newWorld starts a simulator, a connection to it and a Ready user "alice", under an operator
// that is stopped again before the test proper.
func newWorld() *world {
	w := &world{ns: "r-" + rand.String(6), org: "5f0c1a2b3c4d5e6f70819c03"}
	key := "key-" + rand.String(12)
	w.sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{key: {w.org}}})
	url, err := w.sim.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.sim.Close)
	ctx := context.Background()
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "jc"}, StringData: map[string]string{"api-key": key}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "default"},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jc"},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: url},
		},
	})).To(Succeed())
	Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "alice"},
		Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "alice", Email: "alice@example.com"},
	})).To(Succeed())
	first := startOperator()
	Eventually(func(g Gomega) {
		var u iamv1alpha1.JumpCloudUser
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: "alice"}, &u)).To(Succeed())
		g.Expect(u.Status.ID).NotTo(BeEmpty())
		w.id = u.Status.ID
	}).Should(Succeed())
	first.stop()
	w.sim.ResetLog()
	return w
}

func (w *world) operation(typ iamv1alpha1.OperationType) string {
	name := "op-" + rand.String(5)
	Expect(k8sClient.Create(context.Background(), &iamv1alpha1.JumpCloudUserOperation{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name},
		Spec:       iamv1alpha1.JumpCloudUserOperationSpec{UserRef: &iamv1alpha1.LocalObjectReference{Name: "alice"}, Type: typ},
	})).To(Succeed())
	return name
}

func (w *world) op(name string) iamv1alpha1.JumpCloudUserOperation {
	var op iamv1alpha1.JumpCloudUserOperation
	ExpectWithOffset(1, k8sClient.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, &op)).To(Succeed())
	return op
}

var _ = Describe("An operator restart in the middle of a call", func() {
	It("ends a ResetMFA operation OutcomeUnknown and never calls twice", func() {
		w := newWorld()
		g := newGate(w.sim, "resetmfa")
		DeferCleanup(g.open)
		name := w.operation(iamv1alpha1.OperationResetMFA)

		first := startOperator()
		Eventually(g.entered).Should(Receive())
		Expect(w.op(name).Status.Phase).To(Equal(iamv1alpha1.OperationRunning), "Running is recorded before the call")
		first.stop()

		second := startOperator()
		defer second.stop()
		Eventually(func(gm Gomega) {
			op := w.op(name)
			gm.Expect(op.Status.Phase).To(Equal(iamv1alpha1.OperationFailed))
			gm.Expect(meta(op.Status.Conditions, iamv1alpha1.ConditionStalled).Reason).To(Equal(iamv1alpha1.ReasonOutcomeUnknown))
		}).Should(Succeed())
		g.open() // let the first call finish inside JumpCloud, as a real one would have
		Consistently(func() int { return w.sim.Count("resetmfa") }, time.Second).Should(BeNumerically("<=", 1))
		Expect(w.op(name).Status.Attempts).To(Equal(int32(1)))
	})

	It("completes an Unlock operation after the restart", func() {
		w := newWorld()
		g := newGate(w.sim, "unlock")
		name := w.operation(iamv1alpha1.OperationUnlock)

		first := startOperator()
		Eventually(g.entered).Should(Receive())
		Expect(w.op(name).Status.Phase).To(Equal(iamv1alpha1.OperationRunning))
		first.stop()
		g.open()

		second := startOperator()
		defer second.stop()
		Eventually(func() iamv1alpha1.OperationPhase { return w.op(name).Status.Phase }).Should(Equal(iamv1alpha1.OperationSucceeded))
		Expect(w.op(name).Status.Attempts).To(Equal(int32(2)), "the idempotent call is simply made again")
	})

	It("does not repeat a reset-mfa annotation whose call was in flight", func() {
		w := newWorld()
		g := newGate(w.sim, "resetmfa")
		DeferCleanup(g.open)
		ctx := context.Background()
		var u iamv1alpha1.JumpCloudUser
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: "alice"}, &u)).To(Succeed())
		u.Annotations = map[string]string{iamv1alpha1.AnnotationResetMFA: "ticket-42"}
		Expect(k8sClient.Update(ctx, &u)).To(Succeed())

		first := startOperator()
		Eventually(g.entered).Should(Receive())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: "alice"}, &u)).To(Succeed())
		Expect(u.Status.PendingResetMFA).To(Equal("ticket-42"), "the token is marked in flight before the call")
		first.stop()

		second := startOperator()
		defer second.stop()
		Eventually(func(gm Gomega) {
			gm.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: "alice"}, &u)).To(Succeed())
			gm.Expect(u.Status.LastHandled).NotTo(BeNil())
			gm.Expect(u.Status.LastHandled.ResetMFA).To(Equal("ticket-42"))
			gm.Expect(u.Status.PendingResetMFA).To(BeEmpty())
		}).Should(Succeed())
		g.open()
		Consistently(func() int { return w.sim.Count("resetmfa") }, time.Second).Should(BeNumerically("<=", 1))
	})
})

func meta(conds []metav1.Condition, typ string) metav1.Condition {
	for _, c := range conds {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}
