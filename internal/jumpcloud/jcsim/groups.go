package jcsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// groupInput is a UserGroupPost / UserGroupPut body. Read-only fields (id, type,
// suggestionCounts, memberQueryErrorFlags, organizationObjectId) and unknown keys are ignored.
type groupInput struct {
	Name                    *string                `json:"name"`
	Description             string                 `json:"description"`
	Email                   string                 `json:"email"`
	Attributes              *GroupAttributes       `json:"attributes"`
	MembershipMethod        string                 `json:"membershipMethod"`
	MemberQuery             *MemberQuery           `json:"memberQuery"`
	MemberQueryExemptions   []MemberQueryExemption `json:"memberQueryExemptions"`
	MemberSuggestionsNotify bool                   `json:"memberSuggestionsNotify"`
}

// decodeGroup reads and checks a group body; it writes the error answer and returns ok false
// when the body is refused.
func decodeGroup(c *call, resp *response) (Group, andExpr, bool) {
	var in groupInput
	if len(bytes.TrimSpace(c.body)) == 0 || json.Unmarshal(c.body, &in) != nil {
		resp.badRequest("the body must be a JSON object with the group's fields", "invalidBody")
		return Group{}, nil, false
	}
	if in.Name == nil {
		resp.badRequest("name is required", "nullName")
		return Group{}, nil, false
	}
	g := Group{
		Name: *in.Name, Description: in.Description, Email: in.Email, Attributes: in.Attributes,
		MembershipMethod: in.MembershipMethod, MemberQuery: in.MemberQuery,
		MemberQueryExemptions: in.MemberQueryExemptions, MemberSuggestionsNotify: in.MemberSuggestionsNotify,
	}
	if msg, reason := validateGroup(&g); msg != "" {
		resp.badRequest(msg, reason)
		return Group{}, nil, false
	}
	dsl := strings.ToLower(strings.TrimSpace(c.r.Header.Get("x-query-dsl")))
	if dsl != "" && dsl != "v1" && dsl != "v2" {
		resp.badRequest("x-query-dsl must be v1 or v2", "invalidQueryDsl")
		return Group{}, nil, false
	}
	q, err := compileQuery(g.MemberQuery, dsl == "v2")
	if err != nil {
		resp.badRequest(err.Error(), "invalidMemberQuery")
		return Group{}, nil, false
	}
	g.normalize()
	return g, q, true
}

// groupLocked finds the call's group; callers hold s.mu. It writes the error answer when missing.
func (s *Server) groupLocked(c *call, resp *response) (*org, *groupRecord) {
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return nil, nil
	}
	if !isObjectID(c.id) {
		resp.badRequest("invalid id", "invalidId")
		return nil, nil
	}
	g := o.groupByID[c.id]
	if g == nil {
		resp.error(http.StatusNotFound, "User group not found")
		return nil, nil
	}
	return o, g
}

// v2Paging reads limit and skip of a v2 list (limit defaults to 10 and is lowered to MaxLimit).
func v2Paging(c *call, resp *response) (limit, skip int, ok bool) {
	q := c.r.URL.Query()
	limit, skip, msg := parsePaging(q.Get("limit"), q.Get("skip"), c.knobs.MaxLimit)
	if msg != "" {
		resp.badRequest(msg, "invalidPaging")
		return 0, 0, false
	}
	return limit, skip, true
}

