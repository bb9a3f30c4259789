package plugin

import (
	"reflect"
	"strings"
	"testing"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

func TestGroupResourceNames(t *testing.T) {
	groups := []jumpcloud.Group{
		{ID: "000000000000000000000001", Name: "Eng Team"},
		{ID: "000000000000000000000002", Name: "eng_team"},
		{ID: "000000000000000000000003", Name: "Admins"},
		{ID: "000000000000000000000004", Name: "***"},
	}
	want := map[string]string{
		"000000000000000000000001": "eng-team-000000000000000000000001",
		"000000000000000000000002": "eng-team-000000000000000000000002",
		"000000000000000000000003": "admins",
		"000000000000000000000004": "group-000000000000000000000004",
	}
	if got := groupResourceNames(groups); !reflect.DeepEqual(got, want) {
		t.Errorf("groupResourceNames = %v, want %v", got, want)
	}
}

func TestParseGroupFilter(t *testing.T) {
	for _, c := range []struct {
		in   string
		want jumpcloud.V2Filter
		err  string
	}{
		{in: "name:eq:Admins", want: jumpcloud.V2Filter{Field: "name", Op: jumpcloud.V2Eq, Value: "Admins"}},
		{in: "name:$search:adm", want: jumpcloud.V2Filter{Field: "name", Op: jumpcloud.V2Search, Value: "adm"}},
		{in: "description:eq:a:b", want: jumpcloud.V2Filter{Field: "description", Op: jumpcloud.V2Eq, Value: "a:b"}},
		{in: "name:in:a|b", want: jumpcloud.V2Filter{Field: "name", Op: jumpcloud.V2In, Value: "a|b"}},
		{in: "name", err: "want field:op:value"},
		{in: "name:eq", err: "want field:op:value"},
		{in: ":eq:x", err: "the field is empty"},
		{in: "my name:eq:x", err: "contains a comma or whitespace"},
		{in: "name:$like:x", err: "the operator is not one of"},
		{in: "name:eq:a,b", err: "cannot contain a comma"},
	} {
		got, err := parseGroupFilter(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("parseGroupFilter(%q) error = %v, want one saying %q", c.in, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("parseGroupFilter(%q) = %+v, %v, want %+v", c.in, got, err, c.want)
		}
	}
}

func TestGroupListFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		o    groupListOptions
		ok   bool
	}{
		{"defaults", groupListOptions{limit: 100}, true},
		{"zero limit", groupListOptions{limit: 0}, false},
		{"limit above a page", groupListOptions{limit: 101}, false},
		{"all pages of 10", groupListOptions{limit: 10, all: true}, true},
		{"all with skip", groupListOptions{limit: 100, all: true, skip: 1}, false},
		{"all with sort", groupListOptions{limit: 100, all: true, sort: []string{"name"}}, false},
		{"negative skip", groupListOptions{limit: 100, skip: -1}, false},
		{"sort descending", groupListOptions{limit: 100, sort: []string{"-name, description"}}, true},
	} {
		opts, err := c.o.options()
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok %v", c.name, err, c.ok)
		}
		if c.name == "sort descending" && !reflect.DeepEqual(opts.Sort, []string{"-name", "description"}) {
			t.Errorf("sort = %v", opts.Sort)
		}
	}
}

func TestSortMembers(t *testing.T) {
	ms := []member{{ID: "3"}, {ID: "2", Username: "bob"}, {ID: "1"}, {ID: "4", Username: "alice"}}
	sortMembers(ms)
	want := []member{{ID: "4", Username: "alice"}, {ID: "2", Username: "bob"}, {ID: "1"}, {ID: "3"}}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("sortMembers = %v, want %v", ms, want)
	}
}

func TestGroupNameProblem(t *testing.T) {
	for name, bad := range map[string]bool{
		"Admins":                  false,
		"Eng Team":                false,
		"":                        true,
		" Admins":                 true,
		"Admins\t":                true,
		strings.Repeat("ü", 255):  false,
		strings.Repeat("a", 256):  true,
		strings.Repeat("ü", 256):  true,
		"Name with \"quotes\"!":   false,
		"name/with/slashes-ok.x1": false,
	} {
		if got := groupNameProblem(name) != ""; got != bad {
			t.Errorf("groupNameProblem(%q) = %q, want a problem: %v", name, groupNameProblem(name), bad)
		}
	}
}

