package v1alpha1

// Annotations users put on a JumpCloudUser to trigger one-shot work. The value is a token: any string,
// such as a timestamp or a ticket id. The operation runs when the token differs from the one recorded
// in status.lastHandled, and the token is recorded once it ran; the operator never removes or rewrites
// these annotations.
const (
	// AnnotationExpirePassword expires the user's password.
	AnnotationExpirePassword = "iam.jumpcloud-operator.dev/expire-password"
	// AnnotationResetMFA resets the user's MFA (TOTP) enrollment.
	AnnotationResetMFA = "iam.jumpcloud-operator.dev/reset-mfa"
	// AnnotationResetMFAExclusionDays gives the MFA enrollment grace period in days (an integer ≥ 1).
	AnnotationResetMFAExclusionDays = "iam.jumpcloud-operator.dev/reset-mfa-exclusion-days"
	// AnnotationResetMFAExclusionUntil gives the end of the MFA enrollment grace period (RFC 3339).
	AnnotationResetMFAExclusionUntil = "iam.jumpcloud-operator.dev/reset-mfa-exclusion-until"
	// AnnotationUnlock unlocks an account that JumpCloud locked after failed logins.
	AnnotationUnlock = "iam.jumpcloud-operator.dev/unlock"
	// AnnotationReconcile forces a full re-sync with JumpCloud now.
	AnnotationReconcile = "iam.jumpcloud-operator.dev/reconcile"
	// AnnotationPaused set to "true" stops all writes to JumpCloud for the resource.
	AnnotationPaused = "iam.jumpcloud-operator.dev/paused"
)

// Finalizer is added to JumpCloudUser objects so that the deletion policy runs before they go away.
const Finalizer = "iam.jumpcloud-operator.dev/finalizer"
