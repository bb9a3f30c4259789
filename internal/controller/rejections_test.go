package controller

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// rejectionWindow is how long a refused resource is watched for further calls to JumpCloud: a
// rejection needs a human, so none may follow.
const rejectionWindow = 2 * time.Second

// quiet asserts that JumpCloud receives no request at all over the rejection window.
func (f *fixture) quiet() {
	GinkgoHelper()
	n := f.sim.Count("*")
	Consistently(func() int { return f.sim.Count("*") }, rejectionWindow, 100*time.Millisecond).Should(Equal(n),
		"a refused resource must not call JumpCloud again (calls so far: %v)", f.sim.Counts())
}

// withPassword adds a password Secret and points the user at it.
func (f *fixture) withPassword(u *iamv1alpha1.JumpCloudUser, secret, password string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: secret},
		StringData: map[string]string{"password": password},
	})).To(Succeed())
	u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: secret, Key: "password"}
}

func (f *fixture) setPassword(secret, password string) {
	GinkgoHelper()
	var s corev1.Secret
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: secret}, &s)).To(Succeed())
	s.Data = map[string][]byte{"password": []byte(password)}
	Expect(k8sClient.Update(ctx, &s)).To(Succeed())
}

// operationFailed waits for an operation to fail with the reason, and returns it.
func (f *fixture) operationFailed(name, reason string) *iamv1alpha1.JumpCloudUserOperation {
	GinkgoHelper()
	op := f.finished(name, iamv1alpha1.OperationFailed)
	c := conditionOf(op.Status.Conditions, iamv1alpha1.ConditionStalled)
	Expect(c.Status).To(Equal(metav1.ConditionTrue))
	Expect(c.Reason).To(Equal(reason), c.Message)
	Expect(c.Message).To(Equal(op.Status.Message))
	return op
}

