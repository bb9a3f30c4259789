package jcsim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
)

// User states.
const (
	StateStaged    = "STAGED"
	StateActivated = "ACTIVATED"
	StateSuspended = "SUSPENDED"
)

// timeFormat is how the simulator writes timestamps (JumpCloud's examples use RFC 3339 UTC with
// milliseconds: 2013-10-16T19:30:55.611Z).
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// PhoneNumber is one phone number; ID is assigned by the simulator.
type PhoneNumber struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Number string `json:"number"`
}

// Address is one postal address; ID is assigned by the simulator.
type Address struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	PoBox           string `json:"poBox"`
	ExtendedAddress string `json:"extendedAddress"`
	StreetAddress   string `json:"streetAddress"`
	Locality        string `json:"locality"`
	Region          string `json:"region"`
	PostalCode      string `json:"postalCode"`
	Country         string `json:"country"`
}

// Attribute is a custom attribute.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Relationship is a typed relation to another value.
type Relationship struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// RecoveryEmail is the user's recovery address.
type RecoveryEmail struct {
	Address    string `json:"address"`
	Verified   bool   `json:"verified"`
	VerifiedAt string `json:"verifiedAt,omitempty"`
}

// MFA is the mfa object.
type MFA struct {
	Configured     bool    `json:"configured"`
	Exclusion      bool    `json:"exclusion"`
	ExclusionDays  int     `json:"exclusionDays,omitempty"`
	ExclusionUntil *string `json:"exclusionUntil,omitempty"`
}

// MFAEnrollment is the read-only enrollment summary.
type MFAEnrollment struct {
	OverallStatus  string `json:"overallStatus"`
	TOTPStatus     string `json:"totpStatus"`
	PushStatus     string `json:"pushStatus"`
	WebAuthnStatus string `json:"webAuthnStatus"`
}

// SSHKey is one of a user's public SSH keys (sshkeylist). ID and Created are assigned by the
// simulator.
type SSHKey struct {
	ID        string `json:"_id"`
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
	Created   string `json:"create_date"`
}

// User is a system user as the simulator stores and returns it (systemuserreturn). The password
// is not part of it: it is kept apart, hashed, and never returned.
type User struct {
	ID                 string         `json:"_id"`
	Username           string         `json:"username"`
	Email              string         `json:"email"`
	Firstname          string         `json:"firstname"`
	Middlename         string         `json:"middlename"`
	Lastname           string         `json:"lastname"`
	Displayname        string         `json:"displayname"`
	AlternateEmail     string         `json:"alternateEmail"`
	RecoveryEmail      *RecoveryEmail `json:"recoveryEmail,omitempty"`
	ManagedAppleID     string         `json:"managedAppleId"`
	JobTitle           string         `json:"jobTitle"`
	Department         string         `json:"department"`
	Company            string         `json:"company"`
	CostCenter         string         `json:"costCenter"`
	Location           string         `json:"location"`
	EmployeeType       string         `json:"employeeType"`
	EmployeeIdentifier string         `json:"employeeIdentifier"`
	Description        string         `json:"description"`
	// Manager is the manager's _id; nil when none, which the API answers as "" (the document's
	// type is string) or, with the ManagerNull knob, as null.
	Manager       *string        `json:"manager"`
	PhoneNumbers  []PhoneNumber  `json:"phoneNumbers"`
	Addresses     []Address      `json:"addresses"`
	Attributes    []Attribute    `json:"attributes"`
	Relationships []Relationship `json:"relationships"`

	State                  string  `json:"state"`
	Activated              bool    `json:"activated"`
	Suspended              bool    `json:"suspended"`
	AccountLocked          bool    `json:"account_locked"`
	AccountLockedDate      *string `json:"account_locked_date"`
	BadLoginAttempts       int     `json:"badLoginAttempts"`
	PasswordExpired        bool    `json:"password_expired"`
	PasswordExpirationDate *string `json:"password_expiration_date"`
	PasswordDate           *string `json:"password_date"`
	PasswordNeverExpires   bool    `json:"password_never_expires"`

	Sudo                          bool          `json:"sudo"`
	PasswordlessSudo              bool          `json:"passwordless_sudo"`
	LDAPBindingUser               bool          `json:"ldap_binding_user"`
	SambaServiceUser              bool          `json:"samba_service_user"`
	AllowPublicKey                bool          `json:"allow_public_key"`
	PublicKey                     string        `json:"public_key"`
	SSHKeys                       []SSHKey      `json:"ssh_keys"`
	EnableManagedUID              bool          `json:"enable_managed_uid"`
	UnixUID                       int           `json:"unix_uid,omitempty"`
	UnixGUID                      int           `json:"unix_guid,omitempty"`
	DisableDeviceMaxLoginAttempts bool          `json:"disableDeviceMaxLoginAttempts"`
	EnableUserPortalMultifactor   bool          `json:"enable_user_portal_multifactor"`
	TOTPEnabled                   bool          `json:"totp_enabled"`
	MFA                           MFA           `json:"mfa"`
	MFAEnrollment                 MFAEnrollment `json:"mfaEnrollment"`

	ExternallyManaged  bool   `json:"externally_managed"`
	ExternalDN         string `json:"external_dn"`
	ExternalSourceType string `json:"external_source_type"`
	CreationSource     string `json:"creationSource"`
	Organization       string `json:"organization"`
	Created            string `json:"created"`
}

