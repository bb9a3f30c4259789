package jcsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Membership methods of a user group (GroupMembershipMethodType).
const (
	MembershipNotSet         = "NOTSET"
	MembershipStatic         = "STATIC"
	MembershipReviewRequired = "DYNAMIC_REVIEW_REQUIRED"
	MembershipAutomated      = "DYNAMIC_AUTOMATED"
)

// groupType is the type of every user group and graphUser the type of its members.
const (
	groupType = "user_group"
	graphUser = "user"
)

// GroupSudo is the sudo attribute of a user group.
type GroupSudo struct {
	Enabled         bool `json:"enabled"`
	WithoutPassword bool `json:"withoutPassword"`
}

// LDAPGroup is an LDAP group to provision.
type LDAPGroup struct {
	Name string `json:"name"`
}

// PosixGroup is a POSIX group to provision.
type PosixGroup struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// RadiusReply is a RADIUS reply attribute.
type RadiusReply struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// GroupRadius holds the RADIUS reply attributes.
type GroupRadius struct {
	Reply []RadiusReply `json:"reply"`
}

// GroupAttributes are a user group's graph attributes (GroupAttributes-UserGroup). Other keys a
// client sends are dropped.
type GroupAttributes struct {
	Sudo         *GroupSudo   `json:"sudo,omitempty"`
	LDAPGroups   []LDAPGroup  `json:"ldapGroups,omitempty"`
	PosixGroups  []PosixGroup `json:"posixGroups,omitempty"`
	Radius       *GroupRadius `json:"radius,omitempty"`
	SambaEnabled *bool        `json:"sambaEnabled,omitempty"`
}

// MemberFilter is one condition of a dynamic group's memberQuery: Operator in the v1 query DSL
// (the default), Operation in the v2 DSL (x-query-dsl: v2).
type MemberFilter struct {
	Field     string `json:"field"`
	Operator  string `json:"operator,omitempty"`
	Operation string `json:"operation,omitempty"`
	Value     any    `json:"value"`
}

// MemberQuery is a dynamic group's member query; its filters are ANDed. QueryType (FilterQuery,
// Filter or Search) is required in the v1 DSL and absent in the v2 DSL.
type MemberQuery struct {
	QueryType string         `json:"queryType,omitempty"`
	Filters   []MemberFilter `json:"filters"`
}

// MemberQueryExemption is an object a dynamic group's query does not apply to.
type MemberQueryExemption struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId,omitempty"`
	Type           string `json:"type"`
}

// SuggestionCounts are the pending membership changes of a DYNAMIC_REVIEW_REQUIRED group.
type SuggestionCounts struct {
	Add    int `json:"add"`
	Remove int `json:"remove"`
	Total  int `json:"total"`
}

// Group is a user group as the simulator stores and returns it (UserGroup, API v2).
type Group struct {
	ID                      string                 `json:"id"`
	Type                    string                 `json:"type"`
	Name                    string                 `json:"name"`
	Description             string                 `json:"description"`
	Email                   string                 `json:"email"`
	Attributes              *GroupAttributes       `json:"attributes"`
	MembershipMethod        string                 `json:"membershipMethod"`
	MemberQuery             *MemberQuery           `json:"memberQuery"`
	MemberQueryExemptions   []MemberQueryExemption `json:"memberQueryExemptions"`
	MemberQueryErrorFlags   []string               `json:"memberQueryErrorFlags"`
	MemberSuggestionsNotify bool                   `json:"memberSuggestionsNotify"`
	SuggestionCounts        SuggestionCounts       `json:"suggestionCounts"`
	OrganizationObjectID    string                 `json:"organizationObjectId"`
}

func init() {
	indexType(reflect.TypeFor[Group]())
}

// values implements row; "disabled", a documented filter field that the schema lacks, is false.
func (g *Group) values(field string) []any {
	if field == "disabled" {
		return []any{false}
	}
	return lookup(reflect.ValueOf(g).Elem(), strings.Split(field, "."))
}

