package jumpcloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the JSON wire forms of the domain types. Decoding is lenient where JumpCloud's
// schema is loose (timestamps are untyped strings that may be null or empty; booleans and numbers
// are accepted as strings too), so one odd field does not make a whole user unreadable.

// lenientTime decodes RFC 3339 (with or without fractional seconds), a bare date, null or "".
type lenientTime struct{ t *time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // no zone: taken as UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func (l *lenientTime) UnmarshalJSON(b []byte) error {
	l.t = nil
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// Not a string (a number, an object): treat as unknown rather than failing the user.
		return nil
	}
	l.t = parseTimestamp(s)
	return nil
}

// parseTimestamp parses the timestamp forms JumpCloud uses; nil when empty or unparseable.
func parseTimestamp(s string) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

// lenientBool decodes true/false, "true"/"false", null (false).
type lenientBool bool

func (l *lenientBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(bytes.TrimSpace(b)), `"`) {
	case "true", "True", "TRUE", "1":
		*l = true
	default:
		*l = false
	}
	return nil
}

// lenientInt decodes numbers (integral or not), numeric strings and null (0).
type lenientInt int

func (l *lenientInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	*l = 0
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -1<<31 && f <= 1<<31 {
		*l = lenientInt(f)
	}
	return nil
}

// lenientString decodes strings, and null/other scalars as "" rather than failing.
type lenientString string

func (l *lenientString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = lenientString(s)
	} else {
		*l = ""
	}
	return nil
}

type wireMFA struct {
	Configured     lenientBool `json:"configured"`
	Exclusion      lenientBool `json:"exclusion"`
	ExclusionDays  lenientInt  `json:"exclusionDays"`
	ExclusionUntil lenientTime `json:"exclusionUntil"`
}

type wireMFAEnrollment struct {
	OverallStatus  lenientString `json:"overallStatus"`
	TOTPStatus     lenientString `json:"totpStatus"`
	PushStatus     lenientString `json:"pushStatus"`
	WebAuthnStatus lenientString `json:"webAuthnStatus"`
}

type wirePhoneNumber struct {
	ID     lenientString `json:"id"`
	Type   lenientString `json:"type"`
	Number lenientString `json:"number"`
}

type wireAddress struct {
	ID              lenientString `json:"id"`
	Type            lenientString `json:"type"`
	PoBox           lenientString `json:"poBox"`
	ExtendedAddress lenientString `json:"extendedAddress"`
	StreetAddress   lenientString `json:"streetAddress"`
	Locality        lenientString `json:"locality"`
	Region          lenientString `json:"region"`
	PostalCode      lenientString `json:"postalCode"`
	Country         lenientString `json:"country"`
}

type wireAttribute struct {
	Name  lenientString `json:"name"`
	Value lenientString `json:"value"`
}

// wireUser is systemuserreturn / systemuserSearchReturn, the fields the operator cares about.
type wireUser struct {
	ID                 lenientString      `json:"_id"`
	Username           lenientString      `json:"username"`
	Email              lenientString      `json:"email"`
	Firstname          lenientString      `json:"firstname"`
	Middlename         lenientString      `json:"middlename"`
	Lastname           lenientString      `json:"lastname"`
	Displayname        lenientString      `json:"displayname"`
	AlternateEmail     lenientString      `json:"alternateEmail"`
	JobTitle           lenientString      `json:"jobTitle"`
	Department         lenientString      `json:"department"`
	Company            lenientString      `json:"company"`
	CostCenter         lenientString      `json:"costCenter"`
	Location           lenientString      `json:"location"`
	EmployeeType       lenientString      `json:"employeeType"`
	EmployeeIdentifier lenientString      `json:"employeeIdentifier"`
	Description        lenientString      `json:"description"`
	Manager            lenientString      `json:"manager"`
	PhoneNumbers       []json.RawMessage  `json:"phoneNumbers"`
	Addresses          []json.RawMessage  `json:"addresses"`
	Attributes         []json.RawMessage  `json:"attributes"`
	SSHKeys            *[]json.RawMessage `json:"ssh_keys"`

	State             lenientString `json:"state"`
	Activated         lenientBool   `json:"activated"`
	Suspended         lenientBool   `json:"suspended"`
	AccountLocked     lenientBool   `json:"account_locked"`
	AccountLockedDate lenientTime   `json:"account_locked_date"`
	BadLoginAttempts  lenientInt    `json:"badLoginAttempts"`

	PasswordExpired        lenientBool `json:"password_expired"`
	PasswordExpirationDate lenientTime `json:"password_expiration_date"`
	PasswordDate           lenientTime `json:"password_date"`
	PasswordNeverExpires   lenientBool `json:"password_never_expires"`

	Sudo                          lenientBool `json:"sudo"`
	PasswordlessSudo              lenientBool `json:"passwordless_sudo"`
	LDAPBindingUser               lenientBool `json:"ldap_binding_user"`
	SambaServiceUser              lenientBool `json:"samba_service_user"`
	AllowPublicKey                lenientBool `json:"allow_public_key"`
	EnableManagedUID              lenientBool `json:"enable_managed_uid"`
	UnixUID                       lenientInt  `json:"unix_uid"`
	UnixGUID                      lenientInt  `json:"unix_guid"`
	DisableDeviceMaxLoginAttempts lenientBool `json:"disableDeviceMaxLoginAttempts"`
	EnableUserPortalMultifactor   lenientBool `json:"enable_user_portal_multifactor"`

	TOTPEnabled   lenientBool        `json:"totp_enabled"`
	MFA           *wireMFA           `json:"mfa"`
	MFAEnrollment *wireMFAEnrollment `json:"mfaEnrollment"`

	ExternallyManaged lenientBool     `json:"externally_managed"`
	CreationSource    lenientString   `json:"creationSource"`
	Organization      lenientString   `json:"organization"`
	Created           lenientTime     `json:"created"`
	MemberOf          []lenientString `json:"memberof"`
}

