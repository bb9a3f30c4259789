package metrics

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const org = "5f0c1a2b3c4d5e6f70819a01"

// served returns the operator's own series that the manager's /metrics endpoint would serve now.
func served(g Gomega) map[string]float64 {
	all, err := series(ctrlmetrics.Registry)
	g.Expect(err).NotTo(HaveOccurred())
	s := map[string]float64{}
	for k, v := range all {
		if strings.HasPrefix(k, namespace+"_") {
			s[k] = v
		}
	}
	return s
}

var _ = Describe("Metrics on the manager's registry", func() {
	var ns string
	var sim *jcsim.Server

	BeforeEach(func() {
		ns = "t-" + rand.String(8)
		apiKey := "key-" + rand.String(16)
		sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {org}}})
		url, err := sim.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)

		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jumpcloud"},
			StringData: map[string]string{"api-key": apiKey},
		})).To(Succeed())
		// A burst of 1 makes back-to-back requests wait for the client-side rate limiter.
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{
					BaseURL:   url,
					RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: 10, Burst: 1},
				},
			},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			var c iamv1alpha1.JumpCloudConnection
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName}, &c)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(c.Status.Conditions, iamv1alpha1.ConditionReady)).To(BeTrue())
		}).Should(Succeed())
	})

	It("counts requests, retries, rate-limit waits, users and operations", func() {
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice"},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "alice", Email: "alice@example.com"},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			var u iamv1alpha1.JumpCloudUser
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "alice"}, &u)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(BeTrue())
		}).Should(Succeed())

		users := `jumpcloud_operator_users{namespace="` + ns + `",ready="True",state="Activated"}`
		Eventually(func(g Gomega) {
			s := served(g)
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_requests_total{code="200",operation="create"}`, BeNumerically(">=", 1)))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_request_duration_seconds_count{operation="create"}`, BeNumerically(">=", 1)))
			// The cache the gauges read from may lag the API server a little.
			g.Expect(s).To(HaveKeyWithValue(users, 1.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_users{namespace="`+ns+`",ready="False",state="Activated"}`, 0.0))
		}).Should(Succeed())

		// The first unlock is refused with a 429 and retried by the client, after a pause far shorter
		// than the 100 ms between two tokens of the connection's rate limiter.
		sim.FailNext(jumpcloud.OpUnlock, 1, 429)
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unlock-alice"},
			Spec: iamv1alpha1.JumpCloudUserOperationSpec{
				UserRef: &iamv1alpha1.LocalObjectReference{Name: "alice"},
				Type:    iamv1alpha1.OperationUnlock,
			},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			s := served(g)
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_operations{namespace="`+ns+`",phase="Succeeded",type="Unlock"}`, 1.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_operations{namespace="`+ns+`",phase="Failed",type="Unlock"}`, 0.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_operations_completed_total{namespace="`+ns+`",result="Succeeded",type="Unlock"}`, 1.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_requests_total{code="200",operation="unlock"}`, 1.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_requests_total{code="429",operation="unlock"}`, 1.0))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_retries_total{operation="unlock",reason="429"}`, 1.0))
			// The retry came within 100 ms of the refused attempt: it waited for a token.
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_count{}`, BeNumerically(">", 0)))
		}).Should(Succeed())

		// Deleted users leave the gauges.
		Expect(k8sClient.Delete(ctx, &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice"}})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(served(g)).NotTo(HaveKey(users))
		}).Should(Succeed())
	})

	It("counts groups by Ready reason, their members and the members not resolved yet, and the group calls", func() {
		createUser := func(name string) {
			GinkgoHelper()
			Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUser{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec:       iamv1alpha1.JumpCloudUserSpec{Username: name, Email: name + "@example.com"},
			})).To(Succeed())
			Eventually(func(g Gomega) {
				var u iamv1alpha1.JumpCloudUser
				g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &u)).To(Succeed())
				g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(BeTrue())
			}).Should(Succeed())
		}
		createUser("alice")
		// bob does not exist yet: the group is created with alice and waits for him.
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUserGroup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "platform"},
			Spec: iamv1alpha1.JumpCloudUserGroupSpec{
				Name: "platform",
				Members: &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "alice"}},
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "bob"}},
				}},
			},
		})).To(Succeed())

		label := `{namespace="` + ns + `"}`
		waiting := `jumpcloud_operator_groups{namespace="` + ns + `",ready="False",reason="MemberNotReady"}`
		ready := `jumpcloud_operator_groups{namespace="` + ns + `",ready="True",reason="Reconciled"}`
		Eventually(func(g Gomega) {
			s := served(g)
			g.Expect(s).To(HaveKeyWithValue(waiting, 1.0))
			g.Expect(s).To(HaveKeyWithValue(ready, 0.0))
			g.Expect(s).To(HaveKeyWithValue("jumpcloud_operator_group_members"+label, 1.0))
			g.Expect(s).To(HaveKeyWithValue("jumpcloud_operator_group_unresolved_members"+label, 1.0))
			for _, op := range []string{jumpcloud.OpGroupCreate, jumpcloud.OpMemberList, jumpcloud.OpMemberAdd} {
				g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_request_duration_seconds_count{operation="`+op+`"}`, BeNumerically(">=", 1)))
			}
		}).Should(Succeed())

		createUser("bob")
		Eventually(func(g Gomega) {
			s := served(g)
			g.Expect(s).To(HaveKeyWithValue(waiting, 0.0))
			g.Expect(s).To(HaveKeyWithValue(ready, 1.0))
			g.Expect(s).To(HaveKeyWithValue("jumpcloud_operator_group_members"+label, 2.0))
			g.Expect(s).To(HaveKeyWithValue("jumpcloud_operator_group_unresolved_members"+label, 0.0))
		}).Should(Succeed())

		// A deleted group (deletionPolicy Delete: the operator created it) leaves the gauges.
		Expect(k8sClient.Delete(ctx, &iamv1alpha1.JumpCloudUserGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "platform"}})).To(Succeed())
		Eventually(func(g Gomega) {
			s := served(g)
			g.Expect(s).NotTo(HaveKey(ready))
			g.Expect(s).NotTo(HaveKey("jumpcloud_operator_group_members" + label))
			g.Expect(s).To(HaveKeyWithValue(`jumpcloud_operator_jumpcloud_request_duration_seconds_count{operation="`+jumpcloud.OpGroupDelete+`"}`, BeNumerically(">=", 1)))
		}).Should(Succeed())
	})
})
