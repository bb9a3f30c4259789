package jcsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// listAnswer is systemuserslist / systemUsersSearchlist.
type listAnswer struct {
	TotalCount int               `json:"totalCount"`
	Results    []json.RawMessage `json:"results"`
}

// parsePaging reads limit and skip; limit defaults to 10 and is lowered to maxLimit.
func parsePaging(limitS, skipS string, maxLimit int) (limit, skip int, msg string) {
	limit = 10
	if limitS != "" {
		n, err := strconv.Atoi(limitS)
		if err != nil || n < 0 {
			return 0, 0, "limit must be a non-negative integer"
		}
		if n > 0 {
			limit = n
		}
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	if skipS != "" {
		n, err := strconv.Atoi(skipS)
		if err != nil || n < 0 {
			return 0, 0, "skip must be a non-negative integer"
		}
		skip = n
	}
	return limit, skip, ""
}

func (s *Server) handleList(c *call, resp *response) {
	q := c.r.URL.Query()
	limit, skip, msg := parsePaging(q.Get("limit"), q.Get("skip"), c.knobs.MaxLimit)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	filter, err := parseQueryFilter(q)
	if err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	text, err := parseQuerySearch(q)
	if err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	lq := listQuery{filter: filter, text: text, sort: parseSort(q.Get("sort")), limit: limit, skip: skip, fields: parseFields(q.Get("fields"))}
	s.runList(c, resp, lq, false)
}

// runList evaluates lq in the caller's organization and writes the list answer; withMemberOf adds
// each user's memberof (the ids of its groups), as search results have it.
func (s *Server) runList(c *call, resp *response, lq listQuery, withMemberOf bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return
	}
	total, page := o.run(lq)
	var memberOf map[string][]string
	if withMemberOf {
		memberOf = o.memberOfAll(c.knobs)
	}
	ans := listAnswer{TotalCount: total, Results: make([]json.RawMessage, 0, len(page))}
	for _, r := range page {
		var extra map[string]any
		if withMemberOf {
			extra = map[string]any{"memberof": append([]string{}, memberOf[r.ID]...)}
		}
		ans.Results = append(ans.Results, render(&r.User, lq.fields, extra, c.knobs.ManagerNull))
	}
	resp.json(http.StatusOK, ans)
}

func (s *Server) handleSearch(c *call, resp *response) {
	q := c.r.URL.Query()
	var body struct {
		Filter       json.RawMessage `json:"filter"`
		SearchFilter json.RawMessage `json:"searchFilter"`
		Fields       json.RawMessage `json:"fields"`
		Limit        json.RawMessage `json:"limit"`
		Skip         json.RawMessage `json:"skip"`
	}
	if len(bytes.TrimSpace(c.body)) > 0 {
		if err := json.Unmarshal(c.body, &body); err != nil {
			resp.error(http.StatusBadRequest, "the body must be a JSON object")
			return
		}
	}
	limitS, skipS := q.Get("limit"), q.Get("skip")
	if v := rawScalar(body.Limit); v != "" {
		limitS = v
	}
	if v := rawScalar(body.Skip); v != "" {
		skipS = v
	}
	limit, skip, msg := parsePaging(limitS, skipS, c.knobs.MaxSearchLimit)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	lq := listQuery{limit: limit, skip: skip, sort: parseSort(q.Get("sort")), fields: parseFields(q.Get("fields"))}
	if len(body.Fields) > 0 && !bytes.Equal(body.Fields, []byte("null")) {
		var fs string
		var fl []string
		switch {
		case json.Unmarshal(body.Fields, &fs) == nil:
			lq.fields = parseFields(fs)
		case json.Unmarshal(body.Fields, &fl) == nil:
			lq.fields = fl
		default:
			resp.error(http.StatusBadRequest, "fields must be a space-separated string")
			return
		}
	}
	f, err := parseSearchFilter(body.Filter)
	if err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	if a, ok := f.(andExpr); ok {
		lq.filter = append(lq.filter, a...)
	} else if f != nil {
		lq.filter = append(lq.filter, f)
	}
	qf, err := parseQueryFilter(q)
	if err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	lq.filter = append(lq.filter, qf...)
	if lq.text, err = parseSearchFilterBody(body.SearchFilter); err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	s.runList(c, resp, lq, true)
}

