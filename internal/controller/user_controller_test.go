package controller

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

func ptr[T any](v T) *T { return &v }

var _ = Describe("JumpCloudUser lifecycle", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	It("creates the user with one POST and reports it", func() {
		u := f.user("alice")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Firstname: ptr("Alice"), Lastname: ptr("Liddell"), JobTitle: ptr("Engineer")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())

		got := f.ready("alice")
		Expect(got.Status.ID).To(MatchRegexp("^[0-9a-f]{24}$"))
		Expect(got.Status.State).To(Equal(iamv1alpha1.UserStateActivated))
		Expect(got.Status.Created).NotTo(BeNil())
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipCreated))
		Expect(got.Finalizers).To(ContainElement(iamv1alpha1.Finalizer))

		su := f.simUser(got.Status.ID)
		Expect(su.Username).To(Equal("alice"))
		Expect(su.Firstname).To(Equal("Alice"))
		Expect(su.JobTitle).To(Equal("Engineer"))
		Expect(su.State).To(Equal(jcsim.StateActivated))
		Expect(f.sim.Count("create")).To(Equal(1))
		Expect(f.sim.Count("update")).To(Equal(0))
		Expect(f.events("alice")).To(ContainElement("Created"))
	})

	It("sends only the edited field, and nothing when in sync", func() {
		u := f.user("bob")
		u.Spec.Profile = &iamv1alpha1.UserProfile{JobTitle: ptr("Engineer"), Department: ptr("Platform")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		id := f.ready("bob").Status.ID

		f.edit("bob", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Profile.JobTitle = ptr("Staff Engineer") })
		f.ready("bob")
		Expect(f.sim.Count("update")).To(Equal(1))
		Expect(f.sim.RequestsFor("update")[0].Fields).To(ConsistOf("jobTitle"))
		Expect(f.simUser(id).JobTitle).To(Equal("Staff Engineer"))

		f.resync("bob")
		Expect(f.sim.Count("update")).To(Equal(1), "a no-op resync must not write")
		Expect(f.sim.Count("create")).To(Equal(1))
	})

	It("corrects console edits of managed fields and leaves unmanaged fields alone", func() {
		u := f.user("carol")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		id := f.ready("carol").Status.ID

		Expect(f.sim.EditUser(f.org, id, func(u *jcsim.User) {
			u.Department = "Sales"    // managed: corrected
			u.Description = "from HR" // unmanaged: kept
		})).To(Succeed())
		f.resync("carol")

		su := f.simUser(id)
		Expect(su.Department).To(Equal("Platform"))
		Expect(su.Description).To(Equal("from HR"))
		Expect(f.sim.RequestsFor("update")).To(HaveLen(1))
		Expect(f.sim.RequestsFor("update")[0].Fields).To(ConsistOf("department"))
		Eventually(func() []string { return f.events("carol") }).Should(ContainElement("DriftCorrected"))
	})

	It("moves the account between STAGED, ACTIVATED and SUSPENDED", func() {
		u := f.user("dave")
		u.Spec.Activated = ptr(false)
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("dave")
		Expect(got.Status.State).To(Equal(iamv1alpha1.UserStateStaged))
		Expect(f.simUser(got.Status.ID).State).To(Equal(jcsim.StateStaged))

		f.edit("dave", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Activated = ptr(true) })
		Expect(f.ready("dave").Status.State).To(Equal(iamv1alpha1.UserStateActivated))
		Expect(f.sim.Count("activate")).To(Equal(1))
		Expect(f.simUser(got.Status.ID).State).To(Equal(jcsim.StateActivated))

		f.edit("dave", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Activated = ptr(false) })
		Expect(f.ready("dave").Status.State).To(Equal(iamv1alpha1.UserStateSuspended))
		su := f.simUser(got.Status.ID)
		Expect(su.State).To(Equal(jcsim.StateSuspended))
		Expect(su.Suspended).To(BeTrue())

		f.edit("dave", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Activated = ptr(true) })
		Expect(f.ready("dave").Status.State).To(Equal(iamv1alpha1.UserStateActivated))
		su = f.simUser(got.Status.ID)
		Expect(su.State).To(Equal(jcsim.StateActivated))
		Expect(su.Suspended).To(BeFalse())
		Expect(f.sim.Count("activate")).To(Equal(1), "re-activating a suspended user is a PUT, not /state/activate")
	})

	It("enforces locked, reports a lockout without undoing it, and unlocks when the spec stops locking", func() {
		u := f.user("erin")
		u.Spec.Locked = ptr(true)
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("erin")
		Expect(got.Status.Locked).To(HaveValue(BeTrue()))
		Expect(f.simUser(got.Status.ID).AccountLocked).To(BeTrue())

		f.edit("erin", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Locked = ptr(false) })
		got = f.ready("erin")
		Expect(got.Status.Locked).To(HaveValue(BeFalse()))
		Expect(f.simUser(got.Status.ID).AccountLocked).To(BeFalse())
		Expect(f.sim.Count("unlock")).To(Equal(1))

		Expect(f.sim.LockOut(f.org, got.Status.ID)).To(Succeed())
		got = f.resync("erin")
		Expect(got.Status.Locked).To(HaveValue(BeTrue()))
		Expect(conditionOf(got.Status.Conditions, iamv1alpha1.ConditionReady)).To(And(
			HaveField("Status", metav1.ConditionTrue), HaveField("Reason", iamv1alpha1.ReasonLockedOut)))
		Expect(f.sim.Count("unlock")).To(Equal(1), "a lockout by JumpCloud is not undone")
		Expect(f.simUser(got.Status.ID).AccountLocked).To(BeTrue())
	})
})
