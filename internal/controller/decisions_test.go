package controller

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Table tests for the pure decisions of the JumpCloudUser reconciler (user_desired.go,
// user_controller.go, user_write.go, user_password.go, oneshot.go). No API server, no JumpCloud.

// decideSpec is a minimal spec: username and email, nothing else managed.
func decideSpec(edit ...func(*iamv1alpha1.JumpCloudUserSpec)) *iamv1alpha1.JumpCloudUserSpec {
	s := &iamv1alpha1.JumpCloudUserSpec{Username: "ann", Email: "ann@example.com"}
	for _, e := range edit {
		e(s)
	}
	return s
}

// decideUser is a JumpCloud user that matches decideSpec(), with unmanaged values set.
func decideUser(edit ...func(*jumpcloud.User)) *jumpcloud.User {
	u := &jumpcloud.User{
		ID: "5f0c1a2b3c4d5e6f70819a01", Username: "ann", Email: "ann@example.com",
		Firstname: "Ann", Lastname: "Console", JobTitle: "set in the console", Manager: "5f0c1a2b3c4d5e6f70819aff",
		PhoneNumbers: []jumpcloud.PhoneNumber{{ID: "p1", Type: "work", Number: "+49 30 1234"}},
		Addresses:    []jumpcloud.Address{{ID: "a1", Type: "work", Locality: "Berlin", Country: "DE"}},
		Attributes:   []jumpcloud.Attribute{{Name: "team", Value: "blue"}},
		State:        jumpcloud.StateActivated, Activated: true,
		Sudo: true, LDAPBindingUser: true,
	}
	for _, e := range edit {
		e(u)
	}
	return u
}

func withProfile(edit func(*iamv1alpha1.UserProfile)) func(*iamv1alpha1.JumpCloudUserSpec) {
	return func(s *iamv1alpha1.JumpCloudUserSpec) {
		if s.Profile == nil {
			s.Profile = &iamv1alpha1.UserProfile{}
		}
		edit(s.Profile)
	}
}

func withAccess(edit func(*iamv1alpha1.UserAccess)) func(*iamv1alpha1.JumpCloudUserSpec) {
	return func(s *iamv1alpha1.JumpCloudUserSpec) {
		if s.Access == nil {
			s.Access = &iamv1alpha1.UserAccess{}
		}
		edit(s.Access)
	}
}

func activated(v bool) func(*iamv1alpha1.JumpCloudUserSpec) {
	return func(s *iamv1alpha1.JumpCloudUserSpec) { s.Activated = jumpcloud.Ptr(v) }
}

func locked(v bool) func(*iamv1alpha1.JumpCloudUserSpec) {
	return func(s *iamv1alpha1.JumpCloudUserSpec) { s.Locked = jumpcloud.Ptr(v) }
}

func inState(st jumpcloud.State) func(*jumpcloud.User) {
	return func(u *jumpcloud.User) { u.State, u.Suspended = st, st == jumpcloud.StateSuspended }
}

func lockedOut(u *jumpcloud.User) { u.AccountLocked = true }

func TestDecideFieldDiff(t *testing.T) {
	t.Parallel()
	mgr := "5f0c1a2b3c4d5e6f70819aff"
	other := "5f0c1a2b3c4d5e6f70819abc"
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserSpec
		managerID *string
		observed  *jumpcloud.User
		want      jumpcloud.UserFields
		wantNames []string
	}{
		{
			name: "nothing managed but username and email: console values survive",
			spec: decideSpec(), observed: decideUser(),
		},
		{
			name: "username is never compared (it is immutable)",
			spec: decideSpec(), observed: decideUser(func(u *jumpcloud.User) { u.Username = "someone-else" }),
		},
		{
			name: "email differs", spec: decideSpec(func(s *iamv1alpha1.JumpCloudUserSpec) { s.Email = "ann@example.org" }),
			observed: decideUser(),
			want:     jumpcloud.UserFields{Email: jumpcloud.Ptr("ann@example.org")}, wantNames: []string{"email"},
		},
		{
			name: "unset profile fields are not compared", spec: decideSpec(withProfile(func(*iamv1alpha1.UserProfile) {})),
			observed: decideUser(func(u *jumpcloud.User) { u.Department = "Sales"; u.Description = "x" }),
		},
		{
			name:     "a string field set and equal",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Firstname = jumpcloud.Ptr("Ann") })),
			observed: decideUser(),
		},
		{
			name:     "a string field set and different",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Lastname = jumpcloud.Ptr("Example") })),
			observed: decideUser(),
			want:     jumpcloud.UserFields{Lastname: jumpcloud.Ptr("Example")}, wantNames: []string{"lastname"},
		},
		{
			name:     "a string field set to empty clears a console value",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.JobTitle = jumpcloud.Ptr("") })),
			observed: decideUser(),
			want:     jumpcloud.UserFields{JobTitle: jumpcloud.Ptr("")}, wantNames: []string{"jobTitle"},
		},
		{
			name:     "a string field set to empty and empty in JumpCloud",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.CostCenter = jumpcloud.Ptr("") })),
			observed: decideUser(),
		},
		{
			name: "every string field differs, in a stable order",
			spec: decideSpec(func(s *iamv1alpha1.JumpCloudUserSpec) { s.Email = "e@x.io" }, withProfile(func(p *iamv1alpha1.UserProfile) {
				v := jumpcloud.Ptr("v")
				p.Firstname, p.Middlename, p.Lastname, p.Displayname, p.AlternateEmail = v, v, v, v, v
				p.JobTitle, p.Department, p.Company, p.CostCenter, p.Location = v, v, v, v, v
				p.EmployeeType, p.EmployeeIdentifier, p.Description = v, v, v
			})),
			observed: decideUser(),
			want: func() jumpcloud.UserFields {
				v := jumpcloud.Ptr("v")
				return jumpcloud.UserFields{Email: jumpcloud.Ptr("e@x.io"), Firstname: v, Middlename: v, Lastname: v, Displayname: v,
					AlternateEmail: v, JobTitle: v, Department: v, Company: v, CostCenter: v, Location: v, EmployeeType: v,
					EmployeeIdentifier: v, Description: v}
			}(),
			wantNames: []string{"email", "firstname", "middlename", "lastname", "displayname", "alternateEmail", "jobTitle",
				"department", "company", "costCenter", "location", "employeeType", "employeeIdentifier", "description"},
		},
		{
			name:     "unset access fields are not compared",
			spec:     decideSpec(withAccess(func(*iamv1alpha1.UserAccess) {})),
			observed: decideUser(func(u *jumpcloud.User) { u.PasswordNeverExpires = true }),
		},
		{
			name:     "a bool set to false turns off what JumpCloud has on",
			spec:     decideSpec(withAccess(func(a *iamv1alpha1.UserAccess) { a.Sudo = jumpcloud.Ptr(false) })),
			observed: decideUser(),
			want:     jumpcloud.UserFields{Sudo: jumpcloud.Ptr(false)}, wantNames: []string{"sudo"},
		},
		{
			name:     "a bool set and equal",
			spec:     decideSpec(withAccess(func(a *iamv1alpha1.UserAccess) { a.LDAPBindingUser = jumpcloud.Ptr(true) })),
			observed: decideUser(),
		},
		{
			name: "every bool differs",
			spec: decideSpec(withAccess(func(a *iamv1alpha1.UserAccess) {
				a.Sudo, a.PasswordlessSudo, a.LDAPBindingUser = jumpcloud.Ptr(false), jumpcloud.Ptr(true), jumpcloud.Ptr(false)
				a.PasswordNeverExpires, a.EnableUserPortalMultifactor = jumpcloud.Ptr(true), jumpcloud.Ptr(true)
			})),
			observed: decideUser(),
			want: jumpcloud.UserFields{Sudo: jumpcloud.Ptr(false), PasswordlessSudo: jumpcloud.Ptr(true), LDAPBindingUser: jumpcloud.Ptr(false),
				PasswordNeverExpires: jumpcloud.Ptr(true), EnableUserPortalMultifactor: jumpcloud.Ptr(true)},
			wantNames: []string{"sudo", "passwordlessSudo", "ldapBindingUser", "passwordNeverExpires", "enableUserPortalMultifactor"},
		},
		{
			name: "phone numbers equal but for JumpCloud's ids",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.PhoneNumbers = []iamv1alpha1.PhoneNumber{{Type: "work", Number: "+49 30 1234"}}
			})),
			observed: decideUser(),
		},
		{
			name: "phone numbers differ",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.PhoneNumbers = []iamv1alpha1.PhoneNumber{{Type: "mobile", Number: "+49 170 1"}}
			})),
			observed:  decideUser(),
			want:      jumpcloud.UserFields{PhoneNumbers: &[]jumpcloud.PhoneNumber{{Type: "mobile", Number: "+49 170 1"}}},
			wantNames: []string{"phoneNumbers"},
		},
		{
			name: "phone numbers in another order differ (lists are replaced whole)",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.PhoneNumbers = []iamv1alpha1.PhoneNumber{{Type: "home", Number: "1"}, {Type: "work", Number: "+49 30 1234"}}
			})),
			observed: decideUser(func(u *jumpcloud.User) {
				u.PhoneNumbers = []jumpcloud.PhoneNumber{{ID: "p1", Type: "work", Number: "+49 30 1234"}, {ID: "p2", Type: "home", Number: "1"}}
			}),
			want:      jumpcloud.UserFields{PhoneNumbers: &[]jumpcloud.PhoneNumber{{Type: "home", Number: "1"}, {Type: "work", Number: "+49 30 1234"}}},
			wantNames: []string{"phoneNumbers"},
		},
		{
			name:      "phone numbers [] clears a non-empty list",
			spec:      decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.PhoneNumbers = []iamv1alpha1.PhoneNumber{} })),
			observed:  decideUser(),
			want:      jumpcloud.UserFields{PhoneNumbers: &[]jumpcloud.PhoneNumber{}},
			wantNames: []string{"phoneNumbers"},
		},
		{
			name:     "phone numbers [] equals an empty list",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.PhoneNumbers = []iamv1alpha1.PhoneNumber{} })),
			observed: decideUser(func(u *jumpcloud.User) { u.PhoneNumbers = nil }),
		},
		{
			name: "addresses equal but for JumpCloud's ids",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Addresses = []iamv1alpha1.Address{{Type: "work", Locality: "Berlin", Country: "DE"}}
			})),
			observed: decideUser(),
		},
		{
			name: "addresses differ",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Addresses = []iamv1alpha1.Address{{Type: "work", POBox: "12", StreetAddress: "Main St 1", Locality: "Berlin",
					Region: "BE", PostalCode: "10115", Country: "DE", ExtendedAddress: "3rd floor"}}
			})),
			observed: decideUser(),
			want: jumpcloud.UserFields{Addresses: &[]jumpcloud.Address{{Type: "work", PoBox: "12", StreetAddress: "Main St 1",
				Locality: "Berlin", Region: "BE", PostalCode: "10115", Country: "DE", ExtendedAddress: "3rd floor"}}},
			wantNames: []string{"addresses"},
		},
		{
			name:      "addresses [] clears a non-empty list",
			spec:      decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Addresses = []iamv1alpha1.Address{} })),
			observed:  decideUser(),
			want:      jumpcloud.UserFields{Addresses: &[]jumpcloud.Address{}},
			wantNames: []string{"addresses"},
		},
		{
			name:     "addresses [] equals an empty list",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Addresses = []iamv1alpha1.Address{} })),
			observed: decideUser(func(u *jumpcloud.User) { u.Addresses = []jumpcloud.Address{} }),
		},
		{
			name: "attributes equal",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Attributes = []iamv1alpha1.Attribute{{Name: "team", Value: "blue"}}
			})),
			observed: decideUser(),
		},
		{
			name: "attributes differ in a value",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Attributes = []iamv1alpha1.Attribute{{Name: "team", Value: "red"}}
			})),
			observed:  decideUser(),
			want:      jumpcloud.UserFields{Attributes: &[]jumpcloud.Attribute{{Name: "team", Value: "red"}}},
			wantNames: []string{"attributes"},
		},
		{
			name:      "attributes [] clears a non-empty list",
			spec:      decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Attributes = []iamv1alpha1.Attribute{} })),
			observed:  decideUser(),
			want:      jumpcloud.UserFields{Attributes: &[]jumpcloud.Attribute{}},
			wantNames: []string{"attributes"},
		},
		{
			name:     "attributes [] equals an empty list",
			spec:     decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Attributes = []iamv1alpha1.Attribute{} })),
			observed: decideUser(func(u *jumpcloud.User) { u.Attributes = nil }),
		},
		{
			name: "no manager named: JumpCloud's manager is left alone", spec: decideSpec(), managerID: nil,
			observed: decideUser(),
		},
		{
			name: "manager equal", spec: decideSpec(), managerID: &mgr, observed: decideUser(),
		},
		{
			name: "manager differs", spec: decideSpec(), managerID: &other, observed: decideUser(),
			want: jumpcloud.UserFields{Manager: jumpcloud.Ptr(other)}, wantNames: []string{"manager"},
		},
		{
			name: "manager set where JumpCloud has none", spec: decideSpec(), managerID: &mgr,
			observed: decideUser(func(u *jumpcloud.User) { u.Manager = "" }),
			want:     jumpcloud.UserFields{Manager: jumpcloud.Ptr(mgr)}, wantNames: []string{"manager"},
		},
		{
			name: "state and lock are not fields (stateChanges handles them)",
			spec: decideSpec(activated(false), locked(true)), observed: decideUser(),
		},
		{
			name: "mixed: a string, a bool, a list and the manager, in order",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Firstname = jumpcloud.Ptr("Anna")
				p.Attributes = []iamv1alpha1.Attribute{}
			}), withAccess(func(a *iamv1alpha1.UserAccess) { a.Sudo = jumpcloud.Ptr(false) })),
			managerID: &other,
			observed:  decideUser(),
			want: jumpcloud.UserFields{Firstname: jumpcloud.Ptr("Anna"), Sudo: jumpcloud.Ptr(false),
				Attributes: &[]jumpcloud.Attribute{}, Manager: jumpcloud.Ptr(other)},
			wantNames: []string{"firstname", "sudo", "attributes", "manager"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := *tc.observed
			got, names := fieldDiff(tc.spec, tc.managerID, tc.observed, nil)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields:\n got  %s\n want %s", fieldsString(got), fieldsString(tc.want))
			}
			if !reflect.DeepEqual(names, tc.wantNames) {
				t.Errorf("names: got %q, want %q", names, tc.wantNames)
			}
			if !reflect.DeepEqual(before, *tc.observed) {
				t.Errorf("fieldDiff changed the observed user")
			}
		})
	}
}

