// Package hygiene proves that the operator leaks no secret. It runs the controllers in process with
// logging at debug and every V-level up to 7 (controller-runtime's and client-go's), and
// a workload that handles API keys and passwords in every way the operator does: connections
// verified, rejected and rotated; passwords set, changed, refused by policy and by history;
// creates whose answer is lost; one-shot operations; keys refused mid-way; deletion. Then it scans
// everything an operator exposes — the captured log, every Event, every object's status, the
// Prometheus registry, the simulator's request log and the client's error strings — for each API
// key and password the test used.
package hygiene

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/controller"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/metrics"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	org = "5f0c1a2b3c4d5e6f70819e05"
	ns  = "hygiene"
)

// syncBuffer is a log sink safe for the manager's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secrets are the values no output may contain; each is distinctive, so a hit is a leak.
type secrets struct {
	apiKey, wrongKey, rotatedKey                             string
	password, changedPassword, weakPassword, historyPassword string
	lostPassword                                             string
}

func newSecrets() secrets {
	r := func(prefix string) string { return prefix + rand.String(20) }
	return secrets{
		apiKey:          r("hyg-api-key-"),
		wrongKey:        r("hyg-wrong-key-"),
		rotatedKey:      r("hyg-rotated-key-"),
		password:        "Hyg-1-" + rand.String(12) + "!",
		changedPassword: "Hyg-2-" + rand.String(12) + "!",
		weakPassword:    "hz7" + rand.String(4), // 7 characters, no upper case, no symbol
		historyPassword: "Hyg-3-" + rand.String(12) + "!",
		lostPassword:    "Hyg-4-" + rand.String(12) + "!",
	}
}

func (s secrets) all() map[string]string {
	return map[string]string{
		"API key": s.apiKey, "rejected API key": s.wrongKey, "rotated API key": s.rotatedKey,
		"password": s.password, "changed password": s.changedPassword, "weak password": s.weakPassword,
		"reused password": s.historyPassword, "password of a lost create": s.lostPassword,
	}
}

func TestNoSecretInAnyOutput(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(45 * time.Second)
	g.SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	sec := newSecrets()

	// Every log line up to verbosity 7, from controller-runtime and client-go alike (client-go
	// takes the reconciler's logger from the context).
	logs := &syncBuffer{}
	logger := zap.New(zap.WriteTo(logs), zap.UseDevMode(true), zap.Level(zapcore.Level(-logVerbosity())))
	logf.SetLogger(logger)
	klog.SetLogger(logger)

	env, err := testenv.New()
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := env.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	k8s, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{sec.apiKey: {org}, sec.rotatedKey: {org}}})
	simURL, err := sim.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = sim.Close() })

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	g.Expect(err).NotTo(HaveOccurred())
	observer, err := metrics.Setup(mgr, ctrlmetrics.Registry)
	g.Expect(err).NotTo(HaveOccurred())
	reg := connection.NewRegistry()
	reg.Observer = observer
	reg.ClientOptions = func(o *jumpcloud.Options) {
		o.RetryBaseDelay, o.RetryMaxDelay, o.MaxRetries = 5*time.Millisecond, 50*time.Millisecond, 2
	}
	g.Expect(controller.Setup(mgr, controller.Options{Registry: reg, OperationRetryDelay: 20 * time.Millisecond})).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with %v", err)
		}
	})

	w := &workload{t: t, g: g, c: k8s, sim: sim, simURL: simURL, sec: sec}
	w.run(ctx)

	// Error strings of the client itself, against a server that echoes everything back.
	clientErrors := clientErrorStrings(g, sec)

	// Everything the operator exposes.
	outputs := map[string]string{
		"log":              logs.String(),
		"events":           w.events(),
		"statuses":         w.statuses(),
		"metrics":          gatherMetrics(g),
		"request log":      jsonOf(g, sim.Requests()),
		"client errors":    strings.Join(clientErrors, "\n"),
		"conditions (all)": w.conditions(),
	}
	// The scan must have seen the material that could carry a secret.
	g.Expect(outputs["log"]).To(And(ContainSubstring("DEBUG"), ContainSubstring("Reconciler error"), ContainSubstring("PasswordRejected")),
		"the log was captured at debug level and holds the failures")
	g.Expect(outputs["events"]).To(And(ContainSubstring("PasswordRejected"), ContainSubstring("KeyRejected"), ContainSubstring("CreateRecovered")))
	g.Expect(outputs["statuses"]).To(And(ContainSubstring("passwordHistory"), ContainSubstring("passwordSecretVersion"), ContainSubstring("Unauthorized")))
	g.Expect(outputs["metrics"]).To(And(ContainSubstring("controller_runtime_reconcile_total"), ContainSubstring("jumpcloud_operator_")))
	g.Expect(clientErrors).To(HaveLen(4))

	for where, text := range outputs {
		decoded := undump(text)
		for what, value := range sec.all() {
			for _, form := range encodings(value) {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("the %s contains the %s: ...%s...", where, what, excerpt(text, i, len(form)))
				}
				if i := strings.Index(decoded, form); i >= 0 {
					t.Errorf("a hex dump in the %s contains the %s: ...%q...", where, what, excerpt(decoded, i, len(form)))
				}
			}
		}
	}
	t.Logf("scanned %d bytes of log, %d of events, %d of statuses, %d of metrics, %d of request log, %d client errors for %d secrets",
		len(outputs["log"]), len(outputs["events"]), len(outputs["statuses"]), len(outputs["metrics"]), len(outputs["request log"]),
		len(clientErrors), len(sec.all()))
}

