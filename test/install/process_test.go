package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// managerProcess is the manager running as a process, as its container would.
type managerProcess struct {
	cmd *exec.Cmd
	// Env and Args are the environment and the arguments it was started with.
	Env, Args []string
	// Log is the path of its output.
	Log string
	// ProbeAddr and MetricsAddr are where it serves /healthz, /readyz and /metrics (127.0.0.1).
	ProbeAddr, MetricsAddr string
	done                   chan struct{}
	exitErr                error
}

// containerArgs turns the Deployment's manager container into the arguments of a process outside a
// Pod: the same arguments, with the servers moved to free ports on 127.0.0.1, plus what a Pod
// gives the manager without flags (its credentials, its namespace for the Lease).
func containerArgs(c corev1.Container, namespace, kubeconfig string) (args []string, probeAddr, metricsAddr string, err error) {
	args = slices.Clone(c.Args)
	local := func(flag string) (string, error) {
		i := slices.IndexFunc(args, func(a string) bool { return a == "--"+flag || strings.HasPrefix(a, "--"+flag+"=") })
		if i < 0 {
			return "", nil
		}
		value, ok := strings.CutPrefix(args[i], "--"+flag+"=")
		if !ok {
			if i+1 >= len(args) {
				return "", fmt.Errorf("--%s has no value", flag)
			}
			value = args[i+1]
			args = slices.Delete(args, i+1, i+2)
		}
		if value == "0" {
			args[i] = "--" + flag + "=0"
			return "", nil
		}
		port, err := freePort()
		if err != nil {
			return "", err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		args[i] = "--" + flag + "=" + addr
		return addr, nil
	}
	if probeAddr, err = local("health-probe-bind-address"); err != nil {
		return nil, "", "", err
	}
	if metricsAddr, err = local("metrics-bind-address"); err != nil {
		return nil, "", "", err
	}
	if probeAddr == "" {
		return nil, "", "", errors.New("the container sets no --health-probe-bind-address, which the suite needs to serve the probes on 127.0.0.1")
	}
	args = append(args, "--kubeconfig="+kubeconfig)
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--leader-election-namespace") }) {
		// In a Pod the manager reads its namespace from the ServiceAccount's mounted files.
		args = append(args, "--leader-election-namespace="+namespace)
	}
	return args, probeAddr, metricsAddr, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startManager runs bin with the Deployment's manager container's arguments and environment, and
// nothing of the test's environment (the image sets none), writing its output to logPath.
func startManager(bin string, d *appsv1.Deployment, kubeconfig, logPath string) (*managerProcess, error) {
	c, err := managerContainer(d)
	if err != nil {
		return nil, err
	}
	args, probeAddr, metricsAddr, err := containerArgs(c, d.Namespace, kubeconfig)
	if err != nil {
		return nil, err
	}
	env, err := containerEnv(c, d)
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, err
	}
	m := &managerProcess{cmd: cmd, Env: env, Args: args, Log: logPath, ProbeAddr: probeAddr, MetricsAddr: metricsAddr, done: make(chan struct{})}
	go func() {
		m.exitErr = cmd.Wait()
		_ = log.Close()
		close(m.done)
	}()
	return m, nil
}

// containerEnv is the container's environment as the kubelet would set it, the downward API
// included; the process's host stands for the Pod (its name is the host name, as in a Pod, and
// its address 127.0.0.1).
func containerEnv(c corev1.Container, d *appsv1.Deployment) ([]string, error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, err
	}
	fields := map[string]string{
		"metadata.name":           host,
		"metadata.namespace":      d.Namespace,
		"spec.serviceAccountName": d.Spec.Template.Spec.ServiceAccountName,
		"spec.nodeName":           host,
		"status.podIP":            "127.0.0.1",
		"status.hostIP":           "127.0.0.1",
	}
	// Never nil: exec.Cmd gives a nil Env the test's own environment.
	env := make([]string, 0, len(c.Env))
	for _, e := range c.Env {
		value := e.Value
		switch from := e.ValueFrom; {
		case from == nil:
		case from.FieldRef != nil:
			v, ok := fields[from.FieldRef.FieldPath]
			if !ok {
				return nil, fmt.Errorf("env %s: the suite does not provide the field %s", e.Name, from.FieldRef.FieldPath)
			}
			value = v
		case from.ResourceFieldRef != nil:
			v, err := resourceValue(c, *from.ResourceFieldRef)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
			value = v
		default:
			return nil, fmt.Errorf("env %s comes from %v, which the suite does not provide", e.Name, from)
		}
		env = append(env, e.Name+"="+value)
	}
	return env, nil
}

// resourceValue is what the kubelet puts in an env var from a container's request or limit: the
// quantity divided by the divisor (1 by default), rounded up; CPU counted in millicores.
func resourceValue(c corev1.Container, ref corev1.ResourceFieldSelector) (string, error) {
	kind, name, _ := strings.Cut(ref.Resource, ".")
	list := c.Resources.Limits
	if kind == "requests" {
		list = c.Resources.Requests
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		// The kubelet would use the node's allocatable, which a process outside a Pod has not.
		return "", fmt.Errorf("the container sets no %s", ref.Resource)
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if name == string(corev1.ResourceCPU) {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

// managerContainer is the Deployment's container named manager.
func managerContainer(d *appsv1.Deployment) (corev1.Container, error) {
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return c, nil
		}
	}
	return corev1.Container{}, fmt.Errorf("Deployment %s/%s has no container named manager", d.Namespace, d.Name)
}

// Exited reports whether the process has ended, and how.
func (m *managerProcess) Exited() (bool, error) {
	select {
	case <-m.done:
		return true, m.exitErr
	default:
		return false, nil
	}
}

// Done is closed when the process has ended.
func (m *managerProcess) Done() <-chan struct{} { return m.done }

// Stop sends SIGTERM, as the kubelet does, and waits for the process to end; after the
// Deployment's grace period it sends SIGKILL.
func (m *managerProcess) Stop(grace time.Duration) error {
	if exited, _ := m.Exited(); exited {
		return nil
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(grace):
		_ = m.cmd.Process.Kill()
		<-m.done
		return fmt.Errorf("the manager did not stop within %s of SIGTERM and was killed", grace)
	}
	return nil
}

// LogTail returns the last n lines of the process's output.
func (m *managerProcess) LogTail(n int) string {
	data, err := os.ReadFile(m.Log)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// LogContains reports whether the process's output holds s.
func (m *managerProcess) LogContains(s string) bool {
	data, err := os.ReadFile(m.Log)
	return err == nil && bytes.Contains(data, []byte(s))
}

// Refusals returns the distinct errors of the process's log in which the API server refused it
// something ("... is forbidden: User ... cannot ..."): what a missing RBAC rule looks like.
func (m *managerProcess) Refusals() []string {
	data, err := os.ReadFile(m.Log)
	if err != nil {
		return nil
	}
	var out []string
	for line := range bytes.Lines(data) {
		if !bytes.Contains(line, []byte(" is forbidden: ")) {
			continue
		}
		refusal := string(bytes.TrimSpace(line))
		var entry struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(line, &entry) == nil && strings.Contains(entry.Error, " is forbidden: ") {
			refusal = entry.Error
		}
		if !slices.Contains(out, refusal) {
			out = append(out, refusal)
		}
	}
	return out
}
