package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// DefaultMaxAttempts bounds the calls one JumpCloudUserOperation makes before it gives up on
// transient failures.
const DefaultMaxAttempts = 5

const indexOperationUser = "spec.userRef.name"

// JumpCloudUserOperationReconciler runs each JumpCloudUserOperation once (docs/design.md §2.2).
type JumpCloudUserOperationReconciler struct {
	client.Client
	Registry *connection.Registry
	// Snapshots are the users' snapshots (bulk drift detection), shared with the JumpCloudUser
	// reconciler: an operation that succeeded drops its user's entry, so that the user's next
	// pass reads what the action changed. Nil means none.
	Snapshots *connection.Snapshots
	Recorder  events.EventRecorder
	// MaxAttempts bounds the calls per operation; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// RetryDelay is the first delay between attempts, doubled after each; 0 means 2s.
	RetryDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// API gives the JumpCloud calls of a connection; nil means the connection's client.
	API apiSource
}

// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpclouduseroperations,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=iam.jumpcloud-operator.dev,resources=jumpclouduseroperations/status,verbs=get;update;patch

// Reconcile advances one operation: Pending → Running → Succeeded or Failed.
func (r *JumpCloudUserOperationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	op := &iamv1alpha1.JumpCloudUserOperation{}
	if err := r.Get(ctx, req.NamespacedName, op); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !op.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	// Every status write is conditional on the resourceVersion read, so that a pass working from
	// a stale cache can neither repeat a call nor overwrite a later outcome: it conflicts and is
	// retried with fresh data.
	patch := client.MergeFromWithOptions(op.DeepCopy(), client.MergeFromWithOptimisticLock{})
	defer func() {
		if perr := r.Status().Patch(ctx, op, patch); perr != nil && !apierrors.IsNotFound(perr) {
			err = errors.Join(err, fmt.Errorf("patching status: %w", perr))
		}
	}()

	switch op.Status.Phase {
	case iamv1alpha1.OperationSucceeded, iamv1alpha1.OperationFailed:
		return r.expire(ctx, op)
	case "":
		operationStatus(op, iamv1alpha1.OperationPending, iamv1alpha1.ReasonProgressing, "waiting to run", r.now())
	}
	return r.advance(ctx, op, &patch)
}