// fieldsString renders the set fields of a UserFields for failure messages.
func fieldsString(f jumpcloud.UserFields) string {
	v := reflect.ValueOf(f)
	var parts []string
	for i := range v.NumField() {
		if fv := v.Field(i); !fv.IsNil() {
			parts = append(parts, fmt.Sprintf("%s=%v", v.Type().Field(i).Name, fv.Elem().Interface()))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func TestDecideDesiredFields(t *testing.T) {
	t.Parallel()
	mgr := "5f0c1a2b3c4d5e6f70819aff"
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserSpec
		managerID *string
		want      jumpcloud.UserFields
	}{
		{
			name: "minimal spec: username and email only",
			spec: decideSpec(),
			want: jumpcloud.UserFields{Username: jumpcloud.Ptr("ann"), Email: jumpcloud.Ptr("ann@example.com")},
		},
		{
			name: "empty profile and access send nothing more",
			spec: decideSpec(withProfile(func(*iamv1alpha1.UserProfile) {}), withAccess(func(*iamv1alpha1.UserAccess) {})),
			want: jumpcloud.UserFields{Username: jumpcloud.Ptr("ann"), Email: jumpcloud.Ptr("ann@example.com")},
		},
		{
			name: "state and lock are not desired fields",
			spec: decideSpec(activated(false), locked(true)),
			want: jumpcloud.UserFields{Username: jumpcloud.Ptr("ann"), Email: jumpcloud.Ptr("ann@example.com")},
		},
		{
			name: "set fields, empty lists and the manager",
			spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) {
				p.Firstname, p.Description = jumpcloud.Ptr("Ann"), jumpcloud.Ptr("")
				p.PhoneNumbers = []iamv1alpha1.PhoneNumber{}
				p.Addresses = []iamv1alpha1.Address{{Type: "home", Country: "DE"}}
				p.Attributes = []iamv1alpha1.Attribute{}
			}), withAccess(func(a *iamv1alpha1.UserAccess) {
				a.Sudo, a.PasswordNeverExpires = jumpcloud.Ptr(false), jumpcloud.Ptr(true)
			})),
			managerID: &mgr,
			want: jumpcloud.UserFields{
				Username: jumpcloud.Ptr("ann"), Email: jumpcloud.Ptr("ann@example.com"),
				Firstname: jumpcloud.Ptr("Ann"), Description: jumpcloud.Ptr(""),
				PhoneNumbers: &[]jumpcloud.PhoneNumber{}, Addresses: &[]jumpcloud.Address{{Type: "home", Country: "DE"}},
				Attributes: &[]jumpcloud.Attribute{},
				Sudo:       jumpcloud.Ptr(false), PasswordNeverExpires: jumpcloud.Ptr(true),
				Manager: jumpcloud.Ptr(mgr),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := desiredFields(tc.spec, tc.managerID)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\n got  %s\n want %s", fieldsString(got), fieldsString(tc.want))
			}
		})
	}
}

