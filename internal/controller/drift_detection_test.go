package controller

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// These specs count what each drift detection mode costs JumpCloud, pass by pass, by calling
// Reconcile on a fake Kubernetes client with a clock the test moves (no envtest: the suite's
// manager runs one mode, and snapshot ages need a controllable clock).

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const costNamespace = "cost"

type costWorld struct {
	r   *JumpCloudUserReconciler
	c   client.Client
	sim *jcsim.Server
	org string
	clk *testClock
}

func newCostWorld(mode DriftDetection) *costWorld {
	w := &costWorld{org: orgA, clk: &testClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
	key := "key-" + rand.String(12)
	w.sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{key: {w.org}}})
	url, err := w.sim.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.sim.Close)

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(iamv1alpha1.AddToScheme(scheme)).To(Succeed())
	conn := &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: costNamespace, Name: iamv1alpha1.DefaultConnectionName},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: url, AllowAdoption: true},
		},
	}
	w.c = fake.NewClientBuilder().WithScheme(scheme).WithObjects(conn).
		WithStatusSubresource(&iamv1alpha1.JumpCloudUser{}).
		WithIndex(&iamv1alpha1.JumpCloudUser{}, indexUsername, func(o client.Object) []string {
			return []string{o.(*iamv1alpha1.JumpCloudUser).Spec.Username}
		}).Build()

	reg := connection.NewRegistry()
	reg.ClientOptions = func(o *jumpcloud.Options) { o.RequestsPerSecond = -1 }
	built, err := reg.Build(connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: costNamespace, Name: conn.Name},
		key, connection.SettingsFrom(conn.Spec.ConnectionSettings))
	Expect(err).NotTo(HaveOccurred())
	reg.Install(built)
	snaps := connection.NewSnapshots()
	snaps.Now = w.clk.now
	w.r = &JumpCloudUserReconciler{
		Client: w.c, APIReader: w.c, Registry: reg, Recorder: &events.FakeRecorder{},
		DefaultDeletionPolicy: iamv1alpha1.DeletionPolicySuspend,
		DriftDetection:        mode,
		Snapshots:             snaps,
		Now:                   w.clk.now,
		Jitter:                func(d time.Duration) time.Duration { return d },
	}
	return w
}

func (w *costWorld) create(name string, mutate ...func(*iamv1alpha1.JumpCloudUser)) {
	u := &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: costNamespace, Name: name, UID: types.UID(rand.String(16))},
		Spec:       iamv1alpha1.JumpCloudUserSpec{Username: name, Email: name + "@example.com"},
	}
	for _, m := range mutate {
		m(u)
	}
	ExpectWithOffset(1, w.c.Create(ctx, u)).To(Succeed())
}

// pass runs one Reconcile of a user and returns the calls it made, by operation.
func (w *costWorld) pass(name string) map[string]int {
	w.sim.ResetLog()
	_, err := w.r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: costNamespace, Name: name}})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return w.sim.Counts()
}

func (w *costWorld) get(name string) *iamv1alpha1.JumpCloudUser {
	var u iamv1alpha1.JumpCloudUser
	ExpectWithOffset(1, w.c.Get(ctx, client.ObjectKey{Namespace: costNamespace, Name: name}, &u)).To(Succeed())
	return &u
}

