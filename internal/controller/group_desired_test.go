package controller

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Table tests for the pure decisions of the JumpCloudUserGroup reconciler (group_desired.go) and
// for the SSH key plan of the JumpCloudUser reconciler (user_desired.go). No API server, no
// JumpCloud.

// decideGroupSpec is a minimal group spec: the name, nothing else managed.
func decideGroupSpec(edit ...func(*iamv1alpha1.JumpCloudUserGroupSpec)) *iamv1alpha1.JumpCloudUserGroupSpec {
	s := &iamv1alpha1.JumpCloudUserGroupSpec{Name: "platform"}
	for _, e := range edit {
		e(s)
	}
	return s
}

func withGroupAttributes(edit func(*iamv1alpha1.GroupAttributes)) func(*iamv1alpha1.JumpCloudUserGroupSpec) {
	return func(s *iamv1alpha1.JumpCloudUserGroupSpec) {
		if s.Attributes == nil {
			s.Attributes = &iamv1alpha1.GroupAttributes{}
		}
		edit(s.Attributes)
	}
}

func withDynamic(method iamv1alpha1.DynamicMethod, filters ...iamv1alpha1.DynamicFilter) func(*iamv1alpha1.JumpCloudUserGroupSpec) {
	return func(s *iamv1alpha1.JumpCloudUserGroupSpec) {
		s.Dynamic = &iamv1alpha1.DynamicMembership{Method: method, Filters: filters}
	}
}

func withStaticMembers(s *iamv1alpha1.JumpCloudUserGroupSpec) {
	s.Members = &iamv1alpha1.GroupMembers{Policy: iamv1alpha1.MembershipAuthoritative,
		Users: []iamv1alpha1.GroupMember{{Username: "ann"}}}
}

// decideFullGroupSpec manages every field; decideGroup() is the JumpCloud group it describes.
func decideFullGroupSpec(edit ...func(*iamv1alpha1.JumpCloudUserGroupSpec)) *iamv1alpha1.JumpCloudUserGroupSpec {
	s := decideGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) {
		s.Description, s.Email = ptr("The platform team"), ptr("platform@example.com")
	}, withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) {
		a.Sudo = &iamv1alpha1.GroupSudo{Enabled: true}
		a.SambaEnabled = ptr(false)
		a.PosixGroups = []iamv1alpha1.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "oncall"}}
		a.Radius = &iamv1alpha1.GroupRadius{Reply: []iamv1alpha1.RadiusReply{{Name: "Filter-Id", Value: "platform"}}}
	}))
	for _, e := range edit {
		e(s)
	}
	return s
}

var deptSales = iamv1alpha1.DynamicFilter{Field: "department", Operator: "eq", Value: "Sales"}

// decideGroup is a JumpCloud group that matches decideFullGroupSpec().
func decideGroup(edit ...func(*jumpcloud.Group)) *jumpcloud.Group {
	g := &jumpcloud.Group{
		ID: "64a0c1a2b3c4d5e6f7081920", Name: "platform", Description: "The platform team", Email: "platform@example.com",
		Attributes: jumpcloud.GroupAttributes{
			Sudo:        jumpcloud.SudoAttributes{Enabled: true},
			PosixGroups: []jumpcloud.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "oncall"}},
			RadiusReply: []jumpcloud.RadiusReply{{Name: "Filter-Id", Value: "platform"}},
			LDAPGroups:  []jumpcloud.LDAPGroup{{Name: "set-in-the-console"}},
		},
		MembershipMethod: jumpcloud.MembershipStatic,
	}
	for _, e := range edit {
		e(g)
	}
	return g
}

// dynamicGroup makes a JumpCloud group dynamic with the given filters, in the v1 form.
func dynamicGroup(method jumpcloud.MembershipMethod, filters ...jumpcloud.MemberQueryFilter) func(*jumpcloud.Group) {
	return func(g *jumpcloud.Group) {
		g.MembershipMethod = method
		g.MemberQuery = &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: filters}
	}
}