func (r *JumpCloudUserOperationReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// advance resolves the target and makes the call, recording Running first.
func (r *JumpCloudUserOperationReconciler) advance(ctx context.Context, op *iamv1alpha1.JumpCloudUserOperation, patch *client.Patch) (ctrl.Result, error) {
	st := &op.Status
	a := actionOf(op)
	if st.Phase == iamv1alpha1.OperationRunning && !a.idempotent() {
		// The pass that recorded Running never recorded an outcome: the call may have reached
		// JumpCloud, and a ResetMFA must not email the user twice.
		return r.fail(op, iamv1alpha1.ReasonOutcomeUnknown,
			"the operator stopped while the MFA reset was in flight; it may or may not have reached JumpCloud, and it is not repeated")
	}
	if limit := r.maxAttempts(); st.Attempts >= limit {
		return r.fail(op, iamv1alpha1.ReasonRetriesExhausted, fmt.Sprintf("gave up after %d attempts: %s", st.Attempts, st.Message))
	}

	conn, id, wait, err := r.target(ctx, op)
	if err != nil || wait != "" {
		if wait != "" {
			r.pending(op, iamv1alpha1.ReasonProgressing, wait)
			return ctrl.Result{RequeueAfter: 30 * time.Second}, nil
		}
		var re *connection.ResolveError
		if errors.As(err, &re) && re.Reason == iamv1alpha1.ReasonNamespaceNotAllowed {
			return r.fail(op, re.Reason, re.Message)
		}
		return ctrl.Result{}, err
	}

	// The Running marker, durable before the call: a pass that finds it without an outcome knows
	// the call may have been made.
	st.SystemUserID = id
	st.Attempts++
	if st.StartTime == nil {
		t := metav1.NewTime(r.now())
		st.StartTime = &t
	}
	operationStatus(op, iamv1alpha1.OperationRunning, iamv1alpha1.ReasonProgressing, fmt.Sprintf("calling JumpCloud (attempt %d)", st.Attempts), r.now())
	if err := r.Status().Patch(ctx, op, *patch); err != nil {
		return ctrl.Result{}, err
	}
	*patch = client.MergeFromWithOptions(op.DeepCopy(), client.MergeFromWithOptimisticLock{})

	var gone *goneError
	var unknown *unknownOutcomeError
	var refused *stalledError
	switch err := fromCall(a.run(ctx, r.API.of(conn), id), a.idempotent()); {
	case err == nil:
		if r.Snapshots != nil {
			r.Snapshots.Forget(conn.Ref, id)
		}
		operationStatus(op, iamv1alpha1.OperationSucceeded, iamv1alpha1.ReasonSucceeded, fmt.Sprintf("%s succeeded on JumpCloud user %s", op.Spec.Type, id), r.now())
		r.Recorder.Eventf(op, nil, corev1.EventTypeNormal, iamv1alpha1.ReasonSucceeded, string(op.Spec.Type), "%s", st.Message)
		return r.expire(ctx, op)
	case errors.As(err, &unknown):
		return r.fail(op, iamv1alpha1.ReasonOutcomeUnknown, fmt.Sprintf("no answer from JumpCloud, so the MFA reset may or may not have happened; it is not repeated: %v", err))
	case errors.As(err, &gone):
		return r.fail(op, iamv1alpha1.ReasonUserNotFound, fmt.Sprintf("JumpCloud has no user %s: %v", id, err))
	case errors.As(err, &refused):
		// An operation is over once JumpCloud refused it, whatever the refusal: it is Failed.
		return r.fail(op, iamv1alpha1.ReasonFailed, fmt.Sprintf("JumpCloud refused the %s: %v", op.Spec.Type, refused.err))
	default:
		delay := r.retryDelay(st.Attempts)
		if after := jumpcloud.RetryAfterOf(err); after > delay {
			delay = after
		}
		r.pending(op, iamv1alpha1.ReasonUnreachable, fmt.Sprintf("attempt %d failed, retrying in %s: %v", st.Attempts, delay.Round(time.Millisecond), err))
		if st.Attempts >= r.maxAttempts() {
			return r.fail(op, iamv1alpha1.ReasonRetriesExhausted, fmt.Sprintf("gave up after %d attempts: %v", st.Attempts, err))
		}
		return ctrl.Result{RequeueAfter: delay}, nil
	}
}

func (r *JumpCloudUserOperationReconciler) maxAttempts() int32 {
	if r.MaxAttempts > 0 {
		return int32(r.MaxAttempts)
	}
	return DefaultMaxAttempts
}

func (r *JumpCloudUserOperationReconciler) retryDelay(attempts int32) time.Duration {
	d := r.RetryDelay
	if d == 0 {
		d = 2 * time.Second
	}
	for i := int32(1); i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return d
}

// target resolves the JumpCloud user and connection; wait is set while they are not there yet.
func (r *JumpCloudUserOperationReconciler) target(ctx context.Context, op *iamv1alpha1.JumpCloudUserOperation) (*connection.Connection, string, string, error) {
	ref, id := op.Spec.ConnectionRef, op.Spec.SystemUserID
	if op.Spec.UserRef != nil {
		var u iamv1alpha1.JumpCloudUser
		if err := r.Get(ctx, client.ObjectKey{Namespace: op.Namespace, Name: op.Spec.UserRef.Name}, &u); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, "", fmt.Sprintf("waiting for JumpCloudUser %s to exist", op.Spec.UserRef.Name), nil
			}
			return nil, "", "", err
		}
		if u.Status.ID == "" {
			return nil, "", fmt.Sprintf("waiting for JumpCloudUser %s to be created in JumpCloud", u.Name), nil
		}
		ref, id = u.Spec.ConnectionRef, u.Status.ID
	}
	conn, err := connection.Resolve(ctx, r.Client, r.Registry, op.Namespace, ref)
	if err != nil {
		var re *connection.ResolveError
		if errors.As(err, &re) && re.Reason != iamv1alpha1.ReasonNamespaceNotAllowed {
			return nil, "", re.Message, nil
		}
		return nil, "", "", err
	}
	return conn, id, "", nil
}

func (r *JumpCloudUserOperationReconciler) pending(op *iamv1alpha1.JumpCloudUserOperation, reason, msg string) {
	operationStatus(op, iamv1alpha1.OperationPending, reason, msg, r.now())
}

func (r *JumpCloudUserOperationReconciler) fail(op *iamv1alpha1.JumpCloudUserOperation, reason, msg string) (ctrl.Result, error) {
	operationStatus(op, iamv1alpha1.OperationFailed, reason, msg, r.now())
	r.Recorder.Eventf(op, nil, corev1.EventTypeWarning, reason, string(op.Spec.Type), "%s", msg)
	return ctrl.Result{RequeueAfter: r.ttlLeft(op)}, nil
}