// logVerbosity is the most detailed V-level captured: 10 by default, the most client-go has. At 8
// and above client-go logs whole request and response bodies; the operator reads Secrets with a
// context that carries no logger, so their contents never reach the log.
func logVerbosity() int {
	if v, err := strconv.Atoi(os.Getenv("HYGIENE_VERBOSITY")); err == nil {
		return v
	}
	return 10
}

// encodings are the forms a secret may take in an output: as is, JSON-escaped, base64 (a Secret's
// data in JSON) and hex.
func encodings(secret string) []string {
	quoted, _ := json.Marshal(secret)
	return []string{
		secret,
		strings.Trim(string(quoted), `"`),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		hex.EncodeToString([]byte(secret)),
	}
}

// hexDumpLine matches a line of encoding/hex's Dump output (client-go logs binary bodies that way):
// an offset, then up to 16 bytes in hex.
var hexDumpLine = regexp.MustCompile(`([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2}){1,16})`)

// undump joins the bytes of every hex dump in text, so that a secret split across dump lines is
// found too.
func undump(text string) string {
	var out strings.Builder
	for _, m := range hexDumpLine.FindAllStringSubmatch(text, -1) {
		b, err := hex.DecodeString(strings.ReplaceAll(m[2], " ", ""))
		if err == nil {
			out.Write(b)
		}
	}
	return out.String()
}

// excerpt shows where a secret was found, with the secret itself masked.
func excerpt(text string, at, n int) string {
	from, to := max(0, at-80), min(len(text), at+n+80)
	return text[from:at] + "<SECRET>" + text[at+n:to]
}

// workload is the resources the test drives through every path that handles a secret.
type workload struct {
	t      *testing.T
	g      Gomega
	c      client.Client
	sim    *jcsim.Server
	simURL string
	sec    secrets
}