func (w *costWorld) ready(name string) *iamv1alpha1.JumpCloudUser {
	u := w.get(name)
	ExpectWithOffset(1, conditionOf(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
	return u
}

var none = map[string]int{}

var _ = Describe("Drift detection", func() {
	resync := 10 * time.Minute

	It("per-resource: every resync reads each user by id", func() {
		w := newCostWorld(DriftDetectionPerResource)
		w.create("alice")
		w.create("bob")
		Expect(w.pass("alice")).To(Equal(map[string]int{"create": 1}), "the happy path is one POST")
		Expect(w.pass("bob")).To(Equal(map[string]int{"create": 1}))
		id := w.ready("alice").Status.ID

		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"get": 1}))
		Expect(w.pass("bob")).To(Equal(map[string]int{"get": 1}))

		Expect(w.sim.EditUser(w.org, id, func(u *jcsim.User) { u.Email = "console@example.com" })).To(Succeed())
		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"get": 1, "update": 1}))
		Expect(w.sim.RequestsFor("update")[0].Fields).To(ConsistOf("email"))
	})

	It("bulk: one list per resync interval for all users, a GET only before a write", func() {
		w := newCostWorld(DriftDetectionBulk)
		w.create("alice")
		w.create("bob")
		Expect(w.pass("alice")).To(Equal(map[string]int{"create": 1}), "the happy path is one POST, with no list")
		Expect(w.pass("bob")).To(Equal(map[string]int{"create": 1}))
		aliceID, bobID := w.ready("alice").Status.ID, w.ready("bob").Status.ID

		By("a resync lists every user once and compares them; the second user costs nothing")
		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"list": 1}))
		Expect(w.pass("bob")).To(Equal(none))
		Expect(w.ready("bob").Status.LastSyncTime.Time).To(BeTemporally("==", w.clk.now()))
		Expect(w.pass("alice")).To(Equal(none), "a fresh snapshot answers every resync")

		By("a console edit is found in the next snapshot, read by id, and corrected")
		Expect(w.sim.EditUser(w.org, aliceID, func(u *jcsim.User) { u.Email = "console@example.com" })).To(Succeed())
		w.clk.advance(resync)
		Expect(w.pass("bob")).To(Equal(map[string]int{"list": 1}))
		Expect(w.pass("alice")).To(Equal(map[string]int{"get": 1, "update": 1}))
		Expect(w.sim.RequestsFor("update")[0].Fields).To(ConsistOf("email"))
		Expect(w.pass("alice")).To(Equal(none), "the write's answer updated the snapshot")

		By("a spec edit is read by id before it is written")
		u := w.get("bob")
		u.Spec.Profile = &iamv1alpha1.UserProfile{JobTitle: ptr("Engineer")}
		Expect(w.c.Update(ctx, u)).To(Succeed())
		Expect(w.pass("bob")).To(Equal(map[string]int{"get": 1, "update": 1}))
		Expect(w.pass("bob")).To(Equal(none))

		By("the reconcile token still reads the user itself")
		u = w.get("bob")
		u.Annotations = map[string]string{iamv1alpha1.AnnotationReconcile: "now"}
		Expect(w.c.Update(ctx, u)).To(Succeed())
		Expect(w.pass("bob")).To(Equal(map[string]int{"get": 1}))
		Expect(w.pass("bob")).To(Equal(none))

		By("a user deleted in the console is missing from the next snapshot, checked, and created again")
		Expect(w.sim.RemoveUser(w.org, bobID)).To(Succeed())
		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"list": 1}))
		Expect(w.pass("bob")).To(Equal(map[string]int{"get": 1, "create": 1}))
		Expect(w.ready("bob").Status.ID).NotTo(Equal(bobID))
		Expect(w.pass("bob")).To(Equal(none))
	})

	It("bulk: a failed list makes the users wait for the next one, quietly", func() {
		w := newCostWorld(DriftDetectionBulk)
		w.create("alice")
		Expect(w.pass("alice")).To(Equal(map[string]int{"create": 1}))
		w.clk.advance(resync)

		w.sim.InjectFault(jcsim.Fault{Op: "list", Code: 500})
		req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: costNamespace, Name: "alice"}}
		for range 3 { // the first pass lists; the others wait for the same retry
			res, err := w.r.Reconcile(ctx, req)
			Expect(err).NotTo(HaveOccurred(), "a failed pass would be retried at once by the work queue")
			Expect(res.RequeueAfter).To(Equal(5*time.Second), "the snapshot tries the next list after 5s")
		}
		Expect(w.sim.Count("list")).To(Equal(1))
		c := conditionOf(w.get("alice").Status.Conditions, iamv1alpha1.ConditionReconciling)
		Expect(c.Reason).To(Equal(iamv1alpha1.ReasonUnreachable))
		Expect(c.Message).To(And(ContainSubstring("listing JumpCloud users"), ContainSubstring("HTTP 500"), HaveSuffix("trying again in 5s")))

		w.clk.advance(5 * time.Second)
		Expect(w.pass("alice")).To(Equal(map[string]int{"list": 1}))
		w.ready("alice")
	})

	It("bulk: a directory far larger than the users it serves is read user by user", func() {
		w := newCostWorld(DriftDetectionBulk)
		_, err := w.sim.SeedUsers(w.org, 250) // a list takes three pages
		Expect(err).NotTo(HaveOccurred())
		w.create("alice")
		w.create("bob")
		w.pass("alice")
		w.pass("bob")

		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"list": 3}), "the first resync lists the directory once")
		Expect(w.pass("bob")).To(Equal(none))

		By("two users read it in that period: listing three pages again would cost more than two GETs")
		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"get": 1}))
		Expect(w.pass("bob")).To(Equal(map[string]int{"get": 1}))
		w.clk.advance(resync)
		Expect(w.pass("alice")).To(Equal(map[string]int{"get": 1}))
	})

	It("bulk: a one-shot action drops the entry, so that the next pass reads the user", func() {
		w := newCostWorld(DriftDetectionBulk)
		w.create("carol")
		w.pass("carol")
		w.clk.advance(resync)
		Expect(w.pass("carol")).To(Equal(map[string]int{"list": 1}))

		u := w.get("carol")
		u.Annotations = map[string]string{iamv1alpha1.AnnotationExpirePassword: "t1"}
		Expect(w.c.Update(ctx, u)).To(Succeed())
		Expect(w.pass("carol")).To(Equal(map[string]int{"expire": 1}))
		Expect(w.pass("carol")).To(Equal(map[string]int{"get": 1}))
		Expect(w.get("carol").Status.PasswordExpired).To(HaveValue(BeTrue()))
		Expect(w.pass("carol")).To(Equal(none))
	})

	It("bulk: takes over existing users from one list instead of a create and a lookup each", func() {
		w := newCostWorld(DriftDetectionBulk)
		seeded, err := w.sim.SeedUsers(w.org, 150)
		Expect(err).NotTo(HaveOccurred())
		adopt := func(u *iamv1alpha1.JumpCloudUser) {
			u.Spec.Email = u.Spec.Username + "@example.com"
			u.Spec.AdoptionPolicy = iamv1alpha1.AdoptionPolicyIfExists
		}
		w.create(seeded[0].Username, adopt)
		w.create(seeded[1].Username, adopt)
		w.create(seeded[2].Username, adopt)

		Expect(w.pass(seeded[0].Username)).To(Equal(map[string]int{"create": 1, "list": 2}),
			"the refused create lists the directory (150 users, two pages)")
		Expect(w.pass(seeded[1].Username)).To(Equal(none), "the fresh snapshot knows the username: no create")
		Expect(w.pass(seeded[2].Username)).To(Equal(none))
		got := w.ready(seeded[2].Username)
		Expect(got.Status.ID).To(Equal(seeded[2].ID))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipAdopted))
	})

	It("bulk: an ObserveOnly import reads one list, not one lookup per user", func() {
		w := newCostWorld(DriftDetectionBulk)
		seeded, err := w.sim.SeedUsers(w.org, 3)
		Expect(err).NotTo(HaveOccurred())
		for _, s := range seeded {
			w.create(s.Username, func(u *iamv1alpha1.JumpCloudUser) {
				u.Spec.ManagementPolicy = iamv1alpha1.ManagementPolicyObserveOnly
				u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Nowhere")}
			})
		}
		Expect(w.pass(seeded[0].Username)).To(Equal(map[string]int{"list": 1}))
		Expect(w.pass(seeded[1].Username)).To(Equal(none))
		got := w.ready(seeded[1].Username)
		Expect(got.Status.ID).To(Equal(seeded[1].ID))
		Expect(conditionOf(got.Status.Conditions, iamv1alpha1.ConditionSynced)).To(HaveField("Reason", iamv1alpha1.ReasonDrifted),
			"drift is reported from the snapshot, without a GET")
		Expect(w.pass(seeded[1].Username)).To(Equal(none))
	})
})

