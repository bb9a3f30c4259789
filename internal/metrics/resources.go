package metrics

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// listTimeout bounds the reads of the cache during a scrape. They are in memory once the cache
// has synced, which it has before Start runs.
const listTimeout = 5 * time.Second

// stateUnknown labels what was not observed yet: the state of a user not created in JumpCloud
// yet or waiting for its connection, the Ready reason of a group before its first pass.
const stateUnknown = "Unknown"

// Label values filled with zeros in every namespace that has users, groups or operations, so
// that a query for, say, users that are not Ready returns 0 instead of nothing.
var (
	userStates      = []string{string(iamv1alpha1.UserStateStaged), string(iamv1alpha1.UserStateActivated), string(iamv1alpha1.UserStateSuspended), stateUnknown}
	conditionValues = []string{string(metav1.ConditionTrue), string(metav1.ConditionFalse), string(metav1.ConditionUnknown)}
	operationTypes  = []string{string(iamv1alpha1.OperationExpirePassword), string(iamv1alpha1.OperationResetMFA), string(iamv1alpha1.OperationUnlock), string(iamv1alpha1.OperationActivate)}
	operationPhases = []string{string(iamv1alpha1.OperationPending), string(iamv1alpha1.OperationRunning), string(iamv1alpha1.OperationSucceeded), string(iamv1alpha1.OperationFailed)}

	userSeries      = product(userStates, conditionValues)
	operationSeries = product(operationTypes, operationPhases)
	// groupSeries are the Ready statuses and reasons a JumpCloudUserGroup can have, each reason
	// with the status it comes with: Ready True when JumpCloud matches (or the group is paused),
	// False while the operator works or waits (Reconciling) or needs a person (Stalled), Unknown
	// before the first pass. A reason missing here is still reported, only without zeros; reasons
	// are the API's constants, so the label stays a small fixed set.
	groupSeries = slices.Concat(
		product([]string{string(metav1.ConditionTrue)}, []string{
			iamv1alpha1.ReasonReconciled, iamv1alpha1.ReasonPaused,
		}),
		product([]string{string(metav1.ConditionFalse)}, []string{
			// Reconciling: working or waiting.
			iamv1alpha1.ReasonProgressing, iamv1alpha1.ReasonUnreachable, iamv1alpha1.ReasonMemberNotReady,
			iamv1alpha1.ReasonDeleting, iamv1alpha1.ReasonConnectionNotReady,
			// Stalled: a person is needed (GroupNotFound is also a short wait to create the group again).
			iamv1alpha1.ReasonGroupNotFound, iamv1alpha1.ReasonAlreadyExists, iamv1alpha1.ReasonManagedElsewhere,
			iamv1alpha1.ReasonRejected, iamv1alpha1.ReasonKeyRejected, iamv1alpha1.ReasonUserNotFound,
			iamv1alpha1.ReasonConnectionNotFound, iamv1alpha1.ReasonNamespaceNotAllowed,
		}),
		product([]string{string(metav1.ConditionUnknown)}, []string{stateUnknown}),
	)
)

// Resources reports the JumpCloudUsers, JumpCloudUserGroups and JumpCloudUserOperations of the
// manager's cache. The gauges are counted at scrape time from the cache, so they cost no API call
// and cannot drift; the completion counter follows the operations' informer.
//
// It is a leader-election runnable: only the elected replica reports, so that the series of
// several replicas add up. Until it is started, Collect reports the counters only.
type Resources struct {
	reader    client.Reader
	informers cache.Informers
	active    atomic.Bool

	users           *prometheus.Desc
	groups          *prometheus.Desc
	groupMembers    *prometheus.Desc
	groupUnresolved *prometheus.Desc
	operations      *prometheus.Desc
	completed       *prometheus.CounterVec
	listErrors      *prometheus.CounterVec
}

