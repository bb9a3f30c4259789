package metrics

import (
	"maps"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

func user(ns, name string, state iamv1alpha1.UserState, ready metav1.ConditionStatus) *iamv1alpha1.JumpCloudUser {
	u := &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	u.Status.State = state
	if ready != "" {
		u.Status.Conditions = []metav1.Condition{{Type: iamv1alpha1.ConditionReady, Status: ready, Reason: "Test"}}
	}
	return u
}

// group returns a group whose Ready condition has the status and reason ("" for none), with
// memberCount members when it is not negative, and the given number of unresolved members.
func group(ns, name string, ready metav1.ConditionStatus, reason string, memberCount int32, unresolved int) *iamv1alpha1.JumpCloudUserGroup {
	g := &iamv1alpha1.JumpCloudUserGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if ready != "" {
		g.Status.Conditions = []metav1.Condition{{Type: iamv1alpha1.ConditionReady, Status: ready, Reason: reason}}
	}
	if memberCount >= 0 {
		g.Status.MemberCount = &memberCount
	}
	for range unresolved {
		g.Status.UnresolvedMembers = append(g.Status.UnresolvedMembers, iamv1alpha1.UnresolvedMember{Member: "userRef x", Reason: "no such JumpCloudUser"})
	}
	return g
}

func operation(ns, name string, typ iamv1alpha1.OperationType, phase iamv1alpha1.OperationPhase) *iamv1alpha1.JumpCloudUserOperation {
	op := &iamv1alpha1.JumpCloudUserOperation{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	op.Spec.Type, op.Status.Phase = typ, phase
	return op
}

func newFakeResources(t *testing.T, objs ...client.Object) *Resources {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := iamv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	r := NewResources(nil)
	r.reader = fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	return r
}

// only keeps the series of one metric whose value is not zero.
func only(all map[string]float64, name string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range all {
		if strings.HasPrefix(k, name+"{") && v != 0 {
			out[k] = v
		}
	}
	return out
}

func TestResourcesCountUsers(t *testing.T) {
	r := newFakeResources(t,
		user("a", "alice", iamv1alpha1.UserStateActivated, metav1.ConditionTrue),
		user("a", "bob", iamv1alpha1.UserStateActivated, metav1.ConditionTrue),
		user("a", "carol", iamv1alpha1.UserStateSuspended, metav1.ConditionFalse),
		user("a", "dave", "", ""), // not acted on yet
		user("b", "erin", iamv1alpha1.UserStateStaged, metav1.ConditionUnknown),
	)
	r.active.Store(true)
	got, err := gather(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`jumpcloud_operator_users{namespace="a",ready="True",state="Activated"}`:  2,
		`jumpcloud_operator_users{namespace="a",ready="False",state="Suspended"}`: 1,
		`jumpcloud_operator_users{namespace="a",ready="Unknown",state="Unknown"}`: 1,
		`jumpcloud_operator_users{namespace="b",ready="Unknown",state="Staged"}`:  1,
	}
	if u := only(got, "jumpcloud_operator_users"); !maps.Equal(u, want) {
		t.Errorf("users = %v, want %v", u, want)
	}
	// Every state and Ready status is reported in each namespace that has users, zeros included.
	if n := testutil.CollectAndCount(r, "jumpcloud_operator_users"); n != 2*4*3 {
		t.Errorf("user series = %d, want %d", n, 2*4*3)
	}
	if v, ok := got[`jumpcloud_operator_users{namespace="b",ready="False",state="Activated"}`]; !ok || v != 0 {
		t.Errorf("zero series missing: %v %v", v, ok)
	}
}

func TestResourcesCountGroups(t *testing.T) {
	r := newFakeResources(t,
		group("a", "platform", metav1.ConditionTrue, iamv1alpha1.ReasonReconciled, 12, 0),
		group("a", "sre", metav1.ConditionTrue, iamv1alpha1.ReasonReconciled, 3, 0),
		group("a", "oncall", metav1.ConditionFalse, iamv1alpha1.ReasonMemberNotReady, 4, 2),
		group("a", "imported", metav1.ConditionTrue, iamv1alpha1.ReasonPaused, -1, 0), // members not managed
		group("a", "fresh", "", "", -1, 0),                                            // not acted on yet
		group("b", "dupe", metav1.ConditionFalse, iamv1alpha1.ReasonManagedElsewhere, -1, 0),
		// A reason outside the zero-filled pairs is reported all the same.
		group("b", "odd", metav1.ConditionFalse, iamv1alpha1.ReasonOutcomeUnknown, -1, 0),
	)
	r.active.Store(true)
	got, err := gather(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`jumpcloud_operator_groups{namespace="a",ready="True",reason="Reconciled"}`:        2,
		`jumpcloud_operator_groups{namespace="a",ready="False",reason="MemberNotReady"}`:   1,
		`jumpcloud_operator_groups{namespace="a",ready="True",reason="Paused"}`:            1,
		`jumpcloud_operator_groups{namespace="a",ready="Unknown",reason="Unknown"}`:        1,
		`jumpcloud_operator_groups{namespace="b",ready="False",reason="ManagedElsewhere"}`: 1,
		`jumpcloud_operator_groups{namespace="b",ready="False",reason="OutcomeUnknown"}`:   1,
	}
	if g := only(got, "jumpcloud_operator_groups"); !maps.Equal(g, want) {
		t.Errorf("groups = %v, want %v", g, want)
	}
	// Every Ready status and reason pair a group can have is reported in each namespace that has
	// groups, zeros included; the unexpected reason adds one series.
	if n, want := testutil.CollectAndCount(r, "jumpcloud_operator_groups"), 2*len(groupSeries)+1; n != want {
		t.Errorf("group series = %d, want %d", n, want)
	}
	if v, ok := got[`jumpcloud_operator_groups{namespace="b",ready="False",reason="MemberNotReady"}`]; !ok || v != 0 {
		t.Errorf("zero series missing: %v %v", v, ok)
	}

	// One series per namespace with groups, a sum over them; zero when no group knows its members.
	want = map[string]float64{
		`jumpcloud_operator_group_members{namespace="a"}`:            19,
		`jumpcloud_operator_group_members{namespace="b"}`:            0,
		`jumpcloud_operator_group_unresolved_members{namespace="a"}`: 2,
		`jumpcloud_operator_group_unresolved_members{namespace="b"}`: 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (reported: %v), want %v", k, g, ok, v)
		}
	}
	if n := testutil.CollectAndCount(r, "jumpcloud_operator_group_members", "jumpcloud_operator_group_unresolved_members"); n != 4 {
		t.Errorf("member series = %d, want 4", n)
	}
}

// The zero-filled group pairs are distinct, and each reason comes with one Ready status only.
func TestGroupSeries(t *testing.T) {
	status := map[string]string{}
	for _, p := range groupSeries {
		if s, seen := status[p.b]; seen {
			t.Errorf("reason %s listed with Ready %s and %s", p.b, s, p.a)
		}
		status[p.b] = p.a
	}
}

func TestResourcesCountOperations(t *testing.T) {
	r := newFakeResources(t,
		operation("a", "op1", iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationSucceeded),
		operation("a", "op2", iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationSucceeded),
		operation("a", "op3", iamv1alpha1.OperationUnlock, iamv1alpha1.OperationFailed),
		operation("a", "op4", iamv1alpha1.OperationActivate, ""), // not acted on yet: Pending
		operation("c", "op5", iamv1alpha1.OperationExpirePassword, iamv1alpha1.OperationRunning),
	)
	r.active.Store(true)
	got, err := gather(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`jumpcloud_operator_operations{namespace="a",phase="Succeeded",type="ResetMFA"}`:     2,
		`jumpcloud_operator_operations{namespace="a",phase="Failed",type="Unlock"}`:          1,
		`jumpcloud_operator_operations{namespace="a",phase="Pending",type="Activate"}`:       1,
		`jumpcloud_operator_operations{namespace="c",phase="Running",type="ExpirePassword"}`: 1,
	}
	if ops := only(got, "jumpcloud_operator_operations"); !maps.Equal(ops, want) {
		t.Errorf("operations = %v, want %v", ops, want)
	}
	if n := testutil.CollectAndCount(r, "jumpcloud_operator_operations"); n != 2*4*4 {
		t.Errorf("operation series = %d, want %d", n, 2*4*4)
	}
	// No user or group in the cache: no user or group series at all.
	if u := testutil.CollectAndCount(r, "jumpcloud_operator_users", "jumpcloud_operator_groups",
		"jumpcloud_operator_group_members", "jumpcloud_operator_group_unresolved_members"); u != 0 {
		t.Errorf("user and group series = %d, want 0", u)
	}
}

// Before Start (and on replicas that are not the leader) the gauges are not reported.
func TestResourcesInactive(t *testing.T) {
	r := newFakeResources(t,
		user("a", "alice", iamv1alpha1.UserStateActivated, metav1.ConditionTrue),
		group("a", "platform", metav1.ConditionTrue, iamv1alpha1.ReasonReconciled, 1, 0),
	)
	if n := testutil.CollectAndCount(r, "jumpcloud_operator_users", "jumpcloud_operator_groups",
		"jumpcloud_operator_group_members", "jumpcloud_operator_group_unresolved_members", "jumpcloud_operator_operations"); n != 0 {
		t.Errorf("series before Start = %d, want 0", n)
	}
}

func TestResourcesCountCompletions(t *testing.T) {
	r := NewResources(nil)
	const (
		pending   = iamv1alpha1.OperationPending
		running   = iamv1alpha1.OperationRunning
		succeeded = iamv1alpha1.OperationSucceeded
		failed    = iamv1alpha1.OperationFailed
	)
	for _, tc := range []struct {
		from, to iamv1alpha1.OperationPhase
		typ      iamv1alpha1.OperationType
	}{
		{"", pending, iamv1alpha1.OperationResetMFA},      // not a completion
		{pending, running, iamv1alpha1.OperationResetMFA}, // not a completion
		{running, succeeded, iamv1alpha1.OperationResetMFA},
		{succeeded, succeeded, iamv1alpha1.OperationResetMFA}, // a resync, or a later status write
		{running, failed, iamv1alpha1.OperationUnlock},
		{"", failed, iamv1alpha1.OperationUnlock}, // rejected before any call
		{pending, failed, iamv1alpha1.OperationUnlock},
	} {
		r.operationUpdated(operation("a", "op", tc.typ, tc.from), operation("a", "op", tc.typ, tc.to))
	}
	r.operationUpdated("not an operation", operation("a", "op", iamv1alpha1.OperationUnlock, succeeded))

	if got := testutil.ToFloat64(r.completed.WithLabelValues("a", "ResetMFA", "Succeeded")); got != 1 {
		t.Errorf("ResetMFA Succeeded = %v, want 1", got)
	}
	if got := testutil.ToFloat64(r.completed.WithLabelValues("a", "Unlock", "Failed")); got != 3 {
		t.Errorf("Unlock Failed = %v, want 3", got)
	}
	if n := testutil.CollectAndCount(r.completed); n != 2 {
		t.Errorf("completion series = %d, want 2", n)
	}
}

func TestResourcesLint(t *testing.T) {
	r := newFakeResources(t,
		user("a", "alice", iamv1alpha1.UserStateActivated, metav1.ConditionTrue),
		group("a", "platform", metav1.ConditionFalse, iamv1alpha1.ReasonMemberNotReady, 1, 1),
		operation("a", "op1", iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationSucceeded),
	)
	r.active.Store(true)
	r.operationUpdated(operation("a", "op1", iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationRunning),
		operation("a", "op1", iamv1alpha1.OperationResetMFA, iamv1alpha1.OperationSucceeded))
	r.listErrors.WithLabelValues("JumpCloudUser")
	problems, err := testutil.CollectAndLint(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
