package controller

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const markOwner = "platform-test"

func ownerMark(s *iamv1alpha1.JumpCloudConnectionSpec) {
	s.OwnerMark = &iamv1alpha1.OwnerMark{Owner: markOwner}
}

// markOn returns the k8sOwner attribute of a simulator user ("" when it has none).
func markOn(u jcsim.User) string {
	for _, a := range u.Attributes {
		if a.Name == "k8sOwner" {
			return a.Value
		}
	}
	return ""
}

// loseStatus empties a resource's status, as a restore from a backup without status leaves it
// (finalizers and annotations kept), and asks for a pass.
func (f *fixture) loseStatus(name string) {
	GinkgoHelper()
	Eventually(func() error {
		u := f.get(name)
		u.Status = iamv1alpha1.JumpCloudUserStatus{}
		return k8sClient.Status().Update(ctx, u)
	}).Should(Succeed())
	Expect(f.get(name).Status.ID).To(BeEmpty())
}

var _ = Describe("Owner mark", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(ownerMark, allowAdoption) })

	It("is written in the create call itself, and left out of profile.attributes management", func() {
		u := f.user("marked")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Attributes: []iamv1alpha1.Attribute{{Name: "team", Value: "platform"}}}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("marked")
		su := f.simUser(got.Status.ID)
		Expect(markOn(su)).To(Equal(markOwner + "/" + f.ns + "/marked"))
		Expect(su.Attributes).To(ContainElement(jcsim.Attribute{Name: "team", Value: "platform"}))
		Expect(f.sim.Count("create")).To(Equal(1))
		Expect(f.sim.Count("update")).To(BeZero(), "no second call to mark the user")

		By("a spec change of the attributes keeps the mark")
		f.edit("marked", func(u *iamv1alpha1.JumpCloudUser) {
			u.Spec.Profile.Attributes = []iamv1alpha1.Attribute{{Name: "team", Value: "security"}}
		})
		Eventually(func() []jcsim.Attribute { return f.simUser(got.Status.ID).Attributes }).Should(ConsistOf(
			jcsim.Attribute{Name: "team", Value: "security"}, jcsim.Attribute{Name: "k8sOwner", Value: markOwner + "/" + f.ns + "/marked"}))
		f.ready("marked")
		Expect(conditionOf(f.get("marked").Status.Conditions, iamv1alpha1.ConditionSynced).Reason).To(Equal(iamv1alpha1.ReasonInSync))

		By("a console edit of another field is corrected, and the mark survives it")
		Expect(f.sim.EditUser(f.org, got.Status.ID, func(u *jcsim.User) { u.Department = "Sales" })).To(Succeed())
		f.resync("marked")
		Expect(markOn(f.simUser(got.Status.ID))).To(Equal(markOwner + "/" + f.ns + "/marked"))
	})

	It("lets a resource whose status was lost take its user back: no create, no write, tokens not run again; its deletion policy still applies", func() {
		u := f.user("restored")
		u.Annotations = map[string]string{iamv1alpha1.AnnotationResetMFA: "t1", iamv1alpha1.AnnotationExpirePassword: "e1"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Eventually(func() int { return f.sim.Count("resetmfa") }).Should(Equal(1))
		id := f.ready("restored").Status.ID
		f.sim.ResetLog()

		f.loseStatus("restored")
		f.resync("restored")
		got := f.ready("restored")
		Expect(got.Status.ID).To(Equal(id))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipCreated))
		Expect(got.Status.LastHandled.ResetMFA).To(Equal("t1"))
		Expect(got.Status.LastHandled.ExpirePassword).To(Equal("e1"))
		Expect(f.events("restored")).To(ContainElement("Recovered"))
		for _, op := range []string{"create", "update", "delete", "resetmfa", "expire", "unlock", "activate", "suspend"} {
			Expect(f.sim.Count(op)).To(BeZero(), "%s calls after the status was lost (calls: %v)", op, f.sim.Counts())
		}

		By("deleting it applies its deletion policy (Suspend)")
		Expect(k8sClient.Delete(ctx, got)).To(Succeed())
		Eventually(func() string { return f.simUser(id).State }).Should(Equal(jcsim.StateSuspended))
	})

	It("applies the deletion policy of a resource restored without status and deleted before its first pass", func() {
		Expect(k8sClient.Create(ctx, f.user("early"))).To(Succeed())
		id := f.ready("early").Status.ID
		f.edit("early", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.DeletionPolicy = iamv1alpha1.DeletionPolicyDelete })
		f.ready("early")
		f.loseStatus("early")
		Expect(k8sClient.Delete(ctx, f.get("early"))).To(Succeed())
		Eventually(func() bool { _, ok := f.sim.User(f.org, id); return ok }).Should(BeFalse(), "the marked user is deleted")
	})

	DescribeTable("still refuses, without the adoption opt-in, a user it did not create for this resource",
		func(mark string, note string) {
			existing := jcsim.User{Username: "other-" + rand.String(5), Email: rand.String(6) + "@example.com"}
			if mark != "" {
				existing.Attributes = []jcsim.Attribute{{Name: "k8sOwner", Value: mark}}
			}
			before, err := f.sim.AddUser(f.org, existing, "")
			Expect(err).NotTo(HaveOccurred())
			f.sim.ResetLog()
			u := f.user(existing.Username)
			u.Spec.Email = existing.Email
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			c := f.stalled(existing.Username, iamv1alpha1.ReasonAlreadyExists)
			Expect(c.Message).To(ContainSubstring(note))
			Expect(f.sim.Count("update")+f.sim.Count("delete")+f.sim.Count("suspend")).To(BeZero(), "nothing is written to it")
			f.quiet()
			after, _ := f.sim.User(f.org, before.ID)
			Expect(after.Attributes).To(Equal(before.Attributes))
		},
		Entry("marked by another owner", "platform-other/ns/name", "not this resource's"),
		Entry("marked for another namespace and name", markOwner+"/elsewhere/someone", "not this resource's"),
		Entry("not marked", "", "carries no k8sOwner mark"),
	)

	It("marks an adopted user when it adopts it, once, keeping its other attributes", func() {
		existing, err := f.sim.AddUser(f.org, jcsim.User{Username: "legacy", Email: "legacy@example.com",
			Attributes: []jcsim.Attribute{{Name: "costCode", Value: "42"}}}, "")
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		u := f.user("legacy")
		u.Spec.AdoptionPolicy = iamv1alpha1.AdoptionPolicyIfExists
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.ready("legacy")
		Eventually(func() string { return markOn(f.simUser(existing.ID)) }).Should(Equal(markOwner + "/" + f.ns + "/legacy"))
		Expect(f.simUser(existing.ID).Attributes).To(ContainElement(jcsim.Attribute{Name: "costCode", Value: "42"}), "console attributes are kept")
		Expect(f.sim.Count("update")).To(Equal(1))
		f.resync("legacy")
		Expect(f.sim.Count("update")).To(Equal(1), "marked once")
	})
})

var _ = Describe("Owner mark set on a connection already in use", func() {
	It("marks each user created before it on its next pass, with one write, once", func() {
		f := newFixture()
		Expect(k8sClient.Create(ctx, f.user("early"))).To(Succeed())
		id := f.ready("early").Status.ID
		Expect(markOn(f.simUser(id))).To(BeEmpty())
		f.sim.ResetLog()

		Eventually(func() error {
			var c iamv1alpha1.JumpCloudConnection
			if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}, &c); err != nil {
				return err
			}
			ownerMark(&c.Spec)
			return k8sClient.Update(ctx, &c)
		}).Should(Succeed())
		Eventually(func() string { return markOn(f.simUser(id)) }).Should(Equal(markOwner + "/" + f.ns + "/early"))
		Expect(f.sim.Count("update")).To(Equal(1))
		f.resync("early")
		Expect(f.sim.Count("update")).To(Equal(1), "marked once")
		Expect(f.sim.Count("create")).To(BeZero())
	})
})