func TestDecideCreateFields(t *testing.T) {
	t.Parallel()
	mgr := "5f0c1a2b3c4d5e6f70819aff"
	pw := "correct horse battery staple"
	base := func() jumpcloud.UserFields {
		return jumpcloud.UserFields{Username: jumpcloud.Ptr("ann"), Email: jumpcloud.Ptr("ann@example.com")}
	}
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserSpec
		managerID *string
		password  *string
		want      func(*jumpcloud.UserFields)
	}{
		{
			name: "activated unset: ACTIVATED, not suspended",
			spec: decideSpec(),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
			},
		},
		{
			name: "activated true: ACTIVATED, not suspended",
			spec: decideSpec(activated(true)),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
			},
		},
		{
			name: "activated false: STAGED",
			spec: decideSpec(activated(false)),
			want: func(f *jumpcloud.UserFields) { f.State = jumpcloud.Ptr(jumpcloud.StateStaged) },
		},
		{
			name: "locked true: account_locked sent",
			spec: decideSpec(locked(true)),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
				f.AccountLocked = jumpcloud.Ptr(true)
			},
		},
		{
			name: "locked false: account_locked not sent",
			spec: decideSpec(locked(false)),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
			},
		},
		{
			name:      "password and manager passed through; STAGED and locked",
			spec:      decideSpec(activated(false), locked(true), withProfile(func(p *iamv1alpha1.UserProfile) { p.Company = jumpcloud.Ptr("ACME") })),
			managerID: &mgr, password: &pw,
			want: func(f *jumpcloud.UserFields) {
				f.State, f.AccountLocked = jumpcloud.Ptr(jumpcloud.StateStaged), jumpcloud.Ptr(true)
				f.Password, f.Manager, f.Company = jumpcloud.Ptr(pw), jumpcloud.Ptr(mgr), jumpcloud.Ptr("ACME")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := base()
			tc.want(&want)
			got := createFields(tc.spec, tc.managerID, tc.password, nil)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got  %s\n want %s", fieldsString(got), fieldsString(want))
			}
			if got.Activated != nil {
				t.Errorf("createFields sent JumpCloud's read-only activated flag: %v", *got.Activated)
			}
		})
	}
}