func TestImportedAttributes(t *testing.T) {
	a, warnings := importedAttributes(jumpcloud.GroupAttributes{})
	if a != nil || len(warnings) != 0 {
		t.Errorf("attributes with no value are left out: %+v %v", a, warnings)
	}

	a, warnings = importedAttributes(jumpcloud.GroupAttributes{
		Sudo:         jumpcloud.SudoAttributes{Enabled: true},
		SambaEnabled: true,
		PosixGroups:  []jumpcloud.PosixGroup{{ID: 0, Name: "root"}, {ID: 1001, Name: "eng"}},
		RadiusReply:  []jumpcloud.RadiusReply{{Name: "Filter-Id", Value: ""}},
		LDAPGroups:   []jumpcloud.LDAPGroup{{Name: "eng"}},
	})
	want := &iamv1alpha1.GroupAttributes{
		Sudo:         &iamv1alpha1.GroupSudo{Enabled: true},
		SambaEnabled: ptrTo(true),
		PosixGroups:  []iamv1alpha1.PosixGroup{{ID: 0, Name: "root"}, {ID: 1001, Name: "eng"}},
		Radius:       &iamv1alpha1.GroupRadius{Reply: []iamv1alpha1.RadiusReply{{Name: "Filter-Id", Value: ""}}},
	}
	if !reflect.DeepEqual(a, want) || len(warnings) != 0 {
		t.Errorf("importedAttributes = %+v %v, want %+v", a, warnings, want)
	}

	for name, in := range map[string]jumpcloud.GroupAttributes{
		"withoutPassword alone": {Sudo: jumpcloud.SudoAttributes{WithoutPassword: true}},
		"negative gid":          {PosixGroups: []jumpcloud.PosixGroup{{ID: -1, Name: "x"}}},
		"gid beyond int32":      {PosixGroups: []jumpcloud.PosixGroup{{ID: 1 << 40, Name: "x"}}},
		"unnamed posix group":   {PosixGroups: []jumpcloud.PosixGroup{{ID: 1}}},
		"repeated gid":          {PosixGroups: []jumpcloud.PosixGroup{{ID: 1, Name: "a"}, {ID: 1, Name: "b"}}},
		"too many posix groups": {PosixGroups: make([]jumpcloud.PosixGroup, 101)},
		"unnamed radius reply":  {RadiusReply: []jumpcloud.RadiusReply{{Value: "x"}}},
		"too long radius value": {RadiusReply: []jumpcloud.RadiusReply{{Name: "n", Value: strings.Repeat("v", 1025)}}},
	} {
		if a, warnings := importedAttributes(in); a != nil || len(warnings) != 1 {
			t.Errorf("%s: left out as a whole with a warning, got %+v %v", name, a, warnings)
		}
	}
}

func TestImportedDynamic(t *testing.T) {
	g := &jumpcloud.Group{
		MembershipMethod: jumpcloud.MembershipDynamicReviewRequired,
		MemberQuery: &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{
			{Field: "department", Operator: "eq", Value: "IT"},
			{Field: "jobTitle", Operator: "$SW", Value: "Eng"},
		}},
	}
	d, warnings := importedDynamic(g)
	want := &iamv1alpha1.DynamicMembership{Method: iamv1alpha1.DynamicReviewRequired, Filters: []iamv1alpha1.DynamicFilter{
		{Field: "department", Operator: "eq", Value: "IT"},
		{Field: "jobTitle", Operator: "sw", Value: "Eng"},
	}}
	if !reflect.DeepEqual(d, want) || len(warnings) != 1 {
		t.Errorf("importedDynamic = %+v %v, want %+v and a warning about $SW", d, warnings, want)
	}

	for name, q := range map[string]*jumpcloud.MemberQuery{
		"no query":       nil,
		"no filters":     {QueryType: jumpcloud.QueryTypeFilterQuery},
		"other operator": {Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "gt", Value: "A"}}},
		"no field":       {Filters: []jumpcloud.MemberQueryFilter{{Operator: "eq", Value: "A"}}},
		"too many":       {Filters: make([]jumpcloud.MemberQueryFilter, 51)},
	} {
		g := &jumpcloud.Group{MembershipMethod: jumpcloud.MembershipDynamicAutomated, MemberQuery: q}
		if d, warnings := importedDynamic(g); d != nil || len(warnings) != 1 {
			t.Errorf("%s: dynamic left out with a warning, got %+v %v", name, d, warnings)
		}
	}
}