// groupFieldsString renders the set fields of a GroupFields for failure messages.
func groupFieldsString(f jumpcloud.GroupFields) string {
	v := reflect.ValueOf(f)
	var parts []string
	for i := range v.NumField() {
		if fv := v.Field(i); !fv.IsNil() {
			parts = append(parts, fmt.Sprintf("%s=%+v", v.Type().Field(i).Name, fv.Elem().Interface()))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func TestDecideGroupCreateFields(t *testing.T) {
	t.Parallel()
	name := func() jumpcloud.GroupFields { return jumpcloud.GroupFields{Name: ptr("platform")} }
	cases := []struct {
		name string
		spec *iamv1alpha1.JumpCloudUserGroupSpec
		want func(*jumpcloud.GroupFields)
	}{
		{
			name: "name only: nothing else is sent, not even a membership method",
			spec: decideGroupSpec(),
			want: func(*jumpcloud.GroupFields) {},
		},
		{
			name: "empty attributes send nothing more",
			spec: decideGroupSpec(withGroupAttributes(func(*iamv1alpha1.GroupAttributes) {})),
			want: func(*jumpcloud.GroupFields) {},
		},
		{
			name: "description and email set to empty are sent empty",
			spec: decideGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) { s.Description, s.Email = ptr(""), ptr("") }),
			want: func(f *jumpcloud.GroupFields) { f.Description, f.Email = ptr(""), ptr("") },
		},
		{
			name: "every attribute",
			spec: decideFullGroupSpec(withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) {
				a.Sudo = &iamv1alpha1.GroupSudo{Enabled: true, WithoutPassword: true}
				a.SambaEnabled = ptr(true)
			})),
			want: func(f *jumpcloud.GroupFields) {
				f.Description, f.Email = ptr("The platform team"), ptr("platform@example.com")
				f.Sudo = &jumpcloud.SudoAttributes{Enabled: true, WithoutPassword: true}
				f.SambaEnabled = ptr(true)
				f.PosixGroups = &[]jumpcloud.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "oncall"}}
				f.RadiusReply = &[]jumpcloud.RadiusReply{{Name: "Filter-Id", Value: "platform"}}
			},
		},
		{
			name: "sudo off and samba false are sent, not dropped",
			spec: decideGroupSpec(withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) {
				a.Sudo, a.SambaEnabled = &iamv1alpha1.GroupSudo{}, ptr(false)
			})),
			want: func(f *jumpcloud.GroupFields) { f.Sudo, f.SambaEnabled = &jumpcloud.SudoAttributes{}, ptr(false) },
		},
		{
			name: "empty posix groups and a radius without replies clear the lists",
			spec: decideGroupSpec(withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) {
				a.PosixGroups, a.Radius = []iamv1alpha1.PosixGroup{}, &iamv1alpha1.GroupRadius{}
			})),
			want: func(f *jumpcloud.GroupFields) {
				f.PosixGroups, f.RadiusReply = &[]jumpcloud.PosixGroup{}, &[]jumpcloud.RadiusReply{}
			},
		},
		{
			name: "dynamic, automated: the method and a FilterQuery member query",
			spec: decideGroupSpec(withDynamic(iamv1alpha1.DynamicAutomated, deptSales,
				iamv1alpha1.DynamicFilter{Field: "jobTitle", Operator: "sw", Value: "Account"})),
			want: func(f *jumpcloud.GroupFields) {
				f.MembershipMethod = ptr(jumpcloud.MembershipDynamicAutomated)
				f.MemberQuery = &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{
					{Field: "department", Operator: "eq", Value: "Sales"}, {Field: "jobTitle", Operator: "sw", Value: "Account"},
				}}
			},
		},
		{
			name: "dynamic, review required",
			spec: decideGroupSpec(withDynamic(iamv1alpha1.DynamicReviewRequired, deptSales)),
			want: func(f *jumpcloud.GroupFields) {
				f.MembershipMethod = ptr(jumpcloud.MembershipDynamicReviewRequired)
				f.MemberQuery = &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery,
					Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}}
			},
		},
		{
			name: "dynamic without a method (the API server defaults it): automated",
			spec: decideGroupSpec(withDynamic("", deptSales)),
			want: func(f *jumpcloud.GroupFields) {
				f.MembershipMethod = ptr(jumpcloud.MembershipDynamicAutomated)
				f.MemberQuery = &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery,
					Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}}
			},
		},
		{
			name: "static members: STATIC, no member query",
			spec: decideGroupSpec(withStaticMembers),
			want: func(f *jumpcloud.GroupFields) { f.MembershipMethod = ptr(jumpcloud.MembershipStatic) },
		},
		{
			name: "an empty static member list is still STATIC",
			spec: decideGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) { s.Members = &iamv1alpha1.GroupMembers{} }),
			want: func(f *jumpcloud.GroupFields) { f.MembershipMethod = ptr(jumpcloud.MembershipStatic) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := name()
			tc.want(&want)
			got := groupCreateFields(tc.spec)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got  %s\n want %s", groupFieldsString(got), groupFieldsString(want))
			}
			if got.LDAPGroups != nil || got.MemberSuggestionsNotify != nil {
				t.Errorf("groupCreateFields sent a field the spec cannot manage: %s", groupFieldsString(got))
			}
		})
	}
}

