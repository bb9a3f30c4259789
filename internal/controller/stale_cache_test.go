package controller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// laggingClient reads objects from the API server, except that it serves a fixed old copy of one
// JumpCloudUser, as an informer cache that has not yet seen the latest writes would; lists go to
// the cache (for its indexes). It counts the writes that go through it.
type laggingClient struct {
	client.Client // backed by the cache
	direct        client.Client
	stale         *iamv1alpha1.JumpCloudUser
	writes        atomic.Int32
}

func (c *laggingClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if u, ok := obj.(*iamv1alpha1.JumpCloudUser); ok && c.stale != nil && key == client.ObjectKeyFromObject(c.stale) {
		c.stale.DeepCopyInto(u)
		return nil
	}
	return c.direct.Get(ctx, key, obj, opts...)
}

func (c *laggingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.writes.Add(1)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c *laggingClient) Status() client.SubResourceWriter {
	return &countingStatus{SubResourceWriter: c.Client.Status(), writes: &c.writes}
}

type countingStatus struct {
	client.SubResourceWriter
	writes *atomic.Int32
}

func (s *countingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	s.writes.Add(1)
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

// A pass that reads a copy older than its own previous write must not patch status against it:
// the fields it sets to what the old copy holds would be left out, and the previous write would
// stand. The chaos suite found this: a user whose connection became ready right after a pass had
// written ConnectionNotReady was reconciled again on a cache still showing Ready from before,
// "wrote" Ready as no change, and stayed ConnectionNotReady until its next resync.
func TestPassOnCacheOlderThanOwnWriteWaits(t *testing.T) {
	env, err := testenv.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	informers, err := cache.New(cfg, cache.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := indexUsers(ctx, informers); err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(ctx) }()
	cached, err := client.New(cfg, client.Options{Scheme: env.Scheme, Cache: &client.CacheOptions{Reader: informers}})
	if err != nil {
		t.Fatal(err)
	}

	const org, key, ns = "5f0c1a2b3c4d5e6f70819a09", "key-stale-cache", "stale"
	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{key: {org}}})
	url, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: url},
			},
		},
		&iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ann"},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "ann", Email: "ann@example.com"},
		},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	reg := connection.NewRegistry()
	conn, err := reg.Build(connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
		key, connection.SettingsFrom(iamv1alpha1.ConnectionSettings{BaseURL: url}))
	if err != nil {
		t.Fatal(err)
	}
	lag := &laggingClient{Client: cached, direct: c}
	r := &JumpCloudUserReconciler{
		Client: lag, APIReader: c, Registry: reg, Recorder: events.NewFakeRecorder(100),
		DefaultDeletionPolicy: iamv1alpha1.DeletionPolicySuspend, DriftDetection: DriftDetectionPerResource,
		Jitter: func(d time.Duration) time.Duration { return d },
	}
	req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "ann"}}
	pass := func() ctrl.Result {
		t.Helper()
		res, err := r.Reconcile(ctx, req)
		if err != nil {
			t.Fatalf("pass: %v", err)
		}
		return res
	}
	reason := func() string {
		t.Helper()
		var u iamv1alpha1.JumpCloudUser
		if err := c.Get(ctx, req.NamespacedName, &u); err != nil {
			t.Fatal(err)
		}
		if ready := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReady); ready != nil && ready.Status == metav1.ConditionTrue {
			return "Ready"
		}
		if rc := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReconciling); rc != nil && rc.Status == metav1.ConditionTrue {
			return rc.Reason
		}
		return "neither Ready nor Reconciling"
	}

	// Ready; the copy read now is what a lagging cache serves later.
	reg.Install(conn)
	pass()
	if got := reason(); got != "Ready" {
		t.Fatalf("after the first pass: %s, want Ready", got)
	}
	var old iamv1alpha1.JumpCloudUser
	if err := c.Get(ctx, req.NamespacedName, &old); err != nil {
		t.Fatal(err)
	}

	// The connection goes away (a restart, before the key is verified again): the pass writes
	// ConnectionNotReady.
	reg.Remove(conn.Ref)
	if res := pass(); res.RequeueAfter != time.Minute {
		t.Fatalf("a pass without a connection comes back after %s, want 1m", res.RequeueAfter)
	}
	if got := reason(); got != iamv1alpha1.ReasonConnectionNotReady {
		t.Fatalf("without a connection: %s, want %s", got, iamv1alpha1.ReasonConnectionNotReady)
	}

	// The connection is back, and the next pass reads the old Ready copy.
	reg.Install(conn)
	lag.stale = &old
	lag.writes.Store(0)
	calls := sim.Count("*")
	res := pass()
	if res.RequeueAfter != cacheLagDelay {
		t.Errorf("a pass on a copy older than its own write comes back after %s, want %s", res.RequeueAfter, cacheLagDelay)
	}
	if n := lag.writes.Load(); n != 0 {
		t.Errorf("a pass on a copy older than its own write wrote %d times, want 0", n)
	}
	if n := sim.Count("*") - calls; n != 0 {
		t.Errorf("a pass on a copy older than its own write called JumpCloud %d times, want 0", n)
	}

	// Once the cache catches up, the pass writes Ready.
	lag.stale = nil
	pass()
	if got := reason(); got != "Ready" {
		t.Fatalf("after the cache caught up: %s, want Ready", got)
	}
}
