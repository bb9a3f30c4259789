// Package chaos proves with figures that the operator keeps working under faults, loses nothing and
// leaks nothing. The whole system runs on this machine (internal/devenv): a control plane, the
// JumpCloud simulator behind a front that adds 429s, and the manager as two processes with leader
// election (a leader and a standby, replicas_test.go) while 300 JumpCloudUsers and 100
// JumpCloudUserOperations are worked on and the simulator fails requests: the leader is killed with
// SIGKILL at random points (the standby takes over, a new standby is started), and once the API
// server is stopped and started again (the leader exits, "leader election lost", and is replaced as
// a kubelet would). Once the faults stop and the system settles, the suite checks the simulator's
// state and request log and prints the figures.
//
// It is slow (minutes) and runs only with CHAOS=1 (make chaos); CHAOS_SEED=N replays a run's random
// choices (the timing of a run is never exactly the same); CHAOS_KEEP=1 keeps the environment's
// directory (kubeconfig, the replicas' logs manager-NN.log) for a look afterwards, and when the
// system does not settle, ends the replicas with SIGQUIT so that their logs show what every
// goroutine was doing;
// CHAOS_LOG_LEVEL=5 logs each reconcile and the work queues.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// The workload and the faults.
const (
	numUsers     = 300 // JumpCloudUsers that must end Ready and matching their spec
	numEphemeral = 20  // more JumpCloudUsers (deletionPolicy Delete), deleted during the chaos
	numResetMFA  = 34  // a third of the operations
	numUnlock    = 22
	numExpire    = 22
	numActivate  = 22
	numKills     = 6 // SIGKILLs of the leader (at least 5)

	rate5xx        = 0.10 // answered 500/502/503/504 without running
	rate429        = 0.05 // answered 429, half of them with Retry-After: 1
	rateCommitDrop = 0.03 // creates stored, then the connection dropped without an answer
	rateSlow       = 0.03 // latency spikes
	slowDelay      = 2 * time.Second

	namespace = "chaos"
	settleFor = 6 * time.Minute
)

func TestChaos(t *testing.T) {
	if os.Getenv("CHAOS") == "" {
		t.Skip("the chaos suite runs with CHAOS=1 (make chaos)")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("CHAOS_SEED: %v", err)
		}
	}
	report("seed %d (replay the random choices with CHAOS_SEED=%d)", seed, seed)

	r := newRun(t, seed)
	r.setUp()
	r.chaos()
	r.settle()
	r.verify()
}

// run is one chaos run: the environment, the simulator, the workload and what was recorded.
type run struct {
	t     *testing.T
	seed  uint64
	start time.Time
	env   *devenv.Env
	c     client.Client
	sim   *jcsim.Server
	front *front
	key   string
	bin   string

	users     []*iamv1alpha1.JumpCloudUser // the numUsers users, by index
	ephemeral []string
	passwords map[string]string // username -> password
	ops       map[string]opPlan // operation name -> what it does

	kills     []kill // when and what each SIGKILL hit
	lockedOut atomic.Int64
	timings   []string

	reps             replicaSet   // the manager processes
	outage           outageRecord // the API server outage
	kubeCallsRetried atomic.Int64 // the drivers' Kubernetes calls that had to wait for the API server
	kubeRetries      atomic.Int64
	disrupted        time.Time // the last kill, or the API server outage
}

type opPlan struct {
	typ  iamv1alpha1.OperationType
	user int
}

func newRun(t *testing.T, seed uint64) *run {
	return &run{t: t, seed: seed, start: time.Now(), passwords: map[string]string{}, ops: map[string]opPlan{}}
}

func report(format string, args ...any) {
	fmt.Printf("chaos: "+format+"\n", args...)
}

// managerArgs are the manager's flags; CHAOS_LOG_LEVEL (debug, or a verbosity such as 5) makes
// its log more detailed for an investigation.
func (r *run) managerArgs() []string {
	if l := os.Getenv("CHAOS_LOG_LEVEL"); l != "" {
		return []string{"--zap-log-level=" + l}
	}
	return nil
}

func (r *run) rng(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(r.seed, stream)) }

func (r *run) phase(name string, since time.Time) {
	d := time.Since(since).Round(100 * time.Millisecond)
	r.timings = append(r.timings, fmt.Sprintf("%s %s", name, d))
	report("%s took %s", name, d)
}

