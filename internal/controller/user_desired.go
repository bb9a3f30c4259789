package controller

import (
	"slices"
	"strings"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// This file converts a JumpCloudUserSpec into what the JumpCloud client sends, and compares it
// with what JumpCloud holds. Only fields set in the spec are managed: an unset field is neither
// sent nor compared, so console edits of unmanaged fields survive.

// stringField maps one managed string field between the spec, a JumpCloud user and UserFields.
type stringField struct {
	name     string
	spec     func(*iamv1alpha1.JumpCloudUserSpec) *string
	observed func(*jumpcloud.User) string
	set      func(*jumpcloud.UserFields, *string)
}

func profile(s *iamv1alpha1.JumpCloudUserSpec) *iamv1alpha1.UserProfile {
	if s.Profile == nil {
		return &iamv1alpha1.UserProfile{}
	}
	return s.Profile
}

func access(s *iamv1alpha1.JumpCloudUserSpec) *iamv1alpha1.UserAccess {
	if s.Access == nil {
		return &iamv1alpha1.UserAccess{}
	}
	return s.Access
}

var stringFields = []stringField{
	{"email", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return &s.Email },
		func(u *jumpcloud.User) string { return u.Email }, func(f *jumpcloud.UserFields, v *string) { f.Email = v }},
	{"firstname", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Firstname },
		func(u *jumpcloud.User) string { return u.Firstname }, func(f *jumpcloud.UserFields, v *string) { f.Firstname = v }},
	{"middlename", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Middlename },
		func(u *jumpcloud.User) string { return u.Middlename }, func(f *jumpcloud.UserFields, v *string) { f.Middlename = v }},
	{"lastname", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Lastname },
		func(u *jumpcloud.User) string { return u.Lastname }, func(f *jumpcloud.UserFields, v *string) { f.Lastname = v }},
	{"displayname", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Displayname },
		func(u *jumpcloud.User) string { return u.Displayname }, func(f *jumpcloud.UserFields, v *string) { f.Displayname = v }},
	{"alternateEmail", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).AlternateEmail },
		func(u *jumpcloud.User) string { return u.AlternateEmail }, func(f *jumpcloud.UserFields, v *string) { f.AlternateEmail = v }},
	{"jobTitle", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).JobTitle },
		func(u *jumpcloud.User) string { return u.JobTitle }, func(f *jumpcloud.UserFields, v *string) { f.JobTitle = v }},
	{"department", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Department },
		func(u *jumpcloud.User) string { return u.Department }, func(f *jumpcloud.UserFields, v *string) { f.Department = v }},
	{"company", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Company },
		func(u *jumpcloud.User) string { return u.Company }, func(f *jumpcloud.UserFields, v *string) { f.Company = v }},
	{"costCenter", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).CostCenter },
		func(u *jumpcloud.User) string { return u.CostCenter }, func(f *jumpcloud.UserFields, v *string) { f.CostCenter = v }},
	{"location", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Location },
		func(u *jumpcloud.User) string { return u.Location }, func(f *jumpcloud.UserFields, v *string) { f.Location = v }},
	{"employeeType", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).EmployeeType },
		func(u *jumpcloud.User) string { return u.EmployeeType }, func(f *jumpcloud.UserFields, v *string) { f.EmployeeType = v }},
	{"employeeIdentifier", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).EmployeeIdentifier },
		func(u *jumpcloud.User) string { return u.EmployeeIdentifier }, func(f *jumpcloud.UserFields, v *string) { f.EmployeeIdentifier = v }},
	{"description", func(s *iamv1alpha1.JumpCloudUserSpec) *string { return profile(s).Description },
		func(u *jumpcloud.User) string { return u.Description }, func(f *jumpcloud.UserFields, v *string) { f.Description = v }},
}

// boolField maps one managed boolean access setting.
type boolField struct {
	name     string
	spec     func(*iamv1alpha1.UserAccess) *bool
	observed func(*jumpcloud.User) bool
	set      func(*jumpcloud.UserFields, *bool)
}

