package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupDeletionPolicy says what happens in JumpCloud when a JumpCloudUserGroup is deleted.
// +kubebuilder:validation:Enum=Delete;Orphan
type GroupDeletionPolicy string

const (
	// GroupDeletionPolicyDelete deletes the JumpCloud group. The default for a group the operator
	// created; an adopted group is deleted only when the spec says Delete.
	GroupDeletionPolicyDelete GroupDeletionPolicy = "Delete"
	// GroupDeletionPolicyOrphan leaves the JumpCloud group as it is.
	GroupDeletionPolicyOrphan GroupDeletionPolicy = "Orphan"
)

// MembershipPolicy says how a group's static member list is applied.
// +kubebuilder:validation:Enum=Authoritative;Additive
type MembershipPolicy string

const (
	// MembershipAuthoritative makes JumpCloud's member list exactly the spec's: members added in
	// the console are removed at the next resync (with an event naming them).
	MembershipAuthoritative MembershipPolicy = "Authoritative"
	// MembershipAdditive adds the spec's members and keeps them; other members are left alone.
	MembershipAdditive MembershipPolicy = "Additive"
)

// DynamicMethod is how JumpCloud applies a dynamic group's computed members.
// +kubebuilder:validation:Enum=DynamicAutomated;DynamicReviewRequired
type DynamicMethod string

const (
	// DynamicAutomated means JumpCloud adds and removes members as users match the filters.
	DynamicAutomated DynamicMethod = "DynamicAutomated"
	// DynamicReviewRequired means JumpCloud suggests the changes and an administrator approves them.
	DynamicReviewRequired DynamicMethod = "DynamicReviewRequired"
)