// setUp starts the control plane (with a restartable API server), the simulator behind its front,
// and the manager's replicas, and waits for the connection to be Ready (no faults yet).
func (r *run) setUp() {
	t := r.t
	since := time.Now()
	opts := devenv.Options{NoSimulator: true, RestartableAPIServer: true}
	if os.Getenv("CHAOS_KEEP") != "" {
		dir, err := os.MkdirTemp("", "chaos-")
		if err != nil {
			t.Fatal(err)
		}
		opts.Dir = dir
		report("keeping the environment's directory %s", dir)
	}
	env, err := devenv.Start(opts)
	if err != nil {
		t.Fatalf("starting the environment: %v", err)
	}
	r.env = env
	r.initReplicas()
	t.Cleanup(func() {
		r.closeReplicas()
		if t.Failed() {
			r.tailReplicas(60)
		}
		if err := env.Stop(); err != nil {
			t.Logf("stopping the environment: %v", err)
		}
	})
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS = -1 // no client-side throttling for the driver: the API server is local
	if r.c, err = client.New(cfg, client.Options{Scheme: testenv.Scheme()}); err != nil {
		t.Fatal(err)
	}

	r.key = "chaos-key-" + strconv.FormatUint(r.seed, 36) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	r.sim = jcsim.New(jcsim.Options{
		APIKeys:        map[string][]string{r.key: {devenv.Org}},
		Seed:           r.seed,
		RequestLogSize: 1 << 20, // the whole run: the checks read every request
	})
	r.front = newFront(r.sim, r.rng(1))
	url, err := r.front.start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.front.close)

	if r.bin, err = env.BuildManager(context.Background()); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	must(t, r.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}))
	must(t, r.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "jumpcloud"},
		StringData: map[string]string{"api-key": r.key},
	}))
	must(t, r.c.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{
				BaseURL:   url,
				RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: 50, Burst: 50},
			},
		},
	}))
	for range numReplicas {
		if _, err := r.startReplica(); err != nil {
			t.Fatal(err)
		}
	}
	ready := r.waitFor("the connection to be Ready", time.Minute, func() (bool, string) {
		var c iamv1alpha1.JumpCloudConnection
		if err := r.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: iamv1alpha1.DefaultConnectionName}, &c); err != nil {
			return false, err.Error()
		}
		return meta.IsStatusConditionTrue(c.Status.Conditions, iamv1alpha1.ConditionReady), "not Ready"
	})
	if !ready {
		t.FailNow()
	}
	r.phase(fmt.Sprintf("set-up (control plane, simulator, manager build and start of %d replicas)", numReplicas), since)
}

// chaos turns the faults on, runs the workload while the leader is killed and replaced and the API
// server is down for a while, and turns the faults off again.
func (r *run) chaos() {
	since := time.Now()
	r.sim.SetKnobs(jcsim.Knobs{
		Latency: 2 * time.Millisecond,
		Jitter:  5 * time.Millisecond,
		Faults: jcsim.Faults{
			Rate5xx: rate5xx, Code: http.StatusServiceUnavailable,
			SlowRate: rateSlow, SlowDelay: slowDelay,
			CreateCommitThenDrop: rateCommitDrop,
		},
	})
	r.front.rate429.Store(rate429 * 1e6)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	goRun := func(name string, fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				stop()
			}
		})
	}
	r.users = make([]*iamv1alpha1.JumpCloudUser, numUsers)
	for i := range numUsers {
		r.users[i] = r.userSpec(i)
		if withPassword(i) {
			r.passwords[username(i)] = fmt.Sprintf("Chaos-%03d-%s-Passw0rd!", i, strconv.FormatUint(r.seed%1e6, 36))
		}
	}
	created := make(chan struct{})
	killerDone := make(chan struct{})
	goRun("killer", func(ctx context.Context) error {
		defer close(killerDone)
		return r.killer(ctx)
	})
	goRun("codes", r.rotateCodes(killerDone))
	goRun("users", func(ctx context.Context) error {
		defer close(created)
		return r.createUsers(ctx)
	})
	goRun("ephemeral", r.ephemeralUsers)
	goRun("operations", r.operations)
	goRun("edits", func(ctx context.Context) error {
		select {
		case <-created:
		case <-ctx.Done():
			return nil
		}
		return r.edits(ctx)
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		r.t.Fatal(err)
	}

	// The faults stop; the queued 429s that no request took are dropped.
	r.front.rate429.Store(0)
	r.sim.SetKnobs(jcsim.Knobs{})
	r.sim.ClearFaults()
	r.phase(fmt.Sprintf("chaos (faults on, %d SIGKILLs of the leader, an API server outage)", len(r.kills)), since)
}

