package jcsim

import (
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Admin endpoints (outside /api, never part of JumpCloud's API):
//
//	GET    /_sim/requests[?op=OP]       the request log and the counters by operation
//	DELETE /_sim/requests               empty the request log and counters
//	GET    /_sim/users[?org=ORG]        every user of an organization, in _id order
//	GET    /_sim/groups[?org=ORG]       every user group of an organization with its member ids
//	GET    /_sim/events[?org=ORG]       the Directory Insights events recorded, visible or not
//	POST   /_sim/users?count=N[&org=]   add N generated users
//	POST   /_sim/users/ID/lockout[?org=] lock the account as after failed logins
//	POST   /_sim/reset                  delete all users, empty the log, drop queued faults
//	GET    /_sim/config                 the knobs
//	PUT    /_sim/config                 change knobs (a partial JSON object, durations as "150ms")
//	POST   /_sim/faults                 queue a Fault ({"op":"create","times":2,"code":503})
//	DELETE /_sim/faults                 drop queued faults
//
// With an admin token configured, requests must carry it as x-sim-admin-token; without one, only
// loopback clients are served (403 otherwise).

const adminTokenHeader = "x-sim-admin-token"

func (s *Server) adminAllowed(r *http.Request) bool {
	if s.adminToken != "" {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get(adminTokenHeader)), []byte(s.adminToken)) == 1
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Code: status, Message: msg, Status: http.StatusText(status)})
}

//nolint:gocyclo // a flat router over the admin paths reads best as one switch
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if !s.adminAllowed(r) {
		adminError(w, http.StatusForbidden, "admin endpoints need the admin token or a loopback client")
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim"), "/")
	q := r.URL.Query()
	switch {
	case path == "/requests" && r.Method == http.MethodGet:
		reqs := s.Requests()
		if op := q.Get("op"); op != "" {
			reqs = s.RequestsFor(op)
		}
		writeJSON(w, http.StatusOK, map[string]any{"counts": s.Counts(), "requests": reqs})
	case path == "/requests" && r.Method == http.MethodDelete:
		s.ResetLog()
		w.WriteHeader(http.StatusNoContent)
	case path == "/users" && r.Method == http.MethodGet:
		users := s.Users(q.Get("org"))
		writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(users), "results": users})
	case path == "/groups" && r.Method == http.MethodGet:
		type groupWithMembers struct {
			Group
			Members []string `json:"members"`
		}
		groups := s.Groups(q.Get("org"))
		out := make([]groupWithMembers, 0, len(groups))
		for _, g := range groups {
			members, _ := s.GroupMembers(q.Get("org"), g.ID)
			out = append(out, groupWithMembers{Group: g, Members: members})
		}
		writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(out), "results": out})
	case path == "/events" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"events": s.adminEvents(q.Get("org"))})
	case path == "/users" && r.Method == http.MethodPost:
		n, err := strconv.Atoi(q.Get("count"))
		if err != nil || n < 1 {
			adminError(w, http.StatusBadRequest, "count must be a positive integer")
			return
		}
		users, err := s.SeedUsers(q.Get("org"), n)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"added": len(users)})
	case strings.HasPrefix(path, "/users/") && strings.HasSuffix(path, "/lockout") && r.Method == http.MethodPost:
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/users/"), "/lockout")
		if err := s.LockOut(q.Get("org"), id); err != nil {
			adminError(w, http.StatusNotFound, err.Error())
			return
		}
		u, _ := s.User(q.Get("org"), id)
		writeJSON(w, http.StatusOK, u)
	case path == "/reset" && r.Method == http.MethodPost:
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "/config" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, knobsToWire(s.Knobs()))
	case path == "/config" && r.Method == http.MethodPut:
		wire := knobsToWire(s.Knobs())
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&wire); err != nil {
			adminError(w, http.StatusBadRequest, "the body must be a JSON object of knobs")
			return
		}
		k, err := wire.knobs()
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetKnobs(k)
		writeJSON(w, http.StatusOK, knobsToWire(s.Knobs()))
	case path == "/faults" && r.Method == http.MethodPost:
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&f); err != nil || f.Op == "" {
			adminError(w, http.StatusBadRequest, `the body must be a fault such as {"op":"create","times":1,"code":503}`)
			return
		}
		s.InjectFault(f)
		w.WriteHeader(http.StatusNoContent)
	case path == "/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusNotFound, "unknown admin endpoint")
	}
}