// clone returns a deep copy.
func (g *Group) clone() Group {
	c := *g
	if g.Attributes != nil {
		a := *g.Attributes
		if a.Sudo != nil {
			s := *a.Sudo
			a.Sudo = &s
		}
		if a.Radius != nil {
			r := GroupRadius{Reply: slices.Clone(a.Radius.Reply)}
			a.Radius = &r
		}
		if a.SambaEnabled != nil {
			b := *a.SambaEnabled
			a.SambaEnabled = &b
		}
		a.LDAPGroups = slices.Clone(a.LDAPGroups)
		a.PosixGroups = slices.Clone(a.PosixGroups)
		c.Attributes = &a
	}
	if g.MemberQuery != nil {
		q := MemberQuery{QueryType: g.MemberQuery.QueryType, Filters: slices.Clone(g.MemberQuery.Filters)}
		c.MemberQuery = &q
	}
	c.MemberQueryExemptions = append([]MemberQueryExemption{}, g.MemberQueryExemptions...)
	c.MemberQueryErrorFlags = append([]string{}, g.MemberQueryErrorFlags...)
	return c
}

// normalize fills the fields every group has.
func (g *Group) normalize() {
	g.Type = groupType
	if g.MembershipMethod == "" {
		g.MembershipMethod = MembershipNotSet
	}
	if g.MemberQueryExemptions == nil {
		g.MemberQueryExemptions = []MemberQueryExemption{}
	}
	if g.MemberQueryErrorFlags == nil {
		g.MemberQueryErrorFlags = []string{}
	}
	if g.MemberQuery != nil && g.MemberQuery.Filters == nil {
		g.MemberQuery.Filters = []MemberFilter{}
	}
}

func isDynamic(method string) bool {
	return method == MembershipAutomated || method == MembershipReviewRequired
}

// groupRecord is a stored group: the group, its static members and its parsed member query.
type groupRecord struct {
	Group
	members map[string]bool // user ids; the members of a static group, the approved ones of a review group
	query   andExpr         // the memberQuery's filters; nil when it has none
}

// validateGroup checks the rules that do not depend on other groups; the message and the
// machine-readable status of the v2 Error body.
func validateGroup(g *Group) (msg, reason string) {
	if strings.TrimSpace(g.Name) == "" {
		return "name must not be empty", "invalidName"
	}
	if len(g.Name) > defaultMaxLen {
		return "name must be at most 1024 characters", "invalidName"
	}
	if g.Email != "" && checkEmail("email", g.Email) != "" {
		return "email is not a valid email address", "invalidEmail"
	}
	switch g.MembershipMethod {
	case "", MembershipNotSet, MembershipStatic, MembershipReviewRequired, MembershipAutomated:
	default:
		return "membershipMethod must be one of NOTSET, STATIC, DYNAMIC_REVIEW_REQUIRED, DYNAMIC_AUTOMATED", "invalidMembershipMethod"
	}
	if a := g.Attributes; a != nil {
		if a.Sudo != nil && a.Sudo.WithoutPassword && !a.Sudo.Enabled {
			return "attributes.sudo.withoutPassword requires attributes.sudo.enabled", "invalidAttributes"
		}
		for _, p := range a.PosixGroups {
			if p.Name == "" || p.ID < 0 {
				return "attributes.posixGroups: each entry needs a name and a non-negative id", "invalidAttributes"
			}
		}
		if a.Radius != nil {
			for _, r := range a.Radius.Reply {
				if r.Name == "" {
					return "attributes.radius.reply: each entry needs a name", "invalidAttributes"
				}
			}
		}
	}
	for _, e := range g.MemberQueryExemptions {
		if e.ID == "" || e.Type == "" {
			return "memberQueryExemptions: each entry needs an id and a type", "invalidMemberQueryExemptions"
		}
	}
	return "", ""
}

// memberOps maps memberQuery operators (both DSLs) to conditions.
var memberOps = map[string]string{
	"eq": "$eq", "ne": "$ne", "gt": "$gt", "ge": "$gte", "gte": "$gte", "lt": "$lt", "le": "$lte", "lte": "$lte",
	"in": "$in", "nin": "$nin", "search": "search",
}

