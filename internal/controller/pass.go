package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// This file is the machinery every reconciler of a JumpCloud object shares: the status write of
// a pass, the finalizer, the connection a resource uses, and the clock. See docs/architecture.md.

// statusPatch is the status write of one pass: one deferred patch from the object as read, and
// durable writes in between for the markers that must be stored before a JumpCloud call.
type statusPatch struct {
	base  client.Object
	patch client.Patch
}

func newStatusPatch(obj client.Object) *statusPatch {
	p := &statusPatch{}
	p.rebase(obj)
	return p
}

// rebase restarts the deferred patch from obj as it is now (after a write).
func (p *statusPatch) rebase(obj client.Object) {
	p.base = obj.DeepCopyObject().(client.Object)
	p.patch = client.MergeFrom(p.base)
}

// persist writes the status now and restarts the deferred patch from there. The write is
// conditional on the resourceVersion the pass read: a pass working from a stale cache (which may
// not yet show the id of an object an earlier pass created) fails here with a conflict, before it
// calls JumpCloud, and is retried.
func (p *statusPatch) persist(ctx context.Context, c client.Client, obj client.Object) error {
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(p.base, client.MergeFromWithOptimisticLock{})); err != nil {
		// The marker set in memory was not stored and no call was made: the deferred patch must
		// not store it either, or the next pass would take a call that never happened as made.
		p.patch = nil
		return err
	}
	p.rebase(obj)
	return nil
}

// flush writes the pass's final status and joins a failure to the pass's error. An object that
// is gone has no status to write.
func (p *statusPatch) flush(ctx context.Context, c client.Client, obj client.Object, err error) error {
	if p.patch == nil {
		return err
	}
	if perr := c.Status().Patch(ctx, obj, p.patch); perr != nil && !apierrors.IsNotFound(perr) {
		return errors.Join(err, fmt.Errorf("patching status: %w", perr))
	}
	return err
}

// addFinalizer stores the finalizer before any JumpCloud call, so that nothing can be created in
// JumpCloud that a deletion would not clean up. It reports whether it wrote.
func addFinalizer(ctx context.Context, c client.Client, obj client.Object) (bool, error) {
	before := obj.DeepCopyObject().(client.Object)
	if !controllerutil.AddFinalizer(obj, iamv1alpha1.Finalizer) {
		return false, nil
	}
	return true, c.Patch(ctx, obj, client.MergeFrom(before))
}

// removeFinalizer releases the object once its deletion policy was applied.
func removeFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	before := obj.DeepCopyObject().(client.Object)
	controllerutil.RemoveFinalizer(obj, iamv1alpha1.Finalizer)
	return client.IgnoreNotFound(c.Patch(ctx, obj, client.MergeFrom(before)))
}

// connectionFor returns the verified connection a resource in namespace uses, or the outcome
// that explains why there is none: waiting while the connection is not Ready, stalled when it
// does not exist or refuses the namespace.
func connectionFor(ctx context.Context, c client.Reader, reg *connection.Registry, namespace string,
	ref *iamv1alpha1.ConnectionReference) (*connection.Connection, error) {
	conn, err := connection.Resolve(ctx, c, reg, namespace, ref)
	var re *connection.ResolveError
	switch {
	case err == nil:
		return conn, nil
	case !errors.As(err, &re):
		return nil, err
	case re.Waiting:
		return nil, &waitingError{reason: re.Reason, message: re.Message, after: time.Minute, err: err}
	default:
		return nil, &stalledError{reason: re.Reason, message: re.Message, err: err}
	}
}

// resyncOf is how often a resource on the connection is checked for drift.
func resyncOf(conn *connection.Connection) time.Duration {
	if conn != nil && conn.ResyncInterval() > 0 {
		return conn.ResyncInterval()
	}
	return 10 * time.Minute
}

// clock is a reconciler's time: injectable for tests, the real clock and ±10% jitter otherwise.
type clock struct {
	Now    func() time.Time
	Jitter func(time.Duration) time.Duration
}

func (c clock) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c clock) jitter(d time.Duration) time.Duration {
	if c.Jitter != nil {
		return c.Jitter(d)
	}
	// ±10%, so that resources created together are not all re-checked together.
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

// waitForList is the outcome of a failed directory list that no earlier list can stand in for:
// every resource of the connection waits until the next list may run (not before RetryAt), since
// failing the pass would retry it at once, again and again, for each of them. Nil when err is not
// such a failure.
func waitForList(err error, now time.Time) error {
	var ue *connection.UnavailableError
	if !errors.As(err, &ue) || !jumpcloud.IsRetryable(err) {
		return nil
	}
	after := max(ue.RetryAt.Sub(now), time.Second)
	return &waitingError{reason: iamv1alpha1.ReasonUnreachable, after: after, err: err,
		message: fmt.Sprintf("%v; trying again in %s", err, after.Round(time.Second))}
}
