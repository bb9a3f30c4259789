package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Output formats of list and get.
const (
	formatTable = "table"
	formatYAML  = "yaml"
	formatJSON  = "json"
)

func checkFormat(f string) error {
	switch f {
	case formatTable, formatYAML, formatJSON:
		return nil
	}
	return fmt.Errorf("--output must be table, yaml or json, not %q", f)
}

// userView is a user in JumpCloud's own field names, for -o json and -o yaml and for --fields
// table columns.
type userView struct {
	ID                 string                  `json:"_id"`
	Username           string                  `json:"username,omitempty"`
	Email              string                  `json:"email,omitempty"`
	Firstname          string                  `json:"firstname,omitempty"`
	Middlename         string                  `json:"middlename,omitempty"`
	Lastname           string                  `json:"lastname,omitempty"`
	Displayname        string                  `json:"displayname,omitempty"`
	AlternateEmail     string                  `json:"alternateEmail,omitempty"`
	JobTitle           string                  `json:"jobTitle,omitempty"`
	Department         string                  `json:"department,omitempty"`
	Company            string                  `json:"company,omitempty"`
	CostCenter         string                  `json:"costCenter,omitempty"`
	Location           string                  `json:"location,omitempty"`
	EmployeeType       string                  `json:"employeeType,omitempty"`
	EmployeeIdentifier string                  `json:"employeeIdentifier,omitempty"`
	Description        string                  `json:"description,omitempty"`
	Manager            string                  `json:"manager,omitempty"`
	PhoneNumbers       []jumpcloud.PhoneNumber `json:"phoneNumbers,omitempty"`
	Addresses          []jumpcloud.Address     `json:"addresses,omitempty"`
	Attributes         []jumpcloud.Attribute   `json:"attributes,omitempty"`

	State                  string     `json:"state,omitempty"`
	Activated              bool       `json:"activated"`
	Suspended              bool       `json:"suspended"`
	AccountLocked          bool       `json:"account_locked"`
	AccountLockedDate      *time.Time `json:"account_locked_date,omitempty"`
	BadLoginAttempts       int        `json:"badLoginAttempts"`
	PasswordExpired        bool       `json:"password_expired"`
	PasswordExpirationDate *time.Time `json:"password_expiration_date,omitempty"`
	PasswordDate           *time.Time `json:"password_date,omitempty"`
	PasswordNeverExpires   bool       `json:"password_never_expires"`

	Sudo                          bool `json:"sudo"`
	PasswordlessSudo              bool `json:"passwordless_sudo"`
	LDAPBindingUser               bool `json:"ldap_binding_user"`
	SambaServiceUser              bool `json:"samba_service_user"`
	AllowPublicKey                bool `json:"allow_public_key"`
	EnableManagedUID              bool `json:"enable_managed_uid"`
	UnixUID                       int  `json:"unix_uid,omitempty"`
	UnixGUID                      int  `json:"unix_guid,omitempty"`
	DisableDeviceMaxLoginAttempts bool `json:"disableDeviceMaxLoginAttempts"`
	EnableUserPortalMultifactor   bool `json:"enable_user_portal_multifactor"`

	TOTPEnabled   bool              `json:"totp_enabled"`
	MFA           mfaView           `json:"mfa"`
	MFAEnrollment mfaEnrollmentView `json:"mfaEnrollment"`

	ExternallyManaged bool       `json:"externally_managed"`
	CreationSource    string     `json:"creationSource,omitempty"`
	Organization      string     `json:"organization,omitempty"`
	Created           *time.Time `json:"created,omitempty"`
	MemberOf          []string   `json:"memberof,omitempty"`
}

type mfaView struct {
	Configured     bool       `json:"configured"`
	Exclusion      bool       `json:"exclusion"`
	ExclusionDays  int        `json:"exclusionDays,omitempty"`
	ExclusionUntil *time.Time `json:"exclusionUntil,omitempty"`
}

type mfaEnrollmentView struct {
	OverallStatus  string `json:"overallStatus,omitempty"`
	TOTPStatus     string `json:"totpStatus,omitempty"`
	PushStatus     string `json:"pushStatus,omitempty"`
	WebAuthnStatus string `json:"webAuthnStatus,omitempty"`
}

