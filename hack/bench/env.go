package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// bench is the environment the scenarios share: the control plane, a client without client-side
// rate limiting, and the manager process.
type bench struct {
	ctx         context.Context
	env         *devenv.Env
	bin         string
	cfg         config
	c           client.Client
	metricsPort int
	// pprofPort serves the manager's pprof endpoints on loopback; 0 when -heap-profiles=false.
	pprofPort int
	mode      string
	sims      []*jcsim.Server
	// steady is the simulator of scenarios (b) and (e).
	steady *steady
}

func newBench(ctx context.Context, env *devenv.Env, bin string, cfg config) (*bench, error) {
	rc := rest.CopyConfig(env.Config)
	rc.QPS, rc.Burst = -1, 0 // the API server's own flow control is the only limit
	c, err := client.New(rc, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		return nil, err
	}
	return &bench{ctx: ctx, env: env, bin: bin, cfg: cfg, c: c}, nil
}

func (b *bench) close() {
	for _, s := range b.sims {
		_ = s.Close()
	}
}

// startManager runs the manager with the drift detection mode and a plain-HTTP metrics endpoint on
// loopback, and waits until the endpoint answers.
func (b *bench) startManager(mode string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	b.metricsPort, b.mode = port, mode
	args := []string{"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-secure=false",
		"--drift-detection=" + mode, "--max-concurrent-reconciles=" + strconv.Itoa(b.cfg.workers)}
	if b.cfg.heapProfiles {
		if b.pprofPort, err = freePort(); err != nil {
			return err
		}
		args = append(args, "--pprof-bind-address", fmt.Sprintf("127.0.0.1:%d", b.pprofPort))
	}
	if err := b.env.StartManager(b.bin, nil, args...); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := b.metrics(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the manager's metrics endpoint did not answer within a minute (see %s)", b.env.ManagerLog())
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// metrics reads the manager's Prometheus metrics as name → value (samples without labels).
func (b *bench) metrics() (map[string]float64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", b.metricsPort))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.Contains(line, "{") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// memory reads the manager's resident set (now, peak, and its anonymous and file-backed parts)
// from /proc and its heap from metrics.
func (b *bench) memory() (memoryResult, error) {
	var m memoryResult
	pid := b.env.ManagerPID()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[0], 64)
		switch key {
		case "VmRSS":
			m.RSSMiB = kb / 1024
		case "VmHWM":
			m.PeakRSSMiB = kb / 1024
		case "RssAnon":
			m.RSSAnonMiB = kb / 1024
		case "RssFile":
			m.RSSFileMiB = kb / 1024
		}
	}
	if m.CPUSeconds, err = cpuSeconds(pid); err != nil {
		return m, err
	}
	mt, err := b.metrics()
	if err != nil {
		return m, err
	}
	m.HeapInuseMiB = mt["go_memstats_heap_inuse_bytes"] / (1 << 20)
	m.HeapAllocMiB = mt["go_memstats_heap_alloc_bytes"] / (1 << 20)
	m.HeapIdleMiB = mt["go_memstats_heap_idle_bytes"] / (1 << 20)
	m.HeapReleasedMiB = mt["go_memstats_heap_released_bytes"] / (1 << 20)
	m.NextGCMiB = mt["go_memstats_next_gc_bytes"] / (1 << 20)
	m.SysMiB = mt["go_memstats_sys_bytes"] / (1 << 20)
	m.Goroutines = int(mt["go_goroutines"])
	return m, nil
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuSeconds is the CPU time (user and system) a process has used since it started.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command (in parentheses, which may hold spaces): state is the 3rd
	// field of the line, utime and stime the 14th and 15th.
	_, rest, ok := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, b)
	}
	return (utime + stime) / clockTicks, nil
}

// simulator starts a simulator whose every answer is recorded.
func (b *bench) simulator(org string, knobs jcsim.Knobs) (*jcsim.Server, string, *recorder, error) {
	rec := &recorder{}
	key := fmt.Sprintf("bench-key-%s-%d", org[len(org)-4:], time.Now().UnixNano())
	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{key: {org}}, Knobs: knobs, OnRequest: rec.add, RequestLogSize: 100})
	if _, err := sim.Start(); err != nil {
		return nil, "", nil, err
	}
	b.sims = append(b.sims, sim)
	return sim, key, rec, nil
}