// killer SIGKILLs the leader numKills times at random points and starts a new standby after a
// random pause; after the first or the second kill, it takes the API server down for a while.
func (r *run) killer(ctx context.Context) error {
	rng := r.rng(2)
	outageAfter := 1 + rng.IntN(2)
	for i := range numKills {
		if err := sleep(ctx, 4*time.Second+time.Duration(rng.Int64N(int64(9*time.Second)))); err != nil {
			return err
		}
		down := time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))
		if err := r.killLeader(ctx, i+1, down); err != nil {
			return err
		}
		if i+1 == outageAfter {
			if err := r.apiOutage(ctx, rng); err != nil {
				return err
			}
		}
	}
	_, err := r.waitTakeover("the standby to take over after the last kill")
	return err
}

// rotateCodes changes the injected 5xx status now and then, until done is closed.
func (r *run) rotateCodes(done <-chan struct{}) func(context.Context) error {
	return func(ctx context.Context) error {
		rng := r.rng(3)
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-done:
				return nil
			case <-time.After(time.Second):
			}
			code := codes[rng.IntN(len(codes))]
			r.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.Faults.Code = code })
		}
	}
}

// progress says, for the kill log, how far the workload had got.
func (r *run) progress() string {
	var users iamv1alpha1.JumpCloudUserList
	var ops iamv1alpha1.JumpCloudUserOperationList
	if r.c.List(context.Background(), &users, client.InNamespace(namespace)) != nil ||
		r.c.List(context.Background(), &ops, client.InNamespace(namespace)) != nil {
		return "progress unknown"
	}
	withID, running := 0, 0
	for _, u := range users.Items {
		if u.Status.ID != "" {
			withID++
		}
	}
	for _, o := range ops.Items {
		if o.Status.Phase == iamv1alpha1.OperationRunning {
			running++
		}
	}
	return fmt.Sprintf("%d/%d users with an id, %d operations, %d Running", withID, len(users.Items), len(ops.Items), running)
}

// The shape of user i: a mix of the spec features the operator handles.
func staged(i int) bool        { return i%10 == 3 }  // created STAGED
func activateLater(i int) bool { return i%30 == 3 }  // staged, then edited to activated
func suspendLater(i int) bool  { return i%30 == 11 } // activated, then edited to suspended
func locked(i int) bool        { return i%15 == 7 }  // spec.locked: true
func withPassword(i int) bool  { return i%10 == 5 }  // passwordSecretRef
func withManager(i int) bool   { return i%20 == 19 } // manager: the previous user
func editProfile(i int) bool   { return i%5 == 1 || suspendLater(i) || activateLater(i) }
func username(i int) string    { return fmt.Sprintf("chaos-u%03d", i) }

func (r *run) userSpec(i int) *iamv1alpha1.JumpCloudUser {
	u := &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: username(i)},
		Spec: iamv1alpha1.JumpCloudUserSpec{
			Username: username(i),
			Email:    username(i) + "@chaos.example.com",
			Profile: &iamv1alpha1.UserProfile{
				Firstname:  ptr(fmt.Sprintf("First%03d", i)),
				Lastname:   ptr(fmt.Sprintf("Last%03d", i)),
				Department: ptr("Dept-A"),
				JobTitle:   ptr("Engineer"),
			},
		},
	}
	if staged(i) {
		u.Spec.Activated = ptr(false)
	}
	if locked(i) {
		u.Spec.Locked = ptr(true)
	}
	if withPassword(i) {
		u.Spec.PasswordSecretRef = &iamv1alpha1.SecretKeyReference{Name: "pw-" + username(i), Key: "password"}
	}
	if withManager(i) {
		u.Spec.Profile.Manager = &iamv1alpha1.ManagerReference{Name: username(i - 1)}
	}
	return u
}

// createUsers creates the numUsers users (r.users) from four workers, about 15 a second.
func (r *run) createUsers(ctx context.Context) error {
	next := atomic.Int64{}
	var wg sync.WaitGroup
	var first error
	var mu sync.Mutex
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= numUsers || ctx.Err() != nil {
					return
				}
				if err := r.createUser(ctx, i); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
				_ = sleep(ctx, 250*time.Millisecond)
			}
		})
	}
	wg.Wait()
	return first
}

