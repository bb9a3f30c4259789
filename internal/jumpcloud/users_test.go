package jumpcloud_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

func TestCreateGetRoundTrip(t *testing.T) {
	e := newEnv(t)
	manager := e.createUser(t, "bob")
	f := jumpcloud.UserFields{
		Username:                    jumpcloud.Ptr("alice"),
		Email:                       jumpcloud.Ptr("alice@example.com"),
		Firstname:                   jumpcloud.Ptr("Alice"),
		Middlename:                  jumpcloud.Ptr("M"),
		Lastname:                    jumpcloud.Ptr("Liddell"),
		Displayname:                 jumpcloud.Ptr("Alice L."),
		AlternateEmail:              jumpcloud.Ptr("alice.personal@example.org"),
		JobTitle:                    jumpcloud.Ptr("Engineer"),
		Department:                  jumpcloud.Ptr("Platform"),
		Company:                     jumpcloud.Ptr("Example Inc"),
		CostCenter:                  jumpcloud.Ptr("4711"),
		Location:                    jumpcloud.Ptr("Berlin"),
		EmployeeType:                jumpcloud.Ptr("Full-time"),
		EmployeeIdentifier:          jumpcloud.Ptr("E-195"),
		Description:                 jumpcloud.Ptr("likes rabbits"),
		Manager:                     jumpcloud.Ptr(manager.ID),
		PhoneNumbers:                &[]jumpcloud.PhoneNumber{{Type: "work", Number: "+49 30 1234"}},
		Addresses:                   &[]jumpcloud.Address{{Type: "work", StreetAddress: "Main St 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"}},
		Attributes:                  &[]jumpcloud.Attribute{{Name: "team", Value: "platform"}},
		Password:                    jumpcloud.Ptr(testPassword),
		Sudo:                        jumpcloud.Ptr(true),
		PasswordlessSudo:            jumpcloud.Ptr(false),
		LDAPBindingUser:             jumpcloud.Ptr(true),
		PasswordNeverExpires:        jumpcloud.Ptr(true),
		EnableUserPortalMultifactor: jumpcloud.Ptr(true),
		UnixUID:                     jumpcloud.Ptr(5001),
		MFA:                         &jumpcloud.MFASettings{Exclusion: jumpcloud.Ptr(true), ExclusionDays: jumpcloud.Ptr(7)},
	}
	created, err := e.client.CreateUser(ctx(t), f, jumpcloud.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.ID) != 24 {
		t.Fatalf("id %q is not 24 hex digits", created.ID)
	}
	got, err := e.client.GetUser(ctx(t), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"username", got.Username, "alice"},
		{"email", got.Email, "alice@example.com"},
		{"firstname", got.Firstname, "Alice"},
		{"middlename", got.Middlename, "M"},
		{"lastname", got.Lastname, "Liddell"},
		{"displayname", got.Displayname, "Alice L."},
		{"alternateEmail", got.AlternateEmail, "alice.personal@example.org"},
		{"jobTitle", got.JobTitle, "Engineer"},
		{"department", got.Department, "Platform"},
		{"company", got.Company, "Example Inc"},
		{"costCenter", got.CostCenter, "4711"},
		{"location", got.Location, "Berlin"},
		{"employeeType", got.EmployeeType, "Full-time"},
		{"employeeIdentifier", got.EmployeeIdentifier, "E-195"},
		{"description", got.Description, "likes rabbits"},
		{"manager", got.Manager, manager.ID},
		{"phone", got.PhoneNumbers[0].Number, "+49 30 1234"},
		{"phone id", got.PhoneNumbers[0].ID != "", true},
		{"address", got.Addresses[0].Locality, "Berlin"},
		{"attribute", got.Attributes[0], jumpcloud.Attribute{Name: "team", Value: "platform"}},
		{"state", got.State, jumpcloud.StateActivated},
		{"activated (password set)", got.Activated, true},
		{"suspended", got.Suspended, false},
		{"sudo", got.Sudo, true},
		{"ldap", got.LDAPBindingUser, true},
		{"password never expires", got.PasswordNeverExpires, true},
		{"portal mfa", got.EnableUserPortalMultifactor, true},
		{"unix uid", got.UnixUID, 5001},
		{"mfa exclusion", got.MFA.Exclusion, true},
		{"mfa days", got.MFA.ExclusionDays, 7},
		{"mfa enrollment", got.MFAEnrollment.OverallStatus, jumpcloud.MFANotEnrolled},
		{"created set", got.Created != nil, true},
		{"password date set", got.PasswordDate != nil, true},
		{"expiration null", got.PasswordExpirationDate == nil, true},
		{"organization", got.Organization, jcsim.DefaultOrg},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !e.sim.PasswordMatches("", created.ID, testPassword) {
		t.Error("the password did not reach the simulator")
	}
	// The request log has the field names, never the password.
	reqs := e.sim.RequestsFor("create")
	last := reqs[len(reqs)-1]
	if !slices.Contains(last.Fields, "password") || strings.Contains(last.Query, testPassword) {
		t.Errorf("create request log = %+v", last)
	}
}

