package controller

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

func fastConnection(s *iamv1alpha1.JumpCloudConnectionSpec) {
	s.RateLimit = &iamv1alpha1.RateLimit{RequestsPerSecond: 1000, Burst: 1000}
}

func (f *fixture) group(name string, spec iamv1alpha1.JumpCloudUserGroupSpec) *iamv1alpha1.JumpCloudUserGroup {
	if spec.Name == "" {
		spec.Name = name
	}
	return &iamv1alpha1.JumpCloudUserGroup{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name}, Spec: spec}
}

func (f *fixture) getGroup(name string) *iamv1alpha1.JumpCloudUserGroup {
	var g iamv1alpha1.JumpCloudUserGroup
	ExpectWithOffset(1, k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &g)).To(Succeed())
	return &g
}

func (f *fixture) editGroup(name string, fn func(*iamv1alpha1.JumpCloudUserGroup)) {
	EventuallyWithOffset(1, func() error {
		g := f.getGroup(name)
		fn(g)
		return k8sClient.Update(ctx, g)
	}).Should(Succeed())
}

// groupReady waits for a group to be Ready at its generation and returns it.
func (f *fixture) groupReady(name string) *iamv1alpha1.JumpCloudUserGroup {
	var g *iamv1alpha1.JumpCloudUserGroup
	EventuallyWithOffset(1, func(gm Gomega) {
		g = f.getGroup(name)
		gm.Expect(g.Status.ObservedGeneration).To(Equal(g.Generation))
		gm.Expect(conditionOf(g.Status.Conditions, iamv1alpha1.ConditionReady)).To(HaveField("Status", metav1.ConditionTrue))
	}).Should(Succeed())
	return g
}

// touch changes an unrelated annotation, which starts a pass that is not forced (bulk drift
// detection answers from the connection's views, as on a resync).
func (f *fixture) touchGroup(name string) {
	f.editGroup(name, func(g *iamv1alpha1.JumpCloudUserGroup) {
		if g.Annotations == nil {
			g.Annotations = map[string]string{}
		}
		g.Annotations["test/touch"] = rand.String(6)
	})
}

func (f *fixture) members(groupID string) []string {
	ids, err := f.sim.GroupMembers(f.org, groupID)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return ids
}

func (f *fixture) groupEvents(name string) []string { return f.events(name) }