// NewResources returns unregistered resource metrics that read from c; add them to the manager
// (they are a Runnable) and register them.
func NewResources(c cache.Cache) *Resources {
	return &Resources{
		reader:    c,
		informers: c,
		users: prometheus.NewDesc(namespace+"_users",
			"JumpCloudUsers by namespace, observed JumpCloud state (Staged, Activated, Suspended, Unknown when not observed yet) and status of the Ready condition (True, False, Unknown).",
			[]string{"namespace", "state", "ready"}, nil),
		groups: prometheus.NewDesc(namespace+"_groups",
			"JumpCloudUserGroups by namespace, status of the Ready condition (True, False, Unknown) and its reason (Reconciled, MemberNotReady, AlreadyExists, ...; Unknown before the first pass).",
			[]string{"namespace", "ready", "reason"}, nil),
		groupMembers: prometheus.NewDesc(namespace+"_group_members",
			"Members of the JumpCloudUserGroups by namespace, summed over the groups: status.memberCount, JumpCloud's count when the operator last synced the group's members (groups whose members it never synced add nothing).",
			[]string{"namespace"}, nil),
		groupUnresolved: prometheus.NewDesc(namespace+"_group_unresolved_members",
			"Members named in JumpCloudUserGroup specs that are no JumpCloud users yet (status.unresolvedMembers), by namespace, summed over the groups.",
			[]string{"namespace"}, nil),
		operations: prometheus.NewDesc(namespace+"_operations",
			"JumpCloudUserOperations by namespace, type and phase (an operation not acted on yet counts as Pending).",
			[]string{"namespace", "type", "phase"}, nil),
		completed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: namespace + "_operations_completed_total",
			Help: "JumpCloudUserOperations that reached Succeeded or Failed while this replica was the leader, by namespace, type and result.",
		}, []string{"namespace", "type", "result"}),
		listErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: namespace + "_resource_metrics_errors_total",
			Help: "Scrapes whose resource gauges are missing because the cache could not be read, by kind.",
		}, []string{"kind"}),
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: only the leader reports.
func (r *Resources) NeedLeaderElection() bool { return true }

// Start implements manager.Runnable. It counts completed operations and enables the gauges until
// ctx ends.
func (r *Resources) Start(ctx context.Context) error {
	inf, err := r.informers.GetInformer(ctx, &iamv1alpha1.JumpCloudUserOperation{})
	if err != nil {
		return err
	}
	// Adding a handler replays existing objects as adds, which are ignored: only a transition seen
	// as an update is a completion.
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{UpdateFunc: r.operationUpdated})
	if err != nil {
		return err
	}
	r.active.Store(true)
	<-ctx.Done()
	r.active.Store(false)
	return inf.RemoveEventHandler(reg)
}

// operationUpdated counts an operation that moved into Succeeded or Failed.
func (r *Resources) operationUpdated(oldObj, newObj any) {
	prev, ok1 := oldObj.(*iamv1alpha1.JumpCloudUserOperation)
	op, ok2 := newObj.(*iamv1alpha1.JumpCloudUserOperation)
	if !ok1 || !ok2 || finished(prev.Status.Phase) || !finished(op.Status.Phase) {
		return
	}
	r.completed.WithLabelValues(op.Namespace, string(op.Spec.Type), string(op.Status.Phase)).Inc()
}

func finished(p iamv1alpha1.OperationPhase) bool {
	return p == iamv1alpha1.OperationSucceeded || p == iamv1alpha1.OperationFailed
}

// Describe implements prometheus.Collector.
func (r *Resources) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.users
	ch <- r.groups
	ch <- r.groupMembers
	ch <- r.groupUnresolved
	ch <- r.operations
	r.completed.Describe(ch)
	r.listErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (r *Resources) Collect(ch chan<- prometheus.Metric) {
	if r.active.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
		defer cancel()
		r.collectUsers(ctx, ch)
		r.collectGroups(ctx, ch)
		r.collectOperations(ctx, ch)
	}
	r.completed.Collect(ch)
	r.listErrors.Collect(ch)
}

func (r *Resources) collectUsers(ctx context.Context, ch chan<- prometheus.Metric) {
	var list iamv1alpha1.JumpCloudUserList
	// Read-only: the cache's objects are counted without copying them.
	if err := r.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		r.listFailed("JumpCloudUser", err)
		return
	}
	emit(ch, r.users, countUsers(list.Items), userSeries)
}