// clone returns a deep copy.
func (u *User) clone() User {
	c := *u
	if u.Manager != nil {
		m := *u.Manager
		c.Manager = &m
	}
	if u.RecoveryEmail != nil {
		r := *u.RecoveryEmail
		c.RecoveryEmail = &r
	}
	c.PhoneNumbers = append([]PhoneNumber{}, u.PhoneNumbers...)
	c.Addresses = append([]Address{}, u.Addresses...)
	c.Attributes = append([]Attribute{}, u.Attributes...)
	c.Relationships = append([]Relationship{}, u.Relationships...)
	c.SSHKeys = append([]SSHKey{}, u.SSHKeys...)
	c.AccountLockedDate = cloneStr(u.AccountLockedDate)
	c.PasswordExpirationDate = cloneStr(u.PasswordExpirationDate)
	c.PasswordDate = cloneStr(u.PasswordDate)
	c.MFA.ExclusionUntil = cloneStr(u.MFA.ExclusionUntil)
	return c
}

func cloneStr(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}

func strPtr(s string) *string { return &s }

// normalize makes lists non-nil (so they encode as []), keeps suspended consistent and takes an
// empty manager for none.
func (u *User) normalize() {
	if u.Manager != nil && *u.Manager == "" {
		u.Manager = nil
	}
	if u.SSHKeys == nil {
		u.SSHKeys = []SSHKey{}
	}
	if u.PhoneNumbers == nil {
		u.PhoneNumbers = []PhoneNumber{}
	}
	if u.Addresses == nil {
		u.Addresses = []Address{}
	}
	if u.Attributes == nil {
		u.Attributes = []Attribute{}
	}
	if u.Relationships == nil {
		u.Relationships = []Relationship{}
	}
	u.Suspended = u.State == StateSuspended
}

// writableOnCreate and writableOnUpdate are the JSON keys a client may set (systemuserputpost,
// systemuserput plus what JumpCloud's own module sends on PUT). Other keys are ignored, as
// JumpCloud ignores read-only fields.
var writableOnCreate = keySet(
	"username", "email", "firstname", "middlename", "lastname", "displayname", "alternateEmail",
	"recoveryEmail", "managedAppleId", "jobTitle", "department", "company", "costCenter",
	"location", "employeeType", "employeeIdentifier", "description", "manager", "phoneNumbers",
	"addresses", "attributes", "relationships", "state", "activated", "suspended", "account_locked",
	"password_never_expires", "sudo", "passwordless_sudo", "ldap_binding_user",
	"samba_service_user", "allow_public_key", "public_key", "enable_managed_uid", "unix_uid",
	"unix_guid", "disableDeviceMaxLoginAttempts", "enable_user_portal_multifactor", "mfa",
	"externally_managed", "external_dn", "external_source_type", "password",
)