func (w *workload) run(ctx context.Context) {
	g, c := w.g, w.c
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	w.secret(ctx, "api-key", "api-key", w.sec.apiKey)
	w.secret(ctx, "wrong-key", "api-key", w.sec.wrongKey)
	w.connection(ctx, iamv1alpha1.DefaultConnectionName, "api-key")
	w.connection(ctx, "wrong", "wrong-key")
	w.connectionReason(iamv1alpha1.DefaultConnectionName, iamv1alpha1.ReasonReconciled)
	w.connectionReason("wrong", iamv1alpha1.ReasonKeyRejected)

	// A password set on create, then changed.
	w.secret(ctx, "alice-pw", "password", w.sec.password)
	w.user(ctx, "alice", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.PasswordSecretRef = ref("alice-pw") })
	w.ready("alice")
	w.secret(ctx, "alice-pw", "password", w.sec.changedPassword)
	g.Eventually(func() bool {
		u, _ := w.sim.FindUsername(org, "alice")
		return w.sim.PasswordMatches(org, u.ID, w.sec.changedPassword)
	}).Should(BeTrue())

	// A password the policy refuses, and one the history refuses.
	w.secret(ctx, "weak-pw", "password", w.sec.weakPassword)
	w.user(ctx, "weak", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.PasswordSecretRef = ref("weak-pw") })
	w.stalled("weak", iamv1alpha1.ReasonPasswordRejected)
	w.secret(ctx, "reuse-pw", "password", w.sec.historyPassword)
	w.user(ctx, "reuse", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.PasswordSecretRef = ref("reuse-pw") })
	w.ready("reuse")
	w.secret(ctx, "reuse-pw", "password", w.sec.password)
	g.Eventually(func() int { return w.sim.Count("update") }).Should(BeNumerically(">=", 2))
	w.secret(ctx, "reuse-pw", "password", w.sec.historyPassword)
	w.stalled("reuse", iamv1alpha1.ReasonPasswordRejected)

	// A create that committed but whose answer was lost, with a password.
	w.secret(ctx, "lost-pw", "password", w.sec.lostPassword)
	w.sim.InjectFault(jcsim.Fault{Op: "create", Drop: true, AfterCommit: true})
	w.user(ctx, "lost", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.PasswordSecretRef = ref("lost-pw") })
	w.event("lost", "CreateRecovered")

	// A user waiting on the rejected connection.
	w.user(ctx, "waiting", func(u *iamv1alpha1.JumpCloudUser) {
		u.Spec.ConnectionRef = &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "wrong"}
	})

	// One-shot operations and tokens, one of them refused, one whose answer is lost.
	for _, typ := range []iamv1alpha1.OperationType{iamv1alpha1.OperationExpirePassword, iamv1alpha1.OperationUnlock, iamv1alpha1.OperationActivate} {
		w.operation(ctx, "alice", typ)
	}
	w.sim.InjectFault(jcsim.Fault{Op: "resetmfa", Drop: true, AfterCommit: true})
	w.operation(ctx, "alice", iamv1alpha1.OperationResetMFA)
	w.sim.InjectFault(jcsim.Fault{Op: "expire", Code: http.StatusForbidden})
	w.operation(ctx, "reuse", iamv1alpha1.OperationExpirePassword)
	w.edit(ctx, "alice", func(u *iamv1alpha1.JumpCloudUser) {
		u.Annotations = map[string]string{iamv1alpha1.AnnotationResetMFA: "ticket-1", iamv1alpha1.AnnotationResetMFAExclusionDays: "3"}
	})
	w.operationsFinished()

	// A key refused in the middle of the work, then a rotated key.
	w.sim.InjectFault(jcsim.Fault{Op: "update", Code: http.StatusUnauthorized})
	w.edit(ctx, "alice", func(u *iamv1alpha1.JumpCloudUser) {
		u.Spec.Profile = &iamv1alpha1.UserProfile{Department: ptr("Security")}
	})
	w.stalled("alice", iamv1alpha1.ReasonKeyRejected)
	w.secret(ctx, "api-key", "api-key", w.sec.rotatedKey)
	w.edit(ctx, "alice", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.Profile.Department = ptr("Platform") })
	w.ready("alice")

	// Deletion.
	w.user(ctx, "leaver", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.DeletionPolicy = iamv1alpha1.DeletionPolicyDelete })
	w.ready("leaver")
	g.Expect(c.Delete(ctx, &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leaver"}})).To(Succeed())
	g.Eventually(func() bool { _, ok := w.sim.FindUsername(org, "leaver"); return ok }).Should(BeFalse())
}

func ref(secret string) *iamv1alpha1.SecretKeyReference {
	return &iamv1alpha1.SecretKeyReference{Name: secret, Key: "password"}
}

func ptr[T any](v T) *T { return &v }

// secret creates or replaces a Secret.
func (w *workload) secret(ctx context.Context, name, key, value string) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	_, err := ctrl.CreateOrUpdate(ctx, w.c, s, func() error {
		s.Data = map[string][]byte{key: []byte(value)}
		return nil
	})
	w.g.Expect(err).NotTo(HaveOccurred())
}