func (r *run) createUser(ctx context.Context, i int) error {
	if withPassword(i) {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pw-" + username(i)},
			StringData: map[string]string{"password": r.passwords[username(i)]},
		}
		if err := r.kube(ctx, opCreate, func() error { return r.c.Create(ctx, s.DeepCopy()) }); err != nil {
			return err
		}
	}
	return r.kube(ctx, opCreate, func() error { return r.c.Create(ctx, r.users[i].DeepCopy()) })
}

// ephemeralUsers creates users that are deleted again while the chaos goes on (some before their
// create could even finish), with deletionPolicy Delete: none may be left in JumpCloud.
func (r *run) ephemeralUsers(ctx context.Context) error {
	rng := r.rng(4)
	for i := range numEphemeral {
		name := fmt.Sprintf("chaos-e%02d", i)
		r.ephemeral = append(r.ephemeral, name)
		u := &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: iamv1alpha1.JumpCloudUserSpec{
				Username: name, Email: name + "@chaos.example.com",
				DeletionPolicy: iamv1alpha1.DeletionPolicyDelete,
			},
		}
		if err := r.kube(ctx, opCreate, func() error { return r.c.Create(ctx, u.DeepCopy()) }); err != nil {
			return err
		}
		if err := sleep(ctx, time.Duration(rng.Int64N(int64(2*time.Second)))); err != nil {
			return err
		}
	}
	for _, i := range rng.Perm(numEphemeral) {
		if err := sleep(ctx, time.Duration(rng.Int64N(int64(1500*time.Millisecond)))); err != nil {
			return err
		}
		u := &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: r.ephemeral[i]}}
		if err := r.kube(ctx, opDelete, func() error { return r.c.Delete(ctx, u.DeepCopy()) }); err != nil {
			return err
		}
	}
	return nil
}

// operations creates the operations on distinct users once each exists in JumpCloud; an Unlock is
// preceded by a lockout in the simulator (failed logins), so that it has something to undo.
func (r *run) operations(ctx context.Context) error {
	rng := r.rng(5)
	var pool []int
	for i := range numUsers {
		if !staged(i) && !locked(i) && !withPassword(i) && !withManager(i) && !suspendLater(i) {
			pool = append(pool, i)
		}
	}
	rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
	var plans []opPlan
	for typ, n := range map[iamv1alpha1.OperationType]int{
		iamv1alpha1.OperationResetMFA: numResetMFA, iamv1alpha1.OperationUnlock: numUnlock,
		iamv1alpha1.OperationExpirePassword: numExpire, iamv1alpha1.OperationActivate: numActivate,
	} {
		for range n {
			plans = append(plans, opPlan{typ: typ})
		}
	}
	sort.Slice(plans, func(a, b int) bool { return plans[a].typ < plans[b].typ })
	rng.Shuffle(len(plans), func(a, b int) { plans[a], plans[b] = plans[b], plans[a] })
	for k := range plans {
		plans[k].user = pool[k]
	}
	for k, p := range plans {
		id, err := r.waitForID(ctx, username(p.user))
		if err != nil {
			return err
		}
		if p.typ == iamv1alpha1.OperationUnlock {
			if err := r.sim.LockOut(devenv.Org, id); err != nil {
				return err
			}
			r.lockedOut.Add(1)
		}
		name := fmt.Sprintf("op-%03d-%s", k, strings.ToLower(string(p.typ)))
		op := &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: iamv1alpha1.JumpCloudUserOperationSpec{
				UserRef: &iamv1alpha1.LocalObjectReference{Name: username(p.user)},
				Type:    p.typ,
			},
		}
		if p.typ == iamv1alpha1.OperationResetMFA && k%2 == 0 {
			op.Spec.ResetMFA = &iamv1alpha1.ResetMFAParameters{ExclusionDays: ptr(int32(7))}
		}
		if err := r.kube(ctx, opCreate, func() error { return r.c.Create(ctx, op.DeepCopy()) }); err != nil {
			return err
		}
		r.ops[name] = p
		if err := sleep(ctx, time.Duration(rng.Int64N(int64(400*time.Millisecond)))); err != nil {
			return err
		}
	}
	return nil
}