func TestDecideStateChanges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		spec     *iamv1alpha1.JumpCloudUserSpec
		observed *jumpcloud.User
		want     func(*jumpcloud.UserFields)
		changed  []string
	}{
		{name: "active and wanted active", spec: decideSpec(), observed: decideUser()},
		{name: "activated true and ACTIVATED", spec: decideSpec(activated(true)), observed: decideUser()},
		{
			name: "suspend an ACTIVATED user when activated=false", spec: decideSpec(activated(false)), observed: decideUser(),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateSuspended), jumpcloud.Ptr(true)
			},
			changed: []string{"state"},
		},
		{name: "activated=false and already SUSPENDED", spec: decideSpec(activated(false)), observed: decideUser(inState(jumpcloud.StateSuspended))},
		{name: "activated=false and STAGED stays STAGED", spec: decideSpec(activated(false)), observed: decideUser(inState(jumpcloud.StateStaged))},
		{
			name: "re-activate a SUSPENDED user (activated unset)", spec: decideSpec(), observed: decideUser(inState(jumpcloud.StateSuspended)),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
			},
			changed: []string{"state"},
		},
		{
			name: "re-activate a SUSPENDED user (activated true)", spec: decideSpec(activated(true)), observed: decideUser(inState(jumpcloud.StateSuspended)),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateActivated), jumpcloud.Ptr(false)
			},
			changed: []string{"state"},
		},
		{
			name: "a STAGED user is not activated by PUT (it has its own endpoint)",
			spec: decideSpec(activated(true)), observed: decideUser(inState(jumpcloud.StateStaged)),
		},
		{
			name: "lock when locked=true and not locked", spec: decideSpec(locked(true)), observed: decideUser(),
			want:    func(f *jumpcloud.UserFields) { f.AccountLocked = jumpcloud.Ptr(true) },
			changed: []string{"locked"},
		},
		{name: "locked=true and already locked", spec: decideSpec(locked(true)), observed: decideUser(lockedOut)},
		{name: "never unlock via PUT: locked=false and locked", spec: decideSpec(locked(false)), observed: decideUser(lockedOut)},
		{name: "never unlock via PUT: locked unset and locked", spec: decideSpec(), observed: decideUser(lockedOut)},
		{
			name: "suspend and lock together", spec: decideSpec(activated(false), locked(true)), observed: decideUser(),
			want: func(f *jumpcloud.UserFields) {
				f.State, f.Suspended = jumpcloud.Ptr(jumpcloud.StateSuspended), jumpcloud.Ptr(true)
				f.AccountLocked = jumpcloud.Ptr(true)
			},
			changed: []string{"state", "locked"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The fields a diff already found stay as they are.
			fields := jumpcloud.UserFields{Email: jumpcloud.Ptr("new@example.com")}
			want := fields
			if tc.want != nil {
				tc.want(&want)
			}
			changed := stateChanges(tc.spec, tc.observed, &fields)
			if !reflect.DeepEqual(fields, want) {
				t.Errorf("fields:\n got  %s\n want %s", fieldsString(fields), fieldsString(want))
			}
			if !reflect.DeepEqual(changed, tc.changed) {
				t.Errorf("changed: got %q, want %q", changed, tc.changed)
			}
			if fields.State != nil && *fields.State == jumpcloud.StateStaged {
				t.Errorf("stateChanges asks JumpCloud to update to STAGED, which it rejects")
			}
		})
	}
}

