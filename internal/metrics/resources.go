package metrics

import (
	"context"
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

// stateUnknown labels users whose state was not observed yet (not created in JumpCloud, or
// waiting for their connection).
const stateUnknown = "Unknown"

// Label values filled with zeros in every namespace that has users or operations, so that a
// query for, say, users that are not Ready returns 0 instead of nothing.
var (
	userStates      = []string{string(iamv1alpha1.UserStateStaged), string(iamv1alpha1.UserStateActivated), string(iamv1alpha1.UserStateSuspended), stateUnknown}
	conditionValues = []string{string(metav1.ConditionTrue), string(metav1.ConditionFalse), string(metav1.ConditionUnknown)}
	operationTypes  = []string{string(iamv1alpha1.OperationExpirePassword), string(iamv1alpha1.OperationResetMFA), string(iamv1alpha1.OperationUnlock), string(iamv1alpha1.OperationActivate)}
	operationPhases = []string{string(iamv1alpha1.OperationPending), string(iamv1alpha1.OperationRunning), string(iamv1alpha1.OperationSucceeded), string(iamv1alpha1.OperationFailed)}
)

// Resources reports the JumpCloudUsers and JumpCloudUserOperations of the manager's cache. The
// gauges are counted at scrape time from the cache, so they cost no API call and cannot drift;
// the completion counter follows the operations' informer.
//
// It is a leader-election runnable: only the elected replica reports, so that the series of
// several replicas add up. Until it is started, Collect reports the counters only.
type Resources struct {
	reader    client.Reader
	informers cache.Informers
	active    atomic.Bool

	users      *prometheus.Desc
	operations *prometheus.Desc
	completed  *prometheus.CounterVec
	listErrors *prometheus.CounterVec
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
	emit(ch, r.users, countUsers(list.Items), userStates, conditionValues)
}

func (r *Resources) collectOperations(ctx context.Context, ch chan<- prometheus.Metric) {
	var list iamv1alpha1.JumpCloudUserOperationList
	if err := r.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		r.listFailed("JumpCloudUserOperation", err)
		return
	}
	emit(ch, r.operations, countOperations(list.Items), operationTypes, operationPhases)
}

func (r *Resources) listFailed(kind string, err error) {
	r.listErrors.WithLabelValues(kind).Inc()
	logf.Log.WithName("metrics").Error(err, "Failed to read the cache for metrics", "kind", kind)
}

// key is one series of a gauge: a namespace and two label values.
type key struct{ namespace, a, b string }

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

// emit sends the counts, with zeros for every combination of as and bs in each namespace seen.
func emit(ch chan<- prometheus.Metric, desc *prometheus.Desc, counts map[key]float64, as, bs []string) {
	namespaces := map[string]bool{}
	for k := range counts {
		namespaces[k.namespace] = true
	}
	for ns := range namespaces {
		for _, a := range as {
			for _, b := range bs {
				if _, ok := counts[key{ns, a, b}]; !ok {
					counts[key{ns, a, b}] = 0
				}
			}
		}
	}
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, k.namespace, k.a, k.b)
	}
}