func TestGetUserWithFields(t *testing.T) {
	e := newEnv(t)
	created := e.createUser(t, "carol", func(f *jumpcloud.UserFields) { f.Department = jumpcloud.Ptr("IT") })
	got, err := e.client.GetUser(ctx(t), created.ID, "username", "email")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.Username != "carol" || got.Email != "carol@example.com" {
		t.Fatalf("got %+v", got)
	}
	if got.Department != "" || got.State != "" {
		t.Errorf("unselected fields were returned: department %q state %q", got.Department, got.State)
	}
	if q := e.sim.RequestsFor("get")[0].Query; q != "fields=username+email" {
		t.Errorf("query = %q", q)
	}
}

func TestUpdateSendsOnlySetFields(t *testing.T) {
	e := newEnv(t)
	boss := e.createUser(t, "boss")
	u := e.createUser(t, "dave", func(f *jumpcloud.UserFields) {
		f.Department = jumpcloud.Ptr("IT")
		f.JobTitle = jumpcloud.Ptr("Admin")
		f.Description = jumpcloud.Ptr("keep me?")
		f.Sudo = jumpcloud.Ptr(true)
		f.Manager = jumpcloud.Ptr(boss.ID)
		f.PhoneNumbers = &[]jumpcloud.PhoneNumber{{Type: "work", Number: "1"}, {Type: "home", Number: "2"}}
		f.Attributes = &[]jumpcloud.Attribute{{Name: "a", Value: "1"}}
	})

	tests := []struct {
		name       string
		fields     jumpcloud.UserFields
		wantFields []string
		check      func(t *testing.T, u *jumpcloud.User)
	}{
		{
			name:       "one field",
			fields:     jumpcloud.UserFields{Department: jumpcloud.Ptr("Platform")},
			wantFields: []string{"department"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if u.Department != "Platform" || u.JobTitle != "Admin" || !u.Sudo {
					t.Errorf("department %q jobTitle %q sudo %v", u.Department, u.JobTitle, u.Sudo)
				}
			},
		},
		{
			name:       "explicit false and empty string",
			fields:     jumpcloud.UserFields{Sudo: jumpcloud.Ptr(false), Description: jumpcloud.Ptr("")},
			wantFields: []string{"description", "sudo"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if u.Sudo || u.Description != "" || u.JobTitle != "Admin" {
					t.Errorf("sudo %v description %q jobTitle %q", u.Sudo, u.Description, u.JobTitle)
				}
			},
		},
		{
			name:       "lists are replaced whole",
			fields:     jumpcloud.UserFields{PhoneNumbers: &[]jumpcloud.PhoneNumber{{Type: "mobile", Number: "3"}}},
			wantFields: []string{"phoneNumbers"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if len(u.PhoneNumbers) != 1 || u.PhoneNumbers[0].Number != "3" || len(u.Attributes) != 1 {
					t.Errorf("phones %+v attributes %+v", u.PhoneNumbers, u.Attributes)
				}
			},
		},
		{
			name:       "empty list clears",
			fields:     jumpcloud.UserFields{Attributes: &[]jumpcloud.Attribute{}, PhoneNumbers: new([]jumpcloud.PhoneNumber)},
			wantFields: []string{"attributes", "phoneNumbers"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if len(u.Attributes) != 0 || len(u.PhoneNumbers) != 0 {
					t.Errorf("attributes %+v phones %+v", u.Attributes, u.PhoneNumbers)
				}
			},
		},
		{
			name:       "manager cleared with null",
			fields:     jumpcloud.UserFields{Manager: jumpcloud.Ptr("")},
			wantFields: []string{"manager"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if u.Manager != "" {
					t.Errorf("manager = %q", u.Manager)
				}
			},
		},
		{
			name:       "suspend by PUT",
			fields:     jumpcloud.UserFields{State: jumpcloud.Ptr(jumpcloud.StateSuspended), Suspended: jumpcloud.Ptr(true)},
			wantFields: []string{"state", "suspended"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if u.State != jumpcloud.StateSuspended || !u.Suspended {
					t.Errorf("state %s suspended %v", u.State, u.Suspended)
				}
			},
		},
		{
			name:       "password",
			fields:     jumpcloud.UserFields{Password: jumpcloud.Ptr("N3w-Passw0rd!")},
			wantFields: []string{"password"},
			check: func(t *testing.T, u *jumpcloud.User) {
				if !u.Activated {
					t.Error("activated should be true once a password is set")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetLog()
			got, err := e.client.UpdateUser(ctx(t), u.ID, tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
			reqs := e.sim.RequestsFor("update")
			if len(reqs) != 1 || !slices.Equal(reqs[0].Fields, tt.wantFields) {
				t.Fatalf("sent fields %v, want %v", reqs, tt.wantFields)
			}
			if !slices.Equal(tt.fields.FieldNames(), tt.wantFields) {
				t.Errorf("FieldNames() = %v", tt.fields.FieldNames())
			}
		})
	}
	if !e.sim.PasswordMatches("", u.ID, "N3w-Passw0rd!") {
		t.Error("password not changed")
	}
	if q := e.sim.RequestsFor("update")[0].Query; q != "fullValidationDetails=password" {
		t.Errorf("a password update should ask for full validation details, query %q", q)
	}
}

func TestUpdateRejectsWhatJumpCloudRejects(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "erin")
	for name, f := range map[string]jumpcloud.UserFields{
		"activated": {Activated: jumpcloud.Ptr(true)},
		"staged":    {State: jumpcloud.Ptr(jumpcloud.StateStaged)},
	} {
		if _, err := e.client.UpdateUser(ctx(t), u.ID, f); !jumpcloud.IsValidation(err) {
			t.Errorf("%s: err = %v, want a validation error", name, err)
		}
	}
	// A state and suspended flag that disagree are refused by the server.
	_, err := e.client.UpdateUser(ctx(t), u.ID, jumpcloud.UserFields{State: jumpcloud.Ptr(jumpcloud.StateSuspended), Suspended: jumpcloud.Ptr(false)})
	if !jumpcloud.IsValidation(err) {
		t.Errorf("disagreeing state: err = %v", err)
	}
	if e.sim.Count("update") != 1 {
		t.Errorf("client-side checks should not reach the server: %d updates", e.sim.Count("update"))
	}
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	boss := e.createUser(t, "boss")
	report := e.createUser(t, "report", func(f *jumpcloud.UserFields) { f.Manager = jumpcloud.Ptr(boss.ID) })
	if err := e.client.DeleteUser(ctx(t), boss.ID, jumpcloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if q := e.sim.RequestsFor("delete")[0].Query; q != "cascade_manager=null" {
		t.Errorf("query = %q", q)
	}
	got, err := e.client.GetUser(ctx(t), report.ID)
	if err != nil || got.Manager != "" {
		t.Fatalf("report manager %q, err %v", got.Manager, err)
	}
	if err := e.client.DeleteUser(ctx(t), boss.ID, jumpcloud.DeleteOptions{}); !jumpcloud.IsNotFound(err) {
		t.Errorf("second delete: %v, want NotFound", err)
	}
	// Re-pointing reports to another manager.
	m1, m2 := e.createUser(t, "m1"), e.createUser(t, "m2")
	r := e.createUser(t, "r", func(f *jumpcloud.UserFields) { f.Manager = jumpcloud.Ptr(m1.ID) })
	if err := e.client.DeleteUser(ctx(t), m1.ID, jumpcloud.DeleteOptions{CascadeManager: m2.ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.client.GetUser(ctx(t), r.ID); got.Manager != m2.ID {
		t.Errorf("manager = %q, want %q", got.Manager, m2.ID)
	}
}

func TestActivateUser(t *testing.T) {
	e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) { so.DefaultState = jcsim.StateStaged })
	tests := []struct {
		name   string
		opts   jumpcloud.ActivateOptions
		detail string
	}{
		{"default email", jumpcloud.ActivateOptions{}, "email=default"},
		{"email true", jumpcloud.ActivateOptions{SendEmail: jumpcloud.Ptr(true)}, "email=default"},
		{"no email", jumpcloud.ActivateOptions{SendEmail: jumpcloud.Ptr(false)}, "email=none"},
		{"other address", jumpcloud.ActivateOptions{EmailAddress: "hr@example.com"}, "email=address"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := e.createUser(t, "staged"+string(rune('a'+i)))
			if u.State != jumpcloud.StateStaged {
				t.Fatalf("new user state %s, want STAGED (the org default)", u.State)
			}
			if err := e.client.ActivateUser(ctx(t), u.ID, tt.opts); err != nil {
				t.Fatal(err)
			}
			got, _ := e.client.GetUser(ctx(t), u.ID)
			if got.State != jumpcloud.StateActivated || got.Suspended {
				t.Errorf("state %s suspended %v", got.State, got.Suspended)
			}
			reqs := e.sim.RequestsFor("activate")
			if d := reqs[len(reqs)-1].Detail; d != tt.detail {
				t.Errorf("detail %q, want %q", d, tt.detail)
			}
		})
	}
	u := e.createUser(t, "contradiction")
	if err := e.client.ActivateUser(ctx(t), u.ID, jumpcloud.ActivateOptions{SendEmail: jumpcloud.Ptr(false), EmailAddress: "x@example.com"}); !jumpcloud.IsValidation(err) {
		t.Errorf("err = %v, want validation", err)
	}
	// Activating a suspended user is a conflict: re-activation goes through UpdateUser.
	if err := e.client.SuspendUser(ctx(t), u.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.client.ActivateUser(ctx(t), u.ID, jumpcloud.ActivateOptions{}); !jumpcloud.IsConflict(err) {
		t.Errorf("err = %v, want Conflict", err)
	}
}

func TestSuspendUser(t *testing.T) {
	t.Run("route", func(t *testing.T) {
		e := newEnv(t)
		u := e.createUser(t, "frank")
		if err := e.client.SuspendUser(ctx(t), u.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := e.client.GetUser(ctx(t), u.ID)
		if got.State != jumpcloud.StateSuspended || !got.Suspended {
			t.Errorf("state %s suspended %v", got.State, got.Suspended)
		}
		if e.sim.Count("suspend") != 1 || e.sim.Count("update") != 0 {
			t.Errorf("counts %v", e.sim.Counts())
		}
	})
	t.Run("route missing falls back to PUT and remembers", func(t *testing.T) {
		e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) { so.DisableSuspendRoute = true })
		u1, u2 := e.createUser(t, "gina"), e.createUser(t, "hank")
		for _, u := range []*jumpcloud.User{u1, u2} {
			if err := e.client.SuspendUser(ctx(t), u.ID); err != nil {
				t.Fatal(err)
			}
			got, _ := e.client.GetUser(ctx(t), u.ID)
			if got.State != jumpcloud.StateSuspended || !got.Suspended {
				t.Errorf("state %s suspended %v", got.State, got.Suspended)
			}
		}
		if n := e.sim.Count("suspend"); n != 1 {
			t.Errorf("suspend route tried %d times, want 1", n)
		}
		upd := e.sim.RequestsFor("update")
		if len(upd) != 2 || !slices.Equal(upd[0].Fields, []string{"state", "suspended"}) {
			t.Errorf("updates %+v", upd)
		}
	})
	t.Run("route missing and user missing", func(t *testing.T) {
		e := newEnv(t, func(so *jcsim.Options, _ *jumpcloud.Options) { so.DisableSuspendRoute = true })
		err := e.client.SuspendUser(ctx(t), "0123456789abcdef01234567")
		if !jumpcloud.IsNotFound(err) {
			t.Errorf("err = %v, want NotFound", err)
		}
	})
	t.Run("405 falls back", func(t *testing.T) {
		e := newEnv(t)
		u := e.createUser(t, "ivan")
		e.sim.FailNext("suspend", 1, http.StatusMethodNotAllowed)
		if err := e.client.SuspendUser(ctx(t), u.ID); err != nil {
			t.Fatal(err)
		}
		if e.sim.Count("update") != 1 {
			t.Errorf("counts %v", e.sim.Counts())
		}
	})
}

func TestUnlockExpireResetMFA(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "judy", func(f *jumpcloud.UserFields) { f.Password = jumpcloud.Ptr(testPassword) })
	if err := e.sim.LockOut("", u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := e.client.GetUser(ctx(t), u.ID)
	if !got.AccountLocked || got.BadLoginAttempts == 0 || got.AccountLockedDate == nil {
		t.Fatalf("after lockout: locked %v attempts %d date %v", got.AccountLocked, got.BadLoginAttempts, got.AccountLockedDate)
	}
	if err := e.client.UnlockUser(ctx(t), u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = e.client.GetUser(ctx(t), u.ID)
	if got.AccountLocked || got.BadLoginAttempts != 0 {
		t.Errorf("after unlock: locked %v attempts %d", got.AccountLocked, got.BadLoginAttempts)
	}

	if err := e.client.ExpirePassword(ctx(t), u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = e.client.GetUser(ctx(t), u.ID)
	if !got.PasswordExpired || got.PasswordExpirationDate == nil {
		t.Errorf("after expire: expired %v date %v", got.PasswordExpired, got.PasswordExpirationDate)
	}

	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		opts   jumpcloud.ResetMFAOptions
		detail string
	}{
		{"no exclusion", jumpcloud.ResetMFAOptions{}, "exclusion=false"},
		{"days", jumpcloud.ResetMFAOptions{ExclusionDays: jumpcloud.Ptr(20)}, "exclusion=true exclusionDays=20"},
		{"until", jumpcloud.ResetMFAOptions{ExclusionUntil: &until}, "exclusion=true exclusionUntil=2030-01-02T03:04:05Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.client.ResetMFA(ctx(t), u.ID, tt.opts); err != nil {
				t.Fatal(err)
			}
			reqs := e.sim.RequestsFor("resetmfa")
			if d := reqs[len(reqs)-1].Detail; !strings.HasPrefix(d, tt.detail) {
				t.Errorf("detail %q, want prefix %q", d, tt.detail)
			}
		})
	}
	got, _ = e.client.GetUser(ctx(t), u.ID)
	if !got.MFA.Exclusion || got.MFA.ExclusionUntil == nil || !got.MFA.ExclusionUntil.Equal(until) || got.TOTPEnabled {
		t.Errorf("mfa %+v totp %v", got.MFA, got.TOTPEnabled)
	}
	if err := e.client.ResetMFA(ctx(t), u.ID, jumpcloud.ResetMFAOptions{ExclusionDays: jumpcloud.Ptr(0)}); !jumpcloud.IsValidation(err) {
		t.Errorf("exclusionDays 0: %v", err)
	}
	for name, f := range map[string]func() error{
		"unlock": func() error { return e.client.UnlockUser(ctx(t), "0123456789abcdef01234567") },
		"expire": func() error { return e.client.ExpirePassword(ctx(t), "0123456789abcdef01234567") },
		"resetmfa": func() error {
			return e.client.ResetMFA(ctx(t), "0123456789abcdef01234567", jumpcloud.ResetMFAOptions{})
		},
		"activate": func() error {
			return e.client.ActivateUser(ctx(t), "0123456789abcdef01234567", jumpcloud.ActivateOptions{})
		},
	} {
		if err := f(); !jumpcloud.IsNotFound(err) {
			t.Errorf("%s of a missing user: %v", name, err)
		}
	}
}