func TestDecideNeedsActivation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		spec     *iamv1alpha1.JumpCloudUserSpec
		observed *jumpcloud.User
		want     bool
	}{
		{"STAGED, activated unset", decideSpec(), decideUser(inState(jumpcloud.StateStaged)), true},
		{"STAGED, activated true", decideSpec(activated(true)), decideUser(inState(jumpcloud.StateStaged)), true},
		{"STAGED, activated false", decideSpec(activated(false)), decideUser(inState(jumpcloud.StateStaged)), false},
		{"ACTIVATED", decideSpec(activated(true)), decideUser(), false},
		{"SUSPENDED is re-activated by PUT, not activated", decideSpec(activated(true)), decideUser(inState(jumpcloud.StateSuspended)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := needsActivation(tc.spec, tc.observed); got != tc.want {
				t.Errorf("needsActivation = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideNeedsUnlock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		spec         *iamv1alpha1.JumpCloudUserSpec
		observed     *jumpcloud.User
		lockedBySpec bool
		want         bool
	}{
		{"our lock, spec.locked went to false", decideSpec(locked(false)), decideUser(lockedOut), true, true},
		{"our lock, spec.locked removed", decideSpec(), decideUser(lockedOut), true, true},
		{"a lockout by JumpCloud is not undone", decideSpec(locked(false)), decideUser(lockedOut), false, false},
		{"a lockout by JumpCloud, locked unset", decideSpec(), decideUser(lockedOut), false, false},
		{"spec still wants it locked", decideSpec(locked(true)), decideUser(lockedOut), true, false},
		{"already unlocked", decideSpec(locked(false)), decideUser(), true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := needsUnlock(tc.spec, tc.observed, tc.lockedBySpec); got != tc.want {
				t.Errorf("needsUnlock = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideNeedsWrite(t *testing.T) {
	t.Parallel()
	mgr := "5f0c1a2b3c4d5e6f70819abc"
	cases := []struct {
		name         string
		spec         *iamv1alpha1.JumpCloudUserSpec
		managerID    *string
		observed     *jumpcloud.User
		lockedBySpec bool
		password     bool
		want         bool
	}{
		{name: "in sync", spec: decideSpec(), observed: decideUser()},
		{name: "a new password", spec: decideSpec(), observed: decideUser(), password: true, want: true},
		{name: "a field differs", spec: decideSpec(func(s *iamv1alpha1.JumpCloudUserSpec) { s.Email = "x@y.z" }), observed: decideUser(), want: true},
		{name: "the manager differs", spec: decideSpec(), managerID: &mgr, observed: decideUser(), want: true},
		{name: "suspend", spec: decideSpec(activated(false)), observed: decideUser(), want: true},
		{name: "re-activate", spec: decideSpec(), observed: decideUser(inState(jumpcloud.StateSuspended)), want: true},
		{name: "activate a STAGED user", spec: decideSpec(), observed: decideUser(inState(jumpcloud.StateStaged)), want: true},
		{name: "lock", spec: decideSpec(locked(true)), observed: decideUser(), want: true},
		{name: "undo our own lock", spec: decideSpec(locked(false)), observed: decideUser(lockedOut), lockedBySpec: true, want: true},
		{name: "a lockout by JumpCloud needs no write", spec: decideSpec(locked(false)), observed: decideUser(lockedOut)},
		{name: "STAGED and wanted STAGED", spec: decideSpec(activated(false)), observed: decideUser(inState(jumpcloud.StateStaged))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := needsWrite(tc.spec, tc.managerID, tc.observed, nil, tc.lockedBySpec, tc.password); got != tc.want {
				t.Errorf("needsWrite = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideDriftOf(t *testing.T) {
	t.Parallel()
	mgr := "5f0c1a2b3c4d5e6f70819abc"
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserSpec
		managerID *string
		observed  *jumpcloud.User
		want      []string
	}{
		{name: "in sync", spec: decideSpec(), observed: decideUser()},
		{name: "a field", spec: decideSpec(withProfile(func(p *iamv1alpha1.UserProfile) { p.Firstname = jumpcloud.Ptr("Anna") })),
			observed: decideUser(), want: []string{"firstname"}},
		{name: "ACTIVATED but wanted inactive", spec: decideSpec(activated(false)), observed: decideUser(), want: []string{"state"}},
		{name: "STAGED but wanted active", spec: decideSpec(), observed: decideUser(inState(jumpcloud.StateStaged)), want: []string{"state"}},
		{name: "SUSPENDED but wanted active", spec: decideSpec(activated(true)), observed: decideUser(inState(jumpcloud.StateSuspended)), want: []string{"state"}},
		{name: "STAGED and wanted inactive", spec: decideSpec(activated(false)), observed: decideUser(inState(jumpcloud.StateStaged))},
		{name: "SUSPENDED and wanted inactive", spec: decideSpec(activated(false)), observed: decideUser(inState(jumpcloud.StateSuspended))},
		{name: "unlocked but wanted locked", spec: decideSpec(locked(true)), observed: decideUser(), want: []string{"locked"}},
		{name: "a lockout by JumpCloud is not drift", spec: decideSpec(locked(false)), observed: decideUser(lockedOut)},
		{
			name:      "fields, manager, state and lock, in order",
			spec:      decideSpec(func(s *iamv1alpha1.JumpCloudUserSpec) { s.Email = "x@y.z" }, activated(false), locked(true)),
			managerID: &mgr, observed: decideUser(),
			want: []string{"email", "manager", "state", "locked"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := driftOf(tc.spec, tc.managerID, tc.observed, nil); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("driftOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecideOwnsBefore(t *testing.T) {
	t.Parallel()
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	user := func(ns, name string, created metav1.Time, id string, own iamv1alpha1.Ownership) *iamv1alpha1.JumpCloudUser {
		return &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "ann", Email: "ann@example.com"},
			Status:     iamv1alpha1.JumpCloudUserStatus{ID: id, Ownership: own},
		}
	}
	cases := []struct {
		name string
		a, b *iamv1alpha1.JumpCloudUser
		want bool
	}{
		{"knows the id (Created) beats newer", user("ns", "a", t1, "id1", iamv1alpha1.OwnershipCreated), user("ns", "b", t0, "", ""), true},
		{"knows the id (Adopted) beats older", user("ns", "z", t1, "id1", iamv1alpha1.OwnershipAdopted), user("ns", "a", t0, "", ""), true},
		{"an id with no ownership recorded still counts", user("ns", "z", t1, "id1", ""), user("ns", "a", t0, "", ""), true},
		{"an id only observed does not count", user("ns", "a", t1, "id1", iamv1alpha1.OwnershipObserved), user("ns", "b", t0, "", ""), false},
		{"an ownership without an id does not count", user("ns", "a", t1, "", iamv1alpha1.OwnershipCreated), user("ns", "b", t0, "", ""), false},
		{"neither knows the id: the older wins", user("ns", "z", t0, "", ""), user("ns", "a", t1, "", ""), true},
		{"both know an id: the older wins", user("ns", "z", t0, "id1", iamv1alpha1.OwnershipCreated), user("ns", "a", t1, "id2", iamv1alpha1.OwnershipAdopted), true},
		{"both know an id: the newer loses", user("ns", "a", t1, "id1", iamv1alpha1.OwnershipCreated), user("ns", "z", t0, "id2", iamv1alpha1.OwnershipCreated), false},
		{"same age: namespace/name order", user("ns", "a", t0, "", ""), user("ns", "b", t0, "", ""), true},
		{"same age: namespace first", user("a", "z", t0, "", ""), user("b", "a", t0, "", ""), true},
		{"same age: later in order loses", user("ns", "b", t0, "", ""), user("ns", "a", t0, "", ""), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ownsBefore(tc.a, tc.b); got != tc.want {
				t.Errorf("ownsBefore(a, b) = %v, want %v", got, tc.want)
			}
			// Exactly one of two different resources wins.
			if got := ownsBefore(tc.b, tc.a); got == tc.want {
				t.Errorf("ownsBefore(b, a) = %v, want %v", got, !tc.want)
			}
			if ownsBefore(tc.a, tc.a) {
				t.Errorf("a resource owns before itself")
			}
		})
	}
}

func TestDecideWantActivatedAndLocked(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                    string
		spec                    *iamv1alpha1.JumpCloudUserSpec
		wantActivated, wantLock bool
	}{
		{"unset", decideSpec(), true, false},
		{"activated true, locked true", decideSpec(activated(true), locked(true)), true, true},
		{"activated false, locked false", decideSpec(activated(false), locked(false)), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := wantActivated(tc.spec); got != tc.wantActivated {
				t.Errorf("wantActivated = %v, want %v", got, tc.wantActivated)
			}
			if got := wantLocked(tc.spec); got != tc.wantLock {
				t.Errorf("wantLocked = %v, want %v", got, tc.wantLock)
			}
		})
	}
}

func TestDecidePasswordVersion(t *testing.T) {
	t.Parallel()
	const pw = "Hunter2-Secret!"
	v := passwordVersion("uid-1", []byte(pw))
	cases := []struct {
		name  string
		other string
		same  bool
	}{
		{"same uid and password", passwordVersion("uid-1", []byte(pw)), true},
		{"same password, another uid", passwordVersion("uid-2", []byte(pw)), false},
		{"another password", passwordVersion("uid-1", []byte(pw+"x")), false},
		{"uid and password do not run together", passwordVersion("uid-1H", []byte(pw[1:])), false},
		{"an empty uid", passwordVersion("", []byte(pw)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if (tc.other == v) != tc.same {
				t.Errorf("%q vs %q: same = %v, want %v", tc.other, v, tc.other == v, tc.same)
			}
		})
	}
	t.Run("format", func(t *testing.T) {
		t.Parallel()
		// Passwords with a character outside [0-9a-f], so that "contains" is meaningful.
		for _, p := range []string{pw, "", "z", "p@ss", strings.Repeat("x", 500)} {
			got := passwordVersion("uid-1", []byte(p))
			if !strings.HasPrefix(got, "sha256:") {
				t.Errorf("%q lacks the sha256: prefix", got)
			}
			if p != "" && strings.Contains(got, p) {
				t.Errorf("%q contains the password", got)
			}
			if len(got) != len("sha256:")+16 {
				t.Errorf("%q has length %d, want %d", got, len(got), len("sha256:")+16)
			}
		}
	})
}

func TestDecidePasswordReused(t *testing.T) {
	t.Parallel()
	je := func(fv ...jumpcloud.FieldViolation) error {
		return &jumpcloud.Error{Kind: jumpcloud.KindValidation, Operation: "update", StatusCode: 400, Message: "bad", FieldViolations: fv}
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"a plain error saying history", errors.New("password history"), false},
		{"password history", je(jumpcloud.FieldViolation{Field: "password", Description: "passwordHistory"}), true},
		{"password History, any case", je(jumpcloud.FieldViolation{Field: "password", Description: "Password found in HISTORY"}), true},
		{"history among other rules", je(jumpcloud.FieldViolation{Field: "password", Description: "minLength"},
			jumpcloud.FieldViolation{Field: "password", Description: "history"}), true},
		{"wrapped", fmt.Errorf("updating: %w", je(jumpcloud.FieldViolation{Field: "password", Description: "history"})), true},
		{"another password rule", je(jumpcloud.FieldViolation{Field: "password", Description: "minLength"}), false},
		{"history on another field", je(jumpcloud.FieldViolation{Field: "email", Description: "history"}), false},
		{"no violations", je(), false},
		{"message says history, no violation", &jumpcloud.Error{Kind: jumpcloud.KindValidation, StatusCode: 400, Message: "password history"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := passwordReused(tc.err); got != tc.want {
				t.Errorf("passwordReused = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideResetMFAParams(t *testing.T) {
	t.Parallel()
	days, until := iamv1alpha1.AnnotationResetMFAExclusionDays, iamv1alpha1.AnnotationResetMFAExclusionUntil
	cases := []struct {
		name      string
		ann       map[string]string
		wantDays  *int
		wantUntil *time.Time
		wantErr   bool
	}{
		{name: "none", ann: nil},
		{name: "other annotations only", ann: map[string]string{"a": "b"}},
		{name: "days", ann: map[string]string{days: "7"}, wantDays: jumpcloud.Ptr(7)},
		{name: "days 1", ann: map[string]string{days: "1"}, wantDays: jumpcloud.Ptr(1)},
		{name: "days 365", ann: map[string]string{days: "365"}, wantDays: jumpcloud.Ptr(365)},
		{name: "days 0", ann: map[string]string{days: "0"}, wantErr: true},
		{name: "days 366", ann: map[string]string{days: "366"}, wantErr: true},
		{name: "days not a number", ann: map[string]string{days: "a week"}, wantErr: true},
		{name: "until", ann: map[string]string{until: "2026-12-01T00:00:00Z"},
			wantUntil: jumpcloud.Ptr(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))},
		{name: "until not RFC 3339", ann: map[string]string{until: "2026-12-01"}, wantErr: true},
		{name: "both", ann: map[string]string{days: "7", until: "2026-12-01T00:00:00Z"}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, u, err := resetMFAParams(tc.ann)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(d, tc.wantDays) {
				t.Errorf("days = %v, want %v", d, tc.wantDays)
			}
			switch {
			case (u == nil) != (tc.wantUntil == nil):
				t.Errorf("until = %v, want %v", u, tc.wantUntil)
			case u != nil && !u.Equal(*tc.wantUntil):
				t.Errorf("until = %v, want %v", u, tc.wantUntil)
			}
		})
	}
}

// decideMark is the owner mark of the tests: the default attribute, this resource's value.
func decideMark() *jumpcloud.Attribute {
	return &jumpcloud.Attribute{Name: connection.DefaultOwnerAttribute, Value: "platform-prod/team-a/ann"}
}

func withAttributes(attrs ...jumpcloud.Attribute) func(*jumpcloud.User) {
	return func(u *jumpcloud.User) { u.Attributes = attrs }
}

func specAttributes(attrs ...iamv1alpha1.Attribute) func(*iamv1alpha1.JumpCloudUserSpec) {
	return withProfile(func(p *iamv1alpha1.UserProfile) {
		p.Attributes = append([]iamv1alpha1.Attribute{}, attrs...)
	})
}

func TestDecideCreateFieldsOwnerMark(t *testing.T) {
	t.Parallel()
	mark := decideMark()
	cases := []struct {
		name string
		spec *iamv1alpha1.JumpCloudUserSpec
		mark *jumpcloud.Attribute
		want *[]jumpcloud.Attribute
	}{
		{
			name: "spec attributes unset: the mark is the only attribute",
			spec: decideSpec(), mark: mark,
			want: &[]jumpcloud.Attribute{*mark},
		},
		{
			name: "empty spec attributes: the mark is the only attribute",
			spec: decideSpec(specAttributes()), mark: mark,
			want: &[]jumpcloud.Attribute{*mark},
		},
		{
			name: "the mark is added last to the spec's attributes",
			spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "blue"}, iamv1alpha1.Attribute{Name: "cost", Value: "42"})),
			mark: mark,
			want: &[]jumpcloud.Attribute{{Name: "team", Value: "blue"}, {Name: "cost", Value: "42"}, *mark},
		},
		{
			name: "the mark replaces a spec attribute of its name",
			spec: decideSpec(specAttributes(
				iamv1alpha1.Attribute{Name: connection.DefaultOwnerAttribute, Value: "forged"},
				iamv1alpha1.Attribute{Name: "team", Value: "blue"})),
			mark: mark,
			want: &[]jumpcloud.Attribute{{Name: "team", Value: "blue"}, *mark},
		},
		{
			name: "nil mark, spec attributes unset: none sent",
			spec: decideSpec(),
		},
		{
			name: "nil mark: the spec's attributes as they are, one of the mark's name included",
			spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: connection.DefaultOwnerAttribute, Value: "x"})),
			want: &[]jumpcloud.Attribute{{Name: connection.DefaultOwnerAttribute, Value: "x"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := tc.spec.DeepCopy()
			got := createFields(tc.spec, nil, nil, tc.mark)
			if !reflect.DeepEqual(got.Attributes, tc.want) {
				t.Errorf("attributes:\n got  %s\n want %s", fieldsString(jumpcloud.UserFields{Attributes: got.Attributes}),
					fieldsString(jumpcloud.UserFields{Attributes: tc.want}))
			}
			// The rest is what createFields sends without a mark.
			rest, wantRest := got, createFields(tc.spec, nil, nil, nil)
			rest.Attributes, wantRest.Attributes = nil, nil
			if !reflect.DeepEqual(rest, wantRest) {
				t.Errorf("other fields:\n got  %s\n want %s", fieldsString(rest), fieldsString(wantRest))
			}
			if !reflect.DeepEqual(before, tc.spec) {
				t.Errorf("createFields changed the spec")
			}
		})
	}
}

func TestDecideFieldDiffOwnerMark(t *testing.T) {
	t.Parallel()
	mark := decideMark()
	team := jumpcloud.Attribute{Name: "team", Value: "blue"}
	otherMark := jumpcloud.Attribute{Name: mark.Name, Value: "platform-staging/team-a/ann"}
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserSpec
		observed  *jumpcloud.User
		want      *[]jumpcloud.Attribute
		wantNames []string
	}{
		{
			name: "marked with our value, attributes unmanaged: no change",
			spec: decideSpec(), observed: decideUser(withAttributes(team, *mark)),
		},
		{
			name: "marked with our value, not last: no change",
			spec: decideSpec(), observed: decideUser(withAttributes(*mark, team)),
		},
		{
			name:     "marked with our value, spec attributes in sync: no change",
			spec:     decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "blue"})),
			observed: decideUser(withAttributes(team, *mark)),
		},
		{
			name: "not marked: the mark is added, console attributes kept",
			spec: decideSpec(), observed: decideUser(),
			want: &[]jumpcloud.Attribute{team, *mark}, wantNames: []string{"ownerMark"},
		},
		{
			name: "no attributes at all: the mark alone",
			spec: decideSpec(), observed: decideUser(withAttributes()),
			want: &[]jumpcloud.Attribute{*mark}, wantNames: []string{"ownerMark"},
		},
		{
			name: "marked for another value: our mark replaces it, console attributes kept",
			spec: decideSpec(), observed: decideUser(withAttributes(otherMark, team)),
			want: &[]jumpcloud.Attribute{team, *mark}, wantNames: []string{"ownerMark"},
		},
		{
			name:     "marked with an empty value: ownerMark",
			spec:     decideSpec(),
			observed: decideUser(withAttributes(team, jumpcloud.Attribute{Name: mark.Name})),
			want:     &[]jumpcloud.Attribute{team, *mark}, wantNames: []string{"ownerMark"},
		},
		{
			name:     "spec attributes differ on a marked user: the spec's plus the mark",
			spec:     decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "red"})),
			observed: decideUser(withAttributes(team, *mark)),
			want:     &[]jumpcloud.Attribute{{Name: "team", Value: "red"}, *mark}, wantNames: []string{"attributes"},
		},
		{
			name:     "spec attributes differ on an unmarked user: the mark is sent once",
			spec:     decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "red"})),
			observed: decideUser(),
			want:     &[]jumpcloud.Attribute{{Name: "team", Value: "red"}, *mark}, wantNames: []string{"attributes", "ownerMark"},
		},
		{
			name: "a spec attribute of the mark's name is ignored when comparing",
			spec: decideSpec(specAttributes(
				iamv1alpha1.Attribute{Name: "team", Value: "blue"},
				iamv1alpha1.Attribute{Name: mark.Name, Value: "forged"})),
			observed: decideUser(withAttributes(team, *mark)),
		},
		{
			name: "a spec attribute of the mark's name is not sent",
			spec: decideSpec(specAttributes(
				iamv1alpha1.Attribute{Name: mark.Name, Value: "forged"},
				iamv1alpha1.Attribute{Name: "team", Value: "red"})),
			observed: decideUser(withAttributes(team, *mark)),
			want:     &[]jumpcloud.Attribute{{Name: "team", Value: "red"}, *mark}, wantNames: []string{"attributes"},
		},
		{
			name:     "a spec attribute of the mark's name on a user marked for another value",
			spec:     decideSpec(specAttributes(iamv1alpha1.Attribute{Name: mark.Name, Value: otherMark.Value})),
			observed: decideUser(withAttributes(otherMark)),
			want:     &[]jumpcloud.Attribute{*mark}, wantNames: []string{"ownerMark"},
		},
		{
			name:     "empty spec attributes on a user with only the mark: no change",
			spec:     decideSpec(specAttributes()),
			observed: decideUser(withAttributes(*mark)),
		},
		{
			name:     "empty spec attributes, console attributes on a marked user: just the mark",
			spec:     decideSpec(specAttributes()),
			observed: decideUser(withAttributes(team, *mark)),
			want:     &[]jumpcloud.Attribute{*mark}, wantNames: []string{"attributes"},
		},
		{
			name:     "empty spec attributes, console attributes, no mark: just the mark",
			spec:     decideSpec(specAttributes()),
			observed: decideUser(),
			want:     &[]jumpcloud.Attribute{*mark}, wantNames: []string{"attributes", "ownerMark"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := *tc.observed
			before.Attributes = append([]jumpcloud.Attribute(nil), tc.observed.Attributes...)
			got, names := fieldDiff(tc.spec, nil, tc.observed, mark)
			want := jumpcloud.UserFields{Attributes: tc.want}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fields:\n got  %s\n want %s", fieldsString(got), fieldsString(want))
			}
			if !reflect.DeepEqual(names, tc.wantNames) {
				t.Errorf("names: got %q, want %q", names, tc.wantNames)
			}
			if got.Attributes != nil {
				n := 0
				for _, a := range *got.Attributes {
					if a.Name == mark.Name {
						n++
					}
				}
				if n != 1 {
					t.Errorf("the sent attributes hold %d attributes named %q, want 1", n, mark.Name)
				}
			}
			if !reflect.DeepEqual(before.Attributes, tc.observed.Attributes) || !reflect.DeepEqual(before, *tc.observed) {
				t.Errorf("fieldDiff changed the observed user")
			}
		})
	}
}