// waitForID waits until the simulator has the user (the operator created it), and returns its id.
func (r *run) waitForID(ctx context.Context, name string) (string, error) {
	for {
		if u, ok := r.sim.FindUsername(devenv.Org, name); ok {
			return u.ID, nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// edits changes specs while the chaos goes on: profile fields, and the account state of some.
func (r *run) edits(ctx context.Context) error {
	rng := r.rng(6)
	if err := sleep(ctx, time.Duration(2+rng.IntN(4))*time.Second); err != nil {
		return err
	}
	idx := []int{}
	for i := range numUsers {
		if editProfile(i) {
			idx = append(idx, i)
		}
	}
	rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	for _, i := range idx {
		r.users[i].Spec.Profile.Department = ptr(fmt.Sprintf("Dept-B-%d", rng.IntN(100)))
		r.users[i].Spec.Profile.JobTitle = ptr("Staff Engineer")
		if activateLater(i) {
			r.users[i].Spec.Activated = ptr(true)
		}
		if suspendLater(i) {
			r.users[i].Spec.Activated = ptr(false)
		}
		want := r.users[i].Spec.DeepCopy()
		err := r.kube(ctx, opUpdate, func() error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				var u iamv1alpha1.JumpCloudUser
				if err := r.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: username(i)}, &u); err != nil {
					return err
				}
				u.Spec = *want
				return r.c.Update(ctx, &u)
			})
		})
		if err != nil {
			return err
		}
		if err := sleep(ctx, time.Duration(rng.Int64N(int64(300*time.Millisecond)))); err != nil {
			return err
		}
	}
	return nil
}

// settle waits, faults off, until every user is Ready at its generation, every operation has
// finished and every deleted user is gone.
func (r *run) settle() {
	since := time.Now()
	settled := r.waitFor("the system to settle", settleFor, func() (bool, string) {
		ctx := context.Background()
		var users iamv1alpha1.JumpCloudUserList
		var ops iamv1alpha1.JumpCloudUserOperationList
		if err := r.c.List(ctx, &users, client.InNamespace(namespace)); err != nil {
			return false, err.Error()
		}
		if err := r.c.List(ctx, &ops, client.InNamespace(namespace)); err != nil {
			return false, err.Error()
		}
		var notReady []string
		for _, u := range users.Items {
			if strings.HasPrefix(u.Name, "chaos-e") {
				notReady = append(notReady, u.Name+" (deleted, not gone)")
				continue
			}
			if !readyNow(&u) {
				notReady = append(notReady, u.Name+" ("+summary(u.Status.Conditions)+")")
			}
		}
		var unfinished []string
		for _, o := range ops.Items {
			if o.Status.Phase != iamv1alpha1.OperationSucceeded && o.Status.Phase != iamv1alpha1.OperationFailed {
				unfinished = append(unfinished, fmt.Sprintf("%s (%s: %s)", o.Name, o.Status.Phase, o.Status.Message))
			}
		}
		if len(notReady) == 0 && len(unfinished) == 0 && len(users.Items) == numUsers {
			return true, ""
		}
		return false, fmt.Sprintf("%d users, %d not Ready or not gone %v; %d operations unfinished %v",
			len(users.Items), len(notReady), head(notReady, 5), len(unfinished), head(unfinished, 5))
	})
	if !settled {
		r.t.Errorf("the system did not settle within %s; the figures below show where it stands", settleFor)
		if len(r.live()) == 0 {
			r.t.Errorf("no manager is running")
		}
		r.reps.mu.Lock()
		for _, e := range r.reps.crashed {
			r.t.Errorf("manager %s (pid %d) ended on its own at %s: %s", e.name, e.pid, r.since(e.at), e.how)
		}
		r.reps.mu.Unlock()
		// For an investigation, the stack of every goroutine goes to the kept replicas' logs.
		if os.Getenv("CHAOS_KEEP") != "" {
			r.quitReplicas()
		}
	}
	r.phase("settle (faults off)", since)
}

