// Command jumpcloud-sim serves the in-memory JumpCloud API simulator (v1 system users and their
// SSH keys, v2 user groups and members) over HTTP, for tests, demos and users' own CI. See
// docs/simulator.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// apiKeys collects repeated --api-key KEY[:ORG[,ORG...]] flags.
type apiKeys map[string][]string

func (a apiKeys) String() string { return "" }

func (a apiKeys) Set(v string) error {
	key, orgs, _ := strings.Cut(v, ":")
	if strings.TrimSpace(key) == "" {
		return errors.New("empty API key")
	}
	if orgs == "" {
		a[key] = append(a[key], jcsim.DefaultOrg)
		return nil
	}
	for o := range strings.SplitSeq(orgs, ",") {
		if o = strings.TrimSpace(o); o != "" {
			a[key] = append(a[key], o)
		}
	}
	return nil
}

const usage = `jumpcloud-sim serves an in-memory JumpCloud API under /api: v1 system users and
their SSH keys, and v2 user groups and members (/api/v2).

Usage:
  jumpcloud-sim --api-key KEY[:ORG[,ORG...]] [--api-key ...] [flags]

A key without an organization acts on the default organization (%s). A key with
several organizations is a multi-tenant admin key: its requests must send x-org-id.
Admin endpoints (request log, users, knobs, faults) are served under /_sim/; see
docs/simulator.md.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "jumpcloud-sim:", err)
		os.Exit(2)
	}
}

// run parses args and serves until ctx ends; ready, when not nil, gets the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("jumpcloud-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, jcsim.DefaultOrg)
		fs.PrintDefaults()
	}
	keys := apiKeys{}
	fs.Var(keys, "api-key", "accepted x-api-key, optionally bound to organizations: KEY[:ORG[,ORG...]] (repeatable; at least one)")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	adminToken := fs.String("admin-token", "", "token required as x-sim-admin-token on /_sim/ endpoints (default: loopback clients only)")
	seedUsers := fs.Int("seed-users", 0, "generated users to add to every organization at start")
	verbose := fs.Bool("verbose", false, "log every API request (method, path, op, status; never keys or bodies) to stderr")

	defaultRules, defaultPolicy := jcsim.DefaultUsernameRules(), jcsim.DefaultPasswordPolicy()
	defaultState := fs.String("default-state", jcsim.StateActivated, "state of users created without one: ACTIVATED or STAGED")
	duplicateStatus := fs.Int("duplicate-status", http.StatusBadRequest, "status of a duplicate username/email/employeeIdentifier: 400 or 409")
	usernamePattern := fs.String("username-pattern", defaultRules.Pattern, "regular expression usernames must match (empty: none)")
	usernameMax := fs.Int("username-max-length", defaultRules.MaxLength, "maximum username length (0: none)")
	usernameCI := fs.Bool("username-case-insensitive", false, "usernames are unique regardless of case")
	pwMin := fs.Int("password-min-length", defaultPolicy.MinLength, "password policy: minimum length")
	pwLower := fs.Bool("password-needs-lowercase", defaultPolicy.NeedsLower, "password policy: needs a lowercase letter")
	pwUpper := fs.Bool("password-needs-uppercase", defaultPolicy.NeedsUpper, "password policy: needs an uppercase letter")
	pwNumeric := fs.Bool("password-needs-numeric", defaultPolicy.NeedsNumeric, "password policy: needs a digit")
	pwSymbol := fs.Bool("password-needs-symbol", defaultPolicy.NeedsSymbolic, "password policy: needs a symbol")
	pwHistory := fs.Int("password-max-history", defaultPolicy.MaxHistory, "password policy: previous passwords that may not be reused (0: no check)")
	noSuspend := fs.Bool("disable-suspend-route", false, "answer 404 on POST /systemusers/{id}/state/suspend, as if the route did not exist")
	rejectPutActivate := fs.Bool("reject-put-activate-staged", false, "reject PUT state=ACTIVATED on a STAGED user (only /state/activate activates)")
	maxLimit := fs.Int("max-limit", 100, "largest limit honoured by GET /systemusers")
	maxSearchLimit := fs.Int("max-search-limit", 1000, "largest limit honoured by POST /search/systemusers")
	managerNull := fs.Bool("manager-null", false, `answer "manager": null for a user without a manager (default "", the document's string type)`)
	lenientSSHKeys := fs.Bool("lenient-ssh-keys", false, "accept any non-empty public_key (default: an OpenSSH public key is required)")
	dupSSHKey := fs.Int("duplicate-sshkey-status", 0, "refuse a key the user already has with this status, 400 or 409 (0: accept duplicates)")
	groupDup := fs.Int("group-duplicate-status", http.StatusConflict, "status of a user group name already taken: 409 or 400")
	groupCI := fs.Bool("group-name-case-insensitive", false, "user group names are unique regardless of case")
	groupDelete204 := fs.Bool("group-delete-no-content", false, "answer DELETE /v2/usergroups/{id} with 204 instead of 200 and the deleted group")
	memberExists := fs.Int("member-exists-status", http.StatusConflict, "status of adding a user who is already a member: 409, 400, or 204 (accepted)")
	memberMissing := fs.Int("member-missing-status", http.StatusNotFound, "status of removing a user who is not a member: 404, 400, 409, or 204 (accepted)")
	dynamicEdit := fs.Int("dynamic-member-edit-status", http.StatusBadRequest, "status of a member change on a dynamic group: 400, 403 or 409")
	autoApprove := fs.Bool("auto-approve-suggestions", false, "DYNAMIC_REVIEW_REQUIRED groups take their query's result as members, like DYNAMIC_AUTOMATED")
	omitTotal := fs.Bool("omit-total-count-header", false, "leave x-total-count out of v2 list answers")
	insightsOff := fs.Bool("insights-disabled", false, "answer the Directory Insights events API with 402, as for a plan without Directory Insights")
	eventDelay := fs.Duration("event-delay", 0, "how long after a change its Directory Insights event becomes visible")
	eventSkew := fs.Duration("event-clock-skew", 0, "offset of the Directory Insights clock (event timestamps) from the simulator's")
	eventsRawUA := fs.Bool("events-raw-user-agent", false, "events carry the raw User-Agent string instead of the parsed object")
	latency := fs.Duration("latency", 0, "latency added to every API request")
	jitter := fs.Duration("jitter", 0, "random extra latency in [0, jitter)")
	rlRPS := fs.Float64("rate-limit-rps", 0, "server-side rate limit per API key, requests per second (0: none); over it, 429")
	rlBurst := fs.Int("rate-limit-burst", 1, "server-side rate limit burst")
	rlRetryAfter := fs.Bool("rate-limit-retry-after", true, "send Retry-After (whole seconds) with 429 answers")
	f5xx := fs.Float64("fault-5xx-rate", 0, "fraction of API requests answered with --fault-5xx-code without running")
	f5xxCode := fs.Int("fault-5xx-code", http.StatusServiceUnavailable, "status used by --fault-5xx-rate")
	fSlowRate := fs.Float64("fault-slow-rate", 0, "fraction of API requests delayed by --fault-slow-delay")
	fSlowDelay := fs.Duration("fault-slow-delay", 5*time.Second, "delay of slow requests")
	fDrop := fs.Float64("fault-create-commit-then-drop", 0, "fraction of creates that store the user, then close the connection without answering")
	seed := fs.Uint64("seed", 0, "random seed for faults and jitter (0: fixed default)")
	logSize := fs.Int("request-log-size", 10000, "request log entries kept (counters are never dropped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if len(keys) == 0 {
		return errors.New("at least one --api-key is required")
	}
	knobs := jcsim.Knobs{
		DefaultState:             strings.ToUpper(*defaultState),
		DuplicateStatus:          *duplicateStatus,
		UsernameRules:            &jcsim.UsernameRules{Pattern: *usernamePattern, MaxLength: *usernameMax, CaseInsensitiveUnique: *usernameCI},
		PasswordPolicy:           &jcsim.PasswordPolicy{MinLength: *pwMin, NeedsLower: *pwLower, NeedsUpper: *pwUpper, NeedsNumeric: *pwNumeric, NeedsSymbolic: *pwSymbol, MaxHistory: *pwHistory},
		DisableSuspendRoute:      *noSuspend,
		RejectPutActivateStaged:  *rejectPutActivate,
		MaxLimit:                 *maxLimit,
		MaxSearchLimit:           *maxSearchLimit,
		ManagerNull:              *managerNull,
		LenientSSHKeys:           *lenientSSHKeys,
		DuplicateSSHKeyStatus:    *dupSSHKey,
		GroupDuplicateStatus:     *groupDup,
		GroupNameCaseInsensitive: *groupCI,
		GroupDeleteNoContent:     *groupDelete204,
		MemberExistsStatus:       *memberExists,
		MemberMissingStatus:      *memberMissing,
		DynamicMemberEditStatus:  *dynamicEdit,
		AutoApproveSuggestions:   *autoApprove,
		OmitTotalCountHeader:     *omitTotal,
		InsightsDisabled:         *insightsOff,
		EventDelay:               *eventDelay,
		EventClockSkew:           *eventSkew,
		EventsRawUserAgent:       *eventsRawUA,
		Latency:                  *latency,
		Jitter:                   *jitter,
		RateLimit:                jcsim.RateLimit{RPS: *rlRPS, Burst: *rlBurst, RetryAfter: *rlRetryAfter},
		Faults: jcsim.Faults{
			Rate5xx: *f5xx, Code: *f5xxCode, SlowRate: *fSlowRate, SlowDelay: *fSlowDelay,
			CreateCommitThenDrop: *fDrop,
		},
	}
	if err := knobs.Validate(); err != nil {
		return err
	}
	logger := log.New(stderr, "jumpcloud-sim: ", log.LstdFlags)
	opts := jcsim.Options{APIKeys: keys, AdminToken: *adminToken, Knobs: knobs, Seed: *seed, RequestLogSize: *logSize}
	if *verbose {
		opts.OnRequest = func(e jcsim.Request) {
			logger.Printf("%s %s op=%s org=%s user=%s group=%s status=%d injected=%t dropped=%t", e.Method, e.Path, e.Op, e.Org, e.UserID, e.GroupID, e.Status, e.Injected, e.Dropped)
		}
	}
	sim := jcsim.New(opts)
	if *seedUsers > 0 {
		for _, org := range sim.Orgs() {
			if _, err := sim.SeedUsers(org, *seedUsers); err != nil {
				return fmt.Errorf("seeding users: %w", err)
			}
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		logger.Printf("warning: listening on %s, which is not a loopback address", ln.Addr())
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Printf("serving http://%s/api (organizations: %s; %d users each)", ln.Addr(), strings.Join(sim.Orgs(), ", "), *seedUsers)
	if ready != nil {
		ready(ln.Addr().String())
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