func TestDecideGroupDiff(t *testing.T) {
	t.Parallel()
	sales := jumpcloud.MemberQueryFilter{Field: "department", Operator: "eq", Value: "Sales"}
	cases := []struct {
		name      string
		spec      *iamv1alpha1.JumpCloudUserGroupSpec
		observed  *jumpcloud.Group
		want      jumpcloud.GroupFields
		wantNames []string
	}{
		{
			name: "every field managed and in sync", spec: decideFullGroupSpec(), observed: decideGroup(),
		},
		{
			name: "only the name managed: console values of every other field survive",
			spec: decideGroupSpec(),
			observed: decideGroup(func(g *jumpcloud.Group) {
				g.Description, g.Email = "console", "console@example.com"
				g.Attributes = jumpcloud.GroupAttributes{Sudo: jumpcloud.SudoAttributes{Enabled: true, WithoutPassword: true},
					SambaEnabled: true, PosixGroups: []jumpcloud.PosixGroup{{ID: 1, Name: "x"}}, RadiusReply: []jumpcloud.RadiusReply{{Name: "a", Value: "b"}}}
			}, dynamicGroup(jumpcloud.MembershipDynamicAutomated, sales)),
		},
		{
			name:     "empty attributes manage nothing",
			spec:     decideGroupSpec(withGroupAttributes(func(*iamv1alpha1.GroupAttributes) {})),
			observed: decideGroup(func(g *jumpcloud.Group) { g.Attributes.SambaEnabled = true }),
		},
		{
			name: "renamed", spec: decideFullGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) { s.Name = "platform-eng" }),
			observed: decideGroup(),
			want:     jumpcloud.GroupFields{Name: ptr("platform-eng")}, wantNames: []string{"name"},
		},
		{
			name: "description differs", spec: decideFullGroupSpec(), observed: decideGroup(func(g *jumpcloud.Group) { g.Description = "edited" }),
			want: jumpcloud.GroupFields{Description: ptr("The platform team")}, wantNames: []string{"description"},
		},
		{
			name: "description set to empty clears a console value",
			spec: decideGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) { s.Description = ptr("") }), observed: decideGroup(),
			want: jumpcloud.GroupFields{Description: ptr("")}, wantNames: []string{"description"},
		},
		{
			name: "email differs", spec: decideFullGroupSpec(), observed: decideGroup(func(g *jumpcloud.Group) { g.Email = "" }),
			want: jumpcloud.GroupFields{Email: ptr("platform@example.com")}, wantNames: []string{"email"},
		},
		{
			name: "sudo withoutPassword differs", spec: decideFullGroupSpec(),
			observed: decideGroup(func(g *jumpcloud.Group) { g.Attributes.Sudo.WithoutPassword = true }),
			want:     jumpcloud.GroupFields{Sudo: &jumpcloud.SudoAttributes{Enabled: true}}, wantNames: []string{"sudo"},
		},
		{
			name: "sudo enabled differs", spec: decideFullGroupSpec(),
			observed: decideGroup(func(g *jumpcloud.Group) { g.Attributes.Sudo = jumpcloud.SudoAttributes{} }),
			want:     jumpcloud.GroupFields{Sudo: &jumpcloud.SudoAttributes{Enabled: true}}, wantNames: []string{"sudo"},
		},
		{
			name: "samba differs", spec: decideFullGroupSpec(),
			observed: decideGroup(func(g *jumpcloud.Group) { g.Attributes.SambaEnabled = true }),
			want:     jumpcloud.GroupFields{SambaEnabled: ptr(false)}, wantNames: []string{"sambaEnabled"},
		},
		{
			name: "a posix group renamed in the console", spec: decideFullGroupSpec(),
			observed: decideGroup(func(g *jumpcloud.Group) {
				g.Attributes.PosixGroups = []jumpcloud.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "pager"}}
			}),
			want:      jumpcloud.GroupFields{PosixGroups: &[]jumpcloud.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "oncall"}}},
			wantNames: []string{"posixGroups"},
		},
		{
			name:     "empty posix groups and no posix groups in JumpCloud are in sync",
			spec:     decideGroupSpec(withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) { a.PosixGroups = []iamv1alpha1.PosixGroup{} })),
			observed: decideGroup(func(g *jumpcloud.Group) { g.Attributes.PosixGroups = nil }),
		},
		{
			name: "radius reply differs", spec: decideFullGroupSpec(),
			observed:  decideGroup(func(g *jumpcloud.Group) { g.Attributes.RadiusReply[0].Value = "other" }),
			want:      jumpcloud.GroupFields{RadiusReply: &[]jumpcloud.RadiusReply{{Name: "Filter-Id", Value: "platform"}}},
			wantNames: []string{"radius"},
		},
		{
			name:      "a radius without replies clears JumpCloud's",
			spec:      decideGroupSpec(withGroupAttributes(func(a *iamv1alpha1.GroupAttributes) { a.Radius = &iamv1alpha1.GroupRadius{} })),
			observed:  decideGroup(),
			want:      jumpcloud.GroupFields{RadiusReply: &[]jumpcloud.RadiusReply{}},
			wantNames: []string{"radius"},
		},
		{
			name: "every field differs, in a stable order",
			spec: decideFullGroupSpec(withDynamic(iamv1alpha1.DynamicReviewRequired, deptSales)),
			observed: &jumpcloud.Group{ID: "64a0c1a2b3c4d5e6f7081920", Name: "old", Attributes: jumpcloud.GroupAttributes{SambaEnabled: true},
				MembershipMethod: jumpcloud.MembershipStatic},
			want: jumpcloud.GroupFields{
				Name: ptr("platform"), Description: ptr("The platform team"), Email: ptr("platform@example.com"),
				Sudo: &jumpcloud.SudoAttributes{Enabled: true}, SambaEnabled: ptr(false),
				PosixGroups:      &[]jumpcloud.PosixGroup{{ID: 5000, Name: "platform"}, {ID: 5001, Name: "oncall"}},
				RadiusReply:      &[]jumpcloud.RadiusReply{{Name: "Filter-Id", Value: "platform"}},
				MembershipMethod: ptr(jumpcloud.MembershipDynamicReviewRequired),
				MemberQuery:      &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{sales}},
			},
			wantNames: []string{"name", "description", "email", "sudo", "sambaEnabled", "posixGroups", "radius", "dynamic.method", "dynamic.filters"},
		},
		{
			name:     "dynamic and in sync",
			spec:     decideGroupSpec(withDynamic(iamv1alpha1.DynamicAutomated, deptSales)),
			observed: decideGroup(dynamicGroup(jumpcloud.MembershipDynamicAutomated, sales)),
		},
		{
			name: "dynamic and in sync, though JumpCloud echoes the query in another form",
			spec: decideGroupSpec(withDynamic(iamv1alpha1.DynamicAutomated, deptSales)),
			observed: decideGroup(dynamicGroup(jumpcloud.MembershipDynamicAutomated, sales), func(g *jumpcloud.Group) {
				g.MemberQuery.QueryType = ""
			}),
		},
		{
			name:      "dynamic method differs",
			spec:      decideGroupSpec(withDynamic(iamv1alpha1.DynamicReviewRequired, deptSales)),
			observed:  decideGroup(dynamicGroup(jumpcloud.MembershipDynamicAutomated, sales)),
			want:      jumpcloud.GroupFields{MembershipMethod: ptr(jumpcloud.MembershipDynamicReviewRequired)},
			wantNames: []string{"dynamic.method"},
		},
		{
			name:     "dynamic filter value differs",
			spec:     decideGroupSpec(withDynamic(iamv1alpha1.DynamicAutomated, deptSales)),
			observed: decideGroup(dynamicGroup(jumpcloud.MembershipDynamicAutomated, jumpcloud.MemberQueryFilter{Field: "department", Operator: "eq", Value: "Marketing"})),
			want: jumpcloud.GroupFields{MemberQuery: &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery,
				Filters: []jumpcloud.MemberQueryFilter{sales}}},
			wantNames: []string{"dynamic.filters"},
		},
		{
			name:     "a static group made dynamic: method and filters",
			spec:     decideGroupSpec(withDynamic(iamv1alpha1.DynamicAutomated, deptSales)),
			observed: decideGroup(),
			want: jumpcloud.GroupFields{MembershipMethod: ptr(jumpcloud.MembershipDynamicAutomated),
				MemberQuery: &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{sales}}},
			wantNames: []string{"dynamic.method", "dynamic.filters"},
		},
		{
			name:     "static members never compare the method of a static group",
			spec:     decideGroupSpec(withStaticMembers),
			observed: decideGroup(func(g *jumpcloud.Group) { g.MembershipMethod = jumpcloud.MembershipNotSet }),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := *tc.observed
			got, names := groupDiff(tc.spec, tc.observed)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields:\n got  %s\n want %s", groupFieldsString(got), groupFieldsString(tc.want))
			}
			if !reflect.DeepEqual(names, tc.wantNames) {
				t.Errorf("names: got %q, want %q", names, tc.wantNames)
			}
			if !reflect.DeepEqual(before, *tc.observed) {
				t.Errorf("groupDiff changed the observed group")
			}
		})
	}
}

