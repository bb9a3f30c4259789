package controller

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const orgB = "5f0c1a2b3c4d5e6f70819b02"

// connectionReady waits for a namespaced connection's Ready condition to reach the status and reason.
func connectionCondition(ns, name string) metav1.Condition {
	var c iamv1alpha1.JumpCloudConnection
	ExpectWithOffset(1, k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &c)).To(Succeed())
	return conditionOf(c.Status.Conditions, iamv1alpha1.ConditionReady)
}

func apiKeySecret(ns, name, key string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{"api-key": key}}
}

var _ = Describe("Connections", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	namespaced := func(name, secret, orgID string) *iamv1alpha1.JumpCloudConnection {
		return &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: secret},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: f.sim.URL(), OrgID: orgID},
			},
		}
	}

	It("drops a deleted connection's client and its snapshot of the directory", func() {
		Expect(k8sClient.Create(ctx, f.user("gus"))).To(Succeed())
		f.ready("gus")
		ref := connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}
		Expect(snapshots.Has(ref)).To(BeTrue(), "bulk drift detection keeps a snapshot per connection")

		Expect(k8sClient.Delete(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			_, installed := registry.Get(ref)
			g.Expect(installed).To(BeFalse())
			g.Expect(snapshots.Has(ref)).To(BeFalse())
		}).Should(Succeed())
	})

	It("stalls on a missing Secret and recovers when it appears", func() {
		Expect(k8sClient.Create(ctx, namespaced("later", "later-key", ""))).To(Succeed())
		Eventually(func() string { return connectionCondition(f.ns, "later").Reason }).Should(Equal(iamv1alpha1.ReasonSecretNotFound))

		u := f.user("xena")
		u.Spec.ConnectionRef = &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "later"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Eventually(func() string {
			return conditionOf(f.get("xena").Status.Conditions, iamv1alpha1.ConditionReconciling).Reason
		}).Should(Equal(iamv1alpha1.ReasonConnectionNotReady))
		Expect(f.sim.Count("create")).To(BeZero())

		Expect(k8sClient.Create(ctx, apiKeySecret(f.ns, "later-key", f.apiKey))).To(Succeed())
		Eventually(func() metav1.ConditionStatus { return connectionCondition(f.ns, "later").Status }).Should(Equal(metav1.ConditionTrue))
		f.ready("xena")
	})

	It("reports a rejected key without retrying in a loop", func() {
		Expect(k8sClient.Create(ctx, apiKeySecret(f.ns, "wrong-key", "not-the-key"))).To(Succeed())
		Expect(k8sClient.Create(ctx, namespaced("wrong", "wrong-key", ""))).To(Succeed())
		Eventually(func() string { return connectionCondition(f.ns, "wrong").Reason }).Should(Equal(iamv1alpha1.ReasonKeyRejected))
		Expect(connectionCondition(f.ns, "wrong").Message).NotTo(ContainSubstring("not-the-key"))
		calls := len(f.sim.Requests())
		Consistently(func() int { return len(f.sim.Requests()) }).Should(Equal(calls))
	})

	It("takes a rotated key without a restart", func() {
		Expect(k8sClient.Create(ctx, f.user("yuri"))).To(Succeed())
		f.ready("yuri")

		// The new key belongs to another organization, so where users land shows which key is used.
		newKey := "rotated-" + rand.String(12)
		f.sim.AddAPIKey(newKey, orgB)
		var s corev1.Secret
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: "jumpcloud"}, &s)).To(Succeed())
		s.Data["api-key"] = []byte(newKey)
		Expect(k8sClient.Update(ctx, &s)).To(Succeed())

		Eventually(func(g Gomega) {
			u := f.user("zoe")
			err := k8sClient.Create(ctx, u)
			g.Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
			got := f.get("zoe")
			g.Expect(got.Status.ID).NotTo(BeEmpty())
			_, inB := f.sim.User(orgB, got.Status.ID)
			g.Expect(inB).To(BeTrue())
		}).Should(Succeed())
	})

	It("keeps organizations apart through x-org-id", func() {
		mtKey := "mtp-" + rand.String(12)
		f.sim.AddAPIKey(mtKey, f.org, orgB)
		Expect(k8sClient.Create(ctx, apiKeySecret(f.ns, "mtp", mtKey))).To(Succeed())
		Expect(k8sClient.Create(ctx, namespaced("org-a", "mtp", f.org))).To(Succeed())
		Expect(k8sClient.Create(ctx, namespaced("org-b", "mtp", orgB))).To(Succeed())

		for _, c := range []struct{ name, conn string }{{"amy-a", "org-a"}, {"amy-b", "org-b"}} {
			u := f.user(c.name)
			u.Spec.Username = "amy"
			u.Spec.ConnectionRef = &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: c.conn}
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
		}
		a, b := f.ready("amy-a"), f.ready("amy-b")
		Expect(a.Status.ID).NotTo(Equal(b.Status.ID))
		_, aInA := f.sim.User(f.org, a.Status.ID)
		_, bInB := f.sim.User(orgB, b.Status.ID)
		_, aInB := f.sim.User(orgB, a.Status.ID)
		Expect([]bool{aInA, bInB, aInB}).To(Equal([]bool{true, true, false}))
	})

	It("refuses namespaces outside a cluster connection's namespaceSelector", func() {
		name := "restricted-" + rand.String(6)
		Expect(k8sClient.Create(ctx, apiKeySecret(f.ns, "cluster-key", f.apiKey))).To(Succeed())
		cc := &iamv1alpha1.ClusterJumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Namespace: f.ns, Name: "cluster-key"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: f.sim.URL()},
				NamespaceSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"jumpcloud": "allowed"}},
			},
		}
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, cc)).To(Succeed()) })

		u := f.user("bea")
		u.Spec.ConnectionRef = &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: name}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("bea", iamv1alpha1.ReasonNamespaceNotAllowed)
		Expect(c.Message).To(ContainSubstring(f.ns))
		Expect(f.sim.Count("create")).To(BeZero())
	})
})

var _ = Describe("kstatus", func() {
	compute := func(obj runtime.Object) kstatus.Status {
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		Expect(err).NotTo(HaveOccurred())
		res, err := kstatus.Compute(&unstructured.Unstructured{Object: raw})
		Expect(err).NotTo(HaveOccurred())
		return res.Status
	}

	It("reads Current when Ready and Failed when Stalled", func() {
		f := newFixture()
		Expect(k8sClient.Create(ctx, f.user("cleo"))).To(Succeed())
		Expect(compute(f.ready("cleo"))).To(Equal(kstatus.CurrentStatus))

		_, err := f.sim.AddUser(f.org, jcsim.User{Username: "dora", Email: "dora@example.com"}, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, f.user("dora"))).To(Succeed())
		f.stalled("dora", iamv1alpha1.ReasonAlreadyExists)
		Expect(compute(f.get("dora"))).To(Equal(kstatus.FailedStatus))
	})
})
