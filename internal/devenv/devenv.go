// Package devenv runs the whole system on one machine for the demo and the whole-system suites
// (end-to-end, benchmark, chaos): a local control plane (envtest's kube-apiserver and etcd) with
// the CRDs installed, the JumpCloud simulator, and the operator's manager as a separate process,
// built from ./cmd/manager, that can be stopped, killed and started again.
package devenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// Org is the simulator organization of the environment's API key.
const Org = "5f0c1a2b3c4d5e6f70819d04"

// Options configure an environment.
type Options struct {
	// Dir holds the kubeconfig, the manager binary and its log; empty means a new temporary dir.
	Dir string
	// APIKey is the simulator's API key; empty means a generated one.
	APIKey string
	// SimKnobs configure the simulator (latency, rate limit, faults).
	SimKnobs jcsim.Knobs
	// NoSimulator skips the simulator (the demo against a real JumpCloud).
	NoSimulator bool
	// RestartableAPIServer keeps kube-apiserver's certificates in the environment's directory,
	// so that StopAPIServer and StartAPIServer can take it down and bring it back at the same
	// address, with the same certificates, over the same etcd: an API server outage.
	RestartableAPIServer bool
}

// Env is a running environment.
type Env struct {
	Dir        string
	Kubeconfig string
	Config     *rest.Config
	Client     client.Client
	// Sim is the simulator, SimURL its API base URL and APIKey its key (nil/"" with NoSimulator).
	Sim    *jcsim.Server
	SimURL string
	APIKey string

	env    *envtest.Environment
	ownDir bool
	// manager is the process the single-manager methods (StartManager, KillManager, ...) act on.
	manager *Manager
	// managers are all the manager processes started, by name.
	managers map[string]*Manager
}

// Manager is one manager process.
type Manager struct {
	Name string
	// Log is the path of its log file.
	Log string
	cmd *exec.Cmd
	// exited is closed when the process has ended; exitErr is then its status.
	exited  chan struct{}
	exitErr error
}

// Start builds nothing yet: it starts the control plane and the simulator.
func Start(opts Options) (*Env, error) {
	e := &Env{Dir: opts.Dir, APIKey: opts.APIKey}
	if e.Dir == "" {
		dir, err := os.MkdirTemp("", "jumpcloud-operator-")
		if err != nil {
			return nil, err
		}
		e.Dir, e.ownDir = dir, true
	}
	env, err := testenv.New()
	if err != nil {
		return nil, err
	}
	if opts.RestartableAPIServer {
		certs := filepath.Join(e.Dir, "apiserver")
		if err := os.MkdirAll(certs, 0o700); err != nil {
			return nil, err
		}
		env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certs}
		// A graceful stop of kube-apiserver waits up to a minute for the watches in flight; an
		// outage is a crash: two seconds, then SIGKILL (etcd's data is thrown away at the end).
		env.ControlPlaneStopTimeout = 2 * time.Second
	}
	e.env = env
	if e.Config, err = env.Start(); err != nil {
		// A start that failed late (installing the CRDs) leaves etcd and kube-apiserver running.
		return nil, errors.Join(fmt.Errorf("starting the control plane: %w", err), env.Stop())
	}
	if e.Client, err = client.New(e.Config, client.Options{Scheme: env.Scheme}); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	if opts.NoSimulator {
		return e, nil
	}
	if e.APIKey == "" {
		e.APIKey = "sim-key-" + fmt.Sprint(time.Now().UnixNano())
	}
	e.Sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{e.APIKey: {Org}}, Knobs: opts.SimKnobs})
	if e.SimURL, err = e.Sim.Start(); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

// BuildManager compiles ./cmd/manager into the environment's directory (Go's build cache makes a
// second build quick) and returns the binary's path.
func (e *Env) BuildManager(ctx context.Context) (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(e.Dir, "manager")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/manager")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/manager: %w: %s", err, out)
	}
	return bin, nil
}

// StartManager runs the manager binary against the control plane, with its output appended to
// manager.log in the environment's directory (or to w when not nil).
func (e *Env) StartManager(bin string, w io.Writer, args ...string) error {
	if e.manager != nil {
		return errors.New("the manager is already running")
	}
	m, err := e.StartManagerNamed("manager", bin, w, args...)
	if err != nil {
		return err
	}
	e.manager = m
	return nil
}

