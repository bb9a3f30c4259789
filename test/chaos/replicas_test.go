package chaos

// Leader election and an API server outage. The manager runs as numReplicas processes with
// --leader-elect, as a Deployment with two replicas would: a leader and a standby competing for a
// Lease in the suite's namespace. The killer SIGKILLs the leader (a killed leader releases
// nothing, so the standby takes over once the lease has expired) and starts a new standby. Once,
// mid-workload, kube-apiserver is stopped and started again over the same etcd: the leader cannot
// renew its lease within the renew deadline and exits ("leader election lost", as
// kube-controller-manager does), and the suite starts a replacement as a kubelet would, while the
// drivers retry their Kubernetes calls until the API server answers again.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

const (
	numReplicas = 2 // manager processes at once: a leader and a standby

	// Shorter than the manager's defaults (15s/10s/2s), to keep the suite short.
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = time.Second

	outageLeast  = 10 * time.Second // the API server is kept down outageLeast + [0, outageSpread)
	outageSpread = 5 * time.Second
	// outageGrace: an exit for "leader election lost" this long after the API server is back
	// still counts as the outage's doing (the lease could not be renewed during it).
	outageGrace = leaseDuration + renewDeadline + 5*time.Second
	// kubeRetryFor bounds how long a driver retries a Kubernetes call the API server does not
	// answer; the outage is much shorter.
	kubeRetryFor = 2 * time.Minute

	// What client-go's leader election and controller-runtime's manager log.
	acquiredLine = "successfully acquired lease"
	lostLine     = "leader election lost"
)

// replica is one manager process.
type replica struct {
	name  string
	m     *devenv.Manager
	ended bool // the suite ended it (SIGKILL, SIGQUIT): its exit is no failure
}

// exitRecord is a replica that ended on its own.
type exitRecord struct {
	name string
	pid  int
	at   time.Time
	how  string
}

// replicaSet is every manager process started during the run, and what the API server is doing.
type replicaSet struct {
	mu      sync.Mutex
	all     []*replica
	closing bool
	closed  chan struct{} // closed when the run ends: no more replacements
	apiDown bool
	apiUp   chan struct{} // closed while the API server is serving
	apiBack time.Time     // when the API server was last started again
	lost    []exitRecord  // exits for "leader election lost" during (or just after) the outage
	crashed []exitRecord  // exits on their own otherwise: failures
}

// kill is one SIGKILL of the leader.
type kill struct {
	n        int
	at       time.Time
	name     string
	pid      int
	down     time.Duration // before a new standby was started
	progress string
}

// outageRecord is what the API server outage did.
type outageRecord struct {
	happened    bool
	progress    string
	leader      string        // the replica that held the lease when the API server was stopped
	pause       time.Duration // how long it was to be down
	stop        time.Time     // StopAPIServer called
	down        time.Time     // StopAPIServer returned
	start       time.Time     // StartAPIServer called (the deliberate pause is over)
	back        time.Time     // StartAPIServer returned: serving again
	recovered   time.Time     // a leader elected after the return, numReplicas running, the API answering
	recoveredOK bool
}

// leaderArgs are the flags of a replica.
func (r *run) leaderArgs() []string {
	return append([]string{
		"--leader-elect", "--leader-election-namespace", namespace,
		"--leader-election-lease-duration", leaseDuration.String(),
		"--leader-election-renew-deadline", renewDeadline.String(),
		"--leader-election-retry-period", retryPeriod.String(),
		// Log times to the nanosecond (the default is to the second): when a replica took the lease.
		"--zap-time-encoding=rfc3339nano",
	}, r.managerArgs()...)
}

// initReplicas prepares the replica set before the first replica starts.
func (r *run) initReplicas() {
	up := make(chan struct{})
	close(up)
	r.reps.closed, r.reps.apiUp = make(chan struct{}), up
}

