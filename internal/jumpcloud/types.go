package jumpcloud

import "time"

// State is a system user's account state.
type State string

// The account states. JumpCloud keeps "suspended" consistent with State: Suspended is true
// exactly when State is StateSuspended.
const (
	StateStaged    State = "STAGED"
	StateActivated State = "ACTIVATED"
	StateSuspended State = "SUSPENDED"
)

// MFAEnrollmentStatus is one of JumpCloud's enrollment statuses (NOT_ENROLLED, DISABLED,
// PENDING_ACTIVATION, ENROLLMENT_EXPIRED, IN_ENROLLMENT, PRE_ENROLLMENT, ENROLLED).
type MFAEnrollmentStatus string

// The MFA enrollment statuses JumpCloud documents.
const (
	MFANotEnrolled       MFAEnrollmentStatus = "NOT_ENROLLED"
	MFADisabled          MFAEnrollmentStatus = "DISABLED"
	MFAPendingActivation MFAEnrollmentStatus = "PENDING_ACTIVATION"
	MFAEnrollmentExpired MFAEnrollmentStatus = "ENROLLMENT_EXPIRED"
	MFAInEnrollment      MFAEnrollmentStatus = "IN_ENROLLMENT"
	MFAPreEnrollment     MFAEnrollmentStatus = "PRE_ENROLLMENT"
	MFAEnrolled          MFAEnrollmentStatus = "ENROLLED"
)

// PhoneNumber is one entry of a user's phoneNumbers. ID is set by JumpCloud on reads and is
// never sent.
type PhoneNumber struct {
	ID     string `json:"id,omitempty"`
	Type   string `json:"type"`
	Number string `json:"number"`
}

// Address is one entry of a user's addresses. ID is set by JumpCloud on reads and never sent.
type Address struct {
	ID              string `json:"id,omitempty"`
	Type            string `json:"type"`
	PoBox           string `json:"poBox,omitempty"`
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	StreetAddress   string `json:"streetAddress,omitempty"`
	Locality        string `json:"locality,omitempty"`
	Region          string `json:"region,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	Country         string `json:"country,omitempty"`
}

// Attribute is a custom attribute (name/value pair).
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MFA is the user's MFA settings as JumpCloud reports them.
type MFA struct {
	Configured     bool
	Exclusion      bool
	ExclusionDays  int
	ExclusionUntil *time.Time
}

// MFAEnrollment is JumpCloud's read-only summary of the user's MFA enrollment.
type MFAEnrollment struct {
	OverallStatus  MFAEnrollmentStatus
	TOTPStatus     MFAEnrollmentStatus
	PushStatus     MFAEnrollmentStatus
	WebAuthnStatus MFAEnrollmentStatus
}

// User is a system user as JumpCloud returns it. When a read selected fields, the fields that
// were not selected hold zero values. Timestamps JumpCloud left null or empty are nil.
type User struct {
	ID                 string
	Username           string
	Email              string
	Firstname          string
	Middlename         string
	Lastname           string
	Displayname        string
	AlternateEmail     string
	JobTitle           string
	Department         string
	Company            string
	CostCenter         string
	Location           string
	EmployeeType       string
	EmployeeIdentifier string
	Description        string
	// Manager is the _id of the user's manager, "" when none.
	Manager      string
	PhoneNumbers []PhoneNumber
	Addresses    []Address
	Attributes   []Attribute
	// SSHKeys are the user's SSH public keys, when the answer carried them (HasSSHKeys).
	SSHKeys    []SSHKey
	HasSSHKeys bool

	State State
	// Activated is JumpCloud's read-only flag: true once the person has a usable password.
	Activated bool
	Suspended bool
	// AccountLocked is true while the account is locked (after failed logins, or by an admin).
	AccountLocked     bool
	AccountLockedDate *time.Time
	BadLoginAttempts  int

	PasswordExpired        bool
	PasswordExpirationDate *time.Time
	PasswordDate           *time.Time
	PasswordNeverExpires   bool

	Sudo                          bool
	PasswordlessSudo              bool
	LDAPBindingUser               bool
	SambaServiceUser              bool
	AllowPublicKey                bool
	EnableManagedUID              bool
	UnixUID                       int
	UnixGUID                      int
	DisableDeviceMaxLoginAttempts bool
	EnableUserPortalMultifactor   bool

	TOTPEnabled   bool
	MFA           MFA
	MFAEnrollment MFAEnrollment

	ExternallyManaged bool
	CreationSource    string
	Organization      string
	Created           *time.Time
	// MemberOf is only filled by SearchUsers (JumpCloud's search results carry it).
	MemberOf []string
}

// MFASettings is the mfa object sent on create or update. Nil fields are not sent.
type MFASettings struct {
	Configured     *bool
	Exclusion      *bool
	ExclusionDays  *int
	ExclusionUntil *time.Time
}

// UserFields is what CreateUser and UpdateUser send. Every field is a pointer: nil means "do not
// send" (JumpCloud keeps its value on update), a pointer to false/""/0 sends that value. The list
// fields follow the same rule: nil is not sent, a pointer to an empty (or nil) slice sends [],
// which clears the list; JumpCloud replaces lists whole.
//
// Manager is the exception for "": JumpCloud clears a manager with null (an empty string is not a
// valid user id), so a pointer to "" is sent as "manager": null.
//
// Password is write-only: it is sent when set, never read back, and never appears in errors.
// State and Suspended should be sent together and agree (ACTIVATED/false or SUSPENDED/true);
// JumpCloud rejects STAGED on update.
type UserFields struct {
	Username           *string
	Email              *string
	Firstname          *string
	Middlename         *string
	Lastname           *string
	Displayname        *string
	AlternateEmail     *string
	JobTitle           *string
	Department         *string
	Company            *string
	CostCenter         *string
	Location           *string
	EmployeeType       *string
	EmployeeIdentifier *string
	Description        *string
	Manager            *string
	PhoneNumbers       *[]PhoneNumber
	Addresses          *[]Address
	Attributes         *[]Attribute

	Password *string
	State    *State
	// Suspended should accompany State (see above).
	Suspended *bool
	// Activated is accepted on create only.
	Activated            *bool
	AccountLocked        *bool
	PasswordNeverExpires *bool

	Sudo                          *bool
	PasswordlessSudo              *bool
	LDAPBindingUser               *bool
	SambaServiceUser              *bool
	AllowPublicKey                *bool
	EnableManagedUID              *bool
	UnixUID                       *int
	UnixGUID                      *int
	DisableDeviceMaxLoginAttempts *bool
	EnableUserPortalMultifactor   *bool
	MFA                           *MFASettings
}

// Ptr returns a pointer to v; handy for filling UserFields.
func Ptr[T any](v T) *T { return &v }