func TestInvalidIDsNeverReachTheServer(t *testing.T) {
	e := newEnv(t)
	calls := map[string]func(string) error{
		"get":     func(id string) error { _, err := e.client.GetUser(ctx(t), id); return err },
		"update":  func(id string) error { _, err := e.client.UpdateUser(ctx(t), id, jumpcloud.UserFields{}); return err },
		"delete":  func(id string) error { return e.client.DeleteUser(ctx(t), id, jumpcloud.DeleteOptions{}) },
		"suspend": func(id string) error { return e.client.SuspendUser(ctx(t), id) },
		"unlock":  func(id string) error { return e.client.UnlockUser(ctx(t), id) },
		"activate": func(id string) error {
			return e.client.ActivateUser(ctx(t), id, jumpcloud.ActivateOptions{})
		},
		"resetmfa": func(id string) error { return e.client.ResetMFA(ctx(t), id, jumpcloud.ResetMFAOptions{}) },
	}
	for name, call := range calls {
		for _, id := range []string{"", " ", "a/b", "a?b"} {
			if err := call(id); !jumpcloud.IsValidation(err) {
				t.Errorf("%s(%q): %v", name, id, err)
			}
		}
	}
	if _, err := e.client.CreateUser(ctx(t), jumpcloud.UserFields{Username: jumpcloud.Ptr("x")}, jumpcloud.CreateOptions{}); !jumpcloud.IsValidation(err) {
		t.Errorf("create without email: %v", err)
	}
	if n := e.sim.Count("*"); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	// A malformed id that does reach the server is a 400.
	if _, err := e.client.GetUser(ctx(t), "not-an-object-id"); !jumpcloud.IsValidation(err) {
		t.Errorf("malformed id: %v", err)
	}
	var je *jumpcloud.Error
	if _, err := e.client.GetUser(ctx(t), "0123456789abcdef01234567"); !errors.As(err, &je) || je.StatusCode != 404 || je.Operation != jumpcloud.OpGet {
		t.Errorf("missing user: %#v", err)
	}
}
