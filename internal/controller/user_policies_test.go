package controller

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

var _ = Describe("JumpCloudUser passwords", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	secret := func(ns, value string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pw"}, StringData: map[string]string{"password": value}}
	}

	It("sets the password on create and again only when the Secret changes", func() {
		Expect(k8sClient.Create(ctx, secret(f.ns, "First-Passw0rd!"))).To(Succeed())
		u := f.user("frank")
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "pw", Key: "password"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("frank")
		Expect(f.sim.PasswordMatches(f.org, got.Status.ID, "First-Passw0rd!")).To(BeTrue())
		Expect(got.Status.PasswordSecretVersion).To(HavePrefix("sha256:"))
		Expect(got.Status.PasswordSecretVersion).NotTo(ContainSubstring("First-Passw0rd!"))

		f.resync("frank")
		Expect(f.sim.Count("update")).To(Equal(0), "an unchanged Secret is not sent again")

		var s corev1.Secret
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: "pw"}, &s)).To(Succeed())
		s.Data["password"] = []byte("Second-Passw0rd!")
		Expect(k8sClient.Update(ctx, &s)).To(Succeed())
		Eventually(func() bool { return f.sim.PasswordMatches(f.org, got.Status.ID, "Second-Passw0rd!") }).Should(BeTrue())
		Eventually(func() string { return f.get("frank").Status.PasswordSecretVersion }).ShouldNot(Equal(got.Status.PasswordSecretVersion))
		Expect(f.sim.Count("update")).To(Equal(1))
		Expect(f.sim.RequestsFor("update")[0].Fields).To(ConsistOf("password"))

		f.resync("frank")
		Expect(f.sim.Count("update")).To(Equal(1))
	})

	It("stalls on a rejected password, naming the rule and never the password", func() {
		Expect(k8sClient.Create(ctx, secret(f.ns, "weak"))).To(Succeed())
		u := f.user("grace")
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "pw", Key: "password"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("grace", iamv1alpha1.ReasonPasswordRejected)
		Expect(c.Message).To(ContainSubstring("minLength"))
		Expect(c.Message).NotTo(ContainSubstring("weak"))
		Expect(f.sim.Users(f.org)).To(BeEmpty())
		Consistently(func() int { return f.sim.Count("create") }).Should(Equal(1), "a rejection is not retried in a loop")
	})

	It("stalls until the password Secret exists", func() {
		u := f.user("heidi")
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "pw", Key: "password"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.stalled("heidi", iamv1alpha1.ReasonSecretNotFound)
		Expect(f.sim.Count("create")).To(Equal(0))

		Expect(k8sClient.Create(ctx, secret(f.ns, "Good-Passw0rd!"))).To(Succeed())
		got := f.ready("heidi")
		Expect(f.sim.PasswordMatches(f.org, got.Status.ID, "Good-Passw0rd!")).To(BeTrue())
	})
})

var _ = Describe("JumpCloudUser managers", func() {
	It("resolves a manager by reference once it exists in JumpCloud", func() {
		f := newFixture()
		report := f.user("ivan")
		report.Spec.Profile = &iamv1alpha1.UserProfile{Manager: &iamv1alpha1.ManagerReference{Name: "judy"}}
		Expect(k8sClient.Create(ctx, report)).To(Succeed())
		Eventually(func() string {
			return conditionOf(f.get("ivan").Status.Conditions, iamv1alpha1.ConditionReconciling).Reason
		}).Should(Equal(iamv1alpha1.ReasonManagerNotFound))

		Expect(k8sClient.Create(ctx, f.user("judy"))).To(Succeed())
		managerID := f.ready("judy").Status.ID
		got := f.ready("ivan")
		Expect(f.simUser(got.Status.ID).Manager).To(HaveValue(Equal(managerID)))
	})
})