func viewOf(u *jumpcloud.User) userView {
	return userView{
		ID: u.ID, Username: u.Username, Email: u.Email,
		Firstname: u.Firstname, Middlename: u.Middlename, Lastname: u.Lastname, Displayname: u.Displayname,
		AlternateEmail: u.AlternateEmail, JobTitle: u.JobTitle, Department: u.Department, Company: u.Company,
		CostCenter: u.CostCenter, Location: u.Location, EmployeeType: u.EmployeeType,
		EmployeeIdentifier: u.EmployeeIdentifier, Description: u.Description, Manager: u.Manager,
		PhoneNumbers: u.PhoneNumbers, Addresses: u.Addresses, Attributes: u.Attributes,
		State: string(u.State), Activated: u.Activated, Suspended: u.Suspended,
		AccountLocked: u.AccountLocked, AccountLockedDate: u.AccountLockedDate, BadLoginAttempts: u.BadLoginAttempts,
		PasswordExpired: u.PasswordExpired, PasswordExpirationDate: u.PasswordExpirationDate,
		PasswordDate: u.PasswordDate, PasswordNeverExpires: u.PasswordNeverExpires,
		Sudo: u.Sudo, PasswordlessSudo: u.PasswordlessSudo, LDAPBindingUser: u.LDAPBindingUser,
		SambaServiceUser: u.SambaServiceUser, AllowPublicKey: u.AllowPublicKey, EnableManagedUID: u.EnableManagedUID,
		UnixUID: u.UnixUID, UnixGUID: u.UnixGUID, DisableDeviceMaxLoginAttempts: u.DisableDeviceMaxLoginAttempts,
		EnableUserPortalMultifactor: u.EnableUserPortalMultifactor, TOTPEnabled: u.TOTPEnabled,
		MFA: mfaView{Configured: u.MFA.Configured, Exclusion: u.MFA.Exclusion, ExclusionDays: u.MFA.ExclusionDays, ExclusionUntil: u.MFA.ExclusionUntil},
		MFAEnrollment: mfaEnrollmentView{
			OverallStatus: string(u.MFAEnrollment.OverallStatus), TOTPStatus: string(u.MFAEnrollment.TOTPStatus),
			PushStatus: string(u.MFAEnrollment.PushStatus), WebAuthnStatus: string(u.MFAEnrollment.WebAuthnStatus),
		},
		ExternallyManaged: u.ExternallyManaged, CreationSource: u.CreationSource, Organization: u.Organization,
		Created: u.Created, MemberOf: u.MemberOf,
	}
}

// record renders a user for -o json/yaml. With fields, only those (and _id) are kept, with their
// zero values when empty: a read that selected fields leaves the others unset, and an empty
// selected field is still an answer. Fields the plugin does not know are left out (see
// unknownFields).
func record(u *jumpcloud.User, fields []string) any {
	v := viewOf(u)
	if len(fields) == 0 {
		return v
	}
	rv := reflect.ValueOf(v)
	out := map[string]any{"_id": v.ID}
	for _, f := range fields {
		if i, ok := viewFields[topField(f)]; ok {
			out[topField(f)] = rv.Field(i).Interface()
		}
	}
	return out
}

// topField is the top-level field of a possibly dotted field name (mfa.configured: mfa).
func topField(f string) string {
	top, _, _ := strings.Cut(f, ".")
	return top
}

// viewFields maps each JSON field name of userView to its struct field index.
var viewFields = func() map[string]int {
	t := reflect.TypeFor[userView]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// unknownFields returns the selected fields the plugin cannot show.
func unknownFields(fields []string) []string {
	var out []string
	for _, f := range fields {
		if _, ok := viewFields[topField(f)]; !ok {
			out = append(out, f)
		}
	}
	return out
}

// userList is the -o json/yaml form of list, shaped like JumpCloud's own list answer.
type userList struct {
	TotalCount int   `json:"totalCount"`
	Results    []any `json:"results"`
}

// printStructured writes v as JSON or YAML.
func printStructured(w io.Writer, format string, v any) error {
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case formatYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("unknown format %q", format)
}

// defaultHeadings are the table columns without --fields.
var defaultHeadings = []string{"ID", "USERNAME", "EMAIL", "NAME", "DEPARTMENT", "STATE", "LOCKED", "MFA"}

func defaultRow(u *jumpcloud.User) []string {
	name := strings.TrimSpace(u.Firstname + " " + u.Lastname)
	if u.Displayname != "" {
		name = u.Displayname
	}
	mfa := string(u.MFAEnrollment.OverallStatus)
	if mfa == "" && u.MFA.Configured {
		mfa = "CONFIGURED"
	}
	return []string{u.ID, u.Username, u.Email, orNone(name), orNone(u.Department), string(u.State),
		strconv.FormatBool(u.AccountLocked), orNone(mfa)}
}

// printTable writes users as a table: the default columns, or the id and the selected fields.
func printTable(w io.Writer, users []jumpcloud.User, fields []string) error {
	if len(users) == 0 {
		_, err := fmt.Fprintln(w, "No users found.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	headings := defaultHeadings
	var columns []string
	if len(fields) > 0 {
		headings = []string{"ID"}
		for _, f := range fields {
			if top := topField(f); top != "_id" && !slices.Contains(columns, top) && len(unknownFields([]string{top})) == 0 {
				columns = append(columns, top)
				headings = append(headings, strings.ToUpper(top))
			}
		}
	}
	fmt.Fprintln(tw, strings.Join(headings, "\t"))
	for i := range users {
		row := defaultRow(&users[i])
		if len(fields) > 0 {
			m, _ := record(&users[i], fields).(map[string]any)
			row = []string{users[i].ID}
			for _, c := range columns {
				row = append(row, cell(m[c]))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// cell renders a value for a table cell: scalars as text, structures as compact JSON.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "<none>"
	case string:
		return orNone(x)
	case *time.Time:
		if x == nil {
			return "<none>"
		}
		return x.UTC().Format(time.RFC3339)
	case fmt.Stringer:
		return orNone(x.String())
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool, reflect.Int:
		return fmt.Sprint(v)
	case reflect.Slice:
		if rv.Len() == 0 {
			return "<none>"
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
