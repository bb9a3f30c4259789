package jumpcloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// This file holds the JSON wire forms of user groups (API v2). Decoding is lenient like the user
// codec: a field of an unexpected type reads as its zero value instead of failing the group.

type wireGroup struct {
	ID                      lenientString   `json:"id"`
	Name                    lenientString   `json:"name"`
	Description             lenientString   `json:"description"`
	Email                   lenientString   `json:"email"`
	Attributes              json.RawMessage `json:"attributes"`
	MembershipMethod        lenientString   `json:"membershipMethod"`
	MemberQuery             json.RawMessage `json:"memberQuery"`
	MemberSuggestionsNotify lenientBool     `json:"memberSuggestionsNotify"`
}

type wireGroupAttributes struct {
	Sudo         json.RawMessage `json:"sudo"`
	SambaEnabled lenientBool     `json:"sambaEnabled"`
	PosixGroups  json.RawMessage `json:"posixGroups"`
	Radius       json.RawMessage `json:"radius"`
	LDAPGroups   json.RawMessage `json:"ldapGroups"`
}

type wireSudo struct {
	Enabled         lenientBool `json:"enabled"`
	WithoutPassword lenientBool `json:"withoutPassword"`
}

type wirePosixGroup struct {
	ID   lenientInt    `json:"id"`
	Name lenientString `json:"name"`
}

type wireRadius struct {
	Reply json.RawMessage `json:"reply"`
}

type wireNameValue struct {
	Name  lenientString `json:"name"`
	Value lenientString `json:"value"`
}

type wireMemberQuery struct {
	QueryType lenientString   `json:"queryType"`
	Filters   json.RawMessage `json:"filters"`
}

type wireMemberQueryFilter struct {
	Field     lenientString   `json:"field"`
	Operator  lenientString   `json:"operator"`
	Operation lenientString   `json:"operation"`
	Value     json.RawMessage `json:"value"`
}

// decodeObjectInto decodes b into v when b is a JSON object; it reports whether it did. The wire
// structs hold only lenient and raw fields, so an object never fails to decode.
func decodeObjectInto(b json.RawMessage, v any) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Unmarshal(b, v) == nil
}

// objectsOf returns the object entries of a JSON array, nothing for anything else.
func objectsOf(b json.RawMessage) []json.RawMessage {
	entries, _, err := decodeArray(b)
	if err != nil {
		return nil
	}
	return entries
}

// decodeGroup decodes one UserGroup. It fails only when b is not a JSON object.
func decodeGroup(b []byte) (Group, error) {
	var w wireGroup
	if !decodeObjectInto(b, &w) {
		return Group{}, errors.New("group is not a JSON object")
	}
	g := Group{
		ID:                      string(w.ID),
		Name:                    string(w.Name),
		Description:             string(w.Description),
		Email:                   string(w.Email),
		MembershipMethod:        MembershipMethod(w.MembershipMethod),
		MemberSuggestionsNotify: bool(w.MemberSuggestionsNotify),
		MemberQuery:             decodeMemberQuery(w.MemberQuery),
	}
	var a wireGroupAttributes
	if decodeObjectInto(w.Attributes, &a) {
		var s wireSudo
		if decodeObjectInto(a.Sudo, &s) {
			g.Attributes.Sudo = SudoAttributes{Enabled: bool(s.Enabled), WithoutPassword: bool(s.WithoutPassword)}
		}
		g.Attributes.SambaEnabled = bool(a.SambaEnabled)
		for _, raw := range objectsOf(a.PosixGroups) {
			var p wirePosixGroup
			if decodeObjectInto(raw, &p) {
				g.Attributes.PosixGroups = append(g.Attributes.PosixGroups, PosixGroup{ID: int(p.ID), Name: string(p.Name)})
			}
		}
		var r wireRadius
		if decodeObjectInto(a.Radius, &r) {
			for _, raw := range objectsOf(r.Reply) {
				var nv wireNameValue
				if decodeObjectInto(raw, &nv) {
					g.Attributes.RadiusReply = append(g.Attributes.RadiusReply, RadiusReply{Name: string(nv.Name), Value: string(nv.Value)})
				}
			}
		}
		for _, raw := range objectsOf(a.LDAPGroups) {
			var nv wireNameValue
			if decodeObjectInto(raw, &nv) {
				g.Attributes.LDAPGroups = append(g.Attributes.LDAPGroups, LDAPGroup{Name: string(nv.Name)})
			}
		}
	}
	return g, nil
}

// decodeMemberQuery reads a memberQuery; nil when absent, null or empty.
func decodeMemberQuery(b json.RawMessage) *MemberQuery {
	var w wireMemberQuery
	if !decodeObjectInto(b, &w) {
		return nil
	}
	q := &MemberQuery{QueryType: string(w.QueryType)}
	for _, raw := range objectsOf(w.Filters) {
		var f wireMemberQueryFilter
		if !decodeObjectInto(raw, &f) {
			continue
		}
		op := string(f.Operator)
		if op == "" {
			op = string(f.Operation)
		}
		q.Filters = append(q.Filters, MemberQueryFilter{Field: string(f.Field), Operator: op, Value: filterValueOf(f.Value)})
	}
	if q.QueryType == "" && len(q.Filters) == 0 {
		return nil
	}
	return q
}

// filterValueOf returns a JSON string's text, "" for null, and the compact JSON text of anything
// else.
func filterValueOf(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return ""
	}
	return buf.String()
}