// closeReplicas ends the supervision: exits from now on (the environment's SIGTERMs) are asked for.
func (r *run) closeReplicas() {
	r.reps.mu.Lock()
	defer r.reps.mu.Unlock()
	if !r.reps.closing {
		r.reps.closing = true
		close(r.reps.closed)
	}
}

// startReplica starts one more manager process.
func (r *run) startReplica() (*replica, error) {
	r.reps.mu.Lock()
	defer r.reps.mu.Unlock()
	return r.startReplicaLocked()
}

func (r *run) startReplicaLocked() (*replica, error) {
	name := fmt.Sprintf("manager-%02d", len(r.reps.all)+1)
	m, err := r.env.StartManagerNamed(name, r.bin, nil, r.leaderArgs()...)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	rep := &replica{name: name, m: m}
	r.reps.all = append(r.reps.all, rep)
	go r.watch(rep)
	return rep, nil
}

// watch waits for a replica to end. One that ends without the suite asking is replaced, as a
// kubelet restarts a container; that is expected only for "leader election lost" during the API
// server outage, and a failure otherwise.
func (r *run) watch(rep *replica) {
	<-rep.m.Done()
	at := time.Now()
	rs := &r.reps
	rs.mu.Lock()
	if rs.closing || rep.ended {
		rs.mu.Unlock()
		return
	}
	rec := exitRecord{name: rep.name, pid: rep.m.PID(), at: at, how: fmt.Sprint(rep.m.ExitErr())}
	inOutage := rs.apiDown || (!rs.apiBack.IsZero() && at.Sub(rs.apiBack) < outageGrace)
	expected := inOutage && logHas(rep.m.Log, lostLine)
	if expected {
		rs.lost = append(rs.lost, rec)
	} else {
		rec.how += "; its log ends: " + strings.Join(lastLines(rep.m.Log, 3), " | ")
		rs.crashed = append(rs.crashed, rec)
	}
	up, closed := rs.apiUp, rs.closed
	rs.mu.Unlock()
	if expected {
		report("%s (pid %d) exited at %s: leader election lost (%s)", rec.name, rec.pid, r.since(at), rec.how)
	} else {
		report("%s (pid %d) ended on its own at %s: %s", rec.name, rec.pid, r.since(at), rec.how)
	}

	// While the API server is down a new process could not get far either; a kubelet's restart
	// backoff would bring it back about when the API server is.
	select {
	case <-up:
	case <-closed:
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closing {
		return
	}
	if _, err := r.startReplicaLocked(); err != nil {
		rs.crashed = append(rs.crashed, exitRecord{name: rep.name, at: time.Now(), how: "could not be replaced: " + err.Error()})
	}
}

// live returns the replicas that are running and were not asked to end.
func (r *run) live() []*replica {
	r.reps.mu.Lock()
	defer r.reps.mu.Unlock()
	var out []*replica
	for _, rep := range r.reps.all {
		if !rep.ended && !rep.m.Exited() {
			out = append(out, rep)
		}
	}
	return out
}

// leader is the running replica that holds the lease: the one whose log has the newest
// "Successfully acquired lease" line (a replica that loses the lease exits); nil when none.
func (r *run) leader() *replica {
	var best *replica
	var bestAt time.Time
	for _, rep := range r.live() {
		acq := r.acquisitions(rep)
		if len(acq) == 0 {
			continue
		}
		if at := acq[len(acq)-1]; best == nil || at.After(bestAt) {
			best, bestAt = rep, at
		}
	}
	return best
}

// waitTakeover waits until a running replica holds the lease and has worked since the last
// disruption (a kill, the outage): JumpCloud has seen a request since. It returns the leader.
func (r *run) waitTakeover(what string) (*replica, error) {
	var l *replica
	ok := r.waitFor(what, time.Minute, func() (bool, string) {
		if l = r.leader(); l == nil {
			return false, fmt.Sprintf("no running replica holds the lease (%d running)", len(r.live()))
		}
		if !r.requestSince(r.disrupted) {
			return false, l.name + " holds the lease; no JumpCloud request since " + r.since(r.disrupted).String()
		}
		return true, ""
	})
	if !ok {
		return nil, fmt.Errorf("waiting for %s: no leader at work", what)
	}
	return l, nil
}

// requestSince says whether JumpCloud has seen a request that arrived after t.
func (r *run) requestSince(t time.Time) bool {
	for _, q := range r.sim.Requests() {
		if q.Time.After(t) {
			return true
		}
	}
	return false
}

// acquisitions are the times at which a replica acquired the lease, from its log.
func (r *run) acquisitions(rep *replica) []time.Time {
	data, err := os.ReadFile(rep.m.Log)
	if err != nil {
		return nil
	}
	var out []time.Time
	for line := range strings.Lines(string(data)) {
		if strings.Contains(strings.ToLower(line), acquiredLine) {
			if at, ok := logTime(line, r.start); ok {
				out = append(out, at)
			}
		}
	}
	return out
}

// takeover is the first lease acquisition after t: by whom and when.
func (r *run) takeover(after time.Time) (string, time.Time, bool) {
	r.reps.mu.Lock()
	all := slices.Clone(r.reps.all)
	r.reps.mu.Unlock()
	var name string
	var first time.Time
	for _, rep := range all {
		for _, at := range r.acquisitions(rep) {
			if at.After(after) && (first.IsZero() || at.Before(first)) {
				name, first = rep.name, at
			}
		}
	}
	return name, first, !first.IsZero()
}

// logTime reads the time of a log line: the manager's (zap, JSON: {"level":..,"ts":"<RFC 3339>",..})
// or klog's ("I0612 10:11:12.345678   123 file.go:1] ...", which leaves out the year: it is taken
// from ref).
func logTime(line string, ref time.Time) (time.Time, bool) {
	var entry struct {
		TS string `json:"ts"`
	}
	if strings.HasPrefix(line, "{") {
		if json.Unmarshal([]byte(line), &entry) != nil {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, entry.TS)
		return t, err == nil
	}
	if len(line) < 21 || !strings.ContainsRune("IWEF", rune(line[0])) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("0102 15:04:05.000000", line[1:21], time.Local)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(ref.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local), true
}

// killLeader SIGKILLs the leader (once the previous disruption is over: a leader has taken over
// and is at work), waits down, and starts a new standby.
func (r *run) killLeader(ctx context.Context, n int, down time.Duration) error {
	l, err := r.waitTakeover(fmt.Sprintf("a leader at work to SIGKILL (kill #%d)", n))
	if err != nil {
		return err
	}
	r.reps.mu.Lock()
	l.ended = true
	r.reps.mu.Unlock()
	at := time.Now()
	r.disrupted = at
	if err := l.m.Kill(); err != nil {
		return err
	}
	r.kills = append(r.kills, kill{n: n, at: at, name: l.name, pid: l.m.PID(), down: down, progress: r.progress()})
	if err := sleep(ctx, down); err != nil {
		return err
	}
	_, err = r.startReplica()
	return err
}

// apiOutage stops kube-apiserver (etcd keeps running) for a while, starts it again, and waits
// for the system to recover: a leader elected after the return and at work, numReplicas
// replicas running, the API server answering.
func (r *run) apiOutage(ctx context.Context, rng *rand.Rand) error {
	if err := sleep(ctx, 3*time.Second+time.Duration(rng.Int64N(int64(5*time.Second)))); err != nil {
		return err
	}
	// The outage is to hit a leader at work (not the gap after a kill).
	l, err := r.waitTakeover("a leader at work before the API server outage")
	if err != nil {
		return err
	}
	pause := outageLeast + time.Duration(rng.Int64N(int64(outageSpread)))
	o := &r.outage
	o.happened, o.leader, o.progress, o.pause = true, l.name, r.progress(), pause

	r.reps.mu.Lock()
	r.reps.apiDown, r.reps.apiUp = true, make(chan struct{})
	r.reps.mu.Unlock()
	report("stopping the API server at %s for %s (leader %s; %s)", r.since(time.Now()), pause.Round(10*time.Millisecond), l.name, o.progress)
	o.stop = time.Now()
	r.disrupted = o.stop
	// The deliberate pause counts from the stop: the API server refuses connections at once,
	// though its process may take a while to end.
	timer := time.NewTimer(pause)
	defer timer.Stop()
	stopErr := r.env.StopAPIServer()
	o.down = time.Now()
	pauseErr := stopErr
	if stopErr == nil {
		select {
		case <-ctx.Done():
			pauseErr = ctx.Err()
		case <-timer.C:
		}
	}
	// Whatever happened, the API server comes back: the rest of the run needs it.
	o.start = time.Now()
	startErr := r.env.StartAPIServer()
	o.back = time.Now()
	r.reps.mu.Lock()
	r.reps.apiDown, r.reps.apiBack = false, o.back
	close(r.reps.apiUp)
	r.reps.mu.Unlock()
	switch {
	case stopErr != nil:
		return fmt.Errorf("stopping the API server: %w", stopErr)
	case startErr != nil:
		return fmt.Errorf("starting the API server again: %w", startErr)
	case pauseErr != nil:
		return pauseErr
	}
	report("the API server is back at %s, after %s (its stop took %s)", r.since(o.back),
		o.back.Sub(o.stop).Round(10*time.Millisecond), o.down.Sub(o.stop).Round(10*time.Millisecond))

	o.recoveredOK = r.waitFor("the system to recover from the API server outage", time.Minute, func() (bool, string) {
		live := r.live()
		l := r.leader()
		var ops iamv1alpha1.JumpCloudUserOperationList
		switch {
		case l == nil:
			return false, fmt.Sprintf("no running replica holds the lease (%d running)", len(live))
		case len(live) != numReplicas:
			return false, fmt.Sprintf("%d replicas running, want %d", len(live), numReplicas)
		}
		acq := r.acquisitions(l)
		if last := acq[len(acq)-1]; last.Before(o.stop) {
			return false, fmt.Sprintf("%s holds a lease it took before the outage", l.name)
		} else if !r.requestSince(last) {
			return false, fmt.Sprintf("%s holds the lease; no JumpCloud request since", l.name)
		}
		if err := r.c.List(context.Background(), &ops, client.InNamespace(namespace)); err != nil {
			return false, "the API server does not answer: " + err.Error()
		}
		return true, ""
	})
	o.recovered = time.Now()
	if !o.recoveredOK {
		return errors.New("the system did not recover from the API server outage")
	}
	return nil
}

// The kinds of Kubernetes calls the drivers retry.
type kubeOp int

const (
	opCreate kubeOp = iota
	opDelete
	opUpdate
)

// kube runs a Kubernetes call of a driver, and retries it while the API server is unreachable or
// not serving yet (the outage). A create (delete) retried after a failure that may have reached
// the API server counts as done when the object exists (is gone).
func (r *run) kube(ctx context.Context, op kubeOp, fn func() error) error {
	deadline := time.Now().Add(kubeRetryFor)
	retried := false
	for {
		err := fn()
		switch {
		case err == nil:
			return nil
		case retried && op == opCreate && apierrors.IsAlreadyExists(err):
			return nil
		case retried && op == opDelete && apierrors.IsNotFound(err) && !missingResource(err):
			return nil
		case !unavailable(err) || time.Now().After(deadline):
			return err
		}
		if !retried {
			r.kubeCallsRetried.Add(1)
		}
		retried = true
		r.kubeRetries.Add(1)
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// unavailable says whether err means that the API server did not answer (it is down or
// restarting) rather than refused the call.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if meta.IsNoMatchError(err) {
		return true // discovery failed
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true // no answer: connection refused or reset, EOF
	}
	return apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || apierrors.IsTimeout(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) || missingResource(err)
}

// missingResource is the 404 of an API server that does not serve the resource (yet: it has
// just started and not loaded the CRDs), as opposed to that of a missing object.
func missingResource(err error) bool {
	return apierrors.IsNotFound(err) && strings.Contains(err.Error(), "the server could not find the requested resource")
}

// since renders a time as the time since the run started.
func (r *run) since(t time.Time) time.Duration { return t.Sub(r.start).Round(10 * time.Millisecond) }

// managerLogs returns the log of every replica, by name.
func (r *run) managerLogs() (map[string]string, error) {
	r.reps.mu.Lock()
	all := slices.Clone(r.reps.all)
	r.reps.mu.Unlock()
	out := map[string]string{}
	for _, rep := range all {
		data, err := os.ReadFile(rep.m.Log)
		if err != nil {
			return nil, err
		}
		out[rep.name] = string(data)
	}
	return out, nil
}

// quitReplicas ends the running replicas with SIGQUIT, on which the Go runtime writes the stack
// of every goroutine to the log: what each worker was doing, for an investigation.
func (r *run) quitReplicas() {
	for _, rep := range r.live() {
		r.reps.mu.Lock()
		rep.ended = true
		r.reps.mu.Unlock()
		if err := syscall.Kill(rep.m.PID(), syscall.SIGQUIT); err != nil {
			r.t.Logf("SIGQUIT to %s: %v", rep.name, err)
			continue
		}
		t := time.NewTimer(30 * time.Second)
		select {
		case <-rep.m.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// tailReplicas prints the end of the logs of the running replicas (of the last one started if
// none runs).
func (r *run) tailReplicas(n int) {
	reps := r.live()
	r.reps.mu.Lock()
	if len(reps) == 0 && len(r.reps.all) > 0 {
		reps = r.reps.all[len(r.reps.all)-1:]
	}
	r.reps.mu.Unlock()
	for _, rep := range reps {
		tail(rep.m.Log, n)
	}
}

// leaderFigures checks and reports what the leader kills and the API server outage did, from the
// replicas' logs and the simulator's request log.
func (r *run) leaderFigures(reqs []jcsim.Request, fail func(string, ...any)) {
	// The first JumpCloud request that arrived after t.
	firstAfter := func(t time.Time) (time.Time, bool) {
		var first time.Time
		for _, q := range reqs {
			if q.Time.After(t) && (first.IsZero() || q.Time.Before(first)) {
				first = q.Time
			}
		}
		return first, !first.IsZero()
	}
	dur := func(from, to time.Time, ok bool) string {
		if !ok {
			return "never"
		}
		return to.Sub(from).Round(10 * time.Millisecond).String()
	}

	r.reps.mu.Lock()
	started, lost, crashed := len(r.reps.all), slices.Clone(r.reps.lost), slices.Clone(r.reps.crashed)
	r.reps.mu.Unlock()
	report("leader election: %d replicas at once (--leader-elect; lease %s, renew deadline %s, retry period %s); %d manager processes started in all",
		numReplicas, leaseDuration, renewDeadline, retryPeriod, started)

	report("the leader SIGKILLed %d times (the standby takes over once the lease has expired; a new standby is started):", len(r.kills))
	var toRequest, toLease []time.Duration
	for _, k := range r.kills {
		who, acq, acqOK := r.takeover(k.at)
		first, firstOK := firstAfter(k.at)
		if acqOK {
			toLease = append(toLease, acq.Sub(k.at))
		}
		if firstOK {
			toRequest = append(toRequest, first.Sub(k.at))
		}
		report("  kill #%d at %s: leader %s (pid %d), a new standby %s later; %s; lease taken by %s after %s, first JumpCloud request after %s",
			k.n, r.since(k.at), k.name, k.pid, k.down.Round(time.Millisecond), k.progress, who, dur(k.at, acq, acqOK), dur(k.at, first, firstOK))
	}
	if len(r.kills) == 0 {
		fail("the leader was never SIGKILLed")
	}
	if len(toRequest) < len(r.kills) {
		fail("after %d of %d leader kills no JumpCloud request came", len(r.kills)-len(toRequest), len(r.kills))
	}
	report("standby takeover, leader SIGKILLed -> first JumpCloud request: %s; -> lease taken: %s", spread(toRequest), spread(toLease))

	o := &r.outage
	if !o.happened {
		fail("the API server outage did not happen")
		return
	}
	signed := func(d time.Duration) string {
		if d < 0 {
			return d.Round(10*time.Millisecond).String() + " (before StartAPIServer returned)"
		}
		return d.Round(10 * time.Millisecond).String()
	}
	who, acq, acqOK := r.takeover(o.stop) // nobody can take the lease while the API server is down
	// Until then, JumpCloud requests come from the old leader, which cannot write to Kubernetes.
	var during int
	var last time.Time
	for _, q := range reqs {
		if q.Time.After(o.stop) && (!acqOK || q.Time.Before(acq)) {
			during++
			if q.Time.After(last) {
				last = q.Time
			}
		}
	}
	lastNote := ""
	if during > 0 {
		lastNote = fmt.Sprintf(", the last %s after the stop", last.Sub(o.stop).Round(10*time.Millisecond))
	}
	report("API server outage at %s: down %s from the stop to serving again (its stop took %s, the deliberate pause %s from the stop, its start %s) while %s; JumpCloud requests of the old leader %s after the stop: %d%s",
		r.since(o.stop), o.back.Sub(o.stop).Round(10*time.Millisecond), o.down.Sub(o.stop).Round(10*time.Millisecond),
		o.pause.Round(10*time.Millisecond), o.back.Sub(o.start).Round(10*time.Millisecond), o.progress, o.leader, during, lastNote)
	var names []string
	leaderLost := false
	for _, e := range lost {
		names = append(names, fmt.Sprintf("%s (pid %d, %s after the stop)", e.name, e.pid, e.at.Sub(o.stop).Round(10*time.Millisecond)))
		leaderLost = leaderLost || e.name == o.leader
	}
	if len(names) == 0 {
		names = append(names, "none")
	}
	report("exits for %q (expected of the leader during the outage; each replaced once the API server was back): %s", lostLine, strings.Join(names, ", "))
	if !leaderLost {
		fail("the leader %s did not exit for %q though it could not renew its lease for %s", o.leader, lostLine, o.back.Sub(o.stop).Round(time.Second))
	}
	if !acqOK {
		fail("no replica took the lease after the API server outage")
		return
	}
	first, firstOK := firstAfter(acq)
	report("after the API server's return: lease taken by %s after %s, its first JumpCloud request after %s, settled (a new leader at work, %d replicas, the API answering) after %s; driver calls that had to wait for the API server: %d (%d retries)",
		who, signed(acq.Sub(o.back)), signed(first.Sub(o.back)), numReplicas, dur(o.back, o.recovered, o.recoveredOK),
		r.kubeCallsRetried.Load(), r.kubeRetries.Load())
	if !firstOK {
		fail("no JumpCloud request after the API server outage")
	}

	report("manager processes that ended on their own (outside an outage, or for another reason than %q): %d", lostLine, len(crashed))
	for _, e := range crashed {
		fail("manager %s (pid %d) ended on its own at %s: %s", e.name, e.pid, r.since(e.at), e.how)
	}
}

// spread renders durations as min / median / max.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	round := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return fmt.Sprintf("min %s, median %s, max %s (%d)", round(s[0]), round(s[len(s)/2]), round(s[len(s)-1]), len(s))
}

// logHas says whether a log file contains s.
func logHas(path, s string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(data), s)
}

// lastLines returns the last n lines of a file.
func lastLines(path string, n int) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{"(no log: " + err.Error() + ")"}
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return lines[max(0, len(lines)-n):]
}