// connection creates a namespace with a Secret and a JumpCloudConnection "default" to the
// simulator, and waits until it is Ready.
func (b *bench) connection(ns, url, key string, settings iamv1alpha1.ConnectionSettings) error {
	ctx := b.ctx
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	if err := b.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jumpcloud"},
		StringData: map[string]string{"api-key": key},
	}); err != nil {
		return err
	}
	settings.BaseURL = url
	if err := b.c.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
		Spec:       iamv1alpha1.JumpCloudConnectionSpec{APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"}, ConnectionSettings: settings},
	}); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var c iamv1alpha1.JumpCloudConnection
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName}, &c); err == nil {
			for _, cond := range c.Status.Conditions {
				if cond.Type == iamv1alpha1.ConditionReady && cond.Status == metav1.ConditionTrue {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("connection %s/default did not become Ready", ns)
}

// createUsers creates JumpCloudUsers with a few clients in parallel.
func (b *bench) createUsers(n, parallel int, mk func(i int) *iamv1alpha1.JumpCloudUser) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range parallel {
		wg.Go(func() {
			for i := range next {
				if err := b.c.Create(b.ctx, mk(i)); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// tracker follows the JumpCloudUsers of a namespace through a watch and notes when each first
// became Ready at its generation.
type tracker struct {
	mu     sync.Mutex
	ready  map[string]time.Time
	exists map[string]bool
	cancel context.CancelFunc
	// changed is signalled (without blocking) on every event.
	changed chan struct{}
}

func (b *bench) track(ns string) (*tracker, error) {
	ctx, cancel := context.WithCancel(b.ctx)
	ca, err := cache.New(b.env.Config, cache.Options{
		Scheme:            testenv.Scheme(),
		DefaultNamespaces: map[string]cache.Config{ns: {}},
		DefaultTransform:  cache.TransformStripManagedFields(),
	})
	if err != nil {
		cancel()
		return nil, err
	}
	inf, err := ca.GetInformer(ctx, &iamv1alpha1.JumpCloudUser{})
	if err != nil {
		cancel()
		return nil, err
	}
	t := &tracker{ready: map[string]time.Time{}, exists: map[string]bool{}, cancel: cancel, changed: make(chan struct{}, 1)}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { t.observe(o, false) },
		UpdateFunc: func(_, o any) { t.observe(o, false) },
		DeleteFunc: func(o any) { t.observe(o, true) },
	}); err != nil {
		cancel()
		return nil, err
	}
	go func() { _ = ca.Start(ctx) }()
	if !ca.WaitForCacheSync(ctx) {
		cancel()
		return nil, fmt.Errorf("the watch of namespace %s did not sync", ns)
	}
	return t, nil
}

func (t *tracker) observe(o any, deleted bool) {
	if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	u, ok := o.(*iamv1alpha1.JumpCloudUser)
	if !ok {
		return
	}
	now := time.Now()
	t.mu.Lock()
	if deleted {
		delete(t.exists, u.Name)
	} else {
		t.exists[u.Name] = true
		if _, seen := t.ready[u.Name]; !seen && isReady(u) {
			t.ready[u.Name] = now
		}
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func isReady(u *iamv1alpha1.JumpCloudUser) bool {
	if u.Status.ObservedGeneration != u.Generation {
		return false
	}
	for _, c := range u.Status.Conditions {
		if c.Type == iamv1alpha1.ConditionReady {
			return c.Status == metav1.ConditionTrue && c.ObservedGeneration == u.Generation
		}
	}
	return false
}

// readyAt returns when name first became Ready.
func (t *tracker) readyAt(name string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.ready[name]
	return at, ok
}

// waitFor waits until cond holds over (ready count, existing count), or the timeout passes.
func (t *tracker) waitFor(timeout time.Duration, what string, cond func(ready, existing int) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		t.mu.Lock()
		ready, existing := len(t.ready), len(t.exists)
		t.mu.Unlock()
		if cond(ready, existing) {
			return nil
		}
		select {
		case <-t.changed:
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("timed out after %s waiting for %s (%d Ready, %d exist)", timeout, what, ready, existing)
		}
	}
}

// lastReady is when the last of the Ready users became Ready.
func (t *tracker) lastReady() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last time.Time
	for _, at := range t.ready {
		if at.After(last) {
			last = at
		}
	}
	return last
}

func (t *tracker) stop() { t.cancel() }

// recorder keeps every request a simulator answered, with its time.
type recorder struct {
	mu   sync.Mutex
	reqs []call
}

type call struct {
	at     time.Time
	op     string
	status int
}

func (r *recorder) add(q jcsim.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, call{at: time.Now(), op: q.Op, status: q.Status})
}

// writeOps are the operations that change a JumpCloud user.
var writeOps = map[string]bool{
	"create": true, "update": true, "delete": true, "activate": true, "suspend": true,
	"unlock": true, "expire": true, "resetmfa": true,
}

// between counts the requests answered in [from, to).
func (r *recorder) between(from, to time.Time) callCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := callCounts{ByOp: map[string]int{}}
	for _, q := range r.reqs {
		if q.at.Before(from) || !q.at.Before(to) {
			continue
		}
		c.Total++
		c.ByOp[q.op]++
		if writeOps[q.op] {
			c.Writes++
		}
		if q.status == http.StatusTooManyRequests {
			c.TooManyRequests++
		}
	}
	return c
}

// nth returns the time of the n-th (1-based) request of op at or after from.
func (r *recorder) nth(op string, n int, from time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		if q.op == op && !q.at.Before(from) {
			if n--; n == 0 {
				return q.at, true
			}
		}
	}
	return time.Time{}, false
}