func readyNow(u *iamv1alpha1.JumpCloudUser) bool {
	c := meta.FindStatusCondition(u.Status.Conditions, iamv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == u.Generation &&
		u.Status.ObservedGeneration == u.Generation && !meta.IsStatusConditionTrue(u.Status.Conditions, iamv1alpha1.ConditionStalled)
}

func summary(conds []metav1.Condition) string {
	var parts []string
	for _, c := range conds {
		if c.Status == metav1.ConditionTrue {
			parts = append(parts, c.Type+"="+c.Reason+": "+c.Message)
		}
	}
	if len(parts) == 0 {
		return "no condition True"
	}
	return strings.Join(parts, "; ")
}

// verify checks the outcome against the simulator's state and request log and prints the figures.
func (r *run) verify() {
	t := r.t
	ctx := context.Background()
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }

	var users iamv1alpha1.JumpCloudUserList
	var ops iamv1alpha1.JumpCloudUserOperationList
	must(t, r.c.List(ctx, &users, client.InNamespace(namespace)))
	must(t, r.c.List(ctx, &ops, client.InNamespace(namespace)))
	reqs := r.sim.Requests()
	if len(reqs) != r.sim.Count("*") {
		fail("the request log is incomplete: %d entries for %d requests", len(reqs), r.sim.Count("*"))
	}

	// Users: one JumpCloud user each, matching the spec; nothing else left in JumpCloud.
	simUsers := r.sim.Users(devenv.Org)
	byName := map[string]jcsim.User{}
	for _, su := range simUsers {
		byName[su.Username] = su
	}
	ids := map[string]string{}
	ready, mismatched, shared := 0, 0, 0
	for i := range users.Items {
		u := &users.Items[i]
		if readyNow(u) {
			ready++
		} else {
			fail("%s is not Ready: %s", u.Name, summary(u.Status.Conditions))
		}
		su, ok := byName[u.Spec.Username]
		if !ok {
			fail("%s: no JumpCloud user %q", u.Name, u.Spec.Username)
			continue
		}
		if u.Status.ID != su.ID {
			fail("%s: status.id %q, JumpCloud has %q", u.Name, u.Status.ID, su.ID)
		}
		if other, dup := ids[su.ID]; dup {
			shared++
			fail("%s and %s share JumpCloud user %s", u.Name, other, su.ID)
		}
		ids[su.ID] = u.Name
		if diffs := r.mismatch(u, su, byName); len(diffs) > 0 {
			mismatched++
			fail("%s differs from its spec in JumpCloud: %s", u.Name, strings.Join(diffs, "; "))
		}
	}
	if len(users.Items) != numUsers {
		fail("%d JumpCloudUsers left, want %d", len(users.Items), numUsers)
	}
	leaked := 0
	for _, su := range simUsers {
		if _, ok := ids[su.ID]; !ok {
			leaked++
			fail("JumpCloud user %s (%s) belongs to no JumpCloudUser", su.Username, su.ID)
		}
	}

	// Creates: exactly one committed per user; at most one per user deleted during the chaos (one
	// deleted before its create was sent has none); no duplicate refused.
	committed, dupRefused, createsSent := 0, 0, 0
	createdByID := map[string]int{}
	for _, q := range reqs {
		if q.Op != "create" {
			continue
		}
		createsSent++
		switch {
		case q.Status == http.StatusOK:
			committed++
			createdByID[q.UserID]++
		case (q.Status == http.StatusBadRequest || q.Status == http.StatusConflict) && !q.Injected:
			dupRefused++
		}
	}
	extra, kept := 0, 0
	for i := range users.Items {
		u := &users.Items[i]
		n := createdByID[u.Status.ID]
		kept += n
		if n != 1 {
			fail("%s: its JumpCloud user %q came from %d committed creates, want 1", u.Name, u.Status.ID, n)
		}
		extra += max(0, n-1)
	}
	ephemeralCreates := committed - kept
	if ephemeralCreates > numEphemeral {
		extra += ephemeralCreates - numEphemeral
		fail("%d creates committed for the %d users deleted during the chaos", ephemeralCreates, numEphemeral)
	}
	if dupRefused != 0 {
		fail("%d creates refused by JumpCloud (a second create for a user that existed)", dupRefused)
	}

	// Operations: each finished as the rules say; never two MFA resets for one request.
	resets := map[string][]jcsim.Request{} // user id -> resetmfa calls that ran
	for _, q := range reqs {
		if q.Op == "resetmfa" && !q.Injected {
			resets[q.UserID] = append(resets[q.UserID], q)
		}
	}
	outcome := map[string]int{}
	resetTwice, resetCalls := 0, 0
	for _, o := range ops.Items {
		plan, ok := r.ops[o.Name]
		if !ok {
			fail("unknown operation %s", o.Name)
			continue
		}
		reason := ""
		if c := meta.FindStatusCondition(o.Status.Conditions, iamv1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
			reason = "/" + c.Reason
		}
		outcome[string(o.Spec.Type)+" "+string(o.Status.Phase)+reason]++
		su := byName[username(plan.user)]
		switch {
		case o.Spec.Type == iamv1alpha1.OperationResetMFA:
			calls := len(resets[su.ID])
			resetCalls += calls
			if calls > 1 {
				resetTwice++
				fail("%s: %d MFA resets ran for one request", o.Name, calls)
			}
			switch {
			case o.Status.Phase == iamv1alpha1.OperationSucceeded && calls != 1:
				fail("%s Succeeded with %d MFA resets in JumpCloud", o.Name, calls)
			case o.Status.Phase == iamv1alpha1.OperationFailed && reason != "/"+iamv1alpha1.ReasonOutcomeUnknown:
				fail("%s failed (%s): %s", o.Name, reason, o.Status.Message)
			}
		case o.Status.Phase != iamv1alpha1.OperationSucceeded:
			fail("%s ended %s%s: %s", o.Name, o.Status.Phase, reason, o.Status.Message)
		case o.Spec.Type == iamv1alpha1.OperationUnlock && su.AccountLocked:
			fail("%s Succeeded but %s is still locked", o.Name, su.Username)
		case o.Spec.Type == iamv1alpha1.OperationExpirePassword && !su.PasswordExpired:
			fail("%s Succeeded but %s's password is not expired", o.Name, su.Username)
		case o.Spec.Type == iamv1alpha1.OperationActivate && su.State != jcsim.StateActivated:
			fail("%s Succeeded but %s is %s", o.Name, su.Username, su.State)
		}
	}
	if len(ops.Items) != len(r.ops) {
		fail("%d operations found, %d created", len(ops.Items), len(r.ops))
	}

	// What the faults did, from the request log.
	injected := map[string]int{}
	dropped := 0
	for _, q := range reqs {
		if q.Dropped {
			dropped++
		} else if q.Injected {
			injected[strconv.Itoa(q.Status)]++
		}
	}
	var events eventsv1.EventList
	must(t, r.c.List(ctx, &events, client.InNamespace(namespace)))
	eventReasons := map[string]int{}
	for _, e := range events.Items {
		eventReasons[e.Reason]++
	}

	// Secrets never reach the managers' logs.
	logs, err := r.managerLogs()
	must(t, err)
	var all strings.Builder
	for _, l := range logs {
		all.WriteString(l)
	}
	log := all.String()
	secretHits := 0
	for _, s := range append(mapValues(r.passwords), r.key) {
		if strings.Contains(log, s) {
			secretHits++
			fail("a manager's log contains a secret (%d characters)", len(s))
		}
	}
	panics := strings.Count(log, "panic:")
	if panics > 0 {
		fail("the manager panicked %d times", panics)
	}

	// The figures.
	report("==================== figures (seed %d) ====================", r.seed)
	report("workload: %d JumpCloudUsers (+%d created and deleted during the chaos), %d operations (%d ResetMFA, %d Unlock, %d ExpirePassword, %d Activate), %d users locked out before their Unlock, %d spec edits",
		numUsers, numEphemeral, len(r.ops), numResetMFA, numUnlock, numExpire, numActivate, r.lockedOut.Load(), countIf(numUsers, editProfile))
	report("faults: %.0f%% 5xx (500/502/503/504), %.0f%% 429 (half with Retry-After), %.0f%% commit-then-drop on creates, %.0f%% latency spikes of %s",
		rate5xx*100, rate429*100, rateCommitDrop*100, rateSlow*100, slowDelay)
	r.leaderFigures(reqs, fail)
	report("requests to JumpCloud: %d; injected answers by status %v; creates committed then dropped: %d; answers slower than 1s: %d; 429s queued %d (with Retry-After %d)",
		len(reqs), sortedMap(injected), dropped, r.front.slow.Load(), r.front.n429.Load(), r.front.n429RA.Load())
	report("requests by operation: %v", sortedMap(r.sim.Counts()))
	report("creates: %d sent, %d committed (%d for the %d users, %d for the %d deleted during the chaos: the others were deleted before their create), %d refused as duplicates; lost answers recovered (CreateRecovered events): %d",
		createsSent, committed, kept, len(users.Items), ephemeralCreates, numEphemeral, dupRefused, eventReasons["CreateRecovered"])
	report("JumpCloud users: %d for %d JumpCloudUsers; duplicates: %d; leaked (no JumpCloudUser, incl. deleted ones): %d",
		len(simUsers), len(users.Items), extra+shared, leaked)
	report("JumpCloudUsers Ready at their generation: %d/%d; differing from their spec in JumpCloud: %d", ready, len(users.Items), mismatched)
	report("operations by outcome: %v", sortedMap(outcome))
	report("ResetMFA: %d calls ran for %d operations; operations with two or more calls: %d", resetCalls, numResetMFA, resetTwice)
	report("manager logs (%d processes): %d bytes, %d 'Reconciler error' lines, %d panics, %d secrets found", len(logs), len(log), strings.Count(log, "Reconciler error"), panics, secretHits)
	report("events by reason: %v", sortedMap(eventReasons))
	report("phases: %s; total %s", strings.Join(r.timings, ", "), time.Since(r.start).Round(time.Second))
	if len(failures) > 0 {
		report("FAILED checks: %d", len(failures))
		for _, f := range head(failures, 50) {
			t.Error(f)
		}
		return
	}
	report("all checks passed: 0 duplicates, 0 leaks, every user Ready and matching its spec, every operation finished, 0 double MFA resets")
}