var boolFields = []boolField{
	{"sudo", func(a *iamv1alpha1.UserAccess) *bool { return a.Sudo },
		func(u *jumpcloud.User) bool { return u.Sudo }, func(f *jumpcloud.UserFields, v *bool) { f.Sudo = v }},
	{"passwordlessSudo", func(a *iamv1alpha1.UserAccess) *bool { return a.PasswordlessSudo },
		func(u *jumpcloud.User) bool { return u.PasswordlessSudo }, func(f *jumpcloud.UserFields, v *bool) { f.PasswordlessSudo = v }},
	{"ldapBindingUser", func(a *iamv1alpha1.UserAccess) *bool { return a.LDAPBindingUser },
		func(u *jumpcloud.User) bool { return u.LDAPBindingUser }, func(f *jumpcloud.UserFields, v *bool) { f.LDAPBindingUser = v }},
	{"passwordNeverExpires", func(a *iamv1alpha1.UserAccess) *bool { return a.PasswordNeverExpires },
		func(u *jumpcloud.User) bool { return u.PasswordNeverExpires }, func(f *jumpcloud.UserFields, v *bool) { f.PasswordNeverExpires = v }},
	{"enableUserPortalMultifactor", func(a *iamv1alpha1.UserAccess) *bool { return a.EnableUserPortalMultifactor },
		func(u *jumpcloud.User) bool { return u.EnableUserPortalMultifactor }, func(f *jumpcloud.UserFields, v *bool) { f.EnableUserPortalMultifactor = v }},
	{"allowPublicKey", func(a *iamv1alpha1.UserAccess) *bool { return a.AllowPublicKey },
		func(u *jumpcloud.User) bool { return u.AllowPublicKey }, func(f *jumpcloud.UserFields, v *bool) { f.AllowPublicKey = v }},
}

func phoneNumbers(in []iamv1alpha1.PhoneNumber) []jumpcloud.PhoneNumber {
	out := make([]jumpcloud.PhoneNumber, 0, len(in))
	for _, p := range in {
		out = append(out, jumpcloud.PhoneNumber{Type: p.Type, Number: p.Number})
	}
	return out
}

func addresses(in []iamv1alpha1.Address) []jumpcloud.Address {
	out := make([]jumpcloud.Address, 0, len(in))
	for _, a := range in {
		out = append(out, jumpcloud.Address{Type: a.Type, PoBox: a.POBox, ExtendedAddress: a.ExtendedAddress,
			StreetAddress: a.StreetAddress, Locality: a.Locality, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country})
	}
	return out
}

func attributes(in []iamv1alpha1.Attribute) []jumpcloud.Attribute {
	out := make([]jumpcloud.Attribute, 0, len(in))
	for _, a := range in {
		out = append(out, jumpcloud.Attribute{Name: a.Name, Value: a.Value})
	}
	return out
}

// withoutIDs drops the ids JumpCloud adds to list entries, so that lists compare by content.
func withoutIDs[T any](in []T, dropID func(*T)) []T {
	out := make([]T, len(in))
	for i, v := range in {
		dropID(&v)
		out[i] = v
	}
	return out
}

// desiredFields returns every managed field of the spec (what a create sends, and what an update
// compares). managerID is the resolved manager id, nil when the spec names no manager.
func desiredFields(spec *iamv1alpha1.JumpCloudUserSpec, managerID *string) jumpcloud.UserFields {
	f := jumpcloud.UserFields{Username: jumpcloud.Ptr(spec.Username)}
	for _, sf := range stringFields {
		if v := sf.spec(spec); v != nil {
			sf.set(&f, jumpcloud.Ptr(*v))
		}
	}
	a := access(spec)
	for _, bf := range boolFields {
		if v := bf.spec(a); v != nil {
			bf.set(&f, jumpcloud.Ptr(*v))
		}
	}
	p := profile(spec)
	if p.PhoneNumbers != nil {
		f.PhoneNumbers = jumpcloud.Ptr(phoneNumbers(p.PhoneNumbers))
	}
	if p.Addresses != nil {
		f.Addresses = jumpcloud.Ptr(addresses(p.Addresses))
	}
	if p.Attributes != nil {
		f.Attributes = jumpcloud.Ptr(attributes(p.Attributes))
	}
	f.Manager = managerID
	return f
}

// createFields is what a create sends: every managed field, the initial state, the lock, the
// password and the owner mark (nil when none is written).
func createFields(spec *iamv1alpha1.JumpCloudUserSpec, managerID, password *string, mark *jumpcloud.Attribute) jumpcloud.UserFields {
	f := desiredFields(spec, managerID)
	if mark != nil {
		var attrs []jumpcloud.Attribute
		if f.Attributes != nil {
			attrs = *f.Attributes
		}
		f.Attributes = jumpcloud.Ptr(withMark(attrs, mark))
	}
	if wantActivated(spec) {
		f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
	} else {
		f.State = jumpcloud.Ptr(jumpcloud.StateStaged)
	}
	if wantLocked(spec) {
		f.AccountLocked = jumpcloud.Ptr(true)
	}
	f.Password = password
	return f
}

