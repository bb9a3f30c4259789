package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeletionPolicy says what happens in JumpCloud when a JumpCloudUser is deleted.
// +kubebuilder:validation:Enum=Suspend;Delete;Orphan
type DeletionPolicy string

const (
	// DeletionPolicySuspend suspends the JumpCloud user, keeping its history (offboarding).
	DeletionPolicySuspend DeletionPolicy = "Suspend"
	// DeletionPolicyDelete deletes the JumpCloud user; its direct reports lose their manager.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyOrphan leaves the JumpCloud user as it is.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// AdoptionPolicy says what happens when the username already exists in JumpCloud.
// +kubebuilder:validation:Enum=Never;IfExists
type AdoptionPolicy string

const (
	// AdoptionPolicyNever refuses to touch an existing JumpCloud user (Stalled, reason AlreadyExists).
	AdoptionPolicyNever AdoptionPolicy = "Never"
	// AdoptionPolicyIfExists takes over an existing JumpCloud user with the same username, when the
	// connection allows adoption.
	AdoptionPolicyIfExists AdoptionPolicy = "IfExists"
)

// ManagementPolicy says whether the operator writes to JumpCloud.
// +kubebuilder:validation:Enum=Full;ObserveOnly
type ManagementPolicy string

const (
	// ManagementPolicyFull makes JumpCloud match the spec.
	ManagementPolicyFull ManagementPolicy = "Full"
	// ManagementPolicyObserveOnly never writes; status mirrors the user and the Synced condition
	// reports drift from the spec.
	ManagementPolicyObserveOnly ManagementPolicy = "ObserveOnly"
)

// UserState is a JumpCloud account state as observed.
// +kubebuilder:validation:Enum=Staged;Activated;Suspended
type UserState string

const (
	// UserStateStaged is a user created but not yet activated.
	UserStateStaged UserState = "Staged"
	// UserStateActivated is an active user.
	UserStateActivated UserState = "Activated"
	// UserStateSuspended is a suspended user: it cannot log in, its history is kept.
	UserStateSuspended UserState = "Suspended"
)

// JumpCloudUserSpec is the desired state of a JumpCloud system user. Only the fields that are set are
// managed: a field left out is never written, so values set in the JumpCloud console survive.
// +kubebuilder:validation:XValidation:rule="!has(self.managementPolicy) || self.managementPolicy != 'ObserveOnly' || !has(self.deletionPolicy) || self.deletionPolicy == 'Orphan'",message="an ObserveOnly user is never written to JumpCloud, so deletionPolicy must be Orphan or left unset"
type JumpCloudUserSpec struct {
	// connectionRef names the connection (API key, organization, rate limit) to use. When unset, the
	// JumpCloudConnection named "default" in this namespace is used, else the
	// ClusterJumpCloudConnection named "default".
	// +optional
	ConnectionRef *ConnectionReference `json:"connectionRef,omitempty"`

	// username is the JumpCloud login name. It must start with a letter and contain no whitespace or
	// '@'. It cannot be changed once set.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z][^@[:space:]]*$')",message="username must start with a letter and contain no whitespace or '@'"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="username is immutable; create a new JumpCloudUser to rename"
	Username string `json:"username"`

	// email is the user's primary email address; it must be unique in the JumpCloud organization.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@[:space:]]+@[^@[:space:]]+$')",message="email must be a single address such as alice@example.com"
	Email string `json:"email"`

	// activated true keeps the user ACTIVATED: a STAGED user is activated (see activation), a
	// SUSPENDED user is re-activated. false creates a new user STAGED and suspends an ACTIVATED one.
	// Not to be confused with JumpCloud's read-only "activated" flag, reported as status.passwordSet.
	// +kubebuilder:default=true
	// +optional
	Activated *bool `json:"activated,omitempty"`

	// locked true keeps the account locked. false does not unlock an account that JumpCloud locked
	// after failed logins (that lockout is reported as status.locked and the LockedOut reason); such
	// an account is unlocked only by an explicit unlock (annotation or JumpCloudUserOperation), or
	// when this field itself changes from true to false.
	// +kubebuilder:default=false
	// +optional
	Locked *bool `json:"locked,omitempty"`

	// profile holds the personal and HR attributes. Each field is managed only when set.
	// +optional
	Profile *UserProfile `json:"profile,omitempty"`

	// access holds device, POSIX, LDAP and MFA settings. Each field is managed only when set.
	// +optional
	Access *UserAccess `json:"access,omitempty"`

	// sshKeys are the user's SSH public keys. Unset: JumpCloud's keys are not managed. Set:
	// JumpCloud's keys become exactly these, matched by the key material (not the name): a new key
	// is added before an old one is deleted, so a rotation never leaves the user without a key;
	// [] removes them all. Renaming a key changes nothing in JumpCloud (there is no update call).
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=50
	// +optional
	SSHKeys []SSHPublicKey `json:"sshKeys,omitempty"`

	// passwordSecretRef names a Secret key holding the user's password. The password is sent when the
	// user is created and again only when the Secret's content changes. Without it, JumpCloud asks
	// the person to choose a password when the account is activated.
	// +optional
	PasswordSecretRef *SecretKeyReference `json:"passwordSecretRef,omitempty"`

	// activation controls what happens when a STAGED user is activated.
	// +optional
	Activation *ActivationSpec `json:"activation,omitempty"`

	// deletionPolicy says what happens in JumpCloud when this resource is deleted: Suspend (keep the
	// user and its history, but block it), Delete, or Orphan (leave it as it is). When unset, the
	// operator's --default-deletion-policy applies (Suspend unless configured otherwise). The
	// operator never suspends or deletes a user it neither created nor adopted.
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// adoptionPolicy says what happens when the username already exists in JumpCloud and is not this
	// resource's: Never (stall with reason AlreadyExists, write nothing) or IfExists (take it over,
	// only when the connection sets allowAdoption).
	// +kubebuilder:default=Never
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// managementPolicy is Full (make JumpCloud match the spec) or ObserveOnly (never write; status
	// mirrors the user and the Synced condition reports drift).
	// +kubebuilder:default=Full
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`
}

// UserProfile holds a user's personal and HR attributes. A field left unset is not managed.
type UserProfile struct {
	// firstname is the given name.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Firstname *string `json:"firstname,omitempty"`
	// middlename is the middle name.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Middlename *string `json:"middlename,omitempty"`
	// lastname is the family name.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Lastname *string `json:"lastname,omitempty"`
	// displayname is the preferred name (LDAP displayName).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Displayname *string `json:"displayname,omitempty"`
	// alternateEmail is a secondary address; activation emails go there when set.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[^@[:space:]]+@[^@[:space:]]+$')",message="alternateEmail must be a single address such as alice@example.org"
	// +optional
	AlternateEmail *string `json:"alternateEmail,omitempty"`
	// jobTitle is the job title.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	JobTitle *string `json:"jobTitle,omitempty"`
	// department is the department.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Department *string `json:"department,omitempty"`
	// company is the company.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Company *string `json:"company,omitempty"`
	// costCenter is the cost center.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	CostCenter *string `json:"costCenter,omitempty"`
	// location is the work location.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Location *string `json:"location,omitempty"`
	// employeeType is the kind of employment, such as Full-time or Contractor.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	EmployeeType *string `json:"employeeType,omitempty"`
	// employeeIdentifier is the HR id; JumpCloud requires it to be unique in the organization.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	EmployeeIdentifier *string `json:"employeeIdentifier,omitempty"`
	// description is free text.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description *string `json:"description,omitempty"`
	// manager is the user's manager: another JumpCloudUser in this namespace (name) or a JumpCloud
	// user id (id).
	// +optional
	Manager *ManagerReference `json:"manager,omitempty"`
	// phoneNumbers replaces the user's phone numbers as a whole. Leave it unset to leave JumpCloud's
	// list alone; set it to [] to remove them all.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +optional
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitempty"`
	// addresses replaces the user's postal addresses as a whole. Leave it unset to leave JumpCloud's
	// list alone; set it to [] to remove them all.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Addresses []Address `json:"addresses,omitempty"`
	// attributes replaces the user's custom attributes as a whole; names are unique. Leave it unset
	// to leave JumpCloud's list alone; set it to [] to remove them all.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Attributes []Attribute `json:"attributes,omitempty"`
}

// ManagerReference names a user's manager, either as a JumpCloudUser or as a JumpCloud user id.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.id)",message="manager needs exactly one of name (a JumpCloudUser in this namespace) or id (a JumpCloud user id)"
type ManagerReference struct {
	// name of a JumpCloudUser in this namespace; its JumpCloud id is used once known.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// id is a JumpCloud user id (24 hexadecimal characters).
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{24}$')",message="id must be a JumpCloud user id: 24 lowercase hexadecimal characters"
	// +kubebuilder:validation:MaxLength=24
	// +optional
	ID string `json:"id,omitempty"`
}

// PhoneNumber is one phone number of a user.
type PhoneNumber struct {
	// type of the number, such as work, mobile or home.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Type string `json:"type"`
	// number as dialled, such as "+49 30 1234".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Number string `json:"number"`
}

// Address is one postal address of a user.
type Address struct {
	// type of the address, such as work or home.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Type string `json:"type"`
	// poBox is the post office box.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	POBox string `json:"poBox,omitempty"`
	// extendedAddress is the second address line.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	// streetAddress is the street and number.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	StreetAddress string `json:"streetAddress,omitempty"`
	// locality is the city.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Locality string `json:"locality,omitempty"`
	// region is the state or province.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Region string `json:"region,omitempty"`
	// postalCode is the postal code.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	PostalCode string `json:"postalCode,omitempty"`
	// country is the country, such as DE or Germany.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Country string `json:"country,omitempty"`
}

// Attribute is one custom attribute of a user.
type Attribute struct {
	// name of the attribute; unique within the list.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Name string `json:"name"`
	// value of the attribute.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Value string `json:"value"`
}

// UserAccess holds device, POSIX, LDAP and MFA settings. A field left unset is not managed.
// +kubebuilder:validation:XValidation:rule="!has(self.passwordlessSudo) || !self.passwordlessSudo || (has(self.sudo) && self.sudo)",message="passwordlessSudo: true also needs sudo: true"
type UserAccess struct {
	// sudo makes the user an administrator on every device bound to it.
	// +optional
	Sudo *bool `json:"sudo,omitempty"`
	// passwordlessSudo lets an administrator run sudo without a password; needs sudo.
	// +optional
	PasswordlessSudo *bool `json:"passwordlessSudo,omitempty"`
	// ldapBindingUser lets the user bind to JumpCloud's LDAP service.
	// +optional
	LDAPBindingUser *bool `json:"ldapBindingUser,omitempty"`
	// passwordNeverExpires exempts the user from the organization's password expiry.
	// +optional
	PasswordNeverExpires *bool `json:"passwordNeverExpires,omitempty"`
	// enableUserPortalMultifactor requires MFA to log in to the JumpCloud user portal.
	// +optional
	EnableUserPortalMultifactor *bool `json:"enableUserPortalMultifactor,omitempty"`
	// allowPublicKey lets the user log in to devices with an SSH public key.
	// +optional
	AllowPublicKey *bool `json:"allowPublicKey,omitempty"`
}

// SSHPublicKey is one SSH public key of a user.
type SSHPublicKey struct {
	// name of the key, unique within the list.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// publicKey is one line of an OpenSSH public key: its type (ssh-ed25519, ssh-rsa,
	// ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com,
	// ssh-dss), the base64 key and an optional comment.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=8192
	// +kubebuilder:validation:XValidation:rule="self.matches('^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh[.]com|sk-ecdsa-sha2-nistp256@openssh[.]com) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$')",message="publicKey must be one line of an OpenSSH public key, such as ssh-ed25519 AAAAC3Nza... alice@laptop"
	PublicKey string `json:"publicKey"`
}

// ActivationSpec controls the activation of a STAGED user.
type ActivationSpec struct {
	// sendEmail sends JumpCloud's welcome or activation email when the user is activated.
	// Defaults to true.
	// +kubebuilder:default=true
	// +optional
	SendEmail *bool `json:"sendEmail,omitempty"`
}

// MFAStatus is the user's MFA state as JumpCloud reports it.
type MFAStatus struct {
	// configured is true once MFA is configured for the user.
	// +optional
	Configured bool `json:"configured,omitempty"`
	// totpEnabled is true once the user enrolled a TOTP authenticator.
	// +optional
	TOTPEnabled bool `json:"totpEnabled,omitempty"`
	// enrollmentStatus is JumpCloud's overall enrollment status, such as ENROLLED or PENDING_ACTIVATION.
	// +optional
	EnrollmentStatus string `json:"enrollmentStatus,omitempty"`
}

// Ownership says how a JumpCloudUser came to know its JumpCloud user.
// +kubebuilder:validation:Enum=Created;Adopted;Observed
type Ownership string

const (
	// OwnershipCreated means this resource created the JumpCloud user.
	OwnershipCreated Ownership = "Created"
	// OwnershipAdopted means this resource took over an existing JumpCloud user (adoptionPolicy
	// IfExists on a connection that allows adoption).
	OwnershipAdopted Ownership = "Adopted"
	// OwnershipObserved means this resource only observes the JumpCloud user (ObserveOnly); it
	// never writes to it and never suspends or deletes it.
	OwnershipObserved Ownership = "Observed"
)

// LastHandledTokens records, per one-shot annotation, the last token that was acted on.
type LastHandledTokens struct {
	// expirePassword is the last expire-password token handled.
	// +optional
	ExpirePassword string `json:"expirePassword,omitempty"`
	// resetMFA is the last reset-mfa token handled.
	// +optional
	ResetMFA string `json:"resetMFA,omitempty"`
	// unlock is the last unlock token handled.
	// +optional
	Unlock string `json:"unlock,omitempty"`
	// reconcile is the last reconcile token handled.
	// +optional
	Reconcile string `json:"reconcile,omitempty"`
}

// JumpCloudUserStatus is the observed state of a JumpCloud system user.
type JumpCloudUserStatus struct {
	// observedGeneration is the generation the operator last finished with: reconciled, or stalled
	// on a problem that needs a human. It does not move on transient errors.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// id is the JumpCloud user id (_id) once known.
	// +optional
	ID string `json:"id,omitempty"`
	// ownership says whether this resource Created, Adopted or only Observed the JumpCloud user.
	// Only a Created or Adopted user is ever suspended or deleted by the deletionPolicy.
	// +optional
	Ownership Ownership `json:"ownership,omitempty"`
	// createPending is set just before the operator asks JumpCloud to create the user and cleared
	// once the answer is recorded. If the answer was lost, the next pass finds the user by username
	// and takes it as this resource's own instead of creating a duplicate.
	// +optional
	CreatePending *metav1.Time `json:"createPending,omitempty"`
	// lockedBySpec is true while the account is locked because spec.locked is true; it tells such a
	// lock (undone when spec.locked goes back to false) from a lockout by JumpCloud (left alone).
	// +optional
	LockedBySpec bool `json:"lockedBySpec,omitempty"`
	// state is the account state as observed: Staged, Activated or Suspended.
	// +optional
	State UserState `json:"state,omitempty"`
	// locked is true when the account is locked, by the spec or by JumpCloud after failed logins.
	// +optional
	Locked *bool `json:"locked,omitempty"`
	// passwordSet is JumpCloud's "activated" flag: true once the person has a usable password.
	// +optional
	PasswordSet *bool `json:"passwordSet,omitempty"`
	// passwordExpired is true when the password has expired.
	// +optional
	PasswordExpired *bool `json:"passwordExpired,omitempty"`
	// passwordExpirationDate is when the password expires.
	// +optional
	PasswordExpirationDate *metav1.Time `json:"passwordExpirationDate,omitempty"`
	// mfa is the MFA state.
	// +optional
	MFA *MFAStatus `json:"mfa,omitempty"`
	// created is when JumpCloud created the user.
	// +optional
	Created *metav1.Time `json:"created,omitempty"`
	// lastSyncTime is when JumpCloud was last compared with the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// passwordSecretVersion is a hash of the password last sent (never the password itself), so that
	// it is sent again only when the Secret's content changes.
	// +optional
	PasswordSecretVersion string `json:"passwordSecretVersion,omitempty"`
	// passwordPending is the version of a password sent to JumpCloud whose answer was lost (a
	// timeout, a dropped connection, an operator restart). JumpCloud may have applied it; if it
	// then refuses the same password as reused, the operator takes it as applied instead of
	// stalling.
	// +optional
	PasswordPending string `json:"passwordPending,omitempty"`
	// pendingResetMFA is the reset-mfa token whose call to JumpCloud is in flight. JumpCloud emails
	// the user on every reset, so a token found here after a restart is not called again: it is
	// recorded as handled with an OutcomeUnknown event.
	// +optional
	PendingResetMFA string `json:"pendingResetMFA,omitempty"`
	// lastHandled records the one-shot annotation tokens already acted on.
	// +optional
	LastHandled *LastHandledTokens `json:"lastHandled,omitempty"`
	// conditions: Ready, Reconciling, Stalled and Synced.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// JumpCloudUser is a JumpCloud directory user ("system user") managed from Kubernetes.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jcuser;jcusers,categories=jumpcloud
// +kubebuilder:printcolumn:name="Username",type=string,JSONPath=`.spec.username`
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Locked",type=boolean,JSONPath=`.status.locked`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=`.status.id`,priority=1
// +kubebuilder:validation:XValidation:rule="!has(self.spec.profile) || !has(self.spec.profile.manager) || !has(self.spec.profile.manager.name) || self.spec.profile.manager.name != self.metadata.name",message="a user cannot be its own manager"
type JumpCloudUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired JumpCloud user.
	// +required
	Spec JumpCloudUserSpec `json:"spec"`

	// status is the JumpCloud user as last observed.
	// The default observedGeneration of -1 makes a resource the operator has not acted on yet read
	// as in progress (kstatus), instead of healthy.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status JumpCloudUserStatus `json:"status,omitempty"`
}

// JumpCloudUserList contains a list of JumpCloudUser.
// +kubebuilder:object:root=true
type JumpCloudUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpCloudUser `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpCloudUser{}, &JumpCloudUserList{})
}