// JumpCloudUserGroupSpec is the desired state of a JumpCloud user group. Only fields set here are
// managed: an unset field is never written, so values set in the console survive.
// +kubebuilder:validation:XValidation:rule="!(has(self.members) && has(self.dynamic))",message="set members (a static list) or dynamic (JumpCloud computes the members), not both"
// +kubebuilder:validation:XValidation:rule="!has(self.managementPolicy) || self.managementPolicy != 'ObserveOnly' || !has(self.deletionPolicy) || self.deletionPolicy == 'Orphan'",message="an ObserveOnly group is never written to JumpCloud, so deletionPolicy must be Orphan or left unset"
type JumpCloudUserGroupSpec struct {
	// connectionRef names the connection to use. When unset, the JumpCloudConnection named
	// "default" in this namespace is used, else the ClusterJumpCloudConnection named "default".
	// +optional
	ConnectionRef *ConnectionReference `json:"connectionRef,omitempty"`

	// name is the JumpCloud group's name, unique in the organization. Changing it renames the
	// group.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.trim() == self",message="name must not start or end with whitespace"
	Name string `json:"name"`

	// description of the group.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description *string `json:"description,omitempty"`

	// email of the group.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[^@[:space:]]+@[^@[:space:]]+$')",message="email must be a single address such as platform@example.com"
	// +optional
	Email *string `json:"email,omitempty"`

	// attributes are JumpCloud's group attributes; each is managed only when set.
	// +optional
	Attributes *GroupAttributes `json:"attributes,omitempty"`

	// members is the static member list. Unset: JumpCloud's members are not managed.
	// +optional
	Members *GroupMembers `json:"members,omitempty"`

	// dynamic makes JumpCloud compute the members from filters on the users' fields; the
	// operator then never adds or removes members itself.
	// +optional
	Dynamic *DynamicMembership `json:"dynamic,omitempty"`

	// deletionPolicy says what happens to the JumpCloud group when this resource is deleted:
	// Delete or Orphan. Unset: Delete for a group the operator created, Orphan for one it adopted
	// (an adopted group is deleted only when Delete is set explicitly) or only observes.
	// +optional
	DeletionPolicy GroupDeletionPolicy `json:"deletionPolicy,omitempty"`

	// adoptionPolicy says whether an existing JumpCloud group with this name may be taken over:
	// Never (default) or IfExists (only when the connection sets allowAdoption).
	// +kubebuilder:default=Never
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// managementPolicy: Full (default) or ObserveOnly (never writes; the Synced condition reports
	// drift).
	// +kubebuilder:default=Full
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`
}

// GroupAttributes are a group's JumpCloud attributes. A field left unset is not managed.
type GroupAttributes struct {
	// sudo grants the group's members administrator rights on the devices bound to the group.
	// +optional
	Sudo *GroupSudo `json:"sudo,omitempty"`
	// sambaEnabled lets LDAP members authenticate to endpoints that need Samba attributes.
	// +optional
	SambaEnabled *bool `json:"sambaEnabled,omitempty"`
	// posixGroups are the POSIX groups provisioned where the group is bound; replaced as a whole.
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=100
	// +optional
	PosixGroups []PosixGroup `json:"posixGroups,omitempty"`
	// radius holds the RADIUS reply attributes sent to endpoints that authenticate with JumpCloud
	// RADIUS.
	// +optional
	Radius *GroupRadius `json:"radius,omitempty"`
}

// GroupSudo is the group's sudo setting.
// +kubebuilder:validation:XValidation:rule="!has(self.withoutPassword) || !self.withoutPassword || self.enabled",message="sudo.withoutPassword: true also needs sudo.enabled: true"
type GroupSudo struct {
	// enabled grants sudo.
	// +required
	Enabled bool `json:"enabled"`
	// withoutPassword lets members run sudo without a password; needs enabled.
	// +optional
	WithoutPassword bool `json:"withoutPassword,omitempty"`
}

// PosixGroup is one POSIX group provisioned for the group.
type PosixGroup struct {
	// id is the POSIX group id (gid).
	// +kubebuilder:validation:Minimum=0
	// +required
	ID int32 `json:"id"`
	// name is the POSIX group name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Name string `json:"name"`
}

// GroupRadius holds RADIUS reply attributes.
type GroupRadius struct {
	// reply attributes, replaced as a whole.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Reply []RadiusReply `json:"reply,omitempty"`
}

// RadiusReply is one RADIUS reply attribute.
type RadiusReply struct {
	// name of the RADIUS attribute, such as Filter-Id.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Name string `json:"name"`
	// value of the attribute.
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Value string `json:"value"`
}

// GroupMembers is a static member list.
type GroupMembers struct {
	// policy: Authoritative (default) makes JumpCloud's members exactly these; Additive adds these
	// and leaves other members alone.
	// +kubebuilder:default=Authoritative
	// +optional
	Policy MembershipPolicy `json:"policy,omitempty"`
	// users names members one by one.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5000
	// +optional
	Users []GroupMember `json:"users,omitempty"`
	// selector adds every JumpCloudUser in this namespace whose labels match.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// GroupMember names one member: exactly one of userRef, username and id.
// +kubebuilder:validation:XValidation:rule="(has(self.userRef) ? 1 : 0) + (has(self.username) ? 1 : 0) + (has(self.id) ? 1 : 0) == 1",message="each member needs exactly one of userRef (a JumpCloudUser in this namespace), username or id"
type GroupMember struct {
	// userRef is a JumpCloudUser in this namespace; it is a member once it has a JumpCloud id.
	// +optional
	UserRef *LocalObjectReference `json:"userRef,omitempty"`
	// username of an existing JumpCloud user (not necessarily managed here).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Username string `json:"username,omitempty"`
	// id of a JumpCloud system user.
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{24}$')",message="id must be a JumpCloud user id: 24 lowercase hexadecimal characters"
	// +optional
	ID string `json:"id,omitempty"`
}

// DynamicMembership makes JumpCloud compute a group's members.
type DynamicMembership struct {
	// method: DynamicAutomated (JumpCloud applies the changes) or DynamicReviewRequired (an
	// administrator approves them).
	// +kubebuilder:default=DynamicAutomated
	// +optional
	Method DynamicMethod `json:"method,omitempty"`
	// filters a user must all match to be a member.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +required
	Filters []DynamicFilter `json:"filters"`
}

// DynamicFilter is one condition on a user field.
type DynamicFilter struct {
	// field of the user, such as department or jobTitle.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Field string `json:"field"`
	// operator: eq, ne, in, ...
	// +kubebuilder:validation:Enum=eq;ne;in;sw
	// +required
	Operator string `json:"operator"`
	// value to compare with.
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Value string `json:"value"`
}

// UnresolvedMember is a member that cannot be resolved to a JumpCloud user yet.
type UnresolvedMember struct {
	// member names it as the spec does (userRef name, username or id).
	Member string `json:"member"`
	// reason it is not resolved.
	Reason string `json:"reason"`
}

// JumpCloudUserGroupStatus is the observed state of a JumpCloud user group.
type JumpCloudUserGroupStatus struct {
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// id is the JumpCloud group's id.
	// +optional
	ID string `json:"id,omitempty"`
	// ownership: Created, Adopted or Observed.
	// +optional
	Ownership Ownership `json:"ownership,omitempty"`
	// createPending is set just before the create call and cleared once its answer is recorded;
	// a lost answer is recovered by name instead of creating a duplicate.
	// +optional
	CreatePending *metav1.Time `json:"createPending,omitempty"`
	// memberCount is the number of members JumpCloud reports.
	// +optional
	MemberCount *int32 `json:"memberCount,omitempty"`
	// unresolvedMembers are the spec's members that are not JumpCloud users yet, with why.
	// +listType=atomic
	// +optional
	UnresolvedMembers []UnresolvedMember `json:"unresolvedMembers,omitempty"`
	// lastSyncTime is when JumpCloud was last compared with the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// lastHandled records the reconcile token last acted on.
	// +optional
	LastHandled *LastHandledTokens `json:"lastHandled,omitempty"`
	// conditions: Ready, Reconciling, Stalled and Synced.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// JumpCloudUserGroup is a JumpCloud user group (API v2) and its members, managed from Kubernetes.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jcgroup;jcgroups,categories=jumpcloud
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.name`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.memberCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=`.status.id`,priority=1
type JumpCloudUserGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired JumpCloud group.
	// +required
	Spec JumpCloudUserGroupSpec `json:"spec"`

	// status is the JumpCloud group as last observed. The default observedGeneration of -1 makes a
	// resource the operator has not acted on yet read as in progress (kstatus).
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status JumpCloudUserGroupStatus `json:"status,omitempty"`
}

// JumpCloudUserGroupList contains a list of JumpCloudUserGroup.
// +kubebuilder:object:root=true
type JumpCloudUserGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpCloudUserGroup `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpCloudUserGroup{}, &JumpCloudUserGroupList{})
}
