// Package connection owns the JumpCloud clients of the operator: one client (and so one rate
// limiter) per JumpCloudConnection or ClusterJumpCloudConnection, installed by the connection
// reconcilers once JumpCloud accepted the key and shared by every resource that uses the
// connection. It also decides which connection a resource uses and reads that connection's API
// key (Find, ReadAPIKey, Resolve): kubectl-jumpcloud calls the same functions, so that the plugin
// and the operator never disagree on the connection of a namespace.
package connection

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sync"
	"time"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// Ref identifies a connection object. Namespace is empty for a ClusterJumpCloudConnection.
type Ref struct {
	Kind      iamv1alpha1.ConnectionKind
	Namespace string
	Name      string
}

// String renders the reference the way people name objects: "JumpCloudConnection team-a/default".
func (r Ref) String() string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}

// Settings are the parts of a connection's spec the resources using it need.
type Settings struct {
	BaseURL           string
	Region            string
	OrgID             string
	RequestsPerSecond float64
	Burst             int
	ResyncInterval    time.Duration
	AllowAdoption     bool
	// OwnerMark is the mark written on what the operator creates; nil when the connection sets none.
	OwnerMark *OwnerMark
	// Feed is the change feed's settings.
	Feed FeedSettings
}

// OwnerMark is a connection's owner mark: the custom attribute and this installation's name.
type OwnerMark struct {
	Attribute string
	Owner     string
}

// DefaultOwnerAttribute is the custom attribute of the owner mark when the connection names none.
const DefaultOwnerAttribute = "k8sOwner"

// For returns the mark of the resource namespace/name: "<owner>/<namespace>/<name>".
func (m *OwnerMark) For(namespace, name string) string {
	return m.Owner + "/" + namespace + "/" + name
}

// SettingsFrom converts the API settings, applying the documented defaults to unset fields.
func SettingsFrom(s iamv1alpha1.ConnectionSettings) Settings {
	out := Settings{
		BaseURL:           s.BaseURL,
		Region:            string(s.Region),
		OrgID:             s.OrgID,
		RequestsPerSecond: jumpcloud.DefaultRequestsPerSecond,
		Burst:             jumpcloud.DefaultBurst,
		ResyncInterval:    10 * time.Minute,
		AllowAdoption:     s.AllowAdoption,
	}
	if m := s.OwnerMark; m != nil && m.Owner != "" {
		out.OwnerMark = &OwnerMark{Attribute: m.AttributeName, Owner: m.Owner}
		if out.OwnerMark.Attribute == "" {
			out.OwnerMark.Attribute = DefaultOwnerAttribute
		}
	}
	if s.RateLimit != nil {
		if s.RateLimit.RequestsPerSecond > 0 {
			out.RequestsPerSecond = float64(s.RateLimit.RequestsPerSecond)
		}
		if s.RateLimit.Burst > 0 {
			out.Burst = int(s.RateLimit.Burst)
		}
	}
	if s.ResyncInterval != nil && s.ResyncInterval.Duration > 0 {
		out.ResyncInterval = s.ResyncInterval.Duration
	}
	if f := s.ChangeFeed; f != nil && f.Enabled {
		out.Feed = FeedSettings{Enabled: true, Interval: DefaultFeedInterval, ResyncInterval: DefaultFeedResyncInterval}
		if f.Interval != nil && f.Interval.Duration > 0 {
			out.Feed.Interval = f.Interval.Duration
		}
		if f.ResyncInterval != nil && f.ResyncInterval.Duration > 0 {
			out.Feed.ResyncInterval = f.ResyncInterval.Duration
		}
	}
	return out
}

// Connection is a verified connection: its client and settings.
type Connection struct {
	Ref      Ref
	Client   *jumpcloud.Client
	Settings Settings
	// Feed is the connection's change feed (whether or not it is enabled).
	Feed *Feed
	// fingerprint identifies the key and client settings the client was built from.
	fingerprint string
}

// ResyncInterval is how often every resource of the connection is compared with JumpCloud: the
// change feed's while the feed works, the connection's otherwise.
func (c *Connection) ResyncInterval() time.Duration {
	if c.Settings.Feed.Enabled && c.Feed.Healthy() {
		return c.Settings.Feed.ResyncInterval
	}
	return c.Settings.ResyncInterval
}

// Fingerprint identifies an API key together with the settings a client is built from, without
// revealing the key: when it changes, the client must be rebuilt.
func Fingerprint(apiKey string, s Settings) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%g\x00%d", apiKey, s.BaseURL, s.Region, s.OrgID, s.RequestsPerSecond, s.Burst)
	return hex.EncodeToString(h.Sum(nil))
}

// Registry holds the verified connections. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	conns map[Ref]*Connection
	// Observer is handed to every client built, for metrics.
	Observer jumpcloud.Observer
	// ClientOptions, when set, adjusts the options of every client built (tests shorten retries).
	ClientOptions func(*jumpcloud.Options)

	listeners []func(Ref)
	// feeds outlive the clients of their connections: a new key keeps the feed's position.
	feeds    map[Ref]*Feed
	instance string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{conns: map[Ref]*Connection{}, feeds: map[Ref]*Feed{}, instance: newInstance()}
}

