package plugin

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// This file turns a JumpCloud user group into a JumpCloudUserGroup manifest. What the CRD would
// reject is left out with a warning rather than written: a list the operator replaces as a whole
// (posixGroups, radius, members) is left out entirely, never shortened.

// Limits of the JumpCloudUserGroup CRD (api/v1alpha1/jumpcloudusergroup_types.go).
const (
	maxGroupName      = 255
	maxGroupText      = 1024 // description, email, filter and RADIUS values, usernames
	maxGroupListItems = 100  // posixGroups, radius reply
	maxGroupMembers   = 5000
	maxDynamicFilters = 50
)

// groupEmail is the CRD's rule for a group email.
var groupEmail = regexp.MustCompile(`^[^@[:space:]]+@[^@[:space:]]+$`)

// dynamicOperators are the filter operators the CRD takes.
var dynamicOperators = []string{"eq", "ne", "in", "sw"}

// groupNameProblem says why the CRD cannot hold a group name, or "".
func groupNameProblem(name string) string {
	switch {
	case name == "":
		return "the name is empty"
	case utf8.RuneCountInString(name) > maxGroupName:
		return fmt.Sprintf("the name is longer than %d characters", maxGroupName)
	case strings.TrimSpace(name) != name:
		return "the name starts or ends with whitespace"
	}
	return ""
}

// importedGroup turns a JumpCloud group into an ObserveOnly JumpCloudUserGroup named name. members
// are the static group's current members (ignored for a dynamic group); refs maps the JumpCloud id
// of every JumpCloudUser in namespace to its name. The warnings name what could not be carried
// over.
func importedGroup(g *jumpcloud.Group, members []member, refs map[string]string, name, namespace string, ref *iamv1alpha1.ConnectionReference) (manifest[iamv1alpha1.JumpCloudUserGroupSpec], []string) {
	var warnings []string
	spec := iamv1alpha1.JumpCloudUserGroupSpec{
		ConnectionRef:    ref,
		Name:             g.Name,
		DeletionPolicy:   iamv1alpha1.GroupDeletionPolicyOrphan,
		AdoptionPolicy:   iamv1alpha1.AdoptionPolicyIfExists,
		ManagementPolicy: iamv1alpha1.ManagementPolicyObserveOnly,
	}
	switch {
	case g.Description == "":
	case utf8.RuneCountInString(g.Description) > maxGroupText:
		warnings = append(warnings, fmt.Sprintf("the description is longer than %d characters; left out", maxGroupText))
	default:
		spec.Description = &g.Description
	}
	switch {
	case g.Email == "":
	case utf8.RuneCountInString(g.Email) > maxGroupText || !groupEmail.MatchString(g.Email):
		warnings = append(warnings, fmt.Sprintf("email %q is not a single address; left out", g.Email))
	default:
		spec.Email = &g.Email
	}
	var w []string
	spec.Attributes, w = importedAttributes(g.Attributes)
	warnings = append(warnings, w...)
	if isDynamic(g) {
		spec.Dynamic, w = importedDynamic(g)
	} else {
		spec.Members, w = importedMembers(members, refs)
	}
	warnings = append(warnings, w...)
	return manifest[iamv1alpha1.JumpCloudUserGroupSpec]{
		APIVersion: iamv1alpha1.GroupVersion.String(),
		Kind:       "JumpCloudUserGroup",
		Metadata:   manifestMetadata{Name: name, Namespace: namespace},
		Spec:       spec,
	}, warnings
}

// importedAttributes holds the attributes JumpCloud has a value for: sudo when enabled,
// sambaEnabled when true, posixGroups and radius when not empty; nil when there are none. LDAP
// groups are not part of a JumpCloudUserGroup and stay unmanaged.
func importedAttributes(a jumpcloud.GroupAttributes) (*iamv1alpha1.GroupAttributes, []string) {
	var warnings []string
	out := &iamv1alpha1.GroupAttributes{}
	switch {
	case a.Sudo.Enabled:
		out.Sudo = &iamv1alpha1.GroupSudo{Enabled: true, WithoutPassword: a.Sudo.WithoutPassword}
	case a.Sudo.WithoutPassword:
		warnings = append(warnings, "sudo.withoutPassword is set without sudo.enabled, which grants nothing; sudo left out")
	}
	if a.SambaEnabled {
		out.SambaEnabled = &a.SambaEnabled
	}
	if problem := posixGroupsProblem(a.PosixGroups); problem != "" {
		warnings = append(warnings, "posixGroups: "+problem+"; left out")
	} else {
		for _, p := range a.PosixGroups {
			out.PosixGroups = append(out.PosixGroups, iamv1alpha1.PosixGroup{ID: int32(p.ID), Name: p.Name})
		}
	}
	if problem := radiusProblem(a.RadiusReply); problem != "" {
		warnings = append(warnings, "radius: "+problem+"; left out")
	} else if len(a.RadiusReply) > 0 {
		out.Radius = &iamv1alpha1.GroupRadius{}
		for _, r := range a.RadiusReply {
			out.Radius.Reply = append(out.Radius.Reply, iamv1alpha1.RadiusReply{Name: r.Name, Value: r.Value})
		}
	}
	if out.Sudo == nil && out.SambaEnabled == nil && out.PosixGroups == nil && out.Radius == nil {
		return nil, warnings
	}
	return out, warnings
}