// rawScalar returns a JSON number or string as text ("" when absent or null).
func rawScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// userLocked finds the call's user; callers hold s.mu. It writes the error answer when missing.
func (s *Server) userLocked(c *call, resp *response) (*org, *record) {
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return nil, nil
	}
	if !isObjectID(c.id) {
		resp.error(http.StatusBadRequest, "invalid id")
		return nil, nil
	}
	r := o.byID[c.id]
	if r == nil {
		resp.error(http.StatusNotFound, "User not found")
		return nil, nil
	}
	return o, r
}

func (s *Server) handleGet(c *call, resp *response) {
	q := c.r.URL.Query()
	filter, err := parseQueryFilter(q)
	if err != nil {
		resp.error(http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	if !andExpr(filter).match(&r.User) {
		resp.error(http.StatusNotFound, "User not found")
		return
	}
	resp.raw(http.StatusOK, "application/json; charset=utf-8", render(&r.User, parseFields(q.Get("fields")), nil, c.knobs.ManagerNull))
}

// decodeObject parses a request body that must be a JSON object.
func decodeObject(body []byte) (map[string]json.RawMessage, string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]json.RawMessage{}, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, "the body must be a JSON object"
	}
	return m, ""
}

// specialKeys are handled by their own rules, not copied into the user.
var specialKeys = keySet("password", "state", "suspended", "account_locked", "activated", "ssh_keys")

// applyFields copies the allowed keys of raw into u (null clears a field; lists are replaced
// whole; the mfa object is merged).
func applyFields(u *User, raw map[string]json.RawMessage, allowed map[string]bool) string {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		if allowed[k] && !specialKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fv, ok := fieldValue(u, k)
		if !ok {
			continue
		}
		v := bytes.TrimSpace(raw[k])
		if bytes.Equal(v, []byte("null")) {
			fv.Set(reflect.Zero(fv.Type()))
			continue
		}
		if err := json.Unmarshal(v, fv.Addr().Interface()); err != nil {
			return fmt.Sprintf("%s: invalid value", k)
		}
	}
	if m, ok := raw["mfa"]; ok {
		var mfa map[string]json.RawMessage
		if json.Unmarshal(m, &mfa) == nil {
			if d, ok := mfa["exclusionDays"]; ok && !bytes.Equal(bytes.TrimSpace(d), []byte("null")) && u.MFA.ExclusionDays < 1 {
				return "mfa.exclusionDays must be at least 1"
			}
		}
		if u.MFA.ExclusionUntil != nil {
			if _, err := time.Parse(time.RFC3339, *u.MFA.ExclusionUntil); err != nil {
				return "mfa.exclusionUntil must be an RFC 3339 date-time"
			}
		}
	}
	for _, k := range []string{"unix_uid", "unix_guid"} {
		if v, ok := raw[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if (k == "unix_uid" && u.UnixUID < 1) || (k == "unix_guid" && u.UnixGUID < 1) {
				return k + " must be at least 1"
			}
		}
	}
	if u.Manager != nil && *u.Manager == "" {
		u.Manager = nil // "" and null both mean no manager
	}
	return ""
}

// decodeOptional decodes raw[key] into v when present and not null; present reports that.
func decodeOptional(raw map[string]json.RawMessage, key string, v any) (present bool, msg string) {
	b, ok := raw[key]
	if !ok || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return false, ""
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, key + ": invalid value"
	}
	return true, ""
}

// applyState applies state/suspended with JumpCloud's rules: they must agree, STAGED cannot be
// set on update, and suspended follows state.
func applyState(u *User, raw map[string]json.RawMessage, creating bool, k Knobs) string {
	var state string
	var suspended bool
	hasState, msg := decodeOptional(raw, "state", &state)
	if msg != "" {
		return msg
	}
	hasSuspended, msg := decodeOptional(raw, "suspended", &suspended)
	if msg != "" {
		return msg
	}
	if hasState {
		switch state {
		case StateActivated, StateSuspended:
		case StateStaged:
			if !creating {
				return "state: STAGED cannot be set on update"
			}
		default:
			return "state must be one of STAGED, ACTIVATED, SUSPENDED"
		}
		if hasSuspended && (state == StateSuspended) != suspended {
			return "state and suspended disagree"
		}
	}
	target := u.State
	if creating {
		target = k.DefaultState
	}
	switch {
	case hasState:
		target = state
	case hasSuspended && suspended:
		target = StateSuspended
	case hasSuspended && !suspended && target == StateSuspended:
		target = StateActivated
	}
	if !creating && hasState && u.State == StateStaged && target == StateActivated && k.RejectPutActivateStaged {
		return "a STAGED user can only be activated with POST /systemusers/{id}/state/activate"
	}
	u.State = target
	u.Suspended = target == StateSuspended
	return ""
}