// compileQuery checks a memberQuery against the DSL in use (v2: x-query-dsl: v2) and turns its
// filters into conditions on users.
func compileQuery(q *MemberQuery, dslV2 bool) (andExpr, error) {
	if q == nil {
		return nil, nil
	}
	switch {
	case dslV2 && q.QueryType != "":
		return nil, errors.New("memberQuery.queryType must be omitted with x-query-dsl: v2")
	case !dslV2 && q.QueryType == "":
		return nil, errors.New("memberQuery.queryType is required (FilterQuery, Filter or Search)")
	case !dslV2 && q.QueryType != "FilterQuery" && q.QueryType != "Filter" && q.QueryType != "Search":
		return nil, errors.New("memberQuery.queryType must be FilterQuery, Filter or Search")
	}
	var out andExpr
	for i, f := range q.Filters {
		op := f.Operator
		if dslV2 {
			op = f.Operation
		}
		if f.Field == "" {
			return nil, fmt.Errorf("memberQuery.filters[%d].field is required", i)
		}
		mapped, ok := memberOps[strings.ToLower(strings.TrimPrefix(op, "$"))]
		if !ok {
			name := "operator"
			if dslV2 {
				name = "operation"
			}
			return nil, fmt.Errorf("memberQuery.filters[%d].%s %q is not supported", i, name, op)
		}
		c := cond{field: f.Field, op: mapped, value: f.Value}
		if mapped == "$in" || mapped == "$nin" {
			switch v := f.Value.(type) {
			case []any:
			case string:
				c.value = asAnyList(splitTerms(v))
			default:
				return nil, fmt.Errorf("memberQuery.filters[%d].value must be a list or a |-separated string", i)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func asAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// matches reports whether the group's query selects u (never when it has no filters, and never
// for an exempted user).
func (g *groupRecord) matches(u *User) bool {
	if len(g.query) == 0 {
		return false
	}
	for _, e := range g.MemberQueryExemptions {
		if e.ID == u.ID && (e.Type == graphUser || e.Type == "") {
			return false
		}
	}
	return g.query.match(u)
}

// computed reports whether the group's members are the query's result.
func (g *groupRecord) computed(k Knobs) bool {
	return g.MembershipMethod == MembershipAutomated || (g.MembershipMethod == MembershipReviewRequired && k.AutoApproveSuggestions)
}

// memberRecords returns the group's members in _id order.
func (o *org) memberRecords(g *groupRecord, k Knobs) []*record {
	var out []*record
	if g.computed(k) {
		for _, u := range o.users {
			if g.matches(&u.User) {
				out = append(out, u)
			}
		}
		return out
	}
	ids := make([]string, 0, len(g.members))
	for id := range g.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if u := o.byID[id]; u != nil {
			out = append(out, u)
		}
	}
	return out
}

// isMember reports whether user id is a member of g.
func (o *org) isMember(g *groupRecord, id string, k Knobs) bool {
	if g.computed(k) {
		u := o.byID[id]
		return u != nil && g.matches(&u.User)
	}
	return g.members[id]
}

// suggestions counts the pending changes of a review group: users the query selects that are not
// members, and members it no longer selects.
func (o *org) suggestions(g *groupRecord, k Knobs) SuggestionCounts {
	if g.MembershipMethod != MembershipReviewRequired || k.AutoApproveSuggestions {
		return SuggestionCounts{}
	}
	var sc SuggestionCounts
	for _, u := range o.users {
		m, in := g.matches(&u.User), g.members[u.ID]
		switch {
		case m && !in:
			sc.Add++
		case in && !m:
			sc.Remove++
		}
	}
	sc.Total = sc.Add + sc.Remove
	return sc
}

// view returns the group as answered: a copy with its suggestion counts.
func (o *org) view(g *groupRecord, k Knobs) Group {
	c := g.clone()
	c.SuggestionCounts = o.suggestions(g, k)
	return c
}

// memberOfAll maps each user id to the ids of its groups, in group order.
func (o *org) memberOfAll(k Knobs) map[string][]string {
	out := map[string][]string{}
	for _, g := range o.groups {
		for _, u := range o.memberRecords(g, k) {
			out[u.ID] = append(out[u.ID], g.ID)
		}
	}
	return out
}

// dropMember removes a deleted user from every group.
func (o *org) dropMember(id string) {
	for _, g := range o.groups {
		delete(g.members, id)
	}
}

// setMethod changes a group's membership method; a group leaving DYNAMIC_AUTOMATED keeps the
// members its query selected, as static members.
func (o *org) setMethod(g *groupRecord, method string, k Knobs) {
	if g.computed(k) && method != g.MembershipMethod {
		members := map[string]bool{}
		for _, u := range o.memberRecords(g, k) {
			members[u.ID] = true
		}
		g.members = members
	}
	g.MembershipMethod = method
}

func groupNameKey(name string, caseInsensitive bool) string {
	if caseInsensitive {
		return strings.ToLower(name)
	}
	return name
}

// groupClash reports whether another group of o has name.
func (o *org) groupClash(name, id string, caseInsensitive bool) bool {
	g, ok := o.groupByName[groupNameKey(name, caseInsensitive)]
	return ok && g.ID != id
}

func (o *org) insertGroup(g *groupRecord, caseInsensitive bool) {
	i := sort.Search(len(o.groups), func(i int) bool { return o.groups[i].ID >= g.ID })
	o.groups = slices.Insert(o.groups, i, g)
	o.groupByID[g.ID] = g
	o.groupByName[groupNameKey(g.Name, caseInsensitive)] = g
}

func (o *org) removeGroup(g *groupRecord, caseInsensitive bool) {
	i := sort.Search(len(o.groups), func(i int) bool { return o.groups[i].ID >= g.ID })
	if i < len(o.groups) && o.groups[i] == g {
		o.groups = slices.Delete(o.groups, i, i+1)
	}
	delete(o.groupByID, g.ID)
	if o.groupByName[groupNameKey(g.Name, caseInsensitive)] == g {
		delete(o.groupByName, groupNameKey(g.Name, caseInsensitive))
	}
}

// renameGroup re-indexes g under a new name.
func (o *org) renameGroup(g *groupRecord, name string, caseInsensitive bool) {
	if o.groupByName[groupNameKey(g.Name, caseInsensitive)] == g {
		delete(o.groupByName, groupNameKey(g.Name, caseInsensitive))
	}
	g.Name = name
	o.groupByName[groupNameKey(name, caseInsensitive)] = g
}

// reindexGroups rebuilds the name index (after the case-sensitivity knob changed).
func (o *org) reindexGroups(caseInsensitive bool) {
	o.groupByName = map[string]*groupRecord{}
	for _, g := range o.groups {
		o.groupByName[groupNameKey(g.Name, caseInsensitive)] = g
	}
}

// renderGroup encodes a group, keeping only fields (top-level keys; "id" always) when given.
func renderGroup(g Group, fields []string) json.RawMessage {
	b, _ := json.Marshal(g)
	if len(fields) == 0 {
		return b
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	keep := map[string]bool{"id": true}
	for _, f := range fields {
		top, _, _ := strings.Cut(f, ".")
		keep[top] = true
	}
	for k := range m {
		if !keep[k] {
			delete(m, k)
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// graphObject is a node of the graph in membership answers (GraphObject).
type graphObject struct {
	Attributes any    `json:"attributes"`
	ID         string `json:"id"`
	Type       string `json:"type"`
}

// graphConnection is an edge (GraphConnection); From is left out, as the context gives it.
type graphConnection struct {
	Attributes any         `json:"attributes"`
	To         graphObject `json:"to"`
}

// graphObjectWithPaths is a node reached through the graph (GraphObjectWithPaths).
type graphObjectWithPaths struct {
	CompiledAttributes any                 `json:"compiledAttributes"`
	ID                 string              `json:"id"`
	Type               string              `json:"type"`
	Paths              [][]graphConnection `json:"paths"`
}

// values implements row for the filters of membership and memberof (object_id and type).
func (g *graphObjectWithPaths) values(field string) []any {
	switch field {
	case "id", "object_id":
		return []any{g.ID}
	case "type":
		return []any{g.Type}
	}
	return nil
}