func (r *Resources) collectGroups(ctx context.Context, ch chan<- prometheus.Metric) {
	var list iamv1alpha1.JumpCloudUserGroupList
	if err := r.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		r.listFailed("JumpCloudUserGroup", err)
		return
	}
	c := countGroups(list.Items)
	emit(ch, r.groups, c.byReadiness, groupSeries)
	for ns, n := range c.members {
		ch <- prometheus.MustNewConstMetric(r.groupMembers, prometheus.GaugeValue, n, ns)
	}
	for ns, n := range c.unresolved {
		ch <- prometheus.MustNewConstMetric(r.groupUnresolved, prometheus.GaugeValue, n, ns)
	}
}

func (r *Resources) collectOperations(ctx context.Context, ch chan<- prometheus.Metric) {
	var list iamv1alpha1.JumpCloudUserOperationList
	if err := r.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		r.listFailed("JumpCloudUserOperation", err)
		return
	}
	emit(ch, r.operations, countOperations(list.Items), operationSeries)
}

func (r *Resources) listFailed(kind string, err error) {
	r.listErrors.WithLabelValues(kind).Inc()
	logf.Log.WithName("metrics").Error(err, "Failed to read the cache for metrics", "kind", kind)
}

// key is one series of a gauge: a namespace and two label values.
type key struct{ namespace, a, b string }

// pair is the two label values of a series, without the namespace.
type pair struct{ a, b string }

// product returns every pair of an a from as and a b from bs.
func product(as, bs []string) []pair {
	ps := make([]pair, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			ps = append(ps, pair{a, b})
		}
	}
	return ps
}

// countUsers counts users by namespace, state and Ready status.
func countUsers(users []iamv1alpha1.JumpCloudUser) map[key]float64 {
	n := map[key]float64{}
	for i := range users {
		u := &users[i]
		state := string(u.Status.State)
		if state == "" {
			state = stateUnknown
		}
		ready := string(metav1.ConditionUnknown)
		if c := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReady); c != nil && c.Status != "" {
			ready = string(c.Status)
		}
		n[key{u.Namespace, state, ready}]++
	}
	return n
}

// groupCounts are the group gauges of a scrape.
type groupCounts struct {
	byReadiness map[key]float64    // namespace, Ready status, Ready reason
	members     map[string]float64 // by namespace: the sum of status.memberCount
	unresolved  map[string]float64 // by namespace: the sum of len(status.unresolvedMembers)
}

// countGroups counts groups by namespace, Ready status and Ready reason, and sums their members
// and unresolved members by namespace. Every namespace with a group gets both sums, zeros included.
func countGroups(groups []iamv1alpha1.JumpCloudUserGroup) groupCounts {
	c := groupCounts{byReadiness: map[key]float64{}, members: map[string]float64{}, unresolved: map[string]float64{}}
	for i := range groups {
		g := &groups[i]
		ready, reason := string(metav1.ConditionUnknown), stateUnknown
		if cond := meta.FindStatusCondition(g.Status.Conditions, iamv1alpha1.ConditionReady); cond != nil {
			if cond.Status != "" {
				ready = string(cond.Status)
			}
			if cond.Reason != "" {
				reason = cond.Reason
			}
		}
		c.byReadiness[key{g.Namespace, ready, reason}]++
		var members float64
		if g.Status.MemberCount != nil {
			members = float64(*g.Status.MemberCount)
		}
		c.members[g.Namespace] += members
		c.unresolved[g.Namespace] += float64(len(g.Status.UnresolvedMembers))
	}
	return c
}

// countOperations counts operations by namespace, type and phase.
func countOperations(ops []iamv1alpha1.JumpCloudUserOperation) map[key]float64 {
	n := map[key]float64{}
	for i := range ops {
		op := &ops[i]
		phase := op.Status.Phase
		if phase == "" {
			phase = iamv1alpha1.OperationPending
		}
		n[key{op.Namespace, string(op.Spec.Type), string(phase)}]++
	}
	return n
}

// emit sends the counts, with zeros for every pair of zeros in each namespace seen.
func emit(ch chan<- prometheus.Metric, desc *prometheus.Desc, counts map[key]float64, zeros []pair) {
	namespaces := map[string]bool{}
	for k := range counts {
		namespaces[k.namespace] = true
	}
	for ns := range namespaces {
		for _, p := range zeros {
			if _, ok := counts[key{ns, p.a, p.b}]; !ok {
				counts[key{ns, p.a, p.b}] = 0
			}
		}
	}
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, k.namespace, k.a, k.b)
	}
}