// applyLock applies account_locked.
func (s *Server) applyLock(u *User, raw map[string]json.RawMessage) string {
	var locked bool
	present, msg := decodeOptional(raw, "account_locked", &locked)
	if msg != "" || !present {
		return msg
	}
	if locked && !u.AccountLocked {
		u.AccountLocked = true
		u.AccountLockedDate = strPtr(formatTime(s.now()))
	}
	if !locked {
		unlock(u)
	}
	return ""
}

func unlock(u *User) {
	u.AccountLocked = false
	u.AccountLockedDate = nil
	u.BadLoginAttempts = 0
}

// validateUser checks the rules that do not depend on other users (except the manager).
func (s *Server) validateUser(o *org, u *User, k Knobs) string {
	if msg := checkUsername(u.Username, *k.UsernameRules); msg != "" {
		return msg
	}
	if msg := checkEmail("email", u.Email); msg != "" {
		return msg
	}
	if u.AlternateEmail != "" {
		if msg := checkEmail("alternateEmail", u.AlternateEmail); msg != "" {
			return msg
		}
	}
	if msg := checkLengths(u); msg != "" {
		return msg
	}
	if u.Manager != nil {
		if *u.Manager == u.ID || o.byID[*u.Manager] == nil {
			return "manager: user not found"
		}
	}
	return ""
}

// duplicate writes the uniqueness-clash answer.
func duplicate(resp *response, field string, k Knobs) {
	names := map[string]string{"username": "Username", "email": "Email", "employeeIdentifier": "EmployeeIdentifier"}
	resp.error(k.DuplicateStatus, names[field]+" already exists")
}

// passwordRejected writes the password-policy answer: with ?fullValidationDetails=password the
// documented ErrorDetails with a google.rpc.BadRequest; otherwise a plain 400.
func passwordRejected(c *call, resp *response, rules []string) {
	if strings.Contains(c.r.URL.Query().Get("fullValidationDetails"), "password") {
		vs := make([]map[string]string, len(rules))
		for i, r := range rules {
			vs[i] = map[string]string{"field": "password", "description": r}
		}
		resp.json(http.StatusBadRequest, errorBody{
			Code: http.StatusBadRequest, Message: "Password validation fail", Status: "INVALID_ARGUMENT",
			Details: []any{map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolationsList": vs}},
		})
		return
	}
	resp.error(http.StatusBadRequest, "Password validation fail: "+rules[0])
}

// applyPassword checks and sets raw's password, if any; the rules broken when rejected.
func (s *Server) applyPassword(r *record, raw map[string]json.RawMessage, pol PasswordPolicy) (rules []string, msg string) {
	var p string
	present, msg := decodeOptional(raw, "password", &p)
	if msg != "" || !present {
		return nil, msg
	}
	rules = checkPassword(p, pol)
	h := hashPassword(p)
	if pol.MaxHistory > 0 {
		for i, old := range r.history {
			if i >= pol.MaxHistory {
				break
			}
			if old == h {
				rules = append(rules, "passwordHistory")
				break
			}
		}
	}
	if len(rules) > 0 {
		return rules, ""
	}
	r.passwordHash = h
	r.history = append([]string{h}, r.history...)
	if len(r.history) > 24 {
		r.history = r.history[:24]
	}
	now := formatTime(s.now())
	r.PasswordDate = &now
	r.PasswordExpired = false
	r.PasswordExpirationDate = nil
	r.Activated = true
	return nil, ""
}

// assignIDs gives new list entries an id.
func (s *Server) assignIDs(u *User) {
	for i := range u.PhoneNumbers {
		if u.PhoneNumbers[i].ID == "" {
			u.PhoneNumbers[i].ID = s.newID()
		}
	}
	for i := range u.Addresses {
		if u.Addresses[i].ID == "" {
			u.Addresses[i].ID = s.newID()
		}
	}
}

// admit applies the state, lock and password a create or update asks for and checks the user
// against the organization's rules, answering the error itself; it reports whether to go on.
func (s *Server) admit(c *call, resp *response, o *org, u *User, rec *record, raw map[string]json.RawMessage, creating bool) bool {
	if msg := applyState(u, raw, creating, c.knobs); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return false
	}
	if msg := s.applyLock(u, raw); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return false
	}
	if msg := s.validateUser(o, u, c.knobs); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return false
	}
	if field := o.clash(u, c.knobs.UsernameRules.CaseInsensitiveUnique); field != "" {
		duplicate(resp, field, c.knobs)
		return false
	}
	rules, msg := s.applyPassword(rec, raw, *c.knobs.PasswordPolicy)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return false
	}
	if len(rules) > 0 {
		passwordRejected(c, resp, rules)
		return false
	}
	return true
}

