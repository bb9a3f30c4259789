package controller

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// indexJumpCloudID indexes users and groups by the JumpCloud id in their status, so that an event
// naming an id finds its resource.
const indexJumpCloudID = "status.id"

// feedRunner polls the change feed of every connection that enables it (one goroutine each,
// while this process leads) and hands the resources the events name to their reconcilers: it
// drops the named objects from the connection's snapshot first, so that the pass reads them from
// JumpCloud (one GET) and corrects what differs. Its own writes are left out (connection.Feed).
type feedRunner struct {
	client    client.Reader
	registry  *connection.Registry
	snapshots *connection.Snapshots
	// users, groups and connections carry the objects to reconcile to their controllers.
	users, groups chan event.GenericEvent
	connections   map[iamv1alpha1.ConnectionKind]chan event.GenericEvent
	// now is the clock; nil means time.Now.
	now func() time.Time

	mu      sync.Mutex
	ctx     context.Context // set by Start
	running map[connection.Ref]bool
}

func newFeedRunner(c client.Reader, reg *connection.Registry, snaps *connection.Snapshots) *feedRunner {
	return &feedRunner{
		client: c, registry: reg, snapshots: snaps,
		users:  make(chan event.GenericEvent, 256),
		groups: make(chan event.GenericEvent, 256),
		connections: map[iamv1alpha1.ConnectionKind]chan event.GenericEvent{
			iamv1alpha1.ConnectionKindNamespaced: make(chan event.GenericEvent, 16),
			iamv1alpha1.ConnectionKindCluster:    make(chan event.GenericEvent, 16),
		},
		running: map[connection.Ref]bool{},
	}
}

// source returns the source of one controller's feed events.
func (f *feedRunner) source(ch chan event.GenericEvent) source.Source {
	return source.Channel(ch, &handler.EnqueueRequestForObject{})
}

// Start runs the feeds until ctx ends. It is a leader-elected runnable: a feed polls in one
// replica only.
func (f *feedRunner) Start(ctx context.Context) error {
	f.mu.Lock()
	f.ctx = ctx
	f.mu.Unlock()
	f.registry.OnInstall(f.ensure)
	for _, ref := range f.registry.Refs() {
		f.ensure(ref)
	}
	<-ctx.Done()
	return nil
}

// ensure starts ref's feed when its connection enables one and it does not run yet.
func (f *feedRunner) ensure(ref connection.Ref) {
	conn, ok := f.registry.Get(ref)
	if !ok || !conn.Settings.Feed.Enabled {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx == nil || f.running[ref] {
		return
	}
	f.running[ref] = true
	go f.run(f.ctx, ref)
}

// run polls ref's feed every interval until its connection goes or disables the feed.
func (f *feedRunner) run(ctx context.Context, ref connection.Ref) {
	log := logf.FromContext(ctx).WithValues("connection", ref.String())
	defer func() {
		f.mu.Lock()
		delete(f.running, ref)
		f.mu.Unlock()
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		conn, ok := f.registry.Get(ref)
		if !ok || !conn.Settings.Feed.Enabled {
			if ok {
				conn.Feed.Stop()
				f.stateChanged(ref)
			}
			return
		}
		// A connection rebuilt from a new key may bring a new feed: mark it polled each time.
		conn.Feed.Start()
		wait := f.poll(ctx, log, conn)
		timer.Reset(wait)
	}
}

// poll runs one poll of conn's feed, hands on what it found and returns the pause before the
// next one.
func (f *feedRunner) poll(ctx context.Context, log logr.Logger, conn *connection.Connection) time.Duration {
	feed := conn.Feed
	before, _ := feed.State()
	res, err := feed.Poll(ctx, conn.Client, clock{Now: f.now}.now())
	after, msg := feed.State()
	wait := conn.Settings.Feed.Interval
	if err != nil {
		if after == connection.FeedRefused {
			wait = connection.FeedRefusedRetry
		}
		if ra := jumpcloud.RetryAfterOf(err); ra > wait {
			wait = ra
		}
		if after != before {
			log.Info("Change feed unavailable; the periodic comparison runs at the connection's resync interval", "state", after, "reason", msg)
		}
	}
	if after != before {
		f.stateChanged(conn.Ref)
		if before == connection.FeedPolling {
			// Resources wait for the feed's longer interval: wake them, so that they fall back
			// to the connection's.
			f.registry.Notify(conn.Ref)
		}
	}
	if res.Resync {
		log.Info("More changes than one poll reads; comparing every resource")
		f.snapshots.Drop(conn.Ref)
		f.registry.Notify(conn.Ref)
		return wait
	}
	for _, c := range res.Changes {
		f.hand(ctx, conn, c)
	}
	return wait
}

// hand passes one changed object to the reconciler of the resources that manage it.
func (f *feedRunner) hand(ctx context.Context, conn *connection.Connection, c connection.Change) {
	var list client.ObjectList
	var ch chan event.GenericEvent
	switch c.Kind {
	case "user":
		if f.snapshots.Has(conn.Ref) {
			f.snapshots.For(conn).Forget(c.ID)
		}
		list, ch = &iamv1alpha1.JumpCloudUserList{}, f.users
	case "group":
		if f.snapshots.Has(conn.Ref) {
			f.snapshots.Groups(conn).Forget(c.ID)
		}
		list, ch = &iamv1alpha1.JumpCloudUserGroupList{}, f.groups
	default:
		return
	}
	if err := f.client.List(ctx, list, client.MatchingFields{indexJumpCloudID: c.ID}); err != nil {
		return // the periodic comparison covers it
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return
	}
	for _, item := range items {
		obj, ok := item.(client.Object)
		if !ok {
			continue
		}
		select {
		case ch <- event.GenericEvent{Object: obj}:
		case <-ctx.Done():
			return
		}
	}
}

// stateChanged has the connection's status show the feed's new state.
func (f *feedRunner) stateChanged(ref connection.Ref) {
	select {
	case f.connections[ref.Kind] <- event.GenericEvent{Object: connectionObjectFor(ref)}:
	default: // full: the connection's periodic re-verification shows it
	}
}