var writableOnUpdate = func() map[string]bool {
	m := keySet()
	for k := range writableOnCreate {
		if k != "activated" {
			m[k] = true
		}
	}
	return m
}()

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// fieldIndex maps a JSON name to the struct field path, for every struct type reachable from
// User (so "mfa.configured" and "phoneNumbers.number" resolve).
type fieldInfo struct {
	index []int
}

var typeFields = map[reflect.Type]map[string]fieldInfo{}

func init() {
	indexType(reflect.TypeFor[User]())
}

func indexType(t reflect.Type) {
	if _, done := typeFields[t]; done {
		return
	}
	m := map[string]fieldInfo{}
	typeFields[t] = m
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = fieldInfo{index: f.Index}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			indexType(ft)
		}
	}
}

// fieldValue returns the settable field of u named by a top-level JSON key.
func fieldValue(u *User, key string) (reflect.Value, bool) {
	fi, ok := typeFields[reflect.TypeOf(*u)][key]
	if !ok {
		return reflect.Value{}, false
	}
	return reflect.ValueOf(u).Elem().FieldByIndex(fi.index), true
}

// lookup returns the values at a dotted JSON path. A nil pointer yields nil; a list yields its
// elements (or, with more path, the values inside each element), like a Mongo query on arrays.
// An unknown path yields no values.
func lookup(v reflect.Value, path []string) []any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return []any{nil}
		}
		v = v.Elem()
	}
	if len(path) == 0 {
		if v.Kind() == reflect.Slice {
			out := make([]any, 0, v.Len())
			for i := 0; i < v.Len(); i++ {
				out = append(out, v.Index(i).Interface())
			}
			return out
		}
		return []any{v.Interface()}
	}
	switch v.Kind() {
	case reflect.Struct:
		fi, ok := typeFields[v.Type()][path[0]]
		if !ok {
			return nil
		}
		return lookup(v.FieldByIndex(fi.index), path[1:])
	case reflect.Slice:
		var out []any
		for i := 0; i < v.Len(); i++ {
			out = append(out, lookup(v.Index(i), path)...)
		}
		return out
	}
	return nil
}

// userValues returns the values of field (a dotted JSON path) in u.
func userValues(u *User, field string) []any {
	return lookup(reflect.ValueOf(u).Elem(), strings.Split(field, "."))
}

func (u *User) values(field string) []any { return userValues(u, field) }

// emptyManager is how a user without a manager is answered: the document types manager as string.
var emptyManager = ""

// render encodes u, keeping only fields (top-level keys; "_id" always) when fields is not empty,
// and adding extra keys. A user without a manager gets "manager": "" (null with nullManager).
func render(u *User, fields []string, extra map[string]any, nullManager bool) json.RawMessage {
	w := u
	if u.Manager == nil && !nullManager {
		c := *u
		c.Manager = &emptyManager
		w = &c
	}
	b, _ := json.Marshal(w)
	if len(fields) == 0 && len(extra) == 0 {
		return b
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	if len(fields) > 0 {
		keep := map[string]bool{"_id": true}
		for _, f := range fields {
			top, _, _ := strings.Cut(f, ".")
			keep[top] = true
		}
		for k := range m {
			if !keep[k] {
				delete(m, k)
			}
		}
	}
	for k, v := range extra {
		if len(fields) > 0 && !containsStr(fields, k) {
			continue
		}
		eb, _ := json.Marshal(v)
		m[k] = eb
	}
	out, _ := json.Marshal(m)
	return out
}

func containsStr(ss []string, s string) bool {
	return slices.Contains(ss, s)
}