func TestDecideNeedsWriteOwnerMark(t *testing.T) {
	t.Parallel()
	mark := decideMark()
	team := jumpcloud.Attribute{Name: "team", Value: "blue"}
	cases := []struct {
		name     string
		observed *jumpcloud.User
		mark     *jumpcloud.Attribute
		want     bool
	}{
		{name: "only the mark is missing", observed: decideUser(), mark: mark, want: true},
		{name: "only the mark's value differs", observed: decideUser(withAttributes(team, jumpcloud.Attribute{Name: mark.Name, Value: "x"})),
			mark: mark, want: true},
		{name: "marked and in sync", observed: decideUser(withAttributes(team, *mark)), mark: mark},
		{name: "no mark wanted", observed: decideUser(), mark: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := needsWrite(decideSpec(), nil, tc.observed, tc.mark, false, false); got != tc.want {
				t.Errorf("needsWrite = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideDriftOfOwnerMark(t *testing.T) {
	t.Parallel()
	mark := decideMark()
	team := jumpcloud.Attribute{Name: "team", Value: "blue"}
	cases := []struct {
		name     string
		spec     *iamv1alpha1.JumpCloudUserSpec
		observed *jumpcloud.User
		want     []string
	}{
		{name: "a missing mark is not drift", spec: decideSpec(), observed: decideUser()},
		{name: "a mark for another value is not drift", spec: decideSpec(),
			observed: decideUser(withAttributes(team, jumpcloud.Attribute{Name: mark.Name, Value: "x"}))},
		{name: "marked and in sync", spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "blue"})),
			observed: decideUser(withAttributes(team, *mark))},
		{name: "spec attributes in sync but for the mark", spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "blue"})),
			observed: decideUser()},
		{name: "a spec attribute of the mark's name is ignored",
			spec: decideSpec(specAttributes(
				iamv1alpha1.Attribute{Name: "team", Value: "blue"},
				iamv1alpha1.Attribute{Name: mark.Name, Value: "forged"})),
			observed: decideUser(withAttributes(team, *mark))},
		{name: "spec attributes differ on a marked user", spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "red"})),
			observed: decideUser(withAttributes(team, *mark)), want: []string{"attributes"}},
		{name: "spec attributes differ on an unmarked user: attributes only",
			spec: decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "red"})), observed: decideUser(),
			want: []string{"attributes"}},
		{name: "empty spec attributes, console attributes on a marked user", spec: decideSpec(specAttributes()),
			observed: decideUser(withAttributes(team, *mark)), want: []string{"attributes"}},
		{name: "a missing mark and other drift, in order",
			spec:     decideSpec(specAttributes(iamv1alpha1.Attribute{Name: "team", Value: "red"}), activated(false)),
			observed: decideUser(), want: []string{"attributes", "state"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Compared by content: dropping "ownerMark" may leave an empty, non-nil list.
			if got := driftOf(tc.spec, nil, tc.observed, mark); !slices.Equal(got, tc.want) {
				t.Errorf("driftOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecideMarkOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		attrs     []jumpcloud.Attribute
		wantValue string
		wantOK    bool
	}{
		{name: "no attributes"},
		{name: "other attributes only", attrs: []jumpcloud.Attribute{{Name: "team", Value: "blue"}}},
		{name: "a name differing in case is another attribute", attrs: []jumpcloud.Attribute{{Name: "K8sOwner", Value: "p/ns/n"}}},
		{name: "marked", attrs: []jumpcloud.Attribute{{Name: "team", Value: "blue"}, {Name: "k8sOwner", Value: "p/ns/n"}},
			wantValue: "p/ns/n", wantOK: true},
		{name: "marked with an empty value", attrs: []jumpcloud.Attribute{{Name: "k8sOwner"}}, wantOK: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, ok := markOf(&jumpcloud.User{Attributes: tc.attrs}, "k8sOwner")
			if v != tc.wantValue || ok != tc.wantOK {
				t.Errorf("markOf = %q, %v; want %q, %v", v, ok, tc.wantValue, tc.wantOK)
			}
		})
	}
}

func TestDecideWithoutAttribute(t *testing.T) {
	t.Parallel()
	a, b := jumpcloud.Attribute{Name: "a", Value: "1"}, jumpcloud.Attribute{Name: "b", Value: "2"}
	cases := []struct {
		name  string
		attrs []jumpcloud.Attribute
		drop  string
		want  []jumpcloud.Attribute
	}{
		{name: "nil", attrs: nil, drop: "a", want: []jumpcloud.Attribute{}},
		{name: "absent", attrs: []jumpcloud.Attribute{a, b}, drop: "c", want: []jumpcloud.Attribute{a, b}},
		{name: "present", attrs: []jumpcloud.Attribute{a, b}, drop: "a", want: []jumpcloud.Attribute{b}},
		{name: "every occurrence", attrs: []jumpcloud.Attribute{a, b, a}, drop: "a", want: []jumpcloud.Attribute{b}},
		{name: "the only one", attrs: []jumpcloud.Attribute{b}, drop: "b", want: []jumpcloud.Attribute{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := append([]jumpcloud.Attribute(nil), tc.attrs...)
			if got := withoutAttribute(tc.attrs, tc.drop); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("withoutAttribute = %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(before, tc.attrs) && len(tc.attrs) > 0 {
				t.Errorf("withoutAttribute changed its input: %v, was %v", tc.attrs, before)
			}
		})
	}
}

func TestDecideWithMark(t *testing.T) {
	t.Parallel()
	mark := decideMark()
	a := jumpcloud.Attribute{Name: "a", Value: "1"}
	cases := []struct {
		name  string
		attrs []jumpcloud.Attribute
		mark  *jumpcloud.Attribute
		want  []jumpcloud.Attribute
	}{
		{name: "nil mark: nil stays nil", attrs: nil},
		{name: "nil mark: the list as it is", attrs: []jumpcloud.Attribute{a, {Name: mark.Name, Value: "x"}},
			want: []jumpcloud.Attribute{a, {Name: mark.Name, Value: "x"}}},
		{name: "nil list", mark: mark, want: []jumpcloud.Attribute{*mark}},
		{name: "added last", attrs: []jumpcloud.Attribute{a}, mark: mark, want: []jumpcloud.Attribute{a, *mark}},
		{name: "replaces one of its name", attrs: []jumpcloud.Attribute{{Name: mark.Name, Value: "x"}, a}, mark: mark,
			want: []jumpcloud.Attribute{a, *mark}},
		{name: "already marked: unchanged", attrs: []jumpcloud.Attribute{a, *mark}, mark: mark, want: []jumpcloud.Attribute{a, *mark}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := append([]jumpcloud.Attribute(nil), tc.attrs...)
			got := withMark(tc.attrs, tc.mark)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("withMark = %v, want %v", got, tc.want)
			}
			if tc.mark == nil && len(tc.attrs) > 0 && &got[0] != &tc.attrs[0] {
				t.Errorf("withMark with a nil mark copied the list")
			}
			if tc.mark != nil && len(tc.attrs) > 0 && !reflect.DeepEqual(before, tc.attrs) {
				t.Errorf("withMark changed its input: %v, was %v", tc.attrs, before)
			}
		})
	}
}

