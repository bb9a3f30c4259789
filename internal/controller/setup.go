// Package controller holds one reconciler per kind: JumpCloudUser, JumpCloudUserGroup,
// JumpCloudUserOperation, JumpCloudConnection and ClusterJumpCloudConnection (one reconciler type serves both connection
// kinds), and the machinery they share (pass.go, outcome.go, conditions.go). Setup wires them into
// a manager. docs/architecture.md tells how they fit together.
package controller

import (
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
)

// DriftDetection says how a resync of a JumpCloudUser observes JumpCloud.
type DriftDetection string

const (
	// DriftDetectionBulk compares each resource with a snapshot of all users per connection,
	// listed once per resync interval (⌈N/100⌉ calls), and reads a user by id only when the
	// snapshot cannot answer or shows a difference that is about to be written.
	DriftDetectionBulk DriftDetection = "bulk"
	// DriftDetectionPerResource reads each user by id on each resync (N calls).
	DriftDetectionPerResource DriftDetection = "per-resource"
)

// DefaultUserConcurrency is the default bound on parallel JumpCloudUser reconciles. JumpCloud
// answers in tens of milliseconds and each pass also waits for the Kubernetes API, so it takes a
// few passes in flight to use a connection's whole rate limit; the limiter keeps the rest waiting.
const DefaultUserConcurrency = 16

// Options configure the reconcilers.
type Options struct {
	// Registry holds the connections' clients; nil means a new one.
	Registry *connection.Registry
	// Snapshots holds each connection's snapshot of its users (bulk drift detection); nil means
	// new ones.
	Snapshots *connection.Snapshots
	// DefaultDeletionPolicy applies to JumpCloudUsers without spec.deletionPolicy; "" means Suspend.
	DefaultDeletionPolicy iamv1alpha1.DeletionPolicy
	// DriftDetection is how resyncs observe JumpCloud; "" means DriftDetectionBulk.
	DriftDetection DriftDetection
	// UserConcurrency bounds parallel JumpCloudUser reconciles; 0 means DefaultUserConcurrency.
	UserConcurrency int
	// OperationMaxAttempts bounds the calls of one JumpCloudUserOperation; 0 means DefaultMaxAttempts.
	OperationMaxAttempts int
	// OperationRetryDelay is the first delay between an operation's attempts; 0 means 2s.
	OperationRetryDelay time.Duration
}

// Setup registers every reconciler with the manager.
func Setup(mgr ctrl.Manager, opts Options) error {
	reg := opts.Registry
	if reg == nil {
		reg = connection.NewRegistry()
	}
	switch opts.DriftDetection {
	case "", DriftDetectionBulk, DriftDetectionPerResource:
	default:
		return fmt.Errorf("unknown drift detection %q (want %s or %s)", opts.DriftDetection, DriftDetectionBulk, DriftDetectionPerResource)
	}
	policy := opts.DefaultDeletionPolicy
	if policy == "" {
		policy = iamv1alpha1.DeletionPolicySuspend
	}
	snapshots := opts.Snapshots
	if snapshots == nil {
		snapshots = connection.NewSnapshots()
	}
	feed := newFeedRunner(mgr.GetClient(), reg, snapshots)
	if err := mgr.Add(feed); err != nil {
		return err
	}
	for _, kind := range []iamv1alpha1.ConnectionKind{iamv1alpha1.ConnectionKindNamespaced, iamv1alpha1.ConnectionKindCluster} {
		if err := (&ConnectionReconciler{
			feed:      feed,
			Client:    mgr.GetClient(),
			Kind:      kind,
			APIReader: mgr.GetAPIReader(),
			Registry:  reg,
			Snapshots: snapshots,
			Recorder:  mgr.GetEventRecorder("jumpcloud-connection"),
		}).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	if err := (&JumpCloudUserOperationReconciler{
		Client:      mgr.GetClient(),
		Registry:    reg,
		Snapshots:   snapshots,
		Recorder:    mgr.GetEventRecorder("jumpcloud-operation"),
		MaxAttempts: opts.OperationMaxAttempts,
		RetryDelay:  opts.OperationRetryDelay,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&JumpCloudUserGroupReconciler{
		feed:           feed,
		Client:         mgr.GetClient(),
		Registry:       reg,
		Recorder:       mgr.GetEventRecorder("jumpcloud-group"),
		DriftDetection: opts.DriftDetection,
		Snapshots:      snapshots,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&JumpCloudUserReconciler{
		feed:                    feed,
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Registry:                reg,
		Recorder:                mgr.GetEventRecorder("jumpcloud-user"),
		DefaultDeletionPolicy:   policy,
		DriftDetection:          opts.DriftDetection,
		Snapshots:               snapshots,
		MaxConcurrentReconciles: opts.UserConcurrency,
	}).SetupWithManager(mgr)
}