func wantActivated(spec *iamv1alpha1.JumpCloudUserSpec) bool {
	return spec.Activated == nil || *spec.Activated
}

func wantLocked(spec *iamv1alpha1.JumpCloudUserSpec) bool {
	return spec.Locked != nil && *spec.Locked
}

// fieldDiff returns the managed fields whose JumpCloud value differs from the spec, as the
// UserFields an update sends, and their names. mark is the owner mark the user must carry (nil
// for none): its attribute is left out of profile.attributes management, and a user without it
// gets it ("ownerMark"), with the other attributes kept.
func fieldDiff(spec *iamv1alpha1.JumpCloudUserSpec, managerID *string, u *jumpcloud.User, mark *jumpcloud.Attribute) (jumpcloud.UserFields, []string) {
	var f jumpcloud.UserFields
	var names []string
	for _, sf := range stringFields {
		if v := sf.spec(spec); v != nil && *v != sf.observed(u) {
			sf.set(&f, jumpcloud.Ptr(*v))
			names = append(names, sf.name)
		}
	}
	a := access(spec)
	for _, bf := range boolFields {
		if v := bf.spec(a); v != nil && *v != bf.observed(u) {
			bf.set(&f, jumpcloud.Ptr(*v))
			names = append(names, bf.name)
		}
	}
	p := profile(spec)
	if p.PhoneNumbers != nil {
		want := phoneNumbers(p.PhoneNumbers)
		if !slices.Equal(want, withoutIDs(u.PhoneNumbers, func(x *jumpcloud.PhoneNumber) { x.ID = "" })) {
			f.PhoneNumbers = &want
			names = append(names, "phoneNumbers")
		}
	}
	if p.Addresses != nil {
		want := addresses(p.Addresses)
		if !slices.Equal(want, withoutIDs(u.Addresses, func(x *jumpcloud.Address) { x.ID = "" })) {
			f.Addresses = &want
			names = append(names, "addresses")
		}
	}
	observedAttrs := u.Attributes
	if mark != nil {
		observedAttrs = withoutAttribute(u.Attributes, mark.Name)
	}
	keep := observedAttrs // what an attribute write sends besides the mark
	if p.Attributes != nil {
		keep = attributes(p.Attributes)
		if mark != nil {
			keep = withoutAttribute(keep, mark.Name)
		}
		if !slices.Equal(keep, observedAttrs) {
			f.Attributes = jumpcloud.Ptr(withMark(keep, mark))
			names = append(names, "attributes")
		}
	}
	if mark != nil {
		if v, ok := markOf(u, mark.Name); !ok || v != mark.Value {
			f.Attributes = jumpcloud.Ptr(withMark(keep, mark))
			names = append(names, "ownerMark")
		}
	}
	if managerID != nil && *managerID != u.Manager {
		f.Manager = jumpcloud.Ptr(*managerID)
		names = append(names, "manager")
	}
	return f, names
}

// stateChanges adds to fields the state and lock changes a PUT can make (suspend, re-activate,
// lock), and names them. Activating a STAGED user and unlocking take their own endpoints.
func stateChanges(spec *iamv1alpha1.JumpCloudUserSpec, observed *jumpcloud.User, fields *jumpcloud.UserFields) []string {
	var changed []string
	switch {
	case wantActivated(spec) && observed.State == jumpcloud.StateSuspended:
		fields.State, fields.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
		changed = append(changed, "state")
	case !wantActivated(spec) && observed.State == jumpcloud.StateActivated:
		fields.State, fields.Suspended = jumpcloud.Ptr(jumpcloud.StateSuspended), jumpcloud.Ptr(true)
		changed = append(changed, "state")
	}
	if wantLocked(spec) && !observed.AccountLocked {
		fields.AccountLocked = jumpcloud.Ptr(true)
		changed = append(changed, "locked")
	}
	return changed
}

// needsActivation reports whether a STAGED user must be activated through /state/activate.
func needsActivation(spec *iamv1alpha1.JumpCloudUserSpec, observed *jumpcloud.User) bool {
	return wantActivated(spec) && observed.State == jumpcloud.StateStaged
}