// listAnswerV2 writes a v2 list: a bare array of one page, the total in x-total-count.
func listAnswerV2(c *call, resp *response, total int, items []json.RawMessage) {
	if !c.knobs.OmitTotalCountHeader {
		resp.header.Set("x-total-count", strconv.Itoa(total))
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	resp.json(http.StatusOK, items)
}

func (s *Server) handleGroupList(c *call, resp *response) {
	q := c.r.URL.Query()
	limit, skip, ok := v2Paging(c, resp)
	if !ok {
		return
	}
	filter, err := parseV2Filters(q["filter"])
	if err != nil {
		resp.badRequest(err.Error(), "invalidFilter")
		return
	}
	fields := parseFields(q.Get("fields"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return
	}
	var rows []*Group
	for _, g := range o.groups {
		v := o.view(g, c.knobs)
		if andExpr(filter).match(&v) {
			rows = append(rows, &v)
		}
	}
	sortRows(rows, parseSort(q.Get("sort")))
	var items []json.RawMessage
	for _, g := range page(rows, skip, limit) {
		items = append(items, renderGroup(*g, fields))
	}
	listAnswerV2(c, resp, len(rows), items)
}

func (s *Server) handleGroupGet(c *call, resp *response) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, g := s.groupLocked(c, resp)
	if g == nil {
		return
	}
	resp.raw(http.StatusOK, "application/json; charset=utf-8", renderGroup(o.view(g, c.knobs), parseFields(c.r.URL.Query().Get("fields"))))
}

func (s *Server) handleGroupCreate(c *call, resp *response) {
	g, q, ok := decodeGroup(c, resp)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return
	}
	ci := c.knobs.GroupNameCaseInsensitive
	if o.groupClash(g.Name, "", ci) {
		resp.error(c.knobs.GroupDuplicateStatus, "Already Exists")
		return
	}
	g.ID = s.newID()
	g.OrganizationObjectID = o.id
	rec := &groupRecord{Group: g, members: map[string]bool{}, query: q}
	o.insertGroup(rec, ci)
	c.entry.GroupID = g.ID
	s.groupEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.GroupCreate, &rec.Group, nil)
	resp.raw(http.StatusCreated, "application/json; charset=utf-8", renderGroup(o.view(rec, c.knobs), nil))
}

func (s *Server) handleGroupUpdate(c *call, resp *response) {
	g, q, ok := decodeGroup(c, resp)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, cur := s.groupLocked(c, resp)
	if cur == nil {
		return
	}
	ci := c.knobs.GroupNameCaseInsensitive
	if o.groupClash(g.Name, cur.ID, ci) {
		resp.error(c.knobs.GroupDuplicateStatus, "Already Exists")
		return
	}
	before := renderGroup(cur.Group, nil)
	o.setMethod(cur, g.MembershipMethod, c.knobs)
	o.renameGroup(cur, g.Name, ci)
	g.ID, g.OrganizationObjectID, g.MemberQueryErrorFlags = cur.ID, cur.OrganizationObjectID, cur.MemberQueryErrorFlags
	cur.Group = g
	cur.query = q
	s.groupEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.GroupUpdate, &cur.Group, before)
	resp.raw(http.StatusOK, "application/json; charset=utf-8", renderGroup(o.view(cur, c.knobs), nil))
}

func (s *Server) handleGroupDelete(c *call, resp *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g := s.groupLocked(c, resp)
	if g == nil {
		return
	}
	v := o.view(g, c.knobs)
	o.removeGroup(g, c.knobs.GroupNameCaseInsensitive)
	s.groupEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.GroupDelete, &g.Group, nil)
	if c.knobs.GroupDeleteNoContent {
		resp.raw(http.StatusNoContent, "", nil)
		return
	}
	resp.raw(http.StatusOK, "application/json; charset=utf-8", renderGroup(v, nil))
}

func (s *Server) handleMemberList(c *call, resp *response) {
	limit, skip, ok := v2Paging(c, resp)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, g := s.groupLocked(c, resp)
	if g == nil {
		return
	}
	members := o.memberRecords(g, c.knobs)
	var items []json.RawMessage
	for _, u := range page(members, skip, limit) {
		b, _ := json.Marshal(graphConnection{To: graphObject{ID: u.ID, Type: graphUser}})
		items = append(items, b)
	}
	listAnswerV2(c, resp, len(members), items)
}

