package controller

import (
	"slices"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// This file converts a JumpCloudUserGroupSpec into what the client sends, compares it with what
// JumpCloud holds, and plans member changes. Only fields set in the spec are managed.

// groupCreateFields is what a create sends: every managed field.
func groupCreateFields(spec *iamv1alpha1.JumpCloudUserGroupSpec) jumpcloud.GroupFields {
	f := jumpcloud.GroupFields{Name: jumpcloud.Ptr(spec.Name), Description: spec.Description, Email: spec.Email}
	if a := spec.Attributes; a != nil {
		if a.Sudo != nil {
			f.Sudo = &jumpcloud.SudoAttributes{Enabled: a.Sudo.Enabled, WithoutPassword: a.Sudo.WithoutPassword}
		}
		f.SambaEnabled = a.SambaEnabled
		if a.PosixGroups != nil {
			f.PosixGroups = jumpcloud.Ptr(posixGroups(a.PosixGroups))
		}
		if a.Radius != nil {
			f.RadiusReply = jumpcloud.Ptr(radiusReply(a.Radius.Reply))
		}
	}
	if d := spec.Dynamic; d != nil {
		f.MembershipMethod = jumpcloud.Ptr(membershipMethod(d.Method))
		f.MemberQuery = memberQuery(d)
	} else if spec.Members != nil {
		f.MembershipMethod = jumpcloud.Ptr(jumpcloud.MembershipStatic)
	}
	return f
}

func posixGroups(in []iamv1alpha1.PosixGroup) []jumpcloud.PosixGroup {
	out := make([]jumpcloud.PosixGroup, 0, len(in))
	for _, p := range in {
		out = append(out, jumpcloud.PosixGroup{ID: int(p.ID), Name: p.Name})
	}
	return out
}

func radiusReply(in []iamv1alpha1.RadiusReply) []jumpcloud.RadiusReply {
	out := make([]jumpcloud.RadiusReply, 0, len(in))
	for _, r := range in {
		out = append(out, jumpcloud.RadiusReply{Name: r.Name, Value: r.Value})
	}
	return out
}

func membershipMethod(m iamv1alpha1.DynamicMethod) jumpcloud.MembershipMethod {
	if m == iamv1alpha1.DynamicReviewRequired {
		return jumpcloud.MembershipDynamicReviewRequired
	}
	return jumpcloud.MembershipDynamicAutomated
}

// memberQuery is the dynamic group's rule, in JumpCloud's v1 FilterQuery form.
func memberQuery(d *iamv1alpha1.DynamicMembership) *jumpcloud.MemberQuery {
	q := &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery}
	for _, f := range d.Filters {
		q.Filters = append(q.Filters, jumpcloud.MemberQueryFilter{Field: f.Field, Operator: f.Operator, Value: f.Value})
	}
	return q
}

// groupDiff returns the managed fields whose JumpCloud value differs from the spec, as the
// GroupFields an update sends, and their names.
func groupDiff(spec *iamv1alpha1.JumpCloudUserGroupSpec, g *jumpcloud.Group) (jumpcloud.GroupFields, []string) {
	want := groupCreateFields(spec)
	var f jumpcloud.GroupFields
	var names []string
	diff := func(name string, differs bool, set func()) {
		if differs {
			set()
			names = append(names, name)
		}
	}
	diff("name", *want.Name != g.Name, func() { f.Name = want.Name })
	diff("description", want.Description != nil && *want.Description != g.Description, func() { f.Description = want.Description })
	diff("email", want.Email != nil && *want.Email != g.Email, func() { f.Email = want.Email })
	diff("sudo", want.Sudo != nil && *want.Sudo != g.Attributes.Sudo, func() { f.Sudo = want.Sudo })
	diff("sambaEnabled", want.SambaEnabled != nil && *want.SambaEnabled != g.Attributes.SambaEnabled, func() { f.SambaEnabled = want.SambaEnabled })
	diff("posixGroups", want.PosixGroups != nil && !slices.Equal(*want.PosixGroups, g.Attributes.PosixGroups), func() { f.PosixGroups = want.PosixGroups })
	diff("radius", want.RadiusReply != nil && !slices.Equal(*want.RadiusReply, g.Attributes.RadiusReply), func() { f.RadiusReply = want.RadiusReply })
	switch {
	case spec.Dynamic != nil:
		diff("dynamic.method", g.MembershipMethod != *want.MembershipMethod, func() { f.MembershipMethod = want.MembershipMethod })
		diff("dynamic.filters", !sameQuery(want.MemberQuery, g.MemberQuery), func() { f.MemberQuery = want.MemberQuery })
	case spec.Members != nil && isDynamic(g.MembershipMethod):
		// A static member list on a group JumpCloud computes: it becomes static (its query cleared),
		// or JumpCloud would refuse every member change.
		diff("members (static)", true, func() {
			f.MembershipMethod, f.MemberQuery = want.MembershipMethod, &jumpcloud.MemberQuery{}
		})
	}
	return f, names
}

func isDynamic(m jumpcloud.MembershipMethod) bool {
	return m == jumpcloud.MembershipDynamicAutomated || m == jumpcloud.MembershipDynamicReviewRequired
}

// sameQuery compares member queries by their filters (the form JumpCloud echoes may differ).
func sameQuery(a, b *jumpcloud.MemberQuery) bool {
	if a == nil || b == nil {
		return (a == nil || len(a.Filters) == 0) && (b == nil || len(b.Filters) == 0)
	}
	return slices.Equal(a.Filters, b.Filters)
}

// memberPlan returns the members to add (wanted, not present) and to remove (present, not
// wanted): none to remove for an Additive policy, and none while any wanted member is unresolved
// (it may be one of those present).
func memberPlan(wanted, present []string, policy iamv1alpha1.MembershipPolicy, unresolved bool) (add, remove []string) {
	have := map[string]bool{}
	for _, id := range present {
		have[id] = true
	}
	want := map[string]bool{}
	for _, id := range wanted {
		if !want[id] && !have[id] {
			add = append(add, id)
		}
		want[id] = true
	}
	if policy == iamv1alpha1.MembershipAdditive || unresolved {
		return add, nil
	}
	for _, id := range present {
		if !want[id] {
			remove = append(remove, id)
		}
	}
	return add, remove
}

// groupDeletionPolicy is the policy applied when the resource is deleted: the spec's, else
// Delete for a group the operator created and Orphan for any other (an adopted group is deleted
// only when the spec says so).
func groupDeletionPolicy(spec *iamv1alpha1.JumpCloudUserGroupSpec, ownership iamv1alpha1.Ownership) iamv1alpha1.GroupDeletionPolicy {
	switch {
	case spec.DeletionPolicy != "":
		return spec.DeletionPolicy
	case ownership == iamv1alpha1.OwnershipCreated:
		return iamv1alpha1.GroupDeletionPolicyDelete
	default:
		return iamv1alpha1.GroupDeletionPolicyOrphan
	}
}