func (s *Server) handleCreate(c *call, resp *response) {
	raw, msg := decodeObject(c.body)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.orgLocked(c.org)
	if err != nil {
		resp.error(http.StatusNotFound, "Organization not found")
		return
	}
	r := &record{}
	u := &r.User
	u.MFAEnrollment = MFAEnrollment{OverallStatus: "NOT_ENROLLED", TOTPStatus: "NOT_ENROLLED", PushStatus: "NOT_ENROLLED", WebAuthnStatus: "NOT_ENROLLED"}
	if msg := applyFields(u, raw, writableOnCreate); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	if _, ok := raw["username"]; !ok {
		resp.error(http.StatusBadRequest, "username is required")
		return
	}
	if !s.admit(c, resp, o, u, r, raw, true) {
		return
	}
	ci := c.knobs.UsernameRules.CaseInsensitiveUnique
	var activated bool
	if present, msg := decodeOptional(raw, "activated", &activated); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	} else if present {
		u.Activated = activated
	}
	u.ID = s.newID()
	u.Organization = o.id
	u.Created = formatTime(s.now())
	u.CreationSource = "api"
	s.assignIDs(u)
	u.normalize()
	o.insert(r, ci)
	c.entry.UserID = u.ID
	s.userEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.UserCreate, u, nil)
	resp.raw(http.StatusOK, "application/json; charset=utf-8", render(u, nil, nil, c.knobs.ManagerNull))
}

func (s *Server) handleUpdate(c *call, resp *response) {
	raw, msg := decodeObject(c.body)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, cur := s.userLocked(c, resp)
	if cur == nil {
		return
	}
	next := &record{User: cur.User.clone(), passwordHash: cur.passwordHash, history: append([]string{}, cur.history...)}
	u := &next.User
	if msg := applyFields(u, raw, writableOnUpdate); msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	u.ID, u.Organization, u.Created = cur.ID, cur.Organization, cur.Created
	if v, ok := raw["ssh_keys"]; ok {
		keys, code, msg := s.replaceSSHKeys(cur.SSHKeys, v, c.knobs)
		if code != 0 {
			resp.error(code, msg)
			return
		}
		u.SSHKeys = keys
	}
	if !s.admit(c, resp, o, u, next, raw, false) {
		return
	}
	ci := c.knobs.UsernameRules.CaseInsensitiveUnique
	s.assignIDs(u)
	u.normalize()
	before := render(&cur.User, nil, nil, false)
	o.unindex(cur, ci)
	*cur = *next
	o.index(cur, ci)
	s.userEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.UserUpdate, &cur.User, before)
	resp.raw(http.StatusOK, "application/json; charset=utf-8", render(&cur.User, nil, nil, c.knobs.ManagerNull))
}

func (s *Server) handleDelete(c *call, resp *response) {
	cascade, hasCascade := c.r.URL.Query()["cascade_manager"]
	s.mu.Lock()
	defer s.mu.Unlock()
	o, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	var reports []*record
	for _, x := range o.users {
		if x.Manager != nil && *x.Manager == r.ID {
			reports = append(reports, x)
		}
	}
	if len(reports) > 0 {
		switch {
		case !hasCascade || cascade[0] == "":
			resp.error(http.StatusConflict, "user is the manager of other users; use cascade_manager")
			return
		case cascade[0] == "null":
			for _, x := range reports {
				x.Manager = nil
			}
		default:
			to := cascade[0]
			if to == r.ID || o.byID[to] == nil {
				resp.error(http.StatusBadRequest, "cascade_manager: user not found")
				return
			}
			for _, x := range reports {
				x.Manager = strPtr(to)
			}
		}
	}
	o.remove(r, c.knobs.UsernameRules.CaseInsensitiveUnique)
	o.dropMember(r.ID)
	s.userEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.UserDelete, &r.User, nil)
	resp.raw(http.StatusOK, "application/json; charset=utf-8", render(&r.User, nil, nil, c.knobs.ManagerNull))
}

