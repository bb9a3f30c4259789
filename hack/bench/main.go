// Command bench measures what the operator costs JumpCloud, end to end: a local control plane
// (envtest), simulators started in this process, and the manager built from ./cmd/manager running
// as a separate process. It is a harness, not a test (make bench); each scenario has its own
// simulator, so that its request log holds its calls only, and figures are ratios measured in one
// run, since the machine is shared.
//
//	(a) creates: N new users against 50 ms latency and a 20 req/s server limit; calls per created
//	    user, convergence time ÷ the rate-limit floor (N ÷ 20 req/s), 429 answers.
//	(c) latency: one user apply→Ready, p50/p95 over 50 runs (same simulator settings).
//	(b) steady state: M existing users adopted (IfExists), then the calls and writes of one full
//	    resync interval in bulk drift detection.
//	(d) memory: the manager's RSS (/proc) and heap in use (its metrics) with M users, and heap
//	    profiles (its pprof endpoint) when every user became Ready and after the interval.
//	(e) per-resource: the manager restarted with --drift-detection=per-resource, one resync
//	    interval of the same M users, for the bulk ÷ per-resource ratio.
//	(f) change feed: the connection of (b) polls Directory Insights every 10s; 20 console edits of
//	    a managed field, each on another user, reverted (p95) with the calls they cost; a quiet
//	    window's calls, per hour against bulk only; the same edit with the feed off.
//
// It writes the results as JSON (-out) and prints a table; it exits non-zero when a bound the
// project promises is not met.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/devenv"
)

type config struct {
	out         string
	creates     int
	steadyUsers int
	latencyRuns int
	resync      time.Duration
	workers     int
	keep        bool
	managerBin  string
	scenarios   string
	// heapProfiles saves heap profiles of the manager in scenarios (b) and (e).
	heapProfiles bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", "bin/bench.json", "Where to write the results as JSON.")
	flag.IntVar(&cfg.creates, "creates", 1000, "Users created in scenario (a).")
	flag.IntVar(&cfg.steadyUsers, "users", 10000, "Users in the steady state of scenarios (b), (d) and (e).")
	flag.IntVar(&cfg.latencyRuns, "latency-runs", 50, "Apply→Ready runs in scenario (c).")
	flag.DurationVar(&cfg.resync, "resync", 150*time.Second, "The steady-state connection's resyncInterval (at least 30s).")
	flag.IntVar(&cfg.workers, "max-concurrent-reconciles", 16, "Passed to the manager.")
	flag.BoolVar(&cfg.keep, "keep", false, "Keep the environment's directory (kubeconfig, manager.log) afterwards.")
	flag.StringVar(&cfg.managerBin, "manager-bin", "", "A manager binary to run instead of building ./cmd/manager.")
	flag.StringVar(&cfg.scenarios, "scenarios", "a,c,b,e,f", "The scenarios to run, in this order (b measures d; e and f need b).")
	flag.BoolVar(&cfg.heapProfiles, "heap-profiles", true,
		"Serve the manager's pprof endpoints on loopback and save its heap profiles in (b) and (e) beside -out, "+
			"with their top allocation sites in the results.")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := run(ctx, cfg)
	if res != nil {
		res.print(os.Stdout)
		if werr := res.write(cfg.out); werr != nil {
			err = errors.Join(err, werr)
		} else {
			fmt.Printf("\nResults written to %s\n", cfg.out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if failed := res.failed(); len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "bench: bounds not met: %v\n", failed)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) (*results, error) {
	started := time.Now()
	dir, err := os.MkdirTemp("", "jumpcloud-operator-bench-")
	if err != nil {
		return nil, err
	}
	if !cfg.keep {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	logf("Starting the control plane (%s)", dir)
	env, err := devenv.Start(devenv.Options{Dir: dir, NoSimulator: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	bin := cfg.managerBin
	if bin == "" {
		logf("Building the manager")
		if bin, err = env.BuildManager(ctx); err != nil {
			return nil, err
		}
	}
	b, err := newBench(ctx, env, bin, cfg)
	if err != nil {
		return nil, err
	}
	defer b.close()

	res := &results{Started: started, Config: resultsConfig{
		Creates: cfg.creates, SteadyUsers: cfg.steadyUsers, LatencyRuns: cfg.latencyRuns,
		ResyncInterval: cfg.resync.String(), MaxConcurrentReconciles: cfg.workers,
		SimLatency: createLatency.String(), SimRateLimitRPS: createRPS, SimRateLimitBurst: createBurst,
	}}
	defer func() {
		res.TotalSeconds = time.Since(started).Seconds()
		res.ManagerLog = filepath.Join(dir, "manager.log")
	}()
	if err := b.startManager("bulk"); err != nil {
		return res, err
	}
	steps := map[string]func(context.Context, *results) error{
		"a": b.creates, "c": b.latency, "b": b.steadyBulk, "e": b.steadyPerResource, "f": b.changeFeed,
	}
	for name := range strings.SplitSeq(cfg.scenarios, ",") {
		step, ok := steps[strings.TrimSpace(name)]
		if !ok {
			return res, fmt.Errorf("unknown scenario %q (want a, b, c, e or f)", name)
		}
		if (name == "e" || name == "f") && res.Steady == nil {
			return res, fmt.Errorf("scenario %s needs scenario b first", name)
		}
		if err := step(ctx, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (r *results) write(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
