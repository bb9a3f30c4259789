package controller

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// operation creates a JumpCloudUserOperation on the named JumpCloudUser.
func (f *fixture) operation(user string, typ iamv1alpha1.OperationType, edit ...func(*iamv1alpha1.JumpCloudUserOperation)) string {
	op := &iamv1alpha1.JumpCloudUserOperation{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: strings.ToLower(string(typ)) + "-" + rand.String(5)},
		Spec:       iamv1alpha1.JumpCloudUserOperationSpec{UserRef: &iamv1alpha1.LocalObjectReference{Name: user}, Type: typ},
	}
	for _, e := range edit {
		e(op)
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, op)).To(Succeed())
	return op.Name
}

func (f *fixture) getOp(name string) *iamv1alpha1.JumpCloudUserOperation {
	var op iamv1alpha1.JumpCloudUserOperation
	ExpectWithOffset(1, k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &op)).To(Succeed())
	return &op
}

// finished waits for an operation to reach the phase and returns it.
func (f *fixture) finished(name string, phase iamv1alpha1.OperationPhase) *iamv1alpha1.JumpCloudUserOperation {
	var op *iamv1alpha1.JumpCloudUserOperation
	EventuallyWithOffset(1, func(g Gomega) {
		op = f.getOp(name)
		g.Expect(op.Status.Phase).To(Equal(phase), op.Status.Message)
	}).Should(Succeed())
	return op
}