// mismatch lists how the JumpCloud user differs from the spec.
func (r *run) mismatch(u *iamv1alpha1.JumpCloudUser, su jcsim.User, byName map[string]jcsim.User) []string {
	var d []string
	check := func(field string, want *string, got string) {
		if want != nil && *want != got {
			d = append(d, fmt.Sprintf("%s %q, want %q", field, got, *want))
		}
	}
	check("email", &u.Spec.Email, su.Email)
	if p := u.Spec.Profile; p != nil {
		check("firstname", p.Firstname, su.Firstname)
		check("lastname", p.Lastname, su.Lastname)
		check("department", p.Department, su.Department)
		check("jobTitle", p.JobTitle, su.JobTitle)
		if p.Manager != nil {
			m := byName[p.Manager.Name]
			if su.Manager == nil || *su.Manager != m.ID {
				d = append(d, fmt.Sprintf("manager %v, want %s", su.Manager, m.ID))
			}
		}
	}
	activated := u.Spec.Activated == nil || *u.Spec.Activated
	if activated != (su.State == jcsim.StateActivated) {
		d = append(d, fmt.Sprintf("state %s, want activated=%t", su.State, activated))
	}
	wantLocked := u.Spec.Locked != nil && *u.Spec.Locked
	if wantLocked != su.AccountLocked {
		d = append(d, fmt.Sprintf("account_locked %t, want %t", su.AccountLocked, wantLocked))
	}
	if pw, ok := r.passwords[u.Spec.Username]; ok && !r.sim.PasswordMatches(devenv.Org, su.ID, pw) {
		d = append(d, "password is not the Secret's")
	}
	return d
}