func posixGroupsProblem(groups []jumpcloud.PosixGroup) string {
	if len(groups) > maxGroupListItems {
		return fmt.Sprintf("%d entries, more than the %d a JumpCloudUserGroup holds", len(groups), maxGroupListItems)
	}
	seen := map[int]bool{}
	for _, p := range groups {
		switch {
		case p.ID < 0 || p.ID > math.MaxInt32:
			return fmt.Sprintf("id %d is not a gid", p.ID)
		case p.Name == "" || utf8.RuneCountInString(p.Name) > maxGroupName:
			return fmt.Sprintf("the name of gid %d is empty or longer than %d characters", p.ID, maxGroupName)
		case seen[p.ID]:
			return fmt.Sprintf("gid %d appears twice", p.ID)
		}
		seen[p.ID] = true
	}
	return ""
}

func radiusProblem(reply []jumpcloud.RadiusReply) string {
	if len(reply) > maxGroupListItems {
		return fmt.Sprintf("%d reply attributes, more than the %d a JumpCloudUserGroup holds", len(reply), maxGroupListItems)
	}
	for _, r := range reply {
		if r.Name == "" || utf8.RuneCountInString(r.Name) > maxGroupName || utf8.RuneCountInString(r.Value) > maxGroupText {
			return fmt.Sprintf("reply attribute %q has no name, or a name or value too long", r.Name)
		}
	}
	return ""
}

// importedDynamic is a dynamic group's method and filters. Operators are written in lower case
// without "$" (the CRD takes eq, ne, in and sw). A query the CRD cannot hold is left out with a
// warning: the members are then not managed at all.
func importedDynamic(g *jumpcloud.Group) (*iamv1alpha1.DynamicMembership, []string) {
	d := &iamv1alpha1.DynamicMembership{Method: iamv1alpha1.DynamicAutomated}
	if g.MembershipMethod == jumpcloud.MembershipDynamicReviewRequired {
		d.Method = iamv1alpha1.DynamicReviewRequired
	}
	leftOut := func(why string) (*iamv1alpha1.DynamicMembership, []string) {
		return nil, []string{"dynamic membership left out (members not managed): " + why}
	}
	if g.MemberQuery == nil || len(g.MemberQuery.Filters) == 0 {
		return leftOut("the group has no member query filters")
	}
	if n := len(g.MemberQuery.Filters); n > maxDynamicFilters {
		return leftOut(fmt.Sprintf("%d filters, more than the %d a JumpCloudUserGroup holds", n, maxDynamicFilters))
	}
	var warnings []string
	for _, f := range g.MemberQuery.Filters {
		op := strings.ToLower(strings.TrimPrefix(f.Operator, "$"))
		switch {
		case !slices.Contains(dynamicOperators, op):
			return leftOut(fmt.Sprintf("operator %q of the filter on %q is not one of eq, ne, in, sw", f.Operator, f.Field))
		case f.Field == "" || utf8.RuneCountInString(f.Field) > maxGroupName || utf8.RuneCountInString(f.Value) > maxGroupText:
			return leftOut(fmt.Sprintf("the filter on %q has no field, or a field or value too long", f.Field))
		case op != f.Operator:
			warnings = append(warnings, fmt.Sprintf("filter operator %q written as %q", f.Operator, op))
		}
		d.Filters = append(d.Filters, iamv1alpha1.DynamicFilter{Field: f.Field, Operator: op, Value: f.Value})
	}
	return d, warnings
}

// importedMembers is a static group's member list, Authoritative: userRef where refs names the
// user, else username, else id; sorted by kind (userRef, username, id), then name.
func importedMembers(members []member, refs map[string]string) (*iamv1alpha1.GroupMembers, []string) {
	if len(members) > maxGroupMembers {
		return nil, []string{fmt.Sprintf("%d members, more than the %d a JumpCloudUserGroup lists; members left out (not managed)", len(members), maxGroupMembers)}
	}
	var warnings []string
	out := &iamv1alpha1.GroupMembers{Policy: iamv1alpha1.MembershipAuthoritative}
	for _, m := range members {
		switch {
		case refs[m.ID] != "":
			out.Users = append(out.Users, iamv1alpha1.GroupMember{UserRef: &iamv1alpha1.LocalObjectReference{Name: refs[m.ID]}})
		case m.Username != "" && utf8.RuneCountInString(m.Username) <= maxGroupText:
			out.Users = append(out.Users, iamv1alpha1.GroupMember{Username: m.Username})
		case objectID.MatchString(m.ID):
			out.Users = append(out.Users, iamv1alpha1.GroupMember{ID: m.ID})
		default:
			warnings = append(warnings, fmt.Sprintf("member %q is not a JumpCloud user id; left out", m.ID))
		}
	}
	slices.SortFunc(out.Users, func(a, b iamv1alpha1.GroupMember) int {
		ka, va := memberKey(a)
		kb, vb := memberKey(b)
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(va, vb))
	})
	return out, warnings
}

// memberKey orders members: userRefs, then usernames, then ids.
func memberKey(m iamv1alpha1.GroupMember) (int, string) {
	switch {
	case m.UserRef != nil:
		return 0, m.UserRef.Name
	case m.Username != "":
		return 1, m.Username
	}
	return 2, m.ID
}