var _ = Describe("JumpCloudUser adoption", func() {
	existing := func(f *fixture, username string) jcsim.User {
		u, err := f.sim.AddUser(f.org, jcsim.User{Username: username, Email: username + "@example.com", Department: "Console"}, "")
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		return u
	}

	It("refuses an existing username with adoptionPolicy Never and writes nothing", func() {
		f := newFixture(allowAdoption)
		before := existing(f, "kim")
		u := f.user("kim")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("kim", iamv1alpha1.ReasonAlreadyExists)
		Expect(c.Message).To(ContainSubstring("adoptionPolicy is Never"))
		Expect(f.simUser(before.ID)).To(Equal(before))
		Expect(f.sim.Count("update") + f.sim.Count("delete")).To(Equal(0))
		Expect(f.get("kim").Status.ID).To(BeEmpty())
	})

	It("adopts with IfExists when the connection allows it", func() {
		f := newFixture(allowAdoption)
		before := existing(f, "lee")
		u := f.user("lee")
		u.Spec.AdoptionPolicy = iamv1alpha1.AdoptionPolicyIfExists
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("lee")
		Expect(got.Status.ID).To(Equal(before.ID))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipAdopted))
		Expect(f.simUser(before.ID).Department).To(Equal("Platform"))
		Expect(f.sim.Users(f.org)).To(HaveLen(1))
	})

	It("refuses IfExists when the connection does not allow adoption", func() {
		f := newFixture()
		before := existing(f, "mia")
		u := f.user("mia")
		u.Spec.AdoptionPolicy = iamv1alpha1.AdoptionPolicyIfExists
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("mia", iamv1alpha1.ReasonAlreadyExists)
		Expect(c.Message).To(ContainSubstring("allowAdoption"))
		Expect(f.simUser(before.ID)).To(Equal(before))
	})

	It("lets only one resource manage a JumpCloud user", func() {
		f := newFixture()
		Expect(k8sClient.Create(ctx, f.user("ned"))).To(Succeed())
		id := f.ready("ned").Status.ID
		second := f.user("ned-again")
		second.Spec.Username = "ned"
		second.Spec.Email = "ned@example.com"
		Expect(k8sClient.Create(ctx, second)).To(Succeed())
		c := f.stalled("ned-again", iamv1alpha1.ReasonManagedElsewhere)
		Expect(c.Message).To(ContainSubstring(f.ns + "/ned"))
		Expect(f.sim.Users(f.org)).To(HaveLen(1))
		Expect(f.get("ned-again").Status.ID).To(BeEmpty())
		Expect(f.get("ned").Status.ID).To(Equal(id))
	})
})

var _ = Describe("JumpCloudUser creates whose answer is lost", func() {
	It("never creates a duplicate", func() {
		f := newFixture()
		f.sim.InjectFault(jcsim.Fault{Op: "create", Drop: true, AfterCommit: true})
		Expect(k8sClient.Create(ctx, f.user("olga"))).To(Succeed())
		got := f.ready("olga")
		users := f.sim.Users(f.org)
		Expect(users).To(HaveLen(1))
		Expect(got.Status.ID).To(Equal(users[0].ID))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipCreated))
		Expect(got.Status.CreatePending).To(BeNil())
		Expect(f.sim.Count("create")).To(Equal(1))
		Expect(f.events("olga")).To(ContainElement("CreateRecovered"))
	})
})