func (w *workload) connection(ctx context.Context, name, secret string) {
	w.g.Expect(w.c.Create(ctx, &iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: secret},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: w.simURL},
		},
	})).To(Succeed())
}

func (w *workload) connectionReason(name, reason string) {
	w.g.Eventually(func() string {
		var c iamv1alpha1.JumpCloudConnection
		if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &c); err != nil {
			return err.Error()
		}
		if cond := meta.FindStatusCondition(c.Status.Conditions, iamv1alpha1.ConditionReady); cond != nil {
			return cond.Reason
		}
		return ""
	}).Should(Equal(reason))
}

func (w *workload) user(ctx context.Context, name string, edit func(*iamv1alpha1.JumpCloudUser)) {
	u := &iamv1alpha1.JumpCloudUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       iamv1alpha1.JumpCloudUserSpec{Username: name, Email: name + "@hygiene.example.com"},
	}
	edit(u)
	w.g.Expect(w.c.Create(ctx, u)).To(Succeed())
}

func (w *workload) edit(ctx context.Context, name string, fn func(*iamv1alpha1.JumpCloudUser)) {
	w.g.Eventually(func() error {
		var u iamv1alpha1.JumpCloudUser
		if err := w.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &u); err != nil {
			return err
		}
		fn(&u)
		return w.c.Update(ctx, &u)
	}).Should(Succeed())
}

func (w *workload) condition(name, typ string) metav1.Condition {
	var u iamv1alpha1.JumpCloudUser
	if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &u); err != nil {
		return metav1.Condition{Message: err.Error()}
	}
	if c := meta.FindStatusCondition(u.Status.Conditions, typ); c != nil && c.ObservedGeneration == u.Generation {
		return *c
	}
	return metav1.Condition{}
}

func (w *workload) ready(name string) {
	w.g.Eventually(func() metav1.ConditionStatus { return w.condition(name, iamv1alpha1.ConditionReady).Status }).
		Should(Equal(metav1.ConditionTrue), "%s Ready", name)
}

func (w *workload) stalled(name, reason string) {
	w.g.Eventually(func() string {
		if c := w.condition(name, iamv1alpha1.ConditionStalled); c.Status == metav1.ConditionTrue {
			return c.Reason
		}
		return ""
	}).Should(Equal(reason), "%s Stalled", name)
}

func (w *workload) event(name, reason string) {
	w.g.Eventually(func() []string {
		var list eventsv1.EventList
		if err := w.c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return nil
		}
		var reasons []string
		for _, e := range list.Items {
			if e.Regarding.Name == name {
				reasons = append(reasons, e.Reason)
			}
		}
		return reasons
	}).Should(ContainElement(reason))
}

func (w *workload) operation(ctx context.Context, user string, typ iamv1alpha1.OperationType) {
	w.g.Expect(w.c.Create(ctx, &iamv1alpha1.JumpCloudUserOperation{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: strings.ToLower(string(typ)) + "-"},
		Spec:       iamv1alpha1.JumpCloudUserOperationSpec{UserRef: &iamv1alpha1.LocalObjectReference{Name: user}, Type: typ},
	})).To(Succeed())
}

func (w *workload) operationsFinished() {
	w.g.Eventually(func() []string {
		var ops iamv1alpha1.JumpCloudUserOperationList
		if err := w.c.List(context.Background(), &ops, client.InNamespace(ns)); err != nil {
			return []string{err.Error()}
		}
		var open []string
		for _, o := range ops.Items {
			if o.Status.Phase != iamv1alpha1.OperationSucceeded && o.Status.Phase != iamv1alpha1.OperationFailed {
				open = append(open, o.Name)
			}
		}
		return open
	}).Should(BeEmpty())
}