// decodeGroupList decodes a v2 list answer (a bare array of UserGroup), and returns the number of
// entries the page had. Entries that are not objects are skipped.
func decodeGroupList(b []byte) ([]Group, int, error) {
	entries, n, err := decodeArray(b)
	if err != nil {
		return nil, 0, err
	}
	groups := make([]Group, 0, len(entries))
	for _, raw := range entries {
		g, err := decodeGroup(raw)
		if err != nil {
			continue
		}
		groups = append(groups, g)
	}
	return groups, n, nil
}

// groupPutKeys are the properties of UserGroupPut, the only ones a full update sends back.
var groupPutKeys = []string{
	"attributes", "email", "description", "memberQuery", "memberQueryExemptions",
	"memberSuggestionsNotify", "membershipMethod", "name",
}

// validate checks the fields before anything is sent.
func (f GroupFields) validate(op string) error {
	if f.Name != nil && strings.TrimSpace(*f.Name) == "" {
		return invalidArgument(op, "group name must not be empty")
	}
	if f.Sudo != nil && f.Sudo.WithoutPassword && !f.Sudo.Enabled {
		return invalidArgument(op, "sudo without password requires sudo to be enabled")
	}
	if f.MembershipMethod != nil {
		switch *f.MembershipMethod {
		case MembershipNotSet, MembershipStatic, MembershipDynamicReviewRequired, MembershipDynamicAutomated:
		default:
			return invalidArgument(op, "membership method must be NOTSET, STATIC, DYNAMIC_REVIEW_REQUIRED or DYNAMIC_AUTOMATED")
		}
	}
	if f.MemberQuery != nil {
		for _, flt := range f.MemberQuery.Filters {
			if flt.Field == "" || flt.Operator == "" {
				return invalidArgument(op, "every member query filter needs a field and an operator")
			}
		}
	}
	return nil
}

// overlay writes the set fields into body, a group's top-level JSON properties. Attributes are
// merged key by key into whatever body["attributes"] already holds, so attributes the client does
// not model (and those not set) are kept.
func (f GroupFields) overlay(body map[string]json.RawMessage) error {
	set := func(key string, v any) error {
		b, err := json.Marshal(v)
		if err == nil {
			body[key] = b
		}
		return err
	}
	var errs []error
	if f.Name != nil {
		errs = append(errs, set("name", *f.Name))
	}
	if f.Description != nil {
		errs = append(errs, set("description", *f.Description))
	}
	if f.Email != nil {
		errs = append(errs, set("email", *f.Email))
	}
	if f.MembershipMethod != nil {
		errs = append(errs, set("membershipMethod", *f.MembershipMethod))
	}
	if f.MemberSuggestionsNotify != nil {
		errs = append(errs, set("memberSuggestionsNotify", *f.MemberSuggestionsNotify))
	}
	if f.MemberQuery != nil {
		errs = append(errs, set("memberQuery", memberQueryWire(*f.MemberQuery)))
	}
	if f.Sudo == nil && f.SambaEnabled == nil && f.PosixGroups == nil && f.RadiusReply == nil && f.LDAPGroups == nil {
		return errors.Join(errs...)
	}
	attrs := map[string]json.RawMessage{}
	decodeObjectInto(body["attributes"], &attrs)
	setAttr := func(key string, v any) {
		b, err := json.Marshal(v)
		errs = append(errs, err)
		attrs[key] = b
	}
	if f.Sudo != nil {
		setAttr("sudo", map[string]bool{"enabled": f.Sudo.Enabled, "withoutPassword": f.Sudo.WithoutPassword})
	}
	if f.SambaEnabled != nil {
		setAttr("sambaEnabled", *f.SambaEnabled)
	}
	if f.PosixGroups != nil {
		setAttr("posixGroups", *nonNilSlice(f.PosixGroups))
	}
	if f.LDAPGroups != nil {
		setAttr("ldapGroups", *nonNilSlice(f.LDAPGroups))
	}
	if f.RadiusReply != nil {
		radius := map[string]json.RawMessage{}
		decodeObjectInto(attrs["radius"], &radius)
		reply, err := json.Marshal(*nonNilSlice(f.RadiusReply))
		errs = append(errs, err)
		radius["reply"] = reply
		setAttr("radius", radius)
	}
	errs = append(errs, set("attributes", attrs))
	return errors.Join(errs...)
}

// memberQueryWire is the JSON form of q: nil (sent as null) for a zero query, the v1 form when
// QueryType is set, the v2 form (no queryType, "operation") otherwise.
func memberQueryWire(q MemberQuery) any {
	if q.QueryType == "" && len(q.Filters) == 0 {
		return nil
	}
	opKey := "operation"
	if q.QueryType != "" {
		opKey = "operator"
	}
	filters := make([]map[string]string, 0, len(q.Filters))
	for _, f := range q.Filters {
		filters = append(filters, map[string]string{"field": f.Field, opKey: f.Operator, "value": f.Value})
	}
	w := map[string]any{"filters": filters}
	if q.QueryType != "" {
		w["queryType"] = q.QueryType
	}
	return w
}

// usesQueryDSLv2 reports whether a group body's memberQuery is in the v2 form (filters, no
// queryType), which JumpCloud only reads as such with the header x-query-dsl: v2.
func usesQueryDSLv2(body map[string]json.RawMessage) bool {
	var w wireMemberQuery
	if !decodeObjectInto(body["memberQuery"], &w) {
		return false
	}
	return w.QueryType == "" && len(objectsOf(w.Filters)) > 0
}