// StartManagerNamed runs one more manager process, named for its log file (name.log in the
// environment's directory, or w when not nil): replicas of the operator, for leader election.
func (e *Env) StartManagerNamed(name, bin string, w io.Writer, args ...string) (*Manager, error) {
	if m := e.managers[name]; m != nil && !m.Exited() {
		return nil, fmt.Errorf("manager %s is already running", name)
	}
	log := filepath.Join(e.Dir, name+".log")
	if w == nil {
		f, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		w = f
	}
	base := []string{"--kubeconfig", e.Kubeconfig, "--health-probe-bind-address", "0", "--metrics-bind-address", "0"}
	cmd := exec.Command(bin, append(base, args...)...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &Manager{Name: name, Log: log, cmd: cmd, exited: make(chan struct{})}
	go func() {
		m.exitErr = cmd.Wait()
		close(m.exited)
	}()
	if e.managers == nil {
		e.managers = map[string]*Manager{}
	}
	e.managers[name] = m
	return m, nil
}

// PID is the process id.
func (m *Manager) PID() int { return m.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (m *Manager) Exited() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended; ExitErr then says how.
func (m *Manager) Done() <-chan struct{} { return m.exited }

// ExitErr is how the ended process exited (nil for status 0).
func (m *Manager) ExitErr() error { return m.exitErr }

// Kill ends the process with SIGKILL, as a crash would, and waits for it to be gone.
func (m *Manager) Kill() error { return m.signal(syscall.SIGKILL) }

// Stop ends the process with SIGTERM (a graceful shutdown) and waits for it.
func (m *Manager) Stop() error { return m.signal(syscall.SIGTERM) }

func (m *Manager) signal(sig syscall.Signal) error {
	if m == nil {
		return nil
	}
	_ = m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	// A manager ended by a signal exits non-zero: that is what was asked for, not a failure.
	var exitErr *exec.ExitError
	if m.exitErr != nil && !errors.As(m.exitErr, &exitErr) {
		return m.exitErr
	}
	return nil
}

// ManagerLog is the path of the manager's log file.
func (e *Env) ManagerLog() string { return filepath.Join(e.Dir, "manager.log") }

// ManagerPID is the running manager's process id, 0 when none runs.
func (e *Env) ManagerPID() int {
	if e.manager == nil {
		return 0
	}
	return e.manager.PID()
}

// ManagerExited reports whether the manager started last has ended without being asked to (a
// crash, or a fatal error), and how.
func (e *Env) ManagerExited() (bool, error) {
	if e.manager == nil || !e.manager.Exited() {
		return false, nil
	}
	return true, e.manager.exitErr
}

// KillManager ends the manager with SIGKILL, as a crash would, and waits for it to be gone.
func (e *Env) KillManager() error { return e.signalManager(syscall.SIGKILL) }

// StopManager ends the manager with SIGTERM (a graceful shutdown) and waits for it.
func (e *Env) StopManager() error { return e.signalManager(syscall.SIGTERM) }

// QuitManager ends the manager with SIGQUIT, on which the Go runtime writes the stack of every
// goroutine to the manager's log: what each worker was doing, for an investigation.
func (e *Env) QuitManager() error { return e.signalManager(syscall.SIGQUIT) }

func (e *Env) signalManager(sig syscall.Signal) error {
	m := e.manager
	e.manager = nil
	return m.signal(sig)
}

// StopAPIServer takes kube-apiserver down (etcd keeps running), as a crash would: it is given two
// seconds to stop, then killed, and StopAPIServer returns once its port refuses connections. The
// environment must have been started with RestartableAPIServer.
func (e *Env) StopAPIServer() error {
	s := e.env.ControlPlane.APIServer
	if err := s.Stop(); err != nil && !strings.Contains(err.Error(), "timeout waiting for process") {
		return err
	}
	addr := s.SecureServing.ListenAddr.HostPort()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return nil
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver still listens on %s", addr)
		}
		time.Sleep(50 * time.Millisecond) // polling a port that is going away; nothing to wait on
	}
}

// StartAPIServer brings kube-apiserver back at the same address with the same certificates.
func (e *Env) StartAPIServer() error {
	return e.env.ControlPlane.APIServer.Start()
}

// Stop ends the manager, the simulator and the control plane, and removes a temporary directory.
func (e *Env) Stop() error {
	var errs []error
	errs = append(errs, e.StopManager())
	for _, m := range e.managers {
		errs = append(errs, m.Stop())
	}
	if e.Sim != nil {
		errs = append(errs, e.Sim.Close())
	}
	if e.env != nil {
		errs = append(errs, e.env.Stop())
	}
	if e.ownDir {
		errs = append(errs, os.RemoveAll(e.Dir))
	}
	return errors.Join(errs...)
}