var _ = Describe("JumpCloudUserGroup", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(fastConnection, allowAdoption) })

	readyUser := func(name string, labels map[string]string) string {
		GinkgoHelper()
		u := f.user(name)
		u.Labels = labels
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		return f.ready(name).Status.ID
	}

	It("makes JumpCloud's members exactly the spec's: userRefs, a username and a selector", func() {
		a, b, c := readyUser("ann", nil), readyUser("ben", nil), readyUser("cat", nil)
		d, e := readyUser("dan", map[string]string{"team": "platform"}), readyUser("eve", map[string]string{"team": "platform"})
		outsider, err := f.sim.AddUser(f.org, jcsim.User{Username: "olga", Email: "olga@example.com"}, "")
		Expect(err).NotTo(HaveOccurred())
		g := f.group("platform-admins", iamv1alpha1.JumpCloudUserGroupSpec{
			Description: ptr("Platform administrators"),
			Attributes:  &iamv1alpha1.GroupAttributes{Sudo: &iamv1alpha1.GroupSudo{Enabled: true}},
			Members: &iamv1alpha1.GroupMembers{
				Users: []iamv1alpha1.GroupMember{
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "ann"}},
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "ben"}},
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "cat"}},
					{Username: "olga"},
				},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "platform"}},
			},
		})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		got := f.groupReady("platform-admins")
		Expect(got.Status.ID).NotTo(BeEmpty())
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipCreated))
		Expect(f.members(got.Status.ID)).To(ConsistOf(a, b, c, d, e, outsider.ID))
		Expect(*got.Status.MemberCount).To(Equal(int32(6)))
		sg, _ := f.sim.Group(f.org, got.Status.ID)
		Expect(sg.Description).To(Equal("Platform administrators"))
		Expect(f.sim.Count("group-create")).To(Equal(1))

		By("removing a member from the spec removes it in JumpCloud")
		f.editGroup("platform-admins", func(g *iamv1alpha1.JumpCloudUserGroup) { g.Spec.Members.Users = g.Spec.Members.Users[:3] })
		Eventually(func() []string { return f.members(got.Status.ID) }).Should(ConsistOf(a, b, c, d, e))

		By("an Authoritative group removes a member added in the console at its next pass, naming it")
		Expect(f.sim.AddMember(f.org, got.Status.ID, outsider.ID)).To(Succeed())
		f.touchGroup("platform-admins")
		Eventually(func() []string { return f.members(got.Status.ID) }).Should(ConsistOf(a, b, c, d, e))
		Expect(f.groupEvents("platform-admins")).To(ContainElement("MembersRemoved"))

		By("an Additive group leaves it alone")
		f.editGroup("platform-admins", func(g *iamv1alpha1.JumpCloudUserGroup) { g.Spec.Members.Policy = iamv1alpha1.MembershipAdditive })
		f.groupReady("platform-admins")
		Expect(f.sim.AddMember(f.org, got.Status.ID, outsider.ID)).To(Succeed())
		f.touchGroup("platform-admins")
		f.groupReady("platform-admins")
		Consistently(func() []string { return f.members(got.Status.ID) }).Should(ContainElement(outsider.ID))

		By("a user that gets the selected label joins the group")
		f.policyAuthoritative("platform-admins")
		f.edit("ann", func(u *iamv1alpha1.JumpCloudUser) { u.Labels = map[string]string{"team": "platform"} })
		f.edit("dan", func(u *iamv1alpha1.JumpCloudUser) { u.Labels = nil })
		Eventually(func() []string { return f.members(got.Status.ID) }).Should(ConsistOf(a, b, c, e))
	})

	It("keeps a group with a member that is no JumpCloud user yet Reconciling, and removes no one", func() {
		a := readyUser("amy", nil)
		console, err := f.sim.AddUser(f.org, jcsim.User{Username: "zed", Email: "zed@example.com"}, "")
		Expect(err).NotTo(HaveOccurred())
		g := f.group("waiting", iamv1alpha1.JumpCloudUserGroupSpec{Members: &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{
			{UserRef: &iamv1alpha1.LocalObjectReference{Name: "amy"}},
			{UserRef: &iamv1alpha1.LocalObjectReference{Name: "later"}},
		}}})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		var id string
		Eventually(func(gm Gomega) {
			got := f.getGroup("waiting")
			c := conditionOf(got.Status.Conditions, iamv1alpha1.ConditionReconciling)
			gm.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			gm.Expect(c.Reason).To(Equal(iamv1alpha1.ReasonMemberNotReady))
			gm.Expect(c.Message).To(ContainSubstring("userRef later"))
			gm.Expect(got.Status.UnresolvedMembers).To(HaveLen(1))
			id = got.Status.ID
		}).Should(Succeed())
		Expect(f.sim.AddMember(f.org, id, console.ID)).To(Succeed())
		f.touchGroup("waiting")
		Consistently(func() []string { return f.members(id) }).Should(ConsistOf(a, console.ID), "no one is removed while a member is unresolved")

		By("once the user exists, the group is Ready and the console member goes")
		later := readyUser("later", nil)
		Eventually(func() []string { return f.members(id) }).Should(ConsistOf(a, later))
		f.groupReady("waiting")
	})

	It("deletes a group it created (Delete by default), leaves one with Orphan, and never deletes an adopted one without an explicit Delete", func() {
		Expect(k8sClient.Create(ctx, f.group("doomed", iamv1alpha1.JumpCloudUserGroupSpec{}))).To(Succeed())
		doomed := f.groupReady("doomed").Status.ID
		Expect(k8sClient.Create(ctx, f.group("kept", iamv1alpha1.JumpCloudUserGroupSpec{DeletionPolicy: iamv1alpha1.GroupDeletionPolicyOrphan}))).To(Succeed())
		kept := f.groupReady("kept").Status.ID
		existing, err := f.sim.AddGroup(f.org, jcsim.Group{Name: "legacy"})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, f.group("legacy", iamv1alpha1.JumpCloudUserGroupSpec{AdoptionPolicy: iamv1alpha1.AdoptionPolicyIfExists}))).To(Succeed())
		Expect(f.groupReady("legacy").Status.Ownership).To(Equal(iamv1alpha1.OwnershipAdopted))
		existing2, err := f.sim.AddGroup(f.org, jcsim.Group{Name: "legacy-doomed"})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, f.group("legacy-doomed", iamv1alpha1.JumpCloudUserGroupSpec{
			AdoptionPolicy: iamv1alpha1.AdoptionPolicyIfExists, DeletionPolicy: iamv1alpha1.GroupDeletionPolicyDelete}))).To(Succeed())
		f.groupReady("legacy-doomed")

		for _, name := range []string{"doomed", "kept", "legacy", "legacy-doomed"} {
			Expect(k8sClient.Delete(ctx, f.getGroup(name))).To(Succeed())
		}
		gone := func(id string) func() bool { return func() bool { _, ok := f.sim.Group(f.org, id); return !ok } }
		Eventually(gone(doomed)).Should(BeTrue())
		Eventually(gone(existing2.ID)).Should(BeTrue())
		Eventually(func() int {
			var list iamv1alpha1.JumpCloudUserGroupList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(f.ns))).To(Succeed())
			return len(list.Items)
		}).Should(BeZero())
		Expect(gone(kept)()).To(BeFalse(), "Orphan leaves the group")
		Expect(gone(existing.ID)()).To(BeFalse(), "an adopted group is not deleted without an explicit Delete")
	})

	It("refuses an existing group without the adoption opt-in, writing nothing", func() {
		_, err := f.sim.AddGroup(f.org, jcsim.Group{Name: "theirs"})
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		Expect(k8sClient.Create(ctx, f.group("theirs", iamv1alpha1.JumpCloudUserGroupSpec{Description: ptr("mine now")}))).To(Succeed())
		Eventually(func() string {
			return conditionOf(f.getGroup("theirs").Status.Conditions, iamv1alpha1.ConditionStalled).Reason
		}).Should(Equal(iamv1alpha1.ReasonAlreadyExists))
		Expect(f.sim.Count("group-update") + f.sim.Count("group-delete") + f.sim.Count("member-add")).To(BeZero())
	})

	It("observes a group with ObserveOnly (drift in Synced, nothing written) and writes nothing while paused", func() {
		existing, err := f.sim.AddGroup(f.org, jcsim.Group{Name: "watched", Description: "as in the console"})
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		Expect(k8sClient.Create(ctx, f.group("watched", iamv1alpha1.JumpCloudUserGroupSpec{
			Description: ptr("as in Git"), ManagementPolicy: iamv1alpha1.ManagementPolicyObserveOnly,
			Members: &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{{Username: "nobody"}}},
		}))).To(Succeed())
		got := f.groupReady("watched")
		Expect(got.Status.ID).To(Equal(existing.ID))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipObserved))
		synced := conditionOf(got.Status.Conditions, iamv1alpha1.ConditionSynced)
		Expect(synced.Reason).To(Equal(iamv1alpha1.ReasonDrifted))
		Expect(synced.Message).To(ContainSubstring("description"))
		Expect(got.Finalizers).To(BeEmpty(), "an ObserveOnly group gets no finalizer")

		By("a paused group writes nothing either")
		Expect(k8sClient.Create(ctx, f.group("paused", iamv1alpha1.JumpCloudUserGroupSpec{}))).To(Succeed())
		id := f.groupReady("paused").Status.ID
		f.editGroup("paused", func(g *iamv1alpha1.JumpCloudUserGroup) {
			g.Annotations = map[string]string{iamv1alpha1.AnnotationPaused: "true"}
			g.Spec.Description = ptr("changed while paused")
		})
		Eventually(func() string {
			return conditionOf(f.getGroup("paused").Status.Conditions, iamv1alpha1.ConditionReady).Reason
		}).Should(Equal(iamv1alpha1.ReasonPaused))
		sg, _ := f.sim.Group(f.org, id)
		Expect(sg.Description).To(BeEmpty())
		for _, op := range []string{"group-update", "group-delete", "member-add", "member-remove"} {
			Expect(f.sim.Count(op)).To(BeZero(), op)
		}
	})

	It("lets JumpCloud compute a dynamic group's members and never posts members itself", func() {
		ops := f.user("ops1")
		ops.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Operations")}
		Expect(k8sClient.Create(ctx, ops)).To(Succeed())
		opsID := f.ready("ops1").Status.ID
		readyUser("dev1", nil)
		Expect(k8sClient.Create(ctx, f.group("ops", iamv1alpha1.JumpCloudUserGroupSpec{Dynamic: &iamv1alpha1.DynamicMembership{
			Method:  iamv1alpha1.DynamicAutomated,
			Filters: []iamv1alpha1.DynamicFilter{{Field: "department", Operator: "eq", Value: "Operations"}},
		}}))).To(Succeed())
		id := f.groupReady("ops").Status.ID
		Eventually(func() []string { return f.members(id) }).Should(ConsistOf(opsID))
		Expect(f.sim.Count("member-add") + f.sim.Count("member-remove")).To(BeZero())
		Expect(conditionOf(f.getGroup("ops").Status.Conditions, iamv1alpha1.ConditionSynced).Reason).To(Equal(iamv1alpha1.ReasonInSync))

		By("switched to a static member list, the group becomes static and gets exactly those members")
		devID := f.get("dev1").Status.ID
		f.editGroup("ops", func(g *iamv1alpha1.JumpCloudUserGroup) {
			g.Spec.Dynamic = nil
			g.Spec.Members = &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{{UserRef: &iamv1alpha1.LocalObjectReference{Name: "dev1"}}}}
		})
		Eventually(func() []string { return f.members(id) }).Should(ConsistOf(devID))
		f.groupReady("ops")
	})

	It("creates a group of 1,500 members with one POST and 1,500 adds, and a later pass costs the member pages and no write", func() {
		const n = 1500
		users := make([]iamv1alpha1.GroupMember, 0, n)
		for i := range n {
			u, err := f.sim.AddUser(f.org, jcsim.User{Username: fmt.Sprintf("m%04d", i), Email: fmt.Sprintf("m%04d@example.com", i)}, "")
			Expect(err).NotTo(HaveOccurred())
			users = append(users, iamv1alpha1.GroupMember{ID: u.ID})
		}
		f.sim.ResetLog()
		Expect(k8sClient.Create(ctx, f.group("everyone", iamv1alpha1.JumpCloudUserGroupSpec{Members: &iamv1alpha1.GroupMembers{Users: users}}))).To(Succeed())
		id := f.groupReady("everyone").Status.ID
		Expect(f.members(id)).To(HaveLen(n))
		Expect(f.sim.Count("group-create")).To(Equal(1))
		Expect(f.sim.Count("member-add")).To(Equal(n))

		f.sim.ResetLog()
		f.touchGroup("everyone")
		Eventually(func() int { return f.sim.Count("member-list") }).Should(Equal(n / 100))
		f.groupReady("everyone")
		Consistently(func() int { return f.sim.Count("member-list") }).Should(Equal(n/100), "every page, once")
		Expect(f.sim.Count("group-list") + f.sim.Count("group-get")).To(BeNumerically("<=", 1))
		for _, op := range []string{"group-create", "group-update", "group-delete", "member-add", "member-remove"} {
			Expect(f.sim.Count(op)).To(BeZero(), op)
		}
	})
})

// policyAuthoritative switches a group back to the default member policy.
func (f *fixture) policyAuthoritative(name string) {
	f.editGroup(name, func(g *iamv1alpha1.JumpCloudUserGroup) { g.Spec.Members.Policy = iamv1alpha1.MembershipAuthoritative })
	f.groupReady(name)
}