var _ = Describe("JumpCloudUserOperation", func() {
	var f *fixture
	var id string
	BeforeEach(func() {
		f = newFixture()
		u := f.user("olive")
		u.Spec.Activated = ptr(false)
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		id = f.ready("olive").Status.ID
		f.sim.ResetLog()
	})

	DescribeTable("runs each operation once",
		func(typ iamv1alpha1.OperationType, simOp string) {
			name := f.operation("olive", typ)
			op := f.finished(name, iamv1alpha1.OperationSucceeded)
			Expect(op.Status.Attempts).To(Equal(int32(1)))
			Expect(op.Status.SystemUserID).To(Equal(id))
			Expect(op.Status.StartTime).NotTo(BeNil())
			Expect(op.Status.CompletionTime).NotTo(BeNil())
			Expect(conditionOf(op.Status.Conditions, iamv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
			Expect(f.sim.Count(simOp)).To(Equal(1))
			Eventually(func() []string { return f.events(name) }).Should(ContainElement(iamv1alpha1.ReasonSucceeded))
			Consistently(func() int { return f.sim.Count(simOp) }, 300*time.Millisecond).Should(Equal(1))
		},
		Entry("ExpirePassword", iamv1alpha1.OperationExpirePassword, "expire"),
		Entry("ResetMFA", iamv1alpha1.OperationResetMFA, "resetmfa"),
		Entry("Unlock", iamv1alpha1.OperationUnlock, "unlock"),
		Entry("Activate", iamv1alpha1.OperationActivate, "activate"),
	)

	It("shows what a successful operation changed on its JumpCloudUser without waiting for a resync", func() {
		Expect(f.sim.LockOut(f.org, id)).To(Succeed())
		u := f.resync("olive")
		Expect(conditionOf(u.Status.Conditions, iamv1alpha1.ConditionReady).Reason).To(Equal(iamv1alpha1.ReasonLockedOut))
		Expect(u.Status.Locked).To(HaveValue(BeTrue()))

		f.finished(f.operation("olive", iamv1alpha1.OperationUnlock), iamv1alpha1.OperationSucceeded)
		// The connection's resync interval is 10 minutes: only the operation can bring this pass.
		Eventually(func(g Gomega) {
			u := f.get("olive")
			g.Expect(u.Status.Locked).To(HaveValue(BeFalse()))
			g.Expect(conditionOf(u.Status.Conditions, iamv1alpha1.ConditionReady)).To(And(
				HaveField("Status", metav1.ConditionTrue), HaveField("Reason", iamv1alpha1.ReasonReconciled)))
		}).Should(Succeed())
		Expect(f.sim.Count("unlock")).To(Equal(1), "the user's pass does not unlock again")
	})

	It("passes exclusionDays and exclusionUntil to JumpCloud", func() {
		days := f.operation("olive", iamv1alpha1.OperationResetMFA, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.ResetMFA = &iamv1alpha1.ResetMFAParameters{ExclusionDays: ptr(int32(20))}
		})
		f.finished(days, iamv1alpha1.OperationSucceeded)
		Expect(f.simUser(id).MFA.ExclusionDays).To(Equal(20))
		Expect(f.sim.RequestsFor("resetmfa")[0].Detail).To(ContainSubstring("20"))

		until := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
		untilOp := f.operation("olive", iamv1alpha1.OperationResetMFA, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.ResetMFA = &iamv1alpha1.ResetMFAParameters{ExclusionUntil: &metav1.Time{Time: until}}
		})
		f.finished(untilOp, iamv1alpha1.OperationSucceeded)
		Expect(f.simUser(id).MFA.ExclusionUntil).To(HaveValue(HavePrefix("2027-01-15T00:00:00")))
		Expect(f.sim.Count("resetmfa")).To(Equal(2))
	})

	It("waits for a JumpCloudUser that does not exist yet, then runs", func() {
		name := f.operation("later", iamv1alpha1.OperationExpirePassword)
		Eventually(func() string { return f.getOp(name).Status.Message }).Should(ContainSubstring("waiting for JumpCloudUser later"))
		Expect(f.getOp(name).Status.Phase).To(Equal(iamv1alpha1.OperationPending))
		Expect(f.sim.Count("expire")).To(BeZero())

		Expect(k8sClient.Create(ctx, f.user("later"))).To(Succeed())
		op := f.finished(name, iamv1alpha1.OperationSucceeded)
		Expect(op.Status.SystemUserID).To(Equal(f.ready("later").Status.ID))
		Expect(f.sim.Count("expire")).To(Equal(1))
	})

	It("waits for a JumpCloudUser not yet created in JumpCloud", func() {
		u := f.user("unborn")
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "nope", Key: "password"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		f.stalled("unborn", iamv1alpha1.ReasonSecretNotFound)
		name := f.operation("unborn", iamv1alpha1.OperationUnlock)
		Eventually(func() string { return f.getOp(name).Status.Message }).Should(ContainSubstring("to be created in JumpCloud"))
		Expect(f.sim.Count("unlock")).To(BeZero())
	})

	It("fails on an unknown systemUserID without retrying", func() {
		name := f.operation("", iamv1alpha1.OperationUnlock, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.UserRef, op.Spec.SystemUserID = nil, "0123456789abcdef01234567"
		})
		op := f.finished(name, iamv1alpha1.OperationFailed)
		Expect(conditionOf(op.Status.Conditions, iamv1alpha1.ConditionStalled).Reason).To(Equal(iamv1alpha1.ReasonUserNotFound))
		Expect(op.Status.Attempts).To(Equal(int32(1)))
		Consistently(func() int { return f.sim.Count("unlock") }, 300*time.Millisecond).Should(Equal(1))
	})

	It("acts on a systemUserID through the default connection", func() {
		name := f.operation("", iamv1alpha1.OperationExpirePassword, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.UserRef, op.Spec.SystemUserID = nil, id
		})
		f.finished(name, iamv1alpha1.OperationSucceeded)
		Expect(f.simUser(id).PasswordExpired).To(BeTrue())
	})

	It("retries transient failures and succeeds", func() {
		f.sim.FailNext("resetmfa", 2, 503)
		name := f.operation("olive", iamv1alpha1.OperationResetMFA)
		op := f.finished(name, iamv1alpha1.OperationSucceeded)
		Expect(op.Status.Attempts).To(Equal(int32(3)))
		Expect(f.sim.Count("resetmfa")).To(Equal(3))
		Expect(f.simUser(id).MFA.Configured || true).To(BeTrue())

		f.sim.FailNext("unlock", 2, 503)
		unlock := f.operation("olive", iamv1alpha1.OperationUnlock)
		f.finished(unlock, iamv1alpha1.OperationSucceeded)
		Expect(f.sim.Count("unlock")).To(Equal(3), "the client retries an idempotent call within one attempt")
	})

	It("gives up after the attempt budget", func() {
		f.sim.FailNext("resetmfa", 100, 503)
		name := f.operation("olive", iamv1alpha1.OperationResetMFA)
		op := f.finished(name, iamv1alpha1.OperationFailed)
		Expect(conditionOf(op.Status.Conditions, iamv1alpha1.ConditionStalled).Reason).To(Equal(iamv1alpha1.ReasonRetriesExhausted))
		Expect(op.Status.Attempts).To(Equal(int32(DefaultMaxAttempts)))
		Expect(f.sim.Count("resetmfa")).To(Equal(DefaultMaxAttempts))
	})

	It("deletes a finished operation after ttlSecondsAfterFinished", func() {
		name := f.operation("olive", iamv1alpha1.OperationUnlock, func(op *iamv1alpha1.JumpCloudUserOperation) {
			op.Spec.TTLSecondsAfterFinished = ptr(int32(1))
		})
		f.finished(name, iamv1alpha1.OperationSucceeded)
		Eventually(func() bool {
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &iamv1alpha1.JumpCloudUserOperation{})
			return apierrors.IsNotFound(err)
		}).Should(BeTrue())
	})
})