// errNotObject is returned when a user body is not a JSON object.
var errNotObject = errors.New("user is not a JSON object")

// decodeUser decodes one system user. It fails only when b is not a JSON object; odd field
// values are tolerated (see the lenient types) and list entries that are not objects are skipped.
func decodeUser(b []byte) (User, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return User{}, errNotObject
	}
	var w wireUser
	if err := json.Unmarshal(b, &w); err != nil {
		return User{}, err
	}
	return w.toUser(), nil
}

func (w *wireUser) toUser() User {
	u := User{
		ID:                            string(w.ID),
		Username:                      string(w.Username),
		Email:                         string(w.Email),
		Firstname:                     string(w.Firstname),
		Middlename:                    string(w.Middlename),
		Lastname:                      string(w.Lastname),
		Displayname:                   string(w.Displayname),
		AlternateEmail:                string(w.AlternateEmail),
		JobTitle:                      string(w.JobTitle),
		Department:                    string(w.Department),
		Company:                       string(w.Company),
		CostCenter:                    string(w.CostCenter),
		Location:                      string(w.Location),
		EmployeeType:                  string(w.EmployeeType),
		EmployeeIdentifier:            string(w.EmployeeIdentifier),
		Description:                   string(w.Description),
		Manager:                       string(w.Manager),
		State:                         State(w.State),
		Activated:                     bool(w.Activated),
		Suspended:                     bool(w.Suspended),
		AccountLocked:                 bool(w.AccountLocked),
		AccountLockedDate:             w.AccountLockedDate.t,
		BadLoginAttempts:              int(w.BadLoginAttempts),
		PasswordExpired:               bool(w.PasswordExpired),
		PasswordExpirationDate:        w.PasswordExpirationDate.t,
		PasswordDate:                  w.PasswordDate.t,
		PasswordNeverExpires:          bool(w.PasswordNeverExpires),
		Sudo:                          bool(w.Sudo),
		PasswordlessSudo:              bool(w.PasswordlessSudo),
		LDAPBindingUser:               bool(w.LDAPBindingUser),
		SambaServiceUser:              bool(w.SambaServiceUser),
		AllowPublicKey:                bool(w.AllowPublicKey),
		EnableManagedUID:              bool(w.EnableManagedUID),
		UnixUID:                       int(w.UnixUID),
		UnixGUID:                      int(w.UnixGUID),
		DisableDeviceMaxLoginAttempts: bool(w.DisableDeviceMaxLoginAttempts),
		EnableUserPortalMultifactor:   bool(w.EnableUserPortalMultifactor),
		TOTPEnabled:                   bool(w.TOTPEnabled),
		ExternallyManaged:             bool(w.ExternallyManaged),
		CreationSource:                string(w.CreationSource),
		Organization:                  string(w.Organization),
		Created:                       w.Created.t,
	}
	if w.SSHKeys != nil {
		u.HasSSHKeys = true
		for _, raw := range *w.SSHKeys {
			var k wireSSHKey
			if json.Unmarshal(raw, &k) == nil {
				u.SSHKeys = append(u.SSHKeys, k.toSSHKey())
			}
		}
	}
	for _, raw := range w.PhoneNumbers {
		var p wirePhoneNumber
		if isObject(raw) && json.Unmarshal(raw, &p) == nil {
			u.PhoneNumbers = append(u.PhoneNumbers, PhoneNumber{ID: string(p.ID), Type: string(p.Type), Number: string(p.Number)})
		}
	}
	for _, raw := range w.Addresses {
		var a wireAddress
		if isObject(raw) && json.Unmarshal(raw, &a) == nil {
			u.Addresses = append(u.Addresses, Address{
				ID: string(a.ID), Type: string(a.Type), PoBox: string(a.PoBox),
				ExtendedAddress: string(a.ExtendedAddress), StreetAddress: string(a.StreetAddress),
				Locality: string(a.Locality), Region: string(a.Region),
				PostalCode: string(a.PostalCode), Country: string(a.Country),
			})
		}
	}
	for _, raw := range w.Attributes {
		var a wireAttribute
		if isObject(raw) && json.Unmarshal(raw, &a) == nil {
			u.Attributes = append(u.Attributes, Attribute{Name: string(a.Name), Value: string(a.Value)})
		}
	}
	if w.MFA != nil {
		u.MFA = MFA{
			Configured:     bool(w.MFA.Configured),
			Exclusion:      bool(w.MFA.Exclusion),
			ExclusionDays:  int(w.MFA.ExclusionDays),
			ExclusionUntil: w.MFA.ExclusionUntil.t,
		}
	}
	if w.MFAEnrollment != nil {
		u.MFAEnrollment = MFAEnrollment{
			OverallStatus:  MFAEnrollmentStatus(w.MFAEnrollment.OverallStatus),
			TOTPStatus:     MFAEnrollmentStatus(w.MFAEnrollment.TOTPStatus),
			PushStatus:     MFAEnrollmentStatus(w.MFAEnrollment.PushStatus),
			WebAuthnStatus: MFAEnrollmentStatus(w.MFAEnrollment.WebAuthnStatus),
		}
	}
	for _, g := range w.MemberOf {
		u.MemberOf = append(u.MemberOf, string(g))
	}
	return u
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// wireUserList is systemuserslist / systemUsersSearchlist.
type wireUserList struct {
	TotalCount lenientInt        `json:"totalCount"`
	Results    []json.RawMessage `json:"results"`
}

// decodeUserList decodes a list or search answer. Entries that are not objects are skipped.
func decodeUserList(b []byte) (UserPage, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return UserPage{}, errors.New("list is not a JSON object")
	}
	var w wireUserList
	if err := json.Unmarshal(b, &w); err != nil {
		return UserPage{}, err
	}
	page := UserPage{TotalCount: int(w.TotalCount), Users: make([]User, 0, len(w.Results))}
	for _, raw := range w.Results {
		u, err := decodeUser(raw)
		if err != nil {
			continue
		}
		page.Users = append(page.Users, u)
	}
	return page, nil
}