// events renders every Event of the cluster, both APIs.
func (w *workload) events() string {
	var v1 eventsv1.EventList
	var core corev1.EventList
	w.g.Expect(w.c.List(context.Background(), &v1)).To(Succeed())
	w.g.Expect(w.c.List(context.Background(), &core)).To(Succeed())
	return jsonOf(w.g, v1) + jsonOf(w.g, core)
}

// statuses renders every object of the operator's four kinds, whole.
func (w *workload) statuses() string {
	var users iamv1alpha1.JumpCloudUserList
	var ops iamv1alpha1.JumpCloudUserOperationList
	var conns iamv1alpha1.JumpCloudConnectionList
	var cconns iamv1alpha1.ClusterJumpCloudConnectionList
	var out strings.Builder
	for _, l := range []client.ObjectList{&users, &ops, &conns, &cconns} {
		w.g.Expect(w.c.List(context.Background(), l)).To(Succeed())
		out.WriteString(jsonOf(w.g, l))
	}
	return out.String()
}

// conditions lists every condition message on its own, as kubectl describe shows them.
func (w *workload) conditions() string {
	var users iamv1alpha1.JumpCloudUserList
	var ops iamv1alpha1.JumpCloudUserOperationList
	w.g.Expect(w.c.List(context.Background(), &users)).To(Succeed())
	w.g.Expect(w.c.List(context.Background(), &ops)).To(Succeed())
	var out strings.Builder
	for _, u := range users.Items {
		for _, c := range u.Status.Conditions {
			fmt.Fprintf(&out, "%s %s %s: %s\n", u.Name, c.Type, c.Reason, c.Message)
		}
	}
	for _, o := range ops.Items {
		fmt.Fprintf(&out, "%s %s: %s\n", o.Name, o.Status.Phase, o.Status.Message)
	}
	return out.String()
}

// gatherMetrics renders every metric family of controller-runtime's registry (which the manager
// serves on /metrics), with its labels and values.
func gatherMetrics(g Gomega) string {
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	var out strings.Builder
	for _, f := range families {
		out.WriteString(f.String())
		out.WriteByte('\n')
	}
	return out.String()
}

func jsonOf(g Gomega, v any) string {
	b, err := json.Marshal(v)
	g.Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// clientErrorStrings makes the client fail in the ways that could carry a secret into an error:
// a server that echoes the key and the password back in its error message and details, a refused
// key, and a lost answer; it returns the error strings.
func clientErrorStrings(g Gomega, sec secrets) []string {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg := fmt.Sprintf("rejected key %s with body %s", r.Header.Get("x-api-key"), body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"code": 400, "message": msg,
			"details": []any{map[string]any{"fieldViolations": []any{map[string]string{"field": "password", "description": msg}}}},
		})
	}))
	defer echo.Close()
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer drop.Close()

	newClient := func(url, key string) *jumpcloud.Client {
		c, err := jumpcloud.New(jumpcloud.Options{BaseURL: url + "/api", APIKey: key, MaxRetries: -1})
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	fields := jumpcloud.UserFields{Username: ptr("echo"), Email: ptr("echo@example.com"), Password: ptr(sec.password)}
	ctx := context.Background()
	var out []string
	_, err := newClient(echo.URL, sec.apiKey).CreateUser(ctx, fields, jumpcloud.CreateOptions{FullValidationDetails: true})
	g.Expect(err).To(HaveOccurred())
	out = append(out, err.Error(), fmt.Sprintf("%+v", err))
	_, err = newClient(echo.URL, sec.apiKey).UpdateUser(ctx, "0123456789abcdef01234567", jumpcloud.UserFields{Password: ptr(sec.changedPassword)})
	g.Expect(err).To(HaveOccurred())
	out = append(out, err.Error())
	_, err = newClient(drop.URL, sec.wrongKey).CreateUser(ctx, fields, jumpcloud.CreateOptions{})
	g.Expect(err).To(HaveOccurred())
	out = append(out, err.Error())
	return out
}