var _ = Describe("One-shot annotations", func() {
	var f *fixture
	var id string
	BeforeEach(func() {
		f = newFixture()
		Expect(k8sClient.Create(ctx, f.user("pam"))).To(Succeed())
		id = f.ready("pam").Status.ID
		f.sim.ResetLog()
	})

	annotate := func(kv ...string) {
		f.edit("pam", func(u *iamv1alpha1.JumpCloudUser) {
			if u.Annotations == nil {
				u.Annotations = map[string]string{}
			}
			for i := 0; i < len(kv); i += 2 {
				u.Annotations[kv[i]] = kv[i+1]
			}
		})
	}

	DescribeTable("run once per token",
		func(annotation, simOp string, handled func(*iamv1alpha1.LastHandledTokens) string) {
			annotate(annotation, "t1")
			Eventually(func() int { return f.sim.Count(simOp) }).Should(Equal(1))
			Eventually(func() string { return handled(f.get("pam").Status.LastHandled) }).Should(Equal("t1"))

			f.resync("pam") // the same token again: a re-apply
			Expect(f.sim.Count(simOp)).To(Equal(1))
			Expect(f.get("pam").Annotations).To(HaveKeyWithValue(annotation, "t1"), "annotations are never removed")

			annotate(annotation, "t2")
			Eventually(func() string { return handled(f.get("pam").Status.LastHandled) }).Should(Equal("t2"))
			Expect(f.sim.Count(simOp)).To(Equal(2))
		},
		Entry("expire-password", iamv1alpha1.AnnotationExpirePassword, "expire",
			func(t *iamv1alpha1.LastHandledTokens) string { return t.ExpirePassword }),
		Entry("reset-mfa", iamv1alpha1.AnnotationResetMFA, "resetmfa",
			func(t *iamv1alpha1.LastHandledTokens) string { return t.ResetMFA }),
		Entry("unlock", iamv1alpha1.AnnotationUnlock, "unlock",
			func(t *iamv1alpha1.LastHandledTokens) string { return t.Unlock }),
	)

	It("passes reset-mfa parameters", func() {
		annotate(iamv1alpha1.AnnotationResetMFAExclusionDays, "9", iamv1alpha1.AnnotationResetMFA, "ticket-1")
		Eventually(func() int { return f.simUser(id).MFA.ExclusionDays }).Should(Equal(9))
		annotate(iamv1alpha1.AnnotationResetMFAExclusionDays, "", iamv1alpha1.AnnotationResetMFA, "ticket-2")
		f.edit("pam", func(u *iamv1alpha1.JumpCloudUser) {
			delete(u.Annotations, iamv1alpha1.AnnotationResetMFAExclusionDays)
			u.Annotations[iamv1alpha1.AnnotationResetMFAExclusionUntil] = "2027-02-01T00:00:00Z"
		})
		Eventually(func() *string { return f.simUser(id).MFA.ExclusionUntil }).Should(HaveValue(HavePrefix("2027-02-01T00:00:00")))
	})

	It("refuses invalid parameters with a Warning and a condition, without a call", func() {
		annotate(iamv1alpha1.AnnotationResetMFAExclusionDays, "abc", iamv1alpha1.AnnotationResetMFA, "t1")
		c := f.stalled("pam", iamv1alpha1.ReasonInvalidAnnotation)
		Expect(c.Message).To(ContainSubstring(`got "abc"`))
		Eventually(func() []string { return f.events("pam") }).Should(ContainElement(iamv1alpha1.ReasonInvalidAnnotation))
		Expect(f.sim.Count("resetmfa")).To(BeZero())

		annotate(iamv1alpha1.AnnotationResetMFAExclusionDays, "3")
		Eventually(func() int { return f.sim.Count("resetmfa") }).Should(Equal(1))
		f.ready("pam")
	})

	It("runs a token set before the user exists once it exists", func() {
		u := f.user("quentin")
		u.Annotations = map[string]string{iamv1alpha1.AnnotationExpirePassword: "day-one"}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Eventually(func() string {
			got := f.get("quentin")
			if got.Status.LastHandled == nil {
				return ""
			}
			return got.Status.LastHandled.ExpirePassword
		}).Should(Equal("day-one"))
		Expect(f.sim.Count("expire")).To(Equal(1))
		Expect(f.sim.Count("create")).To(Equal(1))
	})

	It("treats a reset that got no answer as done, never calling twice", func() {
		f.sim.InjectFault(jcsim.Fault{Op: "resetmfa", Drop: true, AfterCommit: true})
		annotate(iamv1alpha1.AnnotationResetMFA, "lost")
		Eventually(func() []string { return f.events("pam") }).Should(ContainElement(iamv1alpha1.ReasonOutcomeUnknown))
		Expect(f.get("pam").Status.LastHandled.ResetMFA).To(Equal("lost"))
		Consistently(func() int { return f.sim.Count("resetmfa") }, 300*time.Millisecond).Should(Equal(1))
	})
})