// wireMFASettings is the mfa object as sent.
type wireMFASettings struct {
	Configured     *bool   `json:"configured,omitempty"`
	Exclusion      *bool   `json:"exclusion,omitempty"`
	ExclusionDays  *int    `json:"exclusionDays,omitempty"`
	ExclusionUntil *string `json:"exclusionUntil,omitempty"`
}

// wireUserFields is systemuserputpost / systemuserput with only set fields present. Pointer
// fields with omitempty are omitted when nil and sent (even as false/""/0) when not nil.
type wireUserFields struct {
	Username           *string          `json:"username,omitempty"`
	Email              *string          `json:"email,omitempty"`
	Firstname          *string          `json:"firstname,omitempty"`
	Middlename         *string          `json:"middlename,omitempty"`
	Lastname           *string          `json:"lastname,omitempty"`
	Displayname        *string          `json:"displayname,omitempty"`
	AlternateEmail     *string          `json:"alternateEmail,omitempty"`
	JobTitle           *string          `json:"jobTitle,omitempty"`
	Department         *string          `json:"department,omitempty"`
	Company            *string          `json:"company,omitempty"`
	CostCenter         *string          `json:"costCenter,omitempty"`
	Location           *string          `json:"location,omitempty"`
	EmployeeType       *string          `json:"employeeType,omitempty"`
	EmployeeIdentifier *string          `json:"employeeIdentifier,omitempty"`
	Description        *string          `json:"description,omitempty"`
	Manager            json.RawMessage  `json:"manager,omitempty"`
	PhoneNumbers       *[]PhoneNumber   `json:"phoneNumbers,omitempty"`
	Addresses          *[]Address       `json:"addresses,omitempty"`
	Attributes         *[]Attribute     `json:"attributes,omitempty"`
	Password           *string          `json:"password,omitempty"`
	State              *State           `json:"state,omitempty"`
	Suspended          *bool            `json:"suspended,omitempty"`
	Activated          *bool            `json:"activated,omitempty"`
	AccountLocked      *bool            `json:"account_locked,omitempty"`
	PasswordNeverExp   *bool            `json:"password_never_expires,omitempty"`
	Sudo               *bool            `json:"sudo,omitempty"`
	PasswordlessSudo   *bool            `json:"passwordless_sudo,omitempty"`
	LDAPBindingUser    *bool            `json:"ldap_binding_user,omitempty"`
	SambaServiceUser   *bool            `json:"samba_service_user,omitempty"`
	AllowPublicKey     *bool            `json:"allow_public_key,omitempty"`
	EnableManagedUID   *bool            `json:"enable_managed_uid,omitempty"`
	UnixUID            *int             `json:"unix_uid,omitempty"`
	UnixGUID           *int             `json:"unix_guid,omitempty"`
	DisableDeviceMax   *bool            `json:"disableDeviceMaxLoginAttempts,omitempty"`
	EnablePortalMFA    *bool            `json:"enable_user_portal_multifactor,omitempty"`
	MFA                *wireMFASettings `json:"mfa,omitempty"`
}