func TestImportedMembers(t *testing.T) {
	const (
		grace = "aaaaaaaaaaaaaaaaaaaaaaaa"
		alan  = "bbbbbbbbbbbbbbbbbbbbbbbb"
		ada   = "cccccccccccccccccccccccc"
		ghost = "dddddddddddddddddddddddd"
	)
	refs := map[string]string{grace: "grace"}
	m, warnings := importedMembers([]member{
		{ID: ghost}, {ID: alan, Username: "alan"}, {ID: grace, Username: "grace.hopper"}, {ID: ada, Username: "ada"}, {ID: "not-an-id"},
	}, refs)
	want := &iamv1alpha1.GroupMembers{Policy: iamv1alpha1.MembershipAuthoritative, Users: []iamv1alpha1.GroupMember{
		{UserRef: &iamv1alpha1.LocalObjectReference{Name: "grace"}},
		{Username: "ada"},
		{Username: "alan"},
		{ID: ghost},
	}}
	if !reflect.DeepEqual(m, want) || len(warnings) != 1 {
		t.Errorf("importedMembers = %+v %v, want %+v and a warning about not-an-id", m, warnings, want)
	}

	if m, _ := importedMembers([]member{}, refs); m == nil || len(m.Users) != 0 || m.Policy != iamv1alpha1.MembershipAuthoritative {
		t.Errorf("a static group without members is an empty Authoritative list, got %+v", m)
	}

	if m, warnings := importedMembers(make([]member, 5001), refs); m != nil || len(warnings) != 1 {
		t.Errorf("more members than the CRD lists are left out with a warning, got %+v %v", m, warnings)
	}
}

func TestImportedGroup(t *testing.T) {
	g := &jumpcloud.Group{
		ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Name: "Eng", Description: "Engineers", Email: "not an email",
		MembershipMethod: jumpcloud.MembershipStatic,
	}
	ref := &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "corp"}
	m, warnings := importedGroup(g, nil, nil, "eng", "team-a", ref)
	if m.Kind != "JumpCloudUserGroup" || m.APIVersion != iamv1alpha1.GroupVersion.String() ||
		m.Metadata != (manifestMetadata{Name: "eng", Namespace: "team-a"}) {
		t.Errorf("type and metadata: %+v", m)
	}
	s := m.Spec
	if s.Name != "Eng" || s.ConnectionRef != ref || *s.Description != "Engineers" || s.Email != nil || len(warnings) != 1 {
		t.Errorf("name, connection, description; an invalid email left out with a warning: %+v %v", s, warnings)
	}
	if s.ManagementPolicy != iamv1alpha1.ManagementPolicyObserveOnly || s.AdoptionPolicy != iamv1alpha1.AdoptionPolicyIfExists ||
		s.DeletionPolicy != iamv1alpha1.GroupDeletionPolicyOrphan {
		t.Errorf("policies: %+v", s)
	}
	if s.Members == nil || s.Dynamic != nil {
		t.Errorf("a static group gets members, not dynamic: %+v", s)
	}

	g.MembershipMethod = jumpcloud.MembershipDynamicAutomated
	g.MemberQuery = &jumpcloud.MemberQuery{Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "IT"}}}
	g.Email = "eng@example.com"
	m, warnings = importedGroup(g, []member{{ID: "bbbbbbbbbbbbbbbbbbbbbbbb"}}, nil, "eng", "team-a", nil)
	if m.Spec.Members != nil || m.Spec.Dynamic == nil || *m.Spec.Email != "eng@example.com" || len(warnings) != 0 {
		t.Errorf("a dynamic group gets dynamic, not members: %+v %v", m.Spec, warnings)
	}
}

func ptrTo[T any](v T) *T { return &v }