// handleAction serves activate, suspend, unlock, expire and resetmfa.
func (s *Server) handleAction(c *call, resp *response) {
	raw, msg := decodeObject(c.body)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	u := &r.User
	before := render(u, nil, nil, false)
	types := c.knobs.EventTypes
	switch c.op {
	case "activate":
		detail, msg := activationEmail(raw)
		if msg != "" {
			resp.error(http.StatusBadRequest, msg)
			return
		}
		c.entry.Detail = detail
		switch u.State {
		case StateSuspended:
			resp.error(http.StatusConflict, "user is SUSPENDED; only a STAGED user can be activated")
			return
		case StateStaged:
			u.State = StateActivated
		}
		u.normalize()
		s.userEvent(c.org, apiActor(c), c.knobs, types.UserActivate, u, before)
		// The document's answer is application/json with a string schema.
		resp.raw(http.StatusOK, "application/json; charset=utf-8", []byte(`"OK"`))
	case "suspend":
		if len(raw) > 0 {
			resp.error(http.StatusBadRequest, "the request body must be empty")
			return
		}
		u.State = StateSuspended
		u.normalize()
		s.userEvent(c.org, apiActor(c), c.knobs, types.UserSuspend, u, before)
		resp.raw(http.StatusOK, "", nil)
	case "unlock":
		unlock(u)
		s.userEvent(c.org, apiActor(c), c.knobs, types.UserUnlock, u, before)
		resp.raw(http.StatusOK, "text/plain; charset=utf-8", []byte("OK"))
	case "expire":
		u.PasswordExpired = true
		u.PasswordExpirationDate = strPtr(formatTime(s.now()))
		s.userEvent(c.org, apiActor(c), c.knobs, types.UserExpirePassword, u, before)
		resp.raw(http.StatusOK, "text/plain; charset=utf-8", []byte("OK"))
	case "resetmfa":
		detail, msg := s.resetMFA(u, raw)
		if msg != "" {
			resp.error(http.StatusBadRequest, msg)
			return
		}
		c.entry.Detail = detail
		s.userEvent(c.org, apiActor(c), c.knobs, types.UserResetMFA, u, before)
		resp.raw(http.StatusOK, "text/plain; charset=utf-8", []byte("OK"))
	}
}

// activationEmail validates the activate body's email flag and describes it for the log:
// "email=default", "email=none" or "email=address".
func activationEmail(raw map[string]json.RawMessage) (string, string) {
	v, ok := raw["email"]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return "email=default", ""
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		if b {
			return "email=default", ""
		}
		return "email=none", ""
	}
	var addr string
	if json.Unmarshal(v, &addr) == nil {
		if msg := checkEmail("email", addr); msg != "" {
			return "", msg
		}
		return "email=address", ""
	}
	return "", "email must be a boolean or an email address"
}

// resetMFA applies POST /resetmfa: a new TOTP enrollment with an optional exclusion window.
func (s *Server) resetMFA(u *User, raw map[string]json.RawMessage) (string, string) {
	var exclusion bool
	var days float64
	var until string
	if _, msg := decodeOptional(raw, "exclusion", &exclusion); msg != "" {
		return "", msg
	}
	hasDays, msg := decodeOptional(raw, "exclusionDays", &days)
	if msg != "" {
		return "", msg
	}
	if hasDays && days < 1 {
		return "", "exclusionDays must be at least 1"
	}
	hasUntil, msg := decodeOptional(raw, "exclusionUntil", &until)
	if msg != "" {
		return "", msg
	}
	if hasUntil {
		if _, err := time.Parse(time.RFC3339, until); err != nil {
			return "", "exclusionUntil must be an RFC 3339 date-time"
		}
	}
	u.TOTPEnabled = false
	u.MFA = MFA{Exclusion: exclusion}
	if exclusion {
		if hasDays {
			u.MFA.ExclusionDays = int(days)
			if !hasUntil {
				until = formatTime(s.now().Add(time.Duration(days * float64(24*time.Hour))))
				hasUntil = true
			}
		}
		if hasUntil {
			u.MFA.ExclusionUntil = strPtr(until)
		}
	}
	u.MFAEnrollment.TOTPStatus = "NOT_ENROLLED"
	u.MFAEnrollment.OverallStatus = "NOT_ENROLLED"
	detail := "exclusion=" + strconv.FormatBool(exclusion)
	if hasDays {
		detail += " exclusionDays=" + strconv.FormatFloat(days, 'f', -1, 64)
	}
	if hasUntil {
		detail += " exclusionUntil=" + until
	}
	return detail, ""
}