var _ = Describe("JumpCloudUser deletion", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	create := func(name string, policy iamv1alpha1.DeletionPolicy) string {
		u := f.user(name)
		u.Spec.DeletionPolicy = policy
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		return f.ready(name).Status.ID
	}
	gone := func(name string) {
		EventuallyWithOffset(1, func() bool {
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &iamv1alpha1.JumpCloudUser{})
			return apierrors.IsNotFound(err)
		}).Should(BeTrue())
	}
	remove := func(name string) {
		ExpectWithOffset(1, k8sClient.Delete(ctx, f.get(name))).To(Succeed())
		gone(name)
	}

	It("suspends with Suspend", func() {
		id := create("pat", iamv1alpha1.DeletionPolicySuspend)
		remove("pat")
		Expect(f.simUser(id).State).To(Equal(jcsim.StateSuspended))
	})

	It("suspends by default", func() {
		id := create("pia", "")
		remove("pia")
		Expect(f.simUser(id).State).To(Equal(jcsim.StateSuspended))
	})

	It("deletes with Delete", func() {
		id := create("quinn", iamv1alpha1.DeletionPolicyDelete)
		remove("quinn")
		_, ok := f.sim.User(f.org, id)
		Expect(ok).To(BeFalse())
		Expect(f.sim.RequestsFor("delete")[0].Query).To(ContainSubstring("cascade_manager=null"))
	})

	It("leaves the user alone with Orphan", func() {
		id := create("rita", iamv1alpha1.DeletionPolicyOrphan)
		f.sim.ResetLog()
		remove("rita")
		Expect(f.simUser(id).State).To(Equal(jcsim.StateActivated))
		Expect(f.sim.Count("delete") + f.sim.Count("suspend") + f.sim.Count("update")).To(Equal(0))
	})

	It("counts a user deleted outside the operator as deleted", func() {
		id := create("sam", iamv1alpha1.DeletionPolicyDelete)
		Expect(f.sim.RemoveUser(f.org, id)).To(Succeed())
		remove("sam")
	})

	It("releases a resource deleted before its user was created", func() {
		u := f.user("tess")
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "missing", Key: "password"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.stalled("tess", iamv1alpha1.ReasonSecretNotFound)
		remove("tess")
		Expect(f.sim.Count("create") + f.sim.Count("delete") + f.sim.Count("suspend")).To(Equal(0))
	})

	It("never suspends a user it only observed", func() {
		before, err := f.sim.AddUser(f.org, jcsim.User{Username: "uma", Email: "uma@example.com"}, "")
		Expect(err).NotTo(HaveOccurred())
		u := f.user("uma")
		u.Spec.ManagementPolicy = iamv1alpha1.ManagementPolicyObserveOnly
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.ready("uma")
		remove("uma")
		Expect(f.simUser(before.ID).State).To(Equal(jcsim.StateActivated))
		Expect(f.sim.Count("suspend") + f.sim.Count("update") + f.sim.Count("delete")).To(Equal(0))
	})
})

var _ = Describe("JumpCloudUser read-only modes", func() {
	It("never writes with ObserveOnly, and reports drift field by field", func() {
		f := newFixture()
		before, err := f.sim.AddUser(f.org, jcsim.User{Username: "vera", Email: "vera@example.com", Department: "Sales"}, "")
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		u := f.user("vera")
		u.Spec.ManagementPolicy = iamv1alpha1.ManagementPolicyObserveOnly
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform"), JobTitle: ptr("Engineer")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		got := f.ready("vera")
		Expect(got.Status.ID).To(Equal(before.ID))
		Expect(got.Status.Ownership).To(Equal(iamv1alpha1.OwnershipObserved))
		synced := conditionOf(got.Status.Conditions, iamv1alpha1.ConditionSynced)
		Expect(synced.Status).To(Equal(metav1.ConditionFalse))
		Expect(synced.Reason).To(Equal(iamv1alpha1.ReasonDrifted))
		Expect(synced.Message).To(And(ContainSubstring("department"), ContainSubstring("jobTitle")))
		Expect(got.Finalizers).To(BeEmpty())

		f.resync("vera")
		Expect(f.simUser(before.ID)).To(Equal(before))
		for _, op := range []string{"create", "update", "delete", "activate", "suspend", "unlock"} {
			Expect(f.sim.Count(op)).To(BeZero(), op)
		}
	})

	It("never writes while paused", func() {
		f := newFixture()
		Expect(k8sClient.Create(ctx, f.user("wes"))).To(Succeed())
		id := f.ready("wes").Status.ID
		f.edit("wes", func(u *iamv1alpha1.JumpCloudUser) {
			u.Annotations = map[string]string{iamv1alpha1.AnnotationPaused: "true"}
			u.Spec.Profile = &iamv1alpha1.UserProfile{JobTitle: ptr("Boss")}
		})
		Eventually(func() string {
			return conditionOf(f.get("wes").Status.Conditions, iamv1alpha1.ConditionReady).Reason
		}).Should(Equal(iamv1alpha1.ReasonPaused))
		Expect(conditionOf(f.get("wes").Status.Conditions, iamv1alpha1.ConditionSynced).Reason).To(Equal(iamv1alpha1.ReasonDrifted))
		Expect(f.sim.Count("update")).To(Equal(0))
		Expect(f.simUser(id).JobTitle).To(BeEmpty())

		f.edit("wes", func(u *iamv1alpha1.JumpCloudUser) { delete(u.Annotations, iamv1alpha1.AnnotationPaused) })
		Eventually(func() string { return f.simUser(id).JobTitle }).Should(Equal("Boss"))
	})
})
