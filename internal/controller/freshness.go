package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheLagDelay is how soon a pass that found the cache behind its controller's own last write
// is tried again. The cache usually catches up within milliseconds.
const cacheLagDelay = 100 * time.Millisecond

// writeLog remembers the resourceVersion each object was left at by a controller's last write to
// it, until the controller's cache shows that write, so that a pass can tell when the copy it read
// is older than what the controller itself wrote.
//
// A pass patches status with the difference between the copy it read and the status it
// computed. On a copy older than the previous pass's write, a field the pass sets to the value the
// old copy holds is left out of the patch, and the value the previous pass wrote stays: a user
// whose previous pass wrote ConnectionNotReady, reconciled again at once because its connection
// became ready, computed Ready against a cached Ready from before, wrote nothing, and showed
// ConnectionNotReady until its next resync (found by the chaos suite). A pass on a copy older than
// the controller's own write therefore does nothing and comes back shortly.
//
// A writeLog is safe for concurrent use; its zero value is empty and ready.
type writeLog struct {
	mu sync.Mutex
	rv map[types.NamespacedName]string
}

// behind reports whether obj, as read from the cache, is older than the controller's last write
// to it. Once the cache shows that write, the record is dropped.
func (l *writeLog) behind(obj client.Object) bool {
	key := client.ObjectKeyFromObject(obj)
	l.mu.Lock()
	defer l.mu.Unlock()
	written, ok := l.rv[key]
	if !ok {
		return false
	}
	cmp, err := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), written)
	if err == nil && cmp < 0 {
		return true
	}
	// Caught up (or resourceVersions this API server does not let us compare: never wait then).
	delete(l.rv, key)
	return false
}

// wrote records obj's resourceVersion after a pass when the pass changed it from readRV (the one
// the pass read): the object now carries the server's answer to the pass's last write.
func (l *writeLog) wrote(obj client.Object, readRV string) {
	rv := obj.GetResourceVersion()
	if rv == "" || rv == readRV {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rv == nil {
		l.rv = map[types.NamespacedName]string{}
	}
	l.rv[client.ObjectKeyFromObject(obj)] = rv
}

// forget drops the record of an object that is gone.
func (l *writeLog) forget(key types.NamespacedName) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.rv, key)
}