// newInstance names this process in the User-Agent of its requests, so that the change feed
// tells its own writes from anyone else's, another installation's included.
func newInstance() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "jumpcloud-operator-instance/" + hex.EncodeToString(b[:])
}

// feedFor returns ref's change feed, made on first use. The caller holds r.mu.
func (r *Registry) feedFor(ref Ref) *Feed {
	f := r.feeds[ref]
	if f == nil {
		f = NewFeed(r.instance)
		r.feeds[ref] = f
	}
	return f
}

// Refs returns the refs of the installed connections.
func (r *Registry) Refs() []Ref {
	r.mu.RLock()
	defer r.mu.RUnlock()
	refs := make([]Ref, 0, len(r.conns))
	for ref := range r.conns {
		refs = append(refs, ref)
	}
	return refs
}

// Notify tells the OnInstall listeners about ref, as an install does: the resources using the
// connection take a pass (the change feed's state changed, or it lost track of the changes).
func (r *Registry) Notify(ref Ref) {
	r.mu.RLock()
	listeners := r.listeners
	r.mu.RUnlock()
	for _, fn := range listeners {
		fn(ref)
	}
}

// Get returns the connection installed for ref, if any.
func (r *Registry) Get(ref Ref) (*Connection, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.conns[ref]
	return c, ok
}

// Current reports whether the installed connection for ref was built from this key and settings.
func (r *Registry) Current(ref Ref, fingerprint string) bool {
	c, ok := r.Get(ref)
	return ok && c.fingerprint == fingerprint
}

// Build returns a client for the key and settings without installing it, so that the caller can
// verify the key first.
func (r *Registry) Build(ref Ref, apiKey string, s Settings) (*Connection, error) {
	rps, burst := ClientRateLimit(s.RequestsPerSecond, s.Burst)
	opts := jumpcloud.Options{
		BaseURL:           s.BaseURL,
		Region:            s.Region,
		APIKey:            apiKey,
		OrgID:             s.OrgID,
		RequestsPerSecond: rps,
		Burst:             burst,
		Observer:          r.Observer,
		UserAgent:         r.instance,
	}
	if r.ClientOptions != nil {
		r.ClientOptions(&opts)
	}
	c, err := jumpcloud.New(opts)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	feed := r.feedFor(ref)
	r.mu.Unlock()
	c.OnWrite(func(ids []string) { feed.NoteWrite(ids, time.Now()) })
	return &Connection{Ref: ref, Client: c, Settings: s, Feed: feed, fingerprint: Fingerprint(apiKey, s)}, nil
}

// limiterHeadroom is the spread of delays between the client's token bucket and JumpCloud's that
// the client's burst leaves room for.
const limiterHeadroom = 250 * time.Millisecond

// ClientRateLimit turns a connection's rate limit, which states what JumpCloud allows the key,
// into the client's token bucket. The rate stays; the burst is lowered by what the rate brings in
// limiterHeadroom. Requests leave the client within its bucket but reach JumpCloud after delays
// that vary (network, scheduling); JumpCloud's bucket of burst B at rate r accepts everything a
// client bucket of burst B' sends when B' + r·(delay spread) ≤ B, so with the headroom a limit at
// or below JumpCloud's never earns a 429, at the price of a slightly smaller first burst.
func ClientRateLimit(rps float64, burst int) (float64, int) {
	if rps <= 0 || burst <= 0 || math.IsInf(rps, 1) {
		return rps, burst
	}
	return rps, max(1, burst-int(math.Ceil(rps*limiterHeadroom.Seconds())))
}

// Install makes c the connection for its ref, replacing any earlier one, and tells the listeners.
func (r *Registry) Install(c *Connection) {
	r.mu.Lock()
	r.conns[c.Ref] = c
	listeners := r.listeners
	r.mu.Unlock()
	for _, fn := range listeners {
		fn(c.Ref)
	}
}

// OnInstall registers fn to be called, without blocking, after each Install and each change of
// settings: resources waiting for a connection learn at once that it is ready, whether or not its
// status changed, and resources using it read its new settings.
func (r *Registry) OnInstall(fn func(Ref)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, fn)
}

// UpdateSettings changes the settings that need no new client (resync interval, adoption, owner
// mark) of an installed connection. When they changed, the OnInstall listeners are told, as for
// an install: the resources using the connection must read them, and the watch on the
// connection object may have woken them before the settings were applied here.
func (r *Registry) UpdateSettings(ref Ref, s Settings) {
	r.mu.Lock()
	c, ok := r.conns[ref]
	if !ok || sameSettings(c.Settings, s) {
		r.mu.Unlock()
		return
	}
	cp := *c
	cp.Settings = s
	r.conns[ref] = &cp
	listeners := r.listeners
	r.mu.Unlock()
	for _, fn := range listeners {
		fn(ref)
	}
}

func sameSettings(a, b Settings) bool {
	am, bm := a.OwnerMark, b.OwnerMark
	a.OwnerMark, b.OwnerMark = nil, nil
	return a == b && (am == nil) == (bm == nil) && (am == nil || *am == *bm)
}

// Remove forgets the connection for ref, so that resources using it wait. Its change feed
// stops at its next poll and starts afresh if the connection comes back.
func (r *Registry) Remove(ref Ref) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, ref)
	if f := r.feeds[ref]; f != nil {
		f.Stop()
		delete(r.feeds, ref)
	}
}