// needsUnlock reports whether the operator must undo its own lock: spec.locked went from true to
// false. A lockout by JumpCloud (after failed logins) is a security control and stays.
func needsUnlock(spec *iamv1alpha1.JumpCloudUserSpec, observed *jumpcloud.User, lockedBySpec bool) bool {
	return !wantLocked(spec) && lockedBySpec && observed.AccountLocked
}

// needsWrite reports whether an update would call JumpCloud for the observed user.
func needsWrite(spec *iamv1alpha1.JumpCloudUserSpec, managerID *string, observed *jumpcloud.User, mark *jumpcloud.Attribute, lockedBySpec, password bool) bool {
	_, changed := fieldDiff(spec, managerID, observed, mark)
	var fields jumpcloud.UserFields
	return password || len(changed) > 0 || len(stateChanges(spec, observed, &fields)) > 0 ||
		needsActivation(spec, observed) || needsUnlock(spec, observed, lockedBySpec) || sshKeysDiffer(spec, observed)
}

// sshKeyMaterial is what identifies an SSH public key: its type and base64 body, without the
// comment.
func sshKeyMaterial(key string) string {
	f := strings.Fields(key)
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return strings.TrimSpace(key)
}

// sshKeyPlan returns the spec's keys JumpCloud lacks (to add, in spec order) and the ids of
// JumpCloud's keys the spec does not name (to delete), matching by key material: a key renamed
// in the spec is not touched (JumpCloud has no update call), and a key listed twice in JumpCloud
// is kept once.
func sshKeyPlan(want []iamv1alpha1.SSHPublicKey, have []jumpcloud.SSHKey) (add []iamv1alpha1.SSHPublicKey, del []string) {
	wanted := map[string]bool{}
	for _, k := range want {
		wanted[sshKeyMaterial(k.PublicKey)] = true
	}
	present := map[string]bool{}
	for _, k := range have {
		m := sshKeyMaterial(k.PublicKey)
		if !wanted[m] || present[m] {
			del = append(del, k.ID)
			continue
		}
		present[m] = true
	}
	for _, k := range want {
		if m := sshKeyMaterial(k.PublicKey); !present[m] {
			present[m] = true
			add = append(add, k)
		}
	}
	return add, del
}

// sshKeysDiffer reports whether the spec manages SSH keys and the observed user, when it shows
// its keys, holds others. An answer without keys tells nothing: the update reads them.
func sshKeysDiffer(spec *iamv1alpha1.JumpCloudUserSpec, observed *jumpcloud.User) bool {
	if spec.SSHKeys == nil || !observed.HasSSHKeys {
		return false
	}
	add, del := sshKeyPlan(spec.SSHKeys, observed.SSHKeys)
	return len(add)+len(del) > 0
}

// driftOf lists what differs between the spec and JumpCloud (for the Synced condition).
func driftOf(spec *iamv1alpha1.JumpCloudUserSpec, managerID *string, observed *jumpcloud.User, mark *jumpcloud.Attribute) []string {
	_, names := fieldDiff(spec, managerID, observed, mark)
	// The owner mark is the operator's, not the spec's: a missing one is not drift.
	names = slices.DeleteFunc(names, func(n string) bool { return n == "ownerMark" })
	switch st := observed.State; {
	case wantActivated(spec) && st != jumpcloud.StateActivated, !wantActivated(spec) && st == jumpcloud.StateActivated:
		names = append(names, "state")
	}
	if wantLocked(spec) && !observed.AccountLocked {
		names = append(names, "locked")
	}
	if sshKeysDiffer(spec, observed) {
		names = append(names, "sshKeys")
	}
	return names
}

// markOf returns the owner mark a JumpCloud user carries in the attribute, if any.
func markOf(u *jumpcloud.User, attribute string) (string, bool) {
	for _, a := range u.Attributes {
		if a.Name == attribute {
			return a.Value, true
		}
	}
	return "", false
}

// withoutAttribute returns attrs without the named attribute.
func withoutAttribute(attrs []jumpcloud.Attribute, name string) []jumpcloud.Attribute {
	out := make([]jumpcloud.Attribute, 0, len(attrs))
	for _, a := range attrs {
		if a.Name != name {
			out = append(out, a)
		}
	}
	return out
}

// withMark returns attrs with the mark last, in place of any attribute of its name; attrs itself
// when mark is nil.
func withMark(attrs []jumpcloud.Attribute, mark *jumpcloud.Attribute) []jumpcloud.Attribute {
	if mark == nil {
		return attrs
	}
	return append(withoutAttribute(attrs, mark.Name), *mark)
}