func TestDecideSameQuery(t *testing.T) {
	t.Parallel()
	sales := jumpcloud.MemberQueryFilter{Field: "department", Operator: "eq", Value: "Sales"}
	title := jumpcloud.MemberQueryFilter{Field: "jobTitle", Operator: "sw", Value: "Account"}
	q := func(typ string, f ...jumpcloud.MemberQueryFilter) *jumpcloud.MemberQuery {
		return &jumpcloud.MemberQuery{QueryType: typ, Filters: f}
	}
	cases := []struct {
		name string
		a, b *jumpcloud.MemberQuery
		want bool
	}{
		{name: "both nil", want: true},
		{name: "nil and an empty query", b: q(jumpcloud.QueryTypeFilterQuery), want: true},
		{name: "an empty query and nil", a: q(jumpcloud.QueryTypeFilterQuery), want: true},
		{name: "nil and filters", b: q(jumpcloud.QueryTypeFilterQuery, sales)},
		{name: "filters and nil", a: q(jumpcloud.QueryTypeFilterQuery, sales)},
		{name: "same filters", a: q(jumpcloud.QueryTypeFilterQuery, sales, title), b: q(jumpcloud.QueryTypeFilterQuery, sales, title), want: true},
		{name: "same filters, another query type", a: q(jumpcloud.QueryTypeFilterQuery, sales), b: q("", sales), want: true},
		{name: "a filter more", a: q(jumpcloud.QueryTypeFilterQuery, sales), b: q(jumpcloud.QueryTypeFilterQuery, sales, title)},
		{name: "another value", a: q(jumpcloud.QueryTypeFilterQuery, sales),
			b: q(jumpcloud.QueryTypeFilterQuery, jumpcloud.MemberQueryFilter{Field: "department", Operator: "eq", Value: "sales"})},
		{name: "another operator", a: q(jumpcloud.QueryTypeFilterQuery, sales),
			b: q(jumpcloud.QueryTypeFilterQuery, jumpcloud.MemberQueryFilter{Field: "department", Operator: "ne", Value: "Sales"})},
		{name: "the same filters in another order", a: q(jumpcloud.QueryTypeFilterQuery, sales, title), b: q(jumpcloud.QueryTypeFilterQuery, title, sales)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sameQuery(tc.a, tc.b); got != tc.want {
				t.Errorf("sameQuery = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideMemberPlan(t *testing.T) {
	t.Parallel()
	const (
		auth     = iamv1alpha1.MembershipAuthoritative
		additive = iamv1alpha1.MembershipAdditive
	)
	cases := []struct {
		name       string
		wanted     []string
		present    []string
		policy     iamv1alpha1.MembershipPolicy
		unresolved bool
		wantAdd    []string
		wantRemove []string
	}{
		{name: "nothing wanted, nothing present", policy: auth},
		{name: "in sync", wanted: []string{"a", "b"}, present: []string{"b", "a"}, policy: auth},
		{name: "a new group: every member added, in spec order", wanted: []string{"b", "a", "c"}, policy: auth,
			wantAdd: []string{"b", "a", "c"}},
		{name: "only the missing ones added", wanted: []string{"a", "b", "c"}, present: []string{"b"}, policy: auth,
			wantAdd: []string{"a", "c"}},
		{name: "authoritative removes members not in the spec, in JumpCloud's order", wanted: []string{"a"},
			present: []string{"x", "a", "y"}, policy: auth, wantRemove: []string{"x", "y"}},
		{name: "authoritative adds and removes at once", wanted: []string{"a", "b"}, present: []string{"b", "x"}, policy: auth,
			wantAdd: []string{"a"}, wantRemove: []string{"x"}},
		{name: "authoritative with an empty list removes everyone", present: []string{"x", "y"}, policy: auth,
			wantRemove: []string{"x", "y"}},
		{name: "an unset policy is authoritative", wanted: []string{"a"}, present: []string{"a", "x"},
			wantRemove: []string{"x"}},
		{name: "authoritative removes no one while a member is unresolved, but adds", wanted: []string{"a"},
			present: []string{"x"}, policy: auth, unresolved: true, wantAdd: []string{"a"}},
		{name: "authoritative with only unresolved members removes no one", present: []string{"x", "y"}, policy: auth,
			unresolved: true},
		{name: "additive adds", wanted: []string{"a", "b"}, present: []string{"b"}, policy: additive, wantAdd: []string{"a"}},
		{name: "additive never removes", wanted: []string{"a"}, present: []string{"a", "x", "y"}, policy: additive},
		{name: "additive with an empty list removes no one", present: []string{"x"}, policy: additive},
		{name: "additive and unresolved", wanted: []string{"a"}, present: []string{"x"}, policy: additive, unresolved: true,
			wantAdd: []string{"a"}},
		{name: "a member wanted twice is added once", wanted: []string{"a", "b", "a"}, policy: auth,
			wantAdd: []string{"a", "b"}},
		{name: "a member wanted twice and present is neither added nor removed", wanted: []string{"a", "a"},
			present: []string{"a", "x"}, policy: auth, wantRemove: []string{"x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wanted, present := append([]string(nil), tc.wanted...), append([]string(nil), tc.present...)
			add, remove := memberPlan(tc.wanted, tc.present, tc.policy, tc.unresolved)
			if !reflect.DeepEqual(add, tc.wantAdd) {
				t.Errorf("add: got %q, want %q", add, tc.wantAdd)
			}
			if !reflect.DeepEqual(remove, tc.wantRemove) {
				t.Errorf("remove: got %q, want %q", remove, tc.wantRemove)
			}
			if !reflect.DeepEqual(wanted, append([]string(nil), tc.wanted...)) || !reflect.DeepEqual(present, append([]string(nil), tc.present...)) {
				t.Errorf("memberPlan changed its arguments")
			}
		})
	}
}

func TestDecideGroupDeletionPolicy(t *testing.T) {
	t.Parallel()
	const (
		del    = iamv1alpha1.GroupDeletionPolicyDelete
		orphan = iamv1alpha1.GroupDeletionPolicyOrphan
	)
	cases := []struct {
		name      string
		policy    iamv1alpha1.GroupDeletionPolicy
		ownership iamv1alpha1.Ownership
		want      iamv1alpha1.GroupDeletionPolicy
	}{
		{name: "created, unset: Delete", ownership: iamv1alpha1.OwnershipCreated, want: del},
		{name: "adopted, unset: Orphan", ownership: iamv1alpha1.OwnershipAdopted, want: orphan},
		{name: "observed, unset: Orphan", ownership: iamv1alpha1.OwnershipObserved, want: orphan},
		{name: "no ownership yet, unset: Orphan", want: orphan},
		{name: "created, Orphan explicit", policy: orphan, ownership: iamv1alpha1.OwnershipCreated, want: orphan},
		{name: "created, Delete explicit", policy: del, ownership: iamv1alpha1.OwnershipCreated, want: del},
		{name: "adopted, Delete explicit", policy: del, ownership: iamv1alpha1.OwnershipAdopted, want: del},
		{name: "adopted, Orphan explicit", policy: orphan, ownership: iamv1alpha1.OwnershipAdopted, want: orphan},
		{name: "no ownership yet, Delete explicit", policy: del, want: del},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := decideGroupSpec(func(s *iamv1alpha1.JumpCloudUserGroupSpec) { s.DeletionPolicy = tc.policy })
			if got := groupDeletionPolicy(spec, tc.ownership); got != tc.want {
				t.Errorf("groupDeletionPolicy = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecideSSHKeyMaterial(t *testing.T) {
	t.Parallel()
	key := sshKey(1, "alice@laptop")
	material := strings.Join(strings.Fields(key)[:2], " ")
	cases := []struct {
		name, key, want string
	}{
		{name: "type, body and comment: the comment is dropped", key: key, want: material},
		{name: "no comment", key: material, want: material},
		{name: "a comment with spaces", key: material + " Alice Example (laptop)", want: material},
		{name: "surrounding whitespace and a trailing newline", key: "  " + key + "\n", want: material},
		{name: "tabs and repeated spaces between the parts", key: strings.Replace(material, " ", "\t  ", 1) + "\tcomment", want: material},
		{name: "a single word is kept, trimmed", key: " garbage\n", want: "garbage"},
		{name: "empty", key: "", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sshKeyMaterial(tc.key); got != tc.want {
				t.Errorf("sshKeyMaterial(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestDecideSSHKeyPlan(t *testing.T) {
	t.Parallel()
	laptop, desk, fresh := sshKey(1, "alice@laptop"), sshKey(2, "alice@desk"), sshKey(3, "alice@new")
	spec := func(keys ...string) []iamv1alpha1.SSHPublicKey {
		out := []iamv1alpha1.SSHPublicKey{}
		for i, k := range keys {
			out = append(out, iamv1alpha1.SSHPublicKey{Name: fmt.Sprintf("key-%d", i), PublicKey: k})
		}
		return out
	}
	jc := func(keys ...string) []jumpcloud.SSHKey {
		var out []jumpcloud.SSHKey
		for i, k := range keys {
			out = append(out, jumpcloud.SSHKey{ID: fmt.Sprintf("k%d", i), Name: fmt.Sprintf("jc-%d", i), PublicKey: k})
		}
		return out
	}
	cases := []struct {
		name    string
		want    []iamv1alpha1.SSHPublicKey
		have    []jumpcloud.SSHKey
		wantAdd []iamv1alpha1.SSHPublicKey
		wantDel []string
	}{
		{name: "none wanted, none present", want: spec()},
		{name: "a new user: every key added, in spec order", want: spec(desk, laptop), wantAdd: spec(desk, laptop)},
		{name: "in sync", want: spec(laptop, desk), have: jc(desk, laptop)},
		{name: "matched by material: another comment in JumpCloud is no change",
			want: spec(laptop), have: jc(strings.Replace(laptop, "alice@laptop", "set in the console", 1))},
		{name: "matched by material: no comment in JumpCloud is no change",
			want: spec(laptop), have: jc(strings.TrimSuffix(laptop, " alice@laptop"))},
		{name: "a key renamed in the spec is no change",
			want: []iamv1alpha1.SSHPublicKey{{Name: "renamed", PublicKey: laptop}}, have: jc(laptop)},
		{name: "rotation: one add and one delete",
			want: spec(fresh, desk), have: jc(laptop, desk), wantAdd: spec(fresh), wantDel: []string{"k0"}},
		{name: "a key added in the console is deleted", want: spec(laptop), have: jc(laptop, desk), wantDel: []string{"k1"}},
		{name: "[] deletes them all", want: spec(), have: jc(laptop, desk), wantDel: []string{"k0", "k1"}},
		{name: "the same material twice in JumpCloud: the extra copy is deleted",
			want: spec(laptop), have: jc(laptop, strings.Replace(laptop, "alice@laptop", "copy", 1)), wantDel: []string{"k1"}},
		{name: "the same material twice in JumpCloud, and not wanted: both deleted",
			want: spec(desk), have: jc(laptop, laptop, desk), wantDel: []string{"k0", "k1"}},
		{name: "the same material twice in the spec is added once",
			want:    []iamv1alpha1.SSHPublicKey{{Name: "a", PublicKey: laptop}, {Name: "b", PublicKey: strings.TrimSuffix(laptop, " alice@laptop")}},
			wantAdd: []iamv1alpha1.SSHPublicKey{{Name: "a", PublicKey: laptop}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			add, del := sshKeyPlan(tc.want, tc.have)
			if len(add) != len(tc.wantAdd) || (len(add) > 0 && !reflect.DeepEqual(add, tc.wantAdd)) {
				t.Errorf("add: got %+v, want %+v", add, tc.wantAdd)
			}
			if !reflect.DeepEqual(del, tc.wantDel) {
				t.Errorf("delete: got %q, want %q", del, tc.wantDel)
			}
		})
	}
}

func TestDecideSSHKeysDiffer(t *testing.T) {
	t.Parallel()
	laptop := sshKey(1, "alice@laptop")
	keys := func(s *iamv1alpha1.JumpCloudUserSpec) {
		s.SSHKeys = []iamv1alpha1.SSHPublicKey{{Name: "laptop", PublicKey: laptop}}
	}
	showing := func(keys ...string) func(*jumpcloud.User) {
		return func(u *jumpcloud.User) {
			u.HasSSHKeys = true
			for i, k := range keys {
				u.SSHKeys = append(u.SSHKeys, jumpcloud.SSHKey{ID: fmt.Sprintf("k%d", i), Name: "jc", PublicKey: k})
			}
		}
	}
	cases := []struct {
		name     string
		spec     *iamv1alpha1.JumpCloudUserSpec
		observed *jumpcloud.User
		want     bool
	}{
		{name: "keys unmanaged: console keys survive", spec: decideSpec(), observed: decideUser(showing(laptop, sshKey(2, "x")))},
		{name: "in sync", spec: decideSpec(keys), observed: decideUser(showing(laptop))},
		{name: "a key missing", spec: decideSpec(keys), observed: decideUser(showing()), want: true},
		{name: "an extra key", spec: decideSpec(keys), observed: decideUser(showing(laptop, sshKey(2, "x"))), want: true},
		{name: "an answer without keys tells nothing", spec: decideSpec(keys), observed: decideUser()},
		{name: "[] and keys present", spec: decideSpec(func(s *iamv1alpha1.JumpCloudUserSpec) { s.SSHKeys = []iamv1alpha1.SSHPublicKey{} }),
			observed: decideUser(showing(laptop)), want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sshKeysDiffer(tc.spec, tc.observed); got != tc.want {
				t.Errorf("sshKeysDiffer = %v, want %v", got, tc.want)
			}
		})
	}
}

// A spec switched from dynamic to a static member list must make the JumpCloud group STATIC again:
// JumpCloud (and the simulator) refuse member changes on a dynamic group.
func TestDecideGroupDiffDynamicToStatic(t *testing.T) {
	t.Parallel()
	sales := jumpcloud.MemberQueryFilter{Field: "department", Operator: "eq", Value: "Sales"}
	for _, method := range []jumpcloud.MembershipMethod{jumpcloud.MembershipDynamicAutomated, jumpcloud.MembershipDynamicReviewRequired} {
		t.Run(string(method), func(t *testing.T) {
			t.Parallel()
			fields, names := groupDiff(decideGroupSpec(withStaticMembers), decideGroup(dynamicGroup(method, sales)))
			if fields.MembershipMethod == nil || *fields.MembershipMethod != jumpcloud.MembershipStatic {
				t.Errorf("groupDiff(static members, %s group) = %s %q: the group stays dynamic and every member change is refused",
					method, groupFieldsString(fields), names)
			}
		})
	}
}