func TestDecideSettingsFromOwnerMark(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		mark *iamv1alpha1.OwnerMark
		want *connection.OwnerMark
	}{
		{name: "no owner mark"},
		{name: "an empty owner", mark: &iamv1alpha1.OwnerMark{}},
		{name: "an empty owner with an attribute name", mark: &iamv1alpha1.OwnerMark{AttributeName: "owner"}},
		{name: "the default attribute", mark: &iamv1alpha1.OwnerMark{Owner: "p"},
			want: &connection.OwnerMark{Attribute: "k8sOwner", Owner: "p"}},
		{name: "an attribute name is kept", mark: &iamv1alpha1.OwnerMark{Owner: "p", AttributeName: "managedBy"},
			want: &connection.OwnerMark{Attribute: "managedBy", Owner: "p"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := connection.SettingsFrom(iamv1alpha1.ConnectionSettings{OwnerMark: tc.mark}).OwnerMark
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("OwnerMark = %+v, want %+v", got, tc.want)
			}
		})
	}
	if connection.DefaultOwnerAttribute != "k8sOwner" {
		t.Errorf("DefaultOwnerAttribute = %q, want k8sOwner", connection.DefaultOwnerAttribute)
	}
}

func TestDecideOwnerMarkFor(t *testing.T) {
	t.Parallel()
	m := &connection.OwnerMark{Attribute: "k8sOwner", Owner: "p"}
	if got := m.For("ns", "n"); got != "p/ns/n" {
		t.Errorf("For = %q, want p/ns/n", got)
	}
}