// operationStatus sets an operation's phase and what follows from it: the message, the
// conditions, and for a finished operation its completion time and observedGeneration. It is the
// one place that sets the status, but for the Running marker's attempt count, start time and
// user id, which advance stores before the call.
func operationStatus(op *iamv1alpha1.JumpCloudUserOperation, phase iamv1alpha1.OperationPhase, reason, msg string, now time.Time) {
	st, gen := &op.Status, op.Generation
	st.Phase, st.Message = phase, msg
	switch phase {
	case iamv1alpha1.OperationSucceeded:
		markReady(&st.Conditions, gen, reason, msg)
	case iamv1alpha1.OperationFailed:
		markStalled(&st.Conditions, gen, reason, msg)
	default:
		markReconciling(&st.Conditions, gen, reason, msg)
		return
	}
	t := metav1.NewTime(now)
	st.CompletionTime, st.ObservedGeneration = &t, gen
}

// ttlLeft is the time until a finished operation is due for deletion; 0 without a TTL.
func (r *JumpCloudUserOperationReconciler) ttlLeft(op *iamv1alpha1.JumpCloudUserOperation) time.Duration {
	ttl := op.Spec.TTLSecondsAfterFinished
	if ttl == nil || op.Status.CompletionTime == nil {
		return 0
	}
	left := op.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second).Sub(r.now())
	if left <= 0 {
		return time.Millisecond
	}
	return left
}

// expire deletes a finished operation once its TTL has passed.
func (r *JumpCloudUserOperationReconciler) expire(ctx context.Context, op *iamv1alpha1.JumpCloudUserOperation) (ctrl.Result, error) {
	ttl := op.Spec.TTLSecondsAfterFinished
	if ttl == nil || op.Status.CompletionTime == nil {
		return ctrl.Result{}, nil
	}
	if left := op.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second).Sub(r.now()); left > 0 {
		return ctrl.Result{RequeueAfter: left}, nil
	}
	return ctrl.Result{}, client.IgnoreNotFound(r.Delete(ctx, op, client.Preconditions{UID: &op.UID}))
}

func actionOf(op *iamv1alpha1.JumpCloudUserOperation) action {
	a := action{Type: op.Spec.Type}
	if p := op.Spec.ResetMFA; p != nil {
		if p.ExclusionDays != nil {
			d := int(*p.ExclusionDays)
			a.ExclusionDays = &d
		}
		if p.ExclusionUntil != nil {
			t := p.ExclusionUntil.Time
			a.ExclusionUntil = &t
		}
	}
	if p := op.Spec.Activate; p != nil {
		a.SendEmail = p.SendEmail
	}
	return a
}

// SetupWithManager registers the reconciler; operations waiting for a JumpCloudUser are woken when
// it changes.
func (r *JumpCloudUserOperationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &iamv1alpha1.JumpCloudUserOperation{}, indexOperationUser,
		func(o client.Object) []string {
			if ref := o.(*iamv1alpha1.JumpCloudUserOperation).Spec.UserRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// The spec is immutable: only creation (and deletion) matter, not our own status writes.
		For(&iamv1alpha1.JumpCloudUserOperation{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&iamv1alpha1.JumpCloudUser{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			var ops iamv1alpha1.JumpCloudUserOperationList
			if err := r.List(ctx, &ops, client.InNamespace(o.GetNamespace()), client.MatchingFields{indexOperationUser: o.GetName()}); err != nil {
				return nil
			}
			return unfinished(ops.Items)
		})).
		WatchesRawSource(connectionInstalled(r.Registry, r.enqueueUnfinished())).
		Named("jumpclouduseroperation").
		Complete(r)
}

// enqueueUnfinished wakes the unfinished operations a connection may serve (those in its
// namespace; every namespace for a cluster connection) when it changes, such as when it becomes
// Ready after an operator start.
func (r *JumpCloudUserOperationReconciler) enqueueUnfinished() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		var ops iamv1alpha1.JumpCloudUserOperationList
		var opts []client.ListOption
		if o.GetNamespace() != "" {
			opts = append(opts, client.InNamespace(o.GetNamespace()))
		}
		if err := r.List(ctx, &ops, opts...); err != nil {
			return nil
		}
		return unfinished(ops.Items)
	})
}

// unfinished returns requests for the operations that have not yet Succeeded or Failed.
func unfinished(ops []iamv1alpha1.JumpCloudUserOperation) []reconcile.Request {
	var reqs []reconcile.Request
	for i := range ops {
		if p := ops[i].Status.Phase; p != iamv1alpha1.OperationSucceeded && p != iamv1alpha1.OperationFailed {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ops[i])})
		}
	}
	return reqs
}