// knobsWire is Knobs with durations as strings ("150ms") for the admin endpoint.
type knobsWire struct {
	DefaultState            string          `json:"defaultState"`
	DuplicateStatus         int             `json:"duplicateStatus"`
	UsernameRules           *UsernameRules  `json:"usernameRules"`
	PasswordPolicy          *PasswordPolicy `json:"passwordPolicy"`
	DisableSuspendRoute     bool            `json:"disableSuspendRoute"`
	RejectPutActivateStaged bool            `json:"rejectPutActivateStaged"`
	MaxLimit                int             `json:"maxLimit"`
	MaxSearchLimit          int             `json:"maxSearchLimit"`
	ManagerNull             bool            `json:"managerNull"`
	LenientSSHKeys          bool            `json:"lenientSSHKeys"`
	DuplicateSSHKeyStatus   int             `json:"duplicateSSHKeyStatus"`
	GroupDuplicateStatus    int             `json:"groupDuplicateStatus"`
	GroupNameCaseInsens     bool            `json:"groupNameCaseInsensitive"`
	GroupDeleteNoContent    bool            `json:"groupDeleteNoContent"`
	MemberExistsStatus      int             `json:"memberExistsStatus"`
	MemberMissingStatus     int             `json:"memberMissingStatus"`
	DynamicMemberEditStatus int             `json:"dynamicMemberEditStatus"`
	AutoApproveSuggestions  bool            `json:"autoApproveSuggestions"`
	OmitTotalCountHeader    bool            `json:"omitTotalCountHeader"`
	InsightsDisabled        bool            `json:"insightsDisabled"`
	EventDelay              string          `json:"eventDelay"`
	EventDelayJitter        string          `json:"eventDelayJitter"`
	EventClockSkew          string          `json:"eventClockSkew"`
	EventsOmitUserAgent     bool            `json:"eventsOmitUserAgent"`
	EventsRawUserAgent      bool            `json:"eventsRawUserAgent"`
	EventsOmitChanges       bool            `json:"eventsOmitChanges"`
	EventTypes              EventTypes      `json:"eventTypes"`
	Latency                 string          `json:"latency"`
	Jitter                  string          `json:"jitter"`
	RateLimit               RateLimit       `json:"rateLimit"`
	Faults                  faultsWire      `json:"faults"`
}

type faultsWire struct {
	Rate5xx              float64 `json:"rate5xx"`
	Code                 int     `json:"code"`
	SlowRate             float64 `json:"slowRate"`
	SlowDelay            string  `json:"slowDelay"`
	CreateCommitThenDrop float64 `json:"createCommitThenDrop"`
}

