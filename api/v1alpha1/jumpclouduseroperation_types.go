package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OperationType is a one-shot action on a JumpCloud user.
// +kubebuilder:validation:Enum=ExpirePassword;ResetMFA;Unlock;Activate
type OperationType string

const (
	// OperationExpirePassword expires the user's password: the person must choose a new one.
	OperationExpirePassword OperationType = "ExpirePassword"
	// OperationResetMFA resets the user's TOTP enrollment; JumpCloud emails the user on every call.
	OperationResetMFA OperationType = "ResetMFA"
	// OperationUnlock unlocks an account locked after failed logins.
	OperationUnlock OperationType = "Unlock"
	// OperationActivate activates a STAGED user.
	OperationActivate OperationType = "Activate"
)

// OperationPhase is where a JumpCloudUserOperation is in its life.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
type OperationPhase string

const (
	// OperationPending has not called JumpCloud yet.
	OperationPending OperationPhase = "Pending"
	// OperationRunning is calling JumpCloud (or was, when the operator stopped).
	OperationRunning OperationPhase = "Running"
	// OperationSucceeded completed.
	OperationSucceeded OperationPhase = "Succeeded"
	// OperationFailed ended without success; the message and the Ready condition say why.
	OperationFailed OperationPhase = "Failed"
)

// JumpCloudUserOperationSpec is a one-shot action on one JumpCloud user. It is immutable: each object
// runs once, and the list of objects is the history.
// +kubebuilder:validation:XValidation:rule="has(self.userRef) != has(self.systemUserID)",message="set exactly one of userRef (a JumpCloudUser in this namespace) or systemUserID (a JumpCloud user id)"
// +kubebuilder:validation:XValidation:rule="!has(self.connectionRef) || has(self.systemUserID)",message="connectionRef is only used with systemUserID; with userRef the JumpCloudUser's connection is used"
// +kubebuilder:validation:XValidation:rule="!has(self.resetMFA) || self.type == 'ResetMFA'",message="resetMFA parameters are only allowed with type ResetMFA"
// +kubebuilder:validation:XValidation:rule="!has(self.activate) || self.type == 'Activate'",message="activate parameters are only allowed with type Activate"
type JumpCloudUserOperationSpec struct {
	// userRef names the JumpCloudUser in this namespace to act on. If that user does not exist in
	// JumpCloud yet, the operation waits for it.
	// +optional
	UserRef *LocalObjectReference `json:"userRef,omitempty"`

	// systemUserID is the JumpCloud id of the user to act on, for users not managed by a JumpCloudUser.
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{24}$')",message="systemUserID must be a JumpCloud user id: 24 lowercase hexadecimal characters"
	// +optional
	SystemUserID string `json:"systemUserID,omitempty"`

	// connectionRef names the connection to use with systemUserID. When unset, the default
	// connection applies (the JumpCloudConnection "default" here, else the ClusterJumpCloudConnection
	// "default").
	// +optional
	ConnectionRef *ConnectionReference `json:"connectionRef,omitempty"`

	// type of the operation: ExpirePassword, ResetMFA, Unlock or Activate.
	// +required
	Type OperationType `json:"type"`

	// resetMFA parameters; only with type ResetMFA. Without them the user must enroll at next login.
	// +optional
	ResetMFA *ResetMFAParameters `json:"resetMFA,omitempty"`

	// activate parameters; only with type Activate.
	// +optional
	Activate *ActivateParameters `json:"activate,omitempty"`

	// ttlSecondsAfterFinished deletes the object this many seconds after it Succeeded or Failed.
	// Unset keeps it forever.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// ResetMFAParameters set the grace period during which the user may log in without MFA while
// enrolling again. Set at most one of exclusionDays and exclusionUntil.
// +kubebuilder:validation:XValidation:rule="!(has(self.exclusionDays) && has(self.exclusionUntil))",message="set at most one of exclusionDays or exclusionUntil"
type ResetMFAParameters struct {
	// exclusionDays is the length of the grace period in days.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=365
	// +optional
	ExclusionDays *int32 `json:"exclusionDays,omitempty"`

	// exclusionUntil is the end of the grace period (RFC 3339).
	// +optional
	ExclusionUntil *metav1.Time `json:"exclusionUntil,omitempty"`
}

// ActivateParameters control the activation of a STAGED user.
type ActivateParameters struct {
	// sendEmail sends JumpCloud's welcome or activation email. Defaults to true.
	// +kubebuilder:default=true
	// +optional
	SendEmail *bool `json:"sendEmail,omitempty"`
}

// JumpCloudUserOperationStatus is the progress of a one-shot operation.
type JumpCloudUserOperationStatus struct {
	// observedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase is Pending, Running, Succeeded or Failed.
	// +optional
	Phase OperationPhase `json:"phase,omitempty"`
	// systemUserID is the JumpCloud id of the user acted on.
	// +optional
	SystemUserID string `json:"systemUserID,omitempty"`
	// attempts counts the calls made to JumpCloud.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// startTime is when the first attempt started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime is when the operation Succeeded or Failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// message says what happened, in words.
	// +optional
	Message string `json:"message,omitempty"`
	// conditions: Ready, Reconciling and Stalled.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// JumpCloudUserOperation runs one action (expire password, reset MFA, unlock, activate) once on a
// JumpCloud user.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jcop;jcops,categories=jumpcloud
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.userRef.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="System User ID",type=string,JSONPath=`.status.systemUserID`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
type JumpCloudUserOperation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the operation to run; it cannot be changed.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: create a new JumpCloudUserOperation instead"
	Spec JumpCloudUserOperationSpec `json:"spec"`

	// status is the progress of the operation.
	// The default observedGeneration of -1 makes a resource the operator has not acted on yet read
	// as in progress (kstatus), instead of healthy.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status JumpCloudUserOperationStatus `json:"status,omitempty"`
}

// JumpCloudUserOperationList contains a list of JumpCloudUserOperation.
// +kubebuilder:object:root=true
type JumpCloudUserOperationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpCloudUserOperation `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpCloudUserOperation{}, &JumpCloudUserOperationList{})
}