// memberOp is a GraphOperation (UserGroup-Member) body.
type memberOp struct {
	Op   string `json:"op"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// memberOpName is the request-log operation of a POST .../members body: member-remove for
// {"op":"remove"}, member-add otherwise.
func memberOpName(body []byte) string {
	var m memberOp
	if json.Unmarshal(body, &m) == nil && m.Op == "remove" {
		return "member-remove"
	}
	return "member-add"
}

// handleMemberChange serves member-add and member-remove.
func (s *Server) handleMemberChange(c *call, resp *response) {
	var m memberOp
	if json.Unmarshal(c.body, &m) != nil {
		resp.badRequest("the body must be a JSON object with op, type and id", "invalidBody")
		return
	}
	switch {
	case m.Op != "add" && m.Op != "remove":
		resp.badRequest("op must be add or remove", "invalidOp")
		return
	case m.Type != graphUser:
		resp.badRequest("type must be user", "invalidType")
		return
	case !isObjectID(m.ID):
		resp.badRequest("id must be a system user's id", "invalidId")
		return
	}
	c.entry.UserID = m.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	o, g := s.groupLocked(c, resp)
	if g == nil {
		return
	}
	if o.byID[m.ID] == nil {
		resp.error(http.StatusNotFound, "User not found")
		return
	}
	if isDynamic(g.MembershipMethod) {
		resp.error(c.knobs.DynamicMemberEditStatus, "the members of a dynamic group are computed from its memberQuery and cannot be changed")
		return
	}
	in := g.members[m.ID]
	switch {
	case m.Op == "add" && in:
		if c.knobs.MemberExistsStatus != http.StatusNoContent {
			resp.error(c.knobs.MemberExistsStatus, "Already Exists")
			return
		}
	case m.Op == "add":
		g.members[m.ID] = true
		s.memberEvent(c.org, apiActor(c), c.knobs, "add", &g.Group, &o.byID[m.ID].User)
	case !in:
		if c.knobs.MemberMissingStatus != http.StatusNoContent {
			resp.error(c.knobs.MemberMissingStatus, "Not Found")
			return
		}
	default:
		delete(g.members, m.ID)
		s.memberEvent(c.org, apiActor(c), c.knobs, "remove", &g.Group, &o.byID[m.ID].User)
	}
	resp.raw(http.StatusNoContent, "", nil)
}

// graphList filters, sorts and pages membership or memberof rows.
func graphList(c *call, resp *response, rows []*graphObjectWithPaths) {
	q := c.r.URL.Query()
	limit, skip, ok := v2Paging(c, resp)
	if !ok {
		return
	}
	filter, err := parseV2Filters(q["filter"])
	if err != nil {
		resp.badRequest(err.Error(), "invalidFilter")
		return
	}
	var kept []*graphObjectWithPaths
	for _, r := range rows {
		if andExpr(filter).match(r) {
			kept = append(kept, r)
		}
	}
	sortRows(kept, parseSort(q.Get("sort")))
	var items []json.RawMessage
	for _, r := range page(kept, skip, limit) {
		b, _ := json.Marshal(r)
		items = append(items, b)
	}
	listAnswerV2(c, resp, len(kept), items)
}

func (s *Server) handleMembership(c *call, resp *response) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, g := s.groupLocked(c, resp)
	if g == nil {
		return
	}
	var rows []*graphObjectWithPaths
	for _, u := range o.memberRecords(g, c.knobs) {
		rows = append(rows, &graphObjectWithPaths{
			ID: u.ID, Type: graphUser,
			Paths: [][]graphConnection{{{To: graphObject{ID: u.ID, Type: graphUser}}}},
		})
	}
	graphList(c, resp, rows)
}

func (s *Server) handleMemberOf(c *call, resp *response) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, u := s.userLocked(c, resp)
	if u == nil {
		return
	}
	var rows []*graphObjectWithPaths
	for _, g := range o.groups {
		if !o.isMember(g, u.ID, c.knobs) {
			continue
		}
		var compiled any
		if g.Attributes != nil {
			compiled = g.Attributes
		}
		rows = append(rows, &graphObjectWithPaths{
			CompiledAttributes: compiled, ID: g.ID, Type: groupType,
			Paths: [][]graphConnection{{{To: graphObject{ID: g.ID, Type: groupType}}}},
		})
	}
	graphList(c, resp, rows)
}
