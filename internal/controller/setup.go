// Package controller holds one reconciler per kind: JumpCloudUser, JumpCloudUserOperation,
// JumpCloudConnection and ClusterJumpCloudConnection. Setup wires them into a manager.
package controller

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
)

// Options configure the reconcilers.
type Options struct {
	// Registry holds the connections' clients; nil means a new one.
	Registry *connection.Registry
	// DefaultDeletionPolicy applies to JumpCloudUsers without spec.deletionPolicy; "" means Suspend.
	DefaultDeletionPolicy iamv1alpha1.DeletionPolicy
	// UserConcurrency bounds parallel JumpCloudUser reconciles; 0 means 4.
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
	policy := opts.DefaultDeletionPolicy
	if policy == "" {
		policy = iamv1alpha1.DeletionPolicySuspend
	}
	verifier := connectionVerifier{
		APIReader: mgr.GetAPIReader(),
		Registry:  reg,
		Recorder:  mgr.GetEventRecorder("jumpcloud-connection"),
	}
	if err := (&JumpCloudConnectionReconciler{Client: mgr.GetClient(), connectionVerifier: verifier}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&ClusterJumpCloudConnectionReconciler{Client: mgr.GetClient(), connectionVerifier: verifier}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&JumpCloudUserOperationReconciler{
		Client:      mgr.GetClient(),
		Registry:    reg,
		Recorder:    mgr.GetEventRecorder("jumpcloud-operation"),
		MaxAttempts: opts.OperationMaxAttempts,
		RetryDelay:  opts.OperationRetryDelay,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&JumpCloudUserReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Registry:                reg,
		Recorder:                mgr.GetEventRecorder("jumpcloud-user"),
		DefaultDeletionPolicy:   policy,
		MaxConcurrentReconciles: opts.UserConcurrency,
	}).SetupWithManager(mgr)
}
