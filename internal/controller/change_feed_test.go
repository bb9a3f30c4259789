package controller

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// feedInterval is the shortest interval the API accepts.
const feedInterval = 5 * time.Second

// withFeed turns on the connection's change feed. The connection's own resync interval (10m) is
// far longer than these specs: what they see corrected, the feed corrected.
func withFeed(s *iamv1alpha1.JumpCloudConnectionSpec) {
	s.ChangeFeed = &iamv1alpha1.ChangeFeed{Enabled: true, Interval: &metav1.Duration{Duration: feedInterval}}
}

// feedCondition returns the connection's ChangeFeed condition (reason "Absent" when it has none).
func (f *fixture) feedCondition() metav1.Condition {
	var c iamv1alpha1.JumpCloudConnection
	ExpectWithOffset(1, k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}, &c)).To(Succeed())
	return conditionOf(c.Status.Conditions, iamv1alpha1.ConditionChangeFeed)
}

// setFeed patches the connection's change feed.
func (f *fixture) setFeed(feed *iamv1alpha1.ChangeFeed) {
	EventuallyWithOffset(1, func() error {
		var c iamv1alpha1.JumpCloudConnection
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: iamv1alpha1.DefaultConnectionName}, &c); err != nil {
			return err
		}
		c.Spec.ChangeFeed = feed
		return k8sClient.Update(ctx, &c)
	}).Should(Succeed())
}

// polls waits until the feed polled n more times, so that every event recorded before the call
// was read.
func (f *fixture) polls(n int) {
	start := f.sim.Count("events")
	EventuallyWithOffset(1, func() int { return f.sim.Count("events") }).
		WithTimeout(time.Duration(n+2) * feedInterval).Should(BeNumerically(">=", start+n))
}

// createdUnread creates a user, waits until it is Ready and until the feed has read the create's
// own event twice over, checks that the operator did not read the user back for it, and returns
// its id with an empty request log.
func (f *fixture) createdUnread(name string) string {
	ExpectWithOffset(1, k8sClient.Create(ctx, f.user(name))).To(Succeed())
	id := f.ready(name).Status.ID
	f.polls(2)
	f.sim.ResetLog()
	f.polls(2)
	ExpectWithOffset(1, f.sim.Count("get")).To(BeZero(), "the operator's own create read back from the feed")
	return id
}

var _ = Describe("The change feed", func() {
	It("reverts a console edit within a poll, with one read and one write, and leaves its own writes alone", func() {
		f := newFixture(withFeed)
		Eventually(f.feedCondition).Should(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", iamv1alpha1.ReasonPolling)))
		id := f.createdUnread("ada")

		Expect(f.sim.EditUser(f.org, id, func(u *jcsim.User) { u.Email = "console@example.com" })).To(Succeed())
		Eventually(func() string { return f.simUser(id).Email }).WithTimeout(3 * feedInterval).Should(Equal("ada@example.com"))
		// The correction's own event comes round too.
		f.polls(2)
		Expect(f.sim.Count("get")).To(Equal(1), "reads of the edited user")
		Expect(f.sim.Count("update")).To(Equal(1), "writes to the edited user")
		Eventually(func() []string { return f.events("ada") }).Should(ContainElement("DriftCorrected"))
	})

	It("copes with late events, its own user agent in them and a 429, and still acts once", func() {
		f := newFixture(withFeed)
		// Events show up 3s late; they name the raw User-Agent, which carries this process's mark.
		f.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.EventDelay, k.EventsRawUserAgent = 3*time.Second, true })
		id := f.createdUnread("bea")

		f.sim.InjectFault(jcsim.Fault{Op: "events", Code: 429, RetryAfter: "1"})
		Expect(f.sim.EditUser(f.org, id, func(u *jcsim.User) { u.Email = "console@example.com" })).To(Succeed())
		Eventually(func() string { return f.simUser(id).Email }).WithTimeout(4 * feedInterval).Should(Equal("bea@example.com"))
		f.polls(2)
		Expect(f.sim.Count("get")).To(Equal(1), "reads of the edited user")
		Expect(f.sim.Count("update")).To(Equal(1), "writes to the edited user")
		Expect(f.feedCondition()).To(HaveField("Status", metav1.ConditionTrue), "one 429 does not make the feed unhealthy")
	})

	It("puts back a group member removed in the console", func() {
		f := newFixture(withFeed, fastConnection)
		Expect(k8sClient.Create(ctx, f.user("ann"))).To(Succeed())
		uid := f.ready("ann").Status.ID
		Expect(k8sClient.Create(ctx, f.group("ops", iamv1alpha1.JumpCloudUserGroupSpec{Members: &iamv1alpha1.GroupMembers{
			Users: []iamv1alpha1.GroupMember{{UserRef: &iamv1alpha1.LocalObjectReference{Name: "ann"}}},
		}}))).To(Succeed())
		gid := f.groupReady("ops").Status.ID
		Eventually(func() []string { return f.members(gid) }).Should(ConsistOf(uid))

		Expect(f.sim.RemoveMember(f.org, gid, uid)).To(Succeed())
		Eventually(func() []string { return f.members(gid) }).WithTimeout(3 * feedInterval).Should(ConsistOf(uid))
	})

	It("reports a feed JumpCloud refuses, and drops the condition when the feed is turned off", func() {
		f := newFixture()
		Expect(f.feedCondition()).To(HaveField("Reason", "Absent"))
		f.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.InsightsDisabled = true })
		f.setFeed(&iamv1alpha1.ChangeFeed{Enabled: true, Interval: &metav1.Duration{Duration: feedInterval}})
		Eventually(f.feedCondition).Should(And(HaveField("Status", metav1.ConditionFalse),
			HaveField("Reason", iamv1alpha1.ReasonFeedRefused), HaveField("Message", ContainSubstring("Directory Insights"))))
		Expect(f.feedCondition().Message).NotTo(ContainSubstring(f.apiKey))
		// Refused, the feed is not asked again for a while.
		calls := f.sim.Count("events")
		Consistently(func() int { return f.sim.Count("events") }).WithTimeout(feedInterval + time.Second).Should(Equal(calls))

		f.setFeed(nil)
		Eventually(f.feedCondition).Should(HaveField("Reason", "Absent"))
	})
})