func knobsToWire(k Knobs) knobsWire {
	// Copies, so that decoding a refused PUT /_sim/config into the result leaves the knobs alone.
	if k.UsernameRules != nil {
		r := *k.UsernameRules
		k.UsernameRules = &r
	}
	if k.PasswordPolicy != nil {
		p := *k.PasswordPolicy
		k.PasswordPolicy = &p
	}
	return knobsWire{
		DefaultState: k.DefaultState, DuplicateStatus: k.DuplicateStatus,
		UsernameRules: k.UsernameRules, PasswordPolicy: k.PasswordPolicy,
		DisableSuspendRoute: k.DisableSuspendRoute, RejectPutActivateStaged: k.RejectPutActivateStaged,
		MaxLimit: k.MaxLimit, MaxSearchLimit: k.MaxSearchLimit, ManagerNull: k.ManagerNull,
		LenientSSHKeys: k.LenientSSHKeys, DuplicateSSHKeyStatus: k.DuplicateSSHKeyStatus,
		GroupDuplicateStatus: k.GroupDuplicateStatus, GroupNameCaseInsens: k.GroupNameCaseInsensitive,
		GroupDeleteNoContent: k.GroupDeleteNoContent, MemberExistsStatus: k.MemberExistsStatus,
		MemberMissingStatus: k.MemberMissingStatus, DynamicMemberEditStatus: k.DynamicMemberEditStatus,
		AutoApproveSuggestions: k.AutoApproveSuggestions, OmitTotalCountHeader: k.OmitTotalCountHeader,
		InsightsDisabled: k.InsightsDisabled, EventDelay: k.EventDelay.String(), EventDelayJitter: k.EventDelayJitter.String(),
		EventClockSkew: k.EventClockSkew.String(), EventsOmitUserAgent: k.EventsOmitUserAgent,
		EventsRawUserAgent: k.EventsRawUserAgent, EventsOmitChanges: k.EventsOmitChanges, EventTypes: k.EventTypes,
		Latency: k.Latency.String(), Jitter: k.Jitter.String(), RateLimit: k.RateLimit,
		Faults: faultsWire{
			Rate5xx: k.Faults.Rate5xx, Code: k.Faults.Code, SlowRate: k.Faults.SlowRate,
			SlowDelay: k.Faults.SlowDelay.String(), CreateCommitThenDrop: k.Faults.CreateCommitThenDrop,
		},
	}
}

func (w knobsWire) knobs() (Knobs, error) {
	k := Knobs{
		DefaultState: w.DefaultState, DuplicateStatus: w.DuplicateStatus,
		UsernameRules: w.UsernameRules, PasswordPolicy: w.PasswordPolicy,
		DisableSuspendRoute: w.DisableSuspendRoute, RejectPutActivateStaged: w.RejectPutActivateStaged,
		MaxLimit: w.MaxLimit, MaxSearchLimit: w.MaxSearchLimit, ManagerNull: w.ManagerNull,
		LenientSSHKeys: w.LenientSSHKeys, DuplicateSSHKeyStatus: w.DuplicateSSHKeyStatus,
		GroupDuplicateStatus: w.GroupDuplicateStatus, GroupNameCaseInsensitive: w.GroupNameCaseInsens,
		GroupDeleteNoContent: w.GroupDeleteNoContent, MemberExistsStatus: w.MemberExistsStatus,
		MemberMissingStatus: w.MemberMissingStatus, DynamicMemberEditStatus: w.DynamicMemberEditStatus,
		AutoApproveSuggestions: w.AutoApproveSuggestions, OmitTotalCountHeader: w.OmitTotalCountHeader,
		InsightsDisabled: w.InsightsDisabled, EventsOmitUserAgent: w.EventsOmitUserAgent,
		EventsRawUserAgent: w.EventsRawUserAgent, EventsOmitChanges: w.EventsOmitChanges, EventTypes: w.EventTypes,
		RateLimit: w.RateLimit,
		Faults:    Faults{Rate5xx: w.Faults.Rate5xx, Code: w.Faults.Code, SlowRate: w.Faults.SlowRate, CreateCommitThenDrop: w.Faults.CreateCommitThenDrop},
	}
	var err error
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{
		{w.Latency, &k.Latency}, {w.Jitter, &k.Jitter}, {w.Faults.SlowDelay, &k.Faults.SlowDelay},
		{w.EventDelay, &k.EventDelay}, {w.EventDelayJitter, &k.EventDelayJitter}, {w.EventClockSkew, &k.EventClockSkew},
	} {
		if d.s == "" {
			continue
		}
		if *d.dst, err = time.ParseDuration(d.s); err != nil {
			return Knobs{}, err
		}
	}
	if err := k.Validate(); err != nil {
		return Knobs{}, err
	}
	return k, nil
}
