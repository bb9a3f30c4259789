package plugin

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// groupView is a user group in JumpCloud's API v2 field names, for -o json and -o yaml.
type groupView struct {
	ID                      string              `json:"id"`
	Name                    string              `json:"name"`
	Description             string              `json:"description,omitempty"`
	Email                   string              `json:"email,omitempty"`
	MembershipMethod        string              `json:"membershipMethod,omitempty"`
	MemberQuery             *memberQueryView    `json:"memberQuery,omitempty"`
	MemberSuggestionsNotify bool                `json:"memberSuggestionsNotify"`
	Attributes              groupAttributesView `json:"attributes"`
	// MemberCount is the number of members: shown by get, and by list with --count-members.
	MemberCount *int `json:"memberCount,omitempty"`
}

type memberQueryView struct {
	QueryType string             `json:"queryType,omitempty"`
	Filters   []memberFilterView `json:"filters"`
}

type memberFilterView struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    string `json:"value"`
}

type groupAttributesView struct {
	Sudo         sudoView               `json:"sudo"`
	SambaEnabled bool                   `json:"sambaEnabled"`
	PosixGroups  []jumpcloud.PosixGroup `json:"posixGroups,omitempty"`
	Radius       *radiusView            `json:"radius,omitempty"`
	LDAPGroups   []jumpcloud.LDAPGroup  `json:"ldapGroups,omitempty"`
}

type sudoView struct {
	Enabled         bool `json:"enabled"`
	WithoutPassword bool `json:"withoutPassword"`
}

type radiusView struct {
	Reply []jumpcloud.RadiusReply `json:"reply"`
}

// groupDetail is get's -o json/yaml: the group and every member.
type groupDetail struct {
	groupView
	Members []member `json:"members"`
}

func groupViewOf(g *jumpcloud.Group) groupView {
	a := g.Attributes
	v := groupView{
		ID: g.ID, Name: g.Name, Description: g.Description, Email: g.Email,
		MembershipMethod:        string(g.MembershipMethod),
		MemberSuggestionsNotify: g.MemberSuggestionsNotify,
		Attributes: groupAttributesView{
			Sudo:         sudoView{Enabled: a.Sudo.Enabled, WithoutPassword: a.Sudo.WithoutPassword},
			SambaEnabled: a.SambaEnabled,
			PosixGroups:  a.PosixGroups,
			LDAPGroups:   a.LDAPGroups,
		},
	}
	if len(a.RadiusReply) > 0 {
		v.Attributes.Radius = &radiusView{Reply: a.RadiusReply}
	}
	if q := g.MemberQuery; q != nil {
		v.MemberQuery = &memberQueryView{QueryType: q.QueryType, Filters: []memberFilterView{}}
		for _, f := range q.Filters {
			v.MemberQuery.Filters = append(v.MemberQuery.Filters, memberFilterView{Field: f.Field, Operator: f.Operator, Value: f.Value})
		}
	}
	return v
}

// printGroupTable writes groups as a table; counts (by group id) add a MEMBERS column.
func printGroupTable(w io.Writer, groups []jumpcloud.Group, counts map[string]int) error {
	if len(groups) == 0 {
		_, err := fmt.Fprintln(w, "No groups found.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	headings := []string{"ID", "NAME", "MEMBERSHIP"}
	if counts != nil {
		headings = append(headings, "MEMBERS")
	}
	fmt.Fprintln(tw, strings.Join(append(headings, "DESCRIPTION"), "\t"))
	for i := range groups {
		g := &groups[i]
		row := []string{g.ID, g.Name, orNone(string(g.MembershipMethod))}
		if counts != nil {
			row = append(row, strconv.Itoa(counts[g.ID]))
		}
		fmt.Fprintln(tw, strings.Join(append(row, orNone(g.Description)), "\t"))
	}
	return tw.Flush()
}

// printGroupDetail writes one group as kubectl describe does: its fields, then its members.
func printGroupDetail(w io.Writer, g *jumpcloud.Group, members []member) error {
	a := g.Attributes
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	field := func(name, value string) { fmt.Fprintf(tw, "%s:\t%s\n", name, value) }
	field("ID", g.ID)
	field("Name", g.Name)
	field("Description", orNone(g.Description))
	field("Email", orNone(g.Email))
	field("Membership", orNone(string(g.MembershipMethod)))
	if g.MemberQuery != nil && len(g.MemberQuery.Filters) > 0 {
		var conds []string
		for _, f := range g.MemberQuery.Filters {
			conds = append(conds, f.Field+" "+f.Operator+" "+strconv.Quote(f.Value))
		}
		field("Member query", strings.Join(conds, " AND "))
	}
	sudo := "disabled"
	switch {
	case a.Sudo.Enabled && a.Sudo.WithoutPassword:
		sudo = "enabled, without password"
	case a.Sudo.Enabled:
		sudo = "enabled"
	}
	field("Sudo", sudo)
	field("Samba enabled", strconv.FormatBool(a.SambaEnabled))
	var posix []string
	for _, p := range a.PosixGroups {
		posix = append(posix, fmt.Sprintf("%s (%d)", p.Name, p.ID))
	}
	field("POSIX groups", orNone(strings.Join(posix, ", ")))
	var radius []string
	for _, r := range a.RadiusReply {
		radius = append(radius, r.Name+"="+r.Value)
	}
	field("RADIUS reply", orNone(strings.Join(radius, ", ")))
	field("Members", strconv.Itoa(len(members)))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "  ID\tUSERNAME")
	for _, m := range members {
		fmt.Fprintf(tw, "  %s\t%s\n", m.ID, orNone(m.Username))
	}
	return tw.Flush()
}