// MarshalJSON encodes only the fields that are set (see UserFields). The result contains the
// password when one is set: it is meant for the request body and nothing else.
func (f UserFields) MarshalJSON() ([]byte, error) {
	w := wireUserFields{
		Username: f.Username, Email: f.Email, Firstname: f.Firstname, Middlename: f.Middlename,
		Lastname: f.Lastname, Displayname: f.Displayname, AlternateEmail: f.AlternateEmail,
		JobTitle: f.JobTitle, Department: f.Department, Company: f.Company, CostCenter: f.CostCenter,
		Location: f.Location, EmployeeType: f.EmployeeType, EmployeeIdentifier: f.EmployeeIdentifier,
		Description: f.Description, Password: f.Password, State: f.State, Suspended: f.Suspended,
		Activated: f.Activated, AccountLocked: f.AccountLocked, PasswordNeverExp: f.PasswordNeverExpires,
		Sudo: f.Sudo, PasswordlessSudo: f.PasswordlessSudo, LDAPBindingUser: f.LDAPBindingUser,
		SambaServiceUser: f.SambaServiceUser, AllowPublicKey: f.AllowPublicKey,
		EnableManagedUID: f.EnableManagedUID, UnixUID: f.UnixUID, UnixGUID: f.UnixGUID,
		DisableDeviceMax: f.DisableDeviceMaxLoginAttempts, EnablePortalMFA: f.EnableUserPortalMultifactor,
	}
	if f.Manager != nil {
		if *f.Manager == "" {
			w.Manager = json.RawMessage("null")
		} else {
			b, err := json.Marshal(*f.Manager)
			if err != nil {
				return nil, err
			}
			w.Manager = b
		}
	}
	w.Attributes = nonNilSlice(f.Attributes)
	if f.PhoneNumbers != nil {
		// IDs are assigned by JumpCloud; never send them back.
		ps := make([]PhoneNumber, len(*f.PhoneNumbers))
		for i, p := range *f.PhoneNumbers {
			p.ID = ""
			ps[i] = p
		}
		w.PhoneNumbers = &ps
	}
	if f.Addresses != nil {
		as := make([]Address, len(*f.Addresses))
		for i, a := range *f.Addresses {
			a.ID = ""
			as[i] = a
		}
		w.Addresses = &as
	}
	if f.MFA != nil {
		w.MFA = &wireMFASettings{Configured: f.MFA.Configured, Exclusion: f.MFA.Exclusion, ExclusionDays: f.MFA.ExclusionDays}
		if f.MFA.ExclusionUntil != nil {
			s := f.MFA.ExclusionUntil.UTC().Format(time.RFC3339)
			w.MFA.ExclusionUntil = &s
		}
	}
	return json.Marshal(w)
}

// nonNilSlice turns a pointer to a nil slice into a pointer to an empty one, so it encodes as []
// rather than null.
func nonNilSlice[T any](p *[]T) *[]T {
	if p == nil {
		return nil
	}
	if *p == nil {
		s := []T{}
		return &s
	}
	return p
}

// FieldNames returns the JSON names of the fields f would send, sorted. Useful for logs and
// events ("updated department, jobTitle"): it never includes values.
func (f UserFields) FieldNames() []string {
	b, err := f.MarshalJSON()
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