// The catalogue of JumpCloud-side rejections: each ends Stalled (a JumpCloudUser) or Failed (an
// operation) with a reason and a message a person can act on, after a fixed, small number of calls,
// and then stays quiet.
var _ = Describe("JumpCloud rejections", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	existing := func(u jcsim.User) jcsim.User {
		GinkgoHelper()
		got, err := f.sim.AddUser(f.org, u, "")
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		return got
	}

	It("duplicate email: Stalled Rejected, naming the field", func() {
		existing(jcsim.User{Username: "owner", Email: "shared@example.com"})
		u := f.user("newcomer")
		u.Spec.Email = "shared@example.com"
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("newcomer", iamv1alpha1.ReasonRejected)
		Expect(c.Message).To(ContainSubstring("Email already exists"))
		Expect(f.sim.Count("create")).To(Equal(1))
		Expect(f.sim.Count("*")).To(Equal(2), "the create, and one look-up by username to rule out our own lost create")
		f.quiet()
		Expect(f.sim.UserCount(f.org)).To(Equal(1))
	})

	It("duplicate employeeIdentifier: Stalled Rejected, naming the field", func() {
		existing(jcsim.User{Username: "holder", Email: "holder@example.com", EmployeeIdentifier: "E-7"})
		u := f.user("second")
		u.Spec.Profile = &iamv1alpha1.UserProfile{EmployeeIdentifier: ptr("E-7")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("second", iamv1alpha1.ReasonRejected)
		Expect(c.Message).To(ContainSubstring("EmployeeIdentifier already exists"))
		Expect(f.sim.Count("create")).To(Equal(1))
		f.quiet()
	})

	It("existing username with adoptionPolicy Never: Stalled AlreadyExists, nothing written", func() {
		before := existing(jcsim.User{Username: "taken", Email: "taken@example.com"})
		Expect(k8sClient.Create(ctx, f.user("taken"))).To(Succeed())
		c := f.stalled("taken", iamv1alpha1.ReasonAlreadyExists)
		Expect(c.Message).To(ContainSubstring(`JumpCloud user "taken" already exists (` + before.ID + `) and adoptionPolicy is Never`))
		Expect(f.sim.Count("create")).To(Equal(1))
		Expect(f.sim.Count("update") + f.sim.Count("delete")).To(BeZero())
		f.quiet()
	})

	It("password below the policy on create: Stalled PasswordRejected, naming the rules and never the password", func() {
		u := f.user("weakling")
		f.withPassword(u, "weak-pw", "qz7shrt")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("weakling", iamv1alpha1.ReasonPasswordRejected)
		Expect(c.Message).To(And(ContainSubstring("minLength"), ContainSubstring("uppercaseCharacter"), ContainSubstring("specialCharacter")))
		Expect(c.Message).NotTo(ContainSubstring("qz7shrt"))
		Expect(f.sim.Count("create")).To(Equal(1))
		f.quiet()
		Expect(f.sim.UserCount(f.org)).To(BeZero())
	})

	It("password reused on update: Stalled PasswordRejected with passwordHistory", func() {
		u := f.user("recycler")
		f.withPassword(u, "recycled-pw", "First-Passw0rd!")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.ready("recycler")
		f.setPassword("recycled-pw", "Second-Passw0rd!")
		Eventually(func() int { return f.sim.Count("update") }).Should(Equal(1))
		f.ready("recycler")
		f.setPassword("recycled-pw", "First-Passw0rd!")
		c := f.stalled("recycler", iamv1alpha1.ReasonPasswordRejected)
		Expect(c.Message).To(ContainSubstring("passwordHistory"))
		Expect(c.Message).NotTo(Or(ContainSubstring("First-Passw0rd!"), ContainSubstring("Second-Passw0rd!")))
		Expect(f.sim.Count("update")).To(Equal(2))
		f.quiet()
	})

	It("manager id unknown to JumpCloud: Stalled Rejected", func() {
		u := f.user("orphan")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Manager: &iamv1alpha1.ManagerReference{ID: "0123456789abcdef01234567"}}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		c := f.stalled("orphan", iamv1alpha1.ReasonRejected)
		Expect(c.Message).To(ContainSubstring("manager: user not found"))
		Expect(f.sim.Count("create")).To(Equal(1))
		f.quiet()
	})

	It("username refused by JumpCloud's own naming rules: Stalled Rejected", func() {
		f.sim.SetUsernameRules(jcsim.UsernameRules{Pattern: `^[a-z]+$`, MaxLength: 8})
		Expect(k8sClient.Create(ctx, f.user("averylongname"))).To(Succeed())
		c := f.stalled("averylongname", iamv1alpha1.ReasonRejected)
		Expect(c.Message).To(ContainSubstring("username must be at most 8 characters"))
		Expect(f.sim.Count("create")).To(Equal(1))
		f.quiet()
	})

	It("403 on create (the key may not write users): Stalled KeyRejected", func() {
		f.sim.InjectFault(jcsim.Fault{Op: "create", Code: 403})
		Expect(k8sClient.Create(ctx, f.user("forbidden"))).To(Succeed())
		c := f.stalled("forbidden", iamv1alpha1.ReasonKeyRejected)
		Expect(c.Message).To(ContainSubstring("Forbidden (HTTP 403)"))
		Expect(c.Message).NotTo(ContainSubstring(f.apiKey))
		Expect(f.sim.Count("create")).To(Equal(1))
		f.quiet()
	})

	It("401 on update (the key was revoked): Stalled KeyRejected", func() {
		u := f.user("revoked")
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Platform")}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.ready("revoked")
		f.sim.ResetLog()
		f.sim.InjectFault(jcsim.Fault{Op: "update", Code: 401})
		f.edit("revoked", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Profile.Department = ptr("Sales") })
		c := f.stalled("revoked", iamv1alpha1.ReasonKeyRejected)
		Expect(c.Message).To(ContainSubstring("Unauthorized (HTTP 401)"))
		Expect(f.sim.Count("update")).To(Equal(1))
		f.quiet()
	})

	It("an organization the key does not have (404): the connection Stalled KeyRejected", func() {
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "other-org"},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: f.sim.URL(), OrgID: orgB},
			},
		})).To(Succeed())
		var c metav1.Condition
		Eventually(func() string { c = connectionCondition(f.ns, "other-org"); return c.Reason }).Should(Equal(iamv1alpha1.ReasonKeyRejected))
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Message).To(ContainSubstring("Organization not found"))
		refused := 0
		for _, r := range f.sim.Requests() {
			if r.Status == 404 {
				refused++
			}
		}
		// The first verification's own status write wakes the connection once more (its watch has
		// no generation predicate), so a refused key costs two calls; then nothing.
		Expect(refused).To(BeNumerically("<=", 2), "verification is not retried in a loop")
		f.quiet()
	})

	It("an operation on a systemUserID JumpCloud does not know: Failed UserNotFound", func() {
		name := f.operation("", iamv1alpha1.OperationExpirePassword, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.UserRef, op.Spec.SystemUserID = nil, "0123456789abcdef01234567"
		})
		op := f.operationFailed(name, iamv1alpha1.ReasonUserNotFound)
		Expect(op.Status.Message).To(ContainSubstring("JumpCloud has no user 0123456789abcdef01234567"))
		Expect(op.Status.Attempts).To(Equal(int32(1)))
		Expect(f.sim.Count("expire")).To(Equal(1))
		f.quiet()
	})

	Context("with a Ready user", func() {
		BeforeEach(func() {
			Expect(k8sClient.Create(ctx, f.user("target"))).To(Succeed())
			f.ready("target")
			f.sim.ResetLog()
		})

		It("403 on an Unlock: Failed, not retried", func() {
			f.sim.InjectFault(jcsim.Fault{Op: "unlock", Code: 403})
			name := f.operation("target", iamv1alpha1.OperationUnlock)
			op := f.operationFailed(name, iamv1alpha1.ReasonFailed)
			Expect(op.Status.Message).To(ContainSubstring("JumpCloud refused the Unlock: jumpcloud unlock: Forbidden (HTTP 403)"))
			Expect(op.Status.Attempts).To(Equal(int32(1)))
			Expect(f.sim.Count("unlock")).To(Equal(1))
			f.quiet()
		})

		It("400 on a ResetMFA: Failed after one call", func() {
			f.sim.InjectFault(jcsim.Fault{Op: "resetmfa", Code: 400})
			name := f.operation("target", iamv1alpha1.OperationResetMFA)
			op := f.operationFailed(name, iamv1alpha1.ReasonFailed)
			Expect(op.Status.Message).To(ContainSubstring("JumpCloud refused the ResetMFA: jumpcloud resetmfa: Validation (HTTP 400)"))
			Expect(f.sim.Count("resetmfa")).To(Equal(1))
			f.quiet()
		})

		It("activating a SUSPENDED user (409): Failed with JumpCloud's reason", func() {
			f.edit("target", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Activated = ptr(false) })
			Eventually(func() iamv1alpha1.UserState { return f.get("target").Status.State }).Should(Equal(iamv1alpha1.UserStateSuspended))
			f.ready("target")
			f.sim.ResetLog()
			name := f.operation("target", iamv1alpha1.OperationActivate)
			op := f.operationFailed(name, iamv1alpha1.ReasonFailed)
			Expect(op.Status.Message).To(ContainSubstring("Conflict (HTTP 409): user is SUSPENDED"))
			Expect(f.sim.Count("activate")).To(Equal(1))
			f.quiet()
		})

		It("a delete JumpCloud refuses (409): Stalled Rejected, the finalizer kept", func() {
			f.edit("target", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.DeletionPolicy = iamv1alpha1.DeletionPolicyDelete })
			f.ready("target")
			f.sim.ResetLog()
			f.sim.InjectFault(jcsim.Fault{Op: "delete", Code: 409})
			Expect(k8sClient.Delete(ctx, f.get("target"))).To(Succeed())
			c := f.stalled("target", iamv1alpha1.ReasonRejected)
			Expect(c.Message).To(ContainSubstring("jumpcloud delete: Conflict (HTTP 409)"))
			got := f.get("target")
			Expect(got.DeletionTimestamp).NotTo(BeNil())
			Expect(got.Finalizers).To(ContainElement(iamv1alpha1.Finalizer), "the JumpCloud user still exists, so the resource stays")
			Expect(f.sim.Count("delete")).To(Equal(1))
			f.quiet()
			Expect(f.sim.UserCount(f.org)).To(Equal(1))
		})
	})
})