// front sits before the simulator: it turns a share of requests into 429s (through the
// simulator's own fault queue, so the request log shows them) and counts slow answers.
type front struct {
	sim     *jcsim.Server
	mu      sync.Mutex
	rng     *rand.Rand
	rate429 atomic.Int64 // per million
	n429    atomic.Int64
	n429RA  atomic.Int64
	slow    atomic.Int64
	srv     *http.Server
}

func newFront(sim *jcsim.Server, rng *rand.Rand) *front { return &front{sim: sim, rng: rng} }

func (f *front) start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/api", nil
}

func (f *front) close() { _ = f.srv.Close() }

func (f *front) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	if rate := f.rate429.Load(); rate > 0 && strings.HasPrefix(req.URL.Path, "/api/") {
		f.mu.Lock()
		hit, withRetryAfter := f.rng.Int64N(1e6) < rate, f.rng.IntN(2) == 0
		f.mu.Unlock()
		if hit {
			fault := jcsim.Fault{Op: "*", Code: http.StatusTooManyRequests}
			f.n429.Add(1)
			if withRetryAfter {
				fault.RetryAfter = "1"
				f.n429RA.Add(1)
			}
			f.sim.InjectFault(fault)
		}
	}
	f.sim.ServeHTTP(w, req)
	if time.Since(start) > time.Second {
		f.slow.Add(1)
	}
}

// waitFor polls cond every second until it holds (true), printing progress every 15s, or until
// the timeout (false).
func (r *run) waitFor(what string, timeout time.Duration, cond func() (bool, string)) bool {
	deadline := time.Now().Add(timeout)
	last := time.Now()
	for {
		ok, why := cond()
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			r.t.Errorf("timed out after %s waiting for %s: %s", timeout, what, why)
			return false
		}
		if time.Since(last) > 15*time.Second {
			report("waiting for %s: %s", what, why)
			last = time.Now()
		}
		time.Sleep(time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func cmpErr(first, err error) error {
	if first != nil || errors.Is(err, context.Canceled) {
		return first
	}
	return err
}

func ptr[T any](v T) *T { return &v }

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func countIf(n int, f func(int) bool) int {
	c := 0
	for i := range n {
		if f(i) {
			c++
		}
	}
	return c
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// sortedMap renders a map with sorted keys.
func sortedMap[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%v", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// tail prints the last n lines of a file (a manager's log when the suite failed).
func tail(path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	report("last %d lines of %s:", n, path)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Println("  " + l)
	}
}
