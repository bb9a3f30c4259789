package controller

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// Writes whose answer is lost after JumpCloud committed them (the chaos suite's commit-then-drop
// and SIGKILL faults, made deterministic): the next pass must take the write as done, never repeat
// it in a way JumpCloud refuses.
var _ = Describe("Lost answers", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	// status.passwordPending is recorded with the create-pending marker, before the call, so a
	// recovered create knows which password it carried and does not send it again (JumpCloud
	// would refuse it as reused: Stalled PasswordRejected, passwordHistory).
	It("a lost create that set a password does not send the password again", func() {
		u := f.user("lostpw")
		f.withPassword(u, "lostpw-pw", "Lost-Create-Passw0rd!")
		f.sim.InjectFault(jcsim.Fault{Op: "create", Drop: true, AfterCommit: true})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("lostpw")
		Expect(f.events("lostpw")).To(ContainElement("CreateRecovered"))
		Expect(f.sim.PasswordMatches(f.org, got.Status.ID, "Lost-Create-Passw0rd!")).To(BeTrue())
		Expect(got.Status.PasswordSecretVersion).NotTo(BeEmpty(), "the version the lost create sent is recorded")
		Expect(f.sim.Count("create")).To(Equal(1))
		Consistently(func() int { return f.sim.Count("update") }, time.Second).Should(BeZero(),
			"re-sending the password would trip JumpCloud's password history (Stalled PasswordRejected)")
		Expect(conditionOf(f.get("lostpw").Status.Conditions, iamv1alpha1.ConditionStalled).Status).NotTo(Equal(metav1.ConditionTrue))
	})

	// An update that carries a password records status.passwordPending before the call; when its
	// answer is lost after JumpCloud applied it, the next attempt's "reused password" refusal is
	// taken as proof that the password is set, not as a rejection.
	It("a lost password update is not sent again", func() {
		u := f.user("pwchange")
		f.withPassword(u, "pwchange-pw", "First-Passw0rd!")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.ready("pwchange")
		f.sim.InjectFault(jcsim.Fault{Op: "update", Drop: true, AfterCommit: true})
		f.setPassword("pwchange-pw", "Second-Passw0rd!")
		Eventually(func() int { return f.sim.Count("update") }).Should(BeNumerically(">=", 1))
		got := f.ready("pwchange")
		Expect(f.sim.PasswordMatches(f.org, got.Status.ID, "Second-Passw0rd!")).To(BeTrue())
		Expect(conditionOf(got.Status.Conditions, iamv1alpha1.ConditionStalled).Status).NotTo(Equal(metav1.ConditionTrue))
	})
})