var _ = Describe("Bulk drift detection against the API server", func() {
	// touch makes a pass that the reconcile token does not force (any annotation change
	// triggers one), repeated until the pass shows in status.lastSyncTime (whole seconds).
	touch := func(f *fixture, name string) {
		GinkgoHelper()
		before := f.get(name).Status.LastSyncTime
		Eventually(func(g Gomega) {
			f.edit(name, func(u *iamv1alpha1.JumpCloudUser) {
				if u.Annotations == nil {
					u.Annotations = map[string]string{}
				}
				u.Annotations["test.example.com/touch"] = rand.String(8)
			})
			g.Expect(f.get(name).Status.LastSyncTime.Time).To(BeTemporally(">", before.Time))
		}).WithPolling(300 * time.Millisecond).Should(Succeed())
	}

	It("answers the resyncs of many users from one list, with no GET per user", func() {
		f := newFixture()
		names := []string{"ann", "ben", "cat", "dan", "eve"}
		for _, n := range names {
			u := f.user(n)
			u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform")}
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
		}
		for _, n := range names {
			f.ready(n)
		}
		Expect(f.sim.Count("create")).To(Equal(len(names)))
		Expect(f.sim.Count("*")).To(Equal(len(names)), "creates are one POST each, with no lookup or list")

		f.sim.ResetLog()
		for _, n := range names {
			touch(f, n)
		}
		Expect(f.sim.Counts()).To(Equal(map[string]int{"list": 1}), "one list of the directory serves every resync")
		for _, n := range names {
			touch(f, n)
		}
		Expect(f.sim.Counts()).To(Equal(map[string]int{"list": 1}), "a fresh snapshot answers without a call")
		Expect(f.ready("cat").Status.State).To(Equal(iamv1alpha1.UserStateActivated))
	})
})
