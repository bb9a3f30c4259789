package connection

import (
	"context"
	"sync"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// GroupSnapshot is a connection's view of its JumpCloud user groups for bulk drift detection: one
// paged list of every group (⌈groups/100⌉ calls) serves every JumpCloudUserGroup of the
// connection for a resync interval. Member lists are not part of it; a group reads its own. A
// failed list keeps the previous view and is not tried again for a while (5 s, doubling up to the
// interval). It is safe for concurrent use.
type GroupSnapshot struct {
	// Now is the clock; nil means time.Now. Set it before first use.
	Now func() time.Time

	mu       sync.Mutex
	client   *jumpcloud.Client
	byID     map[string]jumpcloud.Group
	byName   map[string]string
	loadedAt time.Time
	flight   *refresh
	failures int
	retryAt  time.Time
	lastErr  error
}

// NewGroupSnapshot returns an empty view that lists groups through client.
func NewGroupSnapshot(client *jumpcloud.Client) *GroupSnapshot {
	return &GroupSnapshot{client: client, byID: map[string]jumpcloud.Group{}, byName: map[string]string{}}
}

func (g *GroupSnapshot) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Fresh makes sure the view is younger than maxAge, listing every group first when it is not
// (one list, shared with concurrent callers). Without any view after a failed list it returns an
// *UnavailableError.
func (g *GroupSnapshot) Fresh(ctx context.Context, maxAge time.Duration) error {
	g.mu.Lock()
	now := g.now()
	loaded := !g.loadedAt.IsZero()
	switch {
	case loaded && now.Sub(g.loadedAt) < maxAge:
		g.mu.Unlock()
		return nil
	case g.flight != nil:
		f := g.flight
		g.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		return g.unavailable()
	case now.Before(g.retryAt):
		g.mu.Unlock()
		return g.unavailable()
	}
	f := &refresh{done: make(chan struct{})}
	g.flight = f
	client, size := g.client, len(g.byID)
	g.mu.Unlock()

	// The maps are filled as the pages arrive, so that no list of every group is kept besides them.
	byID, byName := make(map[string]jumpcloud.Group, size), make(map[string]string, size)
	var err error
	for grp, lerr := range client.AllGroups(ctx, jumpcloud.GroupListOptions{Limit: jumpcloud.MaxPageSize}) {
		if lerr != nil {
			err = lerr
			break
		}
		byID[grp.ID], byName[grp.Name] = grp, grp.ID
	}

	g.mu.Lock()
	if err == nil {
		g.byID, g.byName = byID, byName
		g.loadedAt, g.failures, g.retryAt, g.lastErr = g.now(), 0, time.Time{}, nil
	} else {
		g.failures++
		g.retryAt, g.lastErr = g.now().Add(retryDelay(g.failures, maxAge)), err
	}
	g.flight = nil
	f.err = err
	close(f.done)
	g.mu.Unlock()
	return g.unavailable()
}

// unavailable returns the error of a view that has never been listed after a failed list.
func (g *GroupSnapshot) unavailable() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.loadedAt.IsZero() || g.lastErr == nil {
		return nil
	}
	return &UnavailableError{Err: g.lastErr, RetryAt: g.retryAt}
}

// Current reports whether the view is younger than maxAge.
func (g *GroupSnapshot) Current(maxAge time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.loadedAt.IsZero() && g.now().Sub(g.loadedAt) < maxAge
}

// Group returns the group with the id, if the view holds it.
func (g *GroupSnapshot) Group(id string) (jumpcloud.Group, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	grp, ok := g.byID[id]
	return grp, ok
}

// GroupByName returns the group with the name, if the view holds it.
func (g *GroupSnapshot) GroupByName(name string) (jumpcloud.Group, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.byName[name]
	if !ok {
		return jumpcloud.Group{}, false
	}
	grp, ok := g.byID[id]
	return grp, ok
}

// Put records what JumpCloud answered about a group.
func (g *GroupSnapshot) Put(grp jumpcloud.Group) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.byID[grp.ID]; ok && old.Name != grp.Name {
		delete(g.byName, old.Name)
	}
	g.byID[grp.ID], g.byName[grp.Name] = grp, grp.ID
}

// Forget drops a group, so that the next reader asks JumpCloud.
func (g *GroupSnapshot) Forget(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.byID[id]; ok {
		delete(g.byName, old.Name)
		delete(g.byID, id)
	}
}

// SetClient changes the client later lists use.
func (g *GroupSnapshot) SetClient(c *jumpcloud.Client) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.client = c
}
