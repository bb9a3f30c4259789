package jumpcloud

// MembershipMethod says how a user group's members are decided (API v2 GroupMembershipMethodType).
type MembershipMethod string

// The membership methods JumpCloud documents.
const (
	MembershipNotSet MembershipMethod = "NOTSET"
	// MembershipStatic: members are added and removed explicitly.
	MembershipStatic MembershipMethod = "STATIC"
	// MembershipDynamicReviewRequired: JumpCloud suggests members from MemberQuery; an admin
	// approves them.
	MembershipDynamicReviewRequired MembershipMethod = "DYNAMIC_REVIEW_REQUIRED"
	// MembershipDynamicAutomated: JumpCloud computes the members from MemberQuery.
	MembershipDynamicAutomated MembershipMethod = "DYNAMIC_AUTOMATED"
)

// The v1 member query types (MemberQuery.QueryType).
const (
	QueryTypeFilter      = "Filter"
	QueryTypeFilterQuery = "FilterQuery"
	QueryTypeSearch      = "Search"
)

// MemberQuery is a dynamic group's rule for its members.
//
// JumpCloud knows two forms. v1 (its default): QueryType is one of the QueryType* constants and
// each filter is {field, operator, value}. v2: QueryType is empty and each filter is {field,
// operation, value}; such a query is sent with the header x-query-dsl: v2. The client picks the
// form from QueryType: empty means v2.
type MemberQuery struct {
	QueryType string
	Filters   []MemberQueryFilter
}

// MemberQueryFilter is one condition of a MemberQuery, e.g. {department, eq, Sales}. Operator is
// sent as "operator" (v1) or "operation" (v2). A value JumpCloud returns as something other than a
// string (a number, a list) is kept as its JSON text.
type MemberQueryFilter struct {
	Field    string
	Operator string
	Value    string
}

// SudoAttributes grant administrator rights on the systems the group is bound to.
type SudoAttributes struct {
	Enabled bool
	// WithoutPassword requires Enabled.
	WithoutPassword bool
}

// PosixGroup is a POSIX group provisioned for the group's members on supported resources.
type PosixGroup struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// RadiusReply is one RADIUS reply attribute, returned in Access-Accept messages.
type RadiusReply struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LDAPGroup is an LDAP group provisioned when the group is bound to an LDAP instance.
type LDAPGroup struct {
	Name string `json:"name"`
}

// GroupAttributes are a user group's graph attributes (GroupAttributes-UserGroup).
type GroupAttributes struct {
	Sudo         SudoAttributes
	SambaEnabled bool
	PosixGroups  []PosixGroup
	RadiusReply  []RadiusReply
	LDAPGroups   []LDAPGroup
}

// Group is a user group as JumpCloud returns it (API v2 UserGroup). When a read selected fields,
// the fields that were not selected hold zero values.
type Group struct {
	ID          string
	Name        string
	Description string
	Email       string
	Attributes  GroupAttributes
	// MembershipMethod is "" when JumpCloud did not report one.
	MembershipMethod MembershipMethod
	// MemberQuery is nil when the group has none (or an empty one).
	MemberQuery             *MemberQuery
	MemberSuggestionsNotify bool
}

// GroupFields is what CreateGroup and UpdateGroup send. Every field is a pointer: nil means "do
// not send" (on update JumpCloud's value is kept; see UpdateGroup), a pointer to false/""/0 sends
// that value, a pointer to an empty (or nil) slice sends [], which clears the list.
//
// Sudo, SambaEnabled, PosixGroups, RadiusReply and LDAPGroups go into the group's "attributes";
// setting one leaves the others as they are. A pointer to a zero MemberQuery (no type, no
// filters) is sent as null, which clears the query.
type GroupFields struct {
	// Name is required on create, and must not be empty when set.
	Name                    *string
	Description             *string
	Email                   *string
	Sudo                    *SudoAttributes
	SambaEnabled            *bool
	PosixGroups             *[]PosixGroup
	RadiusReply             *[]RadiusReply
	LDAPGroups              *[]LDAPGroup
	MembershipMethod        *MembershipMethod
	MemberQuery             *MemberQuery
	MemberSuggestionsNotify *bool
}
