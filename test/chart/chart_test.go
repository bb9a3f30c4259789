// Package chart proves that the Helm chart (charts/jumpcloud-operator) installs the same operator as
// the kustomize install (config/default): it renders both, with bin/helm (make helm) and
// bin/kustomize (make kustomize), and compares the CRDs, the RBAC and the manager's hardening. It
// also checks that the chart's copies of controller-gen's output are up to date (make chart-crds),
// that values.schema.json rejects bad values, and that every value is documented in values.yaml.
package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	// The release name and namespace that make the chart's names those of config/default.
	release   = "jumpcloud-operator"
	namespace = "jumpcloud-system"
	chartDir  = "charts/jumpcloud-operator"
)

// chartLabels are the labels the chart puts on every resource, and the annotation it puts on the
// CRDs; kustomize adds none of them to the CRDs.
var (
	chartLabels    = []string{"helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"}
	keepAnnotation = "helm.sh/resource-policy"
)

// object is one rendered manifest: its kind, name, namespace, and the document itself.
type object struct {
	Kind, Name, Namespace string
	Doc                   map[string]any
	Raw                   []byte
}

// manifests is what one render produced.
type manifests []object

func (m manifests) ofKind(kind string) manifests {
	var out manifests
	for _, o := range m {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (m manifests) find(kind, name string) (object, bool) {
	for _, o := range m {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func (m manifests) names(kind string) []string {
	var out []string
	for _, o := range m.ofKind(kind) {
		out = append(out, o.Name)
	}
	slices.Sort(out)
	return out
}

// decodeInto unmarshals one manifest into a typed object.
func decodeInto(t *testing.T, o object, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(o.Raw, into); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
	}
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tool is bin/<name>, which `make <target>` installs; the test fails, rather than skips, without it.
func tool(t *testing.T, name, target string) string {
	t.Helper()
	path := filepath.Join(root(t), "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing: run `make %s` (it installs the pinned %s into bin/), then run the test again", path, target, name)
	}
	return path
}

// run runs a tool from the repository root and returns its standard output, or an error carrying
// its standard error.
func run(t *testing.T, bin string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = root(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// helmTemplate renders the chart with the given extra helm arguments (--set ...).
func helmTemplate(t *testing.T, args ...string) (manifests, error) {
	t.Helper()
	out, err := run(t, tool(t, "helm", "helm"),
		append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	if err != nil {
		return nil, err
	}
	return parse(out)
}

func mustHelmTemplate(t *testing.T, args ...string) manifests {
	t.Helper()
	m, err := helmTemplate(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The default renders, made once and shared by the tests.
var (
	defaultsOnce             sync.Once
	chartDefault, kustomized manifests
	defaultsErr              error
)

// renders returns the chart rendered with its default values and config/default built by kustomize.
func renders(t *testing.T) (chart, kustomize manifests) {
	t.Helper()
	helm, kust := tool(t, "helm", "helm"), tool(t, "kustomize", "kustomize")
	defaultsOnce.Do(func() {
		out, err := run(t, helm, "template", release, chartDir, "--namespace", namespace)
		if err == nil {
			chartDefault, err = parse(out)
		}
		if err != nil {
			defaultsErr = err
			return
		}
		out, err = run(t, kust, "build", "config/default")
		if err == nil {
			kustomized, err = parse(out)
		}
		defaultsErr = err
	})
	if defaultsErr != nil {
		t.Fatal(defaultsErr)
	}
	return chartDefault, kustomized
}

// parse splits a multi-document YAML stream into its objects.
func parse(stream []byte) (manifests, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var out manifests
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%w in\n%s", err, raw)
		}
		if len(doc) == 0 {
			continue
		}
		meta, _ := doc["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		kind, _ := doc["kind"].(string)
		out = append(out, object{Kind: kind, Name: name, Namespace: ns, Doc: doc, Raw: raw})
	}
}

// normalised is a document as canonical YAML: keys sorted, one formatting.
func normalised(t *testing.T, doc map[string]any) string {
	t.Helper()
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// withoutChartMetadata is a copy of a document without the labels and annotation the chart adds,
// and without metadata maps that are then empty.
func withoutChartMetadata(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	meta, _ := out["metadata"].(map[string]any)
	for key, drop := range map[string][]string{"labels": chartLabels, "annotations": {keepAnnotation}} {
		m, _ := meta[key].(map[string]any)
		for _, k := range drop {
			delete(m, k)
		}
		if m != nil && len(m) == 0 {
			delete(meta, key)
		}
	}
	return out
}

// firstDifference shows where two texts first differ: the line, with two lines of context before.
func firstDifference(chart, kustomize string) string {
	a, b := strings.Split(chart, "\n"), strings.Split(kustomize, "\n")
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	line := func(lines []string, n int) string {
		if n < len(lines) {
			return lines[n]
		}
		return "(end)"
	}
	var out strings.Builder
	for n := max(0, i-2); n < i; n++ {
		fmt.Fprintf(&out, "  %5d   %s\n", n+1, a[n])
	}
	fmt.Fprintf(&out, "  %5d - %s   (config/default)\n", i+1, line(b, i))
	fmt.Fprintf(&out, "  %5d + %s   (chart)", i+1, line(a, i))
	return out.String()
}

// sameNames reports, for one kind, the names config/default has and the chart lacks, and the other
// way round; it returns whether they are the same.
func sameNames(t *testing.T, kind string, chart, kustomize manifests) bool {
	t.Helper()
	got, want := chart.names(kind), kustomize.names(kind)
	var missing, extra []string
	for _, n := range want {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	for _, n := range got {
		if !slices.Contains(want, n) {
			extra = append(extra, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: the chart lacks config/default's %v", kind, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s: the chart has %v, which config/default has not", kind, extra)
	}
	return len(missing) == 0 && len(extra) == 0
}

// TestChartCopiesAreUpToDate checks that the chart's copies of controller-gen's output are
// byte-for-byte those in config/ (make chart-crds copies them).
func TestChartCopiesAreUpToDate(t *testing.T) {
	dir := root(t)
	pairs := map[string]string{filepath.Join(chartDir, "files/rbac/role.yaml"): "config/rbac/role.yaml"}
	generated, err := filepath.Glob(filepath.Join(dir, "config/crd/bases/*.yaml"))
	if err != nil || len(generated) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v): run make manifests", err)
	}
	for _, g := range generated {
		pairs[filepath.Join(chartDir, "files/crds", filepath.Base(g))] = filepath.Join("config/crd/bases", filepath.Base(g))
	}
	// The alert rules are copied when config/prometheus has them (make chart-alerts).
	alerts, alertsCopy := "config/prometheus/alerts.rules.yaml", filepath.Join(chartDir, "files/prometheus-rules.yaml")
	if _, err := os.Stat(filepath.Join(dir, alerts)); err == nil {
		pairs[alertsCopy] = alerts
	} else if _, err := os.Stat(filepath.Join(dir, alertsCopy)); err == nil {
		t.Errorf("%s exists but %s does not: run make chart-alerts", alertsCopy, alerts)
	}
	copies, err := filepath.Glob(filepath.Join(dir, chartDir, "files/crds/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range copies {
		if rel, _ := filepath.Rel(dir, c); pairs[rel] == "" {
			t.Errorf("%s has no counterpart in config/crd/bases: run make chart-crds", rel)
		}
	}
	for chartCopy, source := range pairs {
		want, err := os.ReadFile(filepath.Join(dir, source))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, chartCopy))
		if err != nil || !bytes.Equal(got, want) {
			target := "chart-crds"
			if source == alerts {
				target = "chart-alerts"
			}
			t.Errorf("%s is not a copy of %s: run make %s", chartCopy, source, target)
		}
	}
}

// TestCRDsMatchKustomize checks that the chart installs exactly config/default's CRDs, with its
// labels and, by default, the keep annotation added; and that crds.install and crds.keep work.
func TestCRDsMatchKustomize(t *testing.T) {
	chart, kustomize := renders(t)
	kind := "CustomResourceDefinition"
	if !sameNames(t, kind, chart, kustomize) {
		t.FailNow()
	}
	for _, want := range kustomize.ofKind(kind) {
		got, _ := chart.find(kind, want.Name)
		if a, b := normalised(t, withoutChartMetadata(t, got.Doc)), normalised(t, want.Doc); a != b {
			t.Errorf("CRD %s differs from config/default's (less the chart's labels and annotation; run make chart-crds):\n%s",
				want.Name, firstDifference(a, b))
		}
		annotations, _ := got.Doc["metadata"].(map[string]any)["annotations"].(map[string]any)
		if annotations[keepAnnotation] != "keep" {
			t.Errorf("CRD %s lacks %s: keep by default", want.Name, keepAnnotation)
		}
	}

	if crds := mustHelmTemplate(t, "--set", "crds.install=false").ofKind(kind); len(crds) != 0 {
		t.Errorf("crds.install=false still renders %d CRDs", len(crds))
	}
	for _, crd := range mustHelmTemplate(t, "--set", "crds.keep=false").ofKind(kind) {
		if annotations, _ := crd.Doc["metadata"].(map[string]any)["annotations"].(map[string]any); annotations[keepAnnotation] != nil {
			t.Errorf("crds.keep=false: CRD %s still has %s", crd.Name, keepAnnotation)
		}
	}
}

// ruleSet is a role's rules as a sorted set of canonical strings, one per rule, each with its
// lists sorted: the order of rules, and of the items in a rule, does not matter.
func ruleSet(rules []rbacv1.PolicyRule) []string {
	sorted := func(s []string) string {
		s = slices.Clone(s)
		slices.Sort(s)
		return strings.Join(s, ",")
	}
	var out []string
	for _, r := range rules {
		out = append(out, fmt.Sprintf("groups=%s resources=%s names=%s urls=%s verbs=%s",
			sorted(r.APIGroups), sorted(r.Resources), sorted(r.ResourceNames), sorted(r.NonResourceURLs), sorted(r.Verbs)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRBACMatchesKustomize checks that the chart creates config/default's ServiceAccount, every one
// of its ClusterRoles and Roles with the same rules, and the same bindings.
func TestRBACMatchesKustomize(t *testing.T) {
	chart, kustomize := renders(t)

	sameNames(t, "ServiceAccount", chart, kustomize)

	for _, kind := range []string{"ClusterRole", "Role"} {
		sameNames(t, kind, chart, kustomize)
		for _, want := range kustomize.ofKind(kind) {
			got, ok := chart.find(kind, want.Name)
			if !ok {
				continue
			}
			var gotRole, wantRole rbacv1.ClusterRole // a Role decodes the same way
			decodeInto(t, got, &gotRole)
			decodeInto(t, want, &wantRole)
			if g, w := ruleSet(gotRole.Rules), ruleSet(wantRole.Rules); !slices.Equal(g, w) {
				t.Errorf("%s %s: the chart's rules\n  %s\nconfig/default's\n  %s",
					kind, want.Name, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
			}
			if got.Namespace != want.Namespace {
				t.Errorf("%s %s is in namespace %q, config/default's in %q", kind, want.Name, got.Namespace, want.Namespace)
			}
		}
	}

	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		sameNames(t, kind, chart, kustomize)
		for _, want := range kustomize.ofKind(kind) {
			got, ok := chart.find(kind, want.Name)
			if !ok {
				continue
			}
			var gotBinding, wantBinding rbacv1.ClusterRoleBinding // a RoleBinding decodes the same way
			decodeInto(t, got, &gotBinding)
			decodeInto(t, want, &wantBinding)
			if gotBinding.RoleRef != wantBinding.RoleRef || !slices.Equal(gotBinding.Subjects, wantBinding.Subjects) {
				t.Errorf("%s %s: the chart binds %v to %v, config/default %v to %v", kind, want.Name,
					gotBinding.RoleRef, gotBinding.Subjects, wantBinding.RoleRef, wantBinding.Subjects)
			}
		}
	}
}

// deployment returns the manager Deployment of a render and its manager container.
func deployment(t *testing.T, m manifests) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	deployments := m.ofKind("Deployment")
	if len(deployments) != 1 {
		t.Fatalf("%d Deployments rendered, want 1", len(deployments))
	}
	var d appsv1.Deployment
	decodeInto(t, deployments[0], &d)
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return d, c
		}
	}
	t.Fatalf("Deployment %s has no container named manager", d.Name)
	return d, corev1.Container{}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestDeploymentMatchesKustomize checks that the chart's manager runs as hardened as
// config/default's, with the same probes, resources, placement and flags.
func TestDeploymentMatchesKustomize(t *testing.T) {
	chart, kustomize := renders(t)
	got, gotC := deployment(t, chart)
	want, wantC := deployment(t, kustomize)
	gotPod, wantPod := got.Spec.Template.Spec, want.Spec.Template.Spec

	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"name", got.Name, want.Name},
		{"namespace", got.Namespace, want.Namespace},
		{"pod securityContext", gotPod.SecurityContext, wantPod.SecurityContext},
		{"container securityContext", gotC.SecurityContext, wantC.SecurityContext},
		{"livenessProbe", gotC.LivenessProbe, wantC.LivenessProbe},
		{"readinessProbe", gotC.ReadinessProbe, wantC.ReadinessProbe},
		{"resources", gotC.Resources, wantC.Resources},
		{"affinity", gotPod.Affinity, wantPod.Affinity},
		{"command", gotC.Command, wantC.Command},
		{"ports", gotC.Ports, wantC.Ports},
		{"serviceAccountName", gotPod.ServiceAccountName, wantPod.ServiceAccountName},
		{"terminationGracePeriodSeconds", gotPod.TerminationGracePeriodSeconds, wantPod.TerminationGracePeriodSeconds},
		{"replicas", got.Spec.Replicas, want.Spec.Replicas},
	} {
		if g, w := asJSON(t, c.got), asJSON(t, c.want); g != w {
			t.Errorf("Deployment %s: the chart's is %s, config/default's %s", c.what, g, w)
		}
	}
	if gotPod.SecurityContext == nil || gotC.SecurityContext == nil || gotC.SecurityContext.ReadOnlyRootFilesystem == nil ||
		!*gotC.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("the chart's manager is not hardened: pod %s, container %s", asJSON(t, gotPod.SecurityContext), asJSON(t, gotC.SecurityContext))
	}
	for _, arg := range wantC.Args {
		if !slices.Contains(gotC.Args, arg) {
			t.Errorf("the chart's manager lacks config/default's argument %s (it has %v)", arg, gotC.Args)
		}
	}

	// The metrics Service selects the manager Pods.
	services := chart.ofKind("Service")
	if len(services) != 1 {
		t.Fatalf("%d Services rendered, want the metrics Service", len(services))
	}
	var svc corev1.Service
	decodeInto(t, services[0], &svc)
	for k, v := range svc.Spec.Selector {
		if got.Spec.Template.Labels[k] != v {
			t.Errorf("the metrics Service selects %s=%s, which the manager Pods lack (%v)", k, v, got.Spec.Template.Labels)
		}
	}
	sameNames(t, "Service", chart, kustomize)
}

// TestValues checks that the values reach the manager as the flags and objects they document.
func TestValues(t *testing.T) {
	m := mustHelmTemplate(t,
		"--set", "image.repository=registry.example/jc,image.tag=v9.9.9,image.pullPolicy=Always",
		"--set", "replicaCount=3,leaderElection.namespace=kube-system,leaderElection.leaseDuration=30s",
		"--set", "leaderElection.renewDeadline=20s,leaderElection.retryPeriod=4s",
		"--set", "defaultDeletionPolicy=Orphan,driftDetection=per-resource,maxConcurrentReconciles=4,logLevel=5",
		"--set", "extraArgs[0]=--enable-http2=false",
		"--set", "priorityClassName=system-cluster-critical",
		"--set-string", "nodeSelector.disk=ssd,podAnnotations.note=yes,podLabels.team=iam",
		"--set", "tolerations[0].key=dedicated,tolerations[0].operator=Exists",
		"--set", "serviceAccount.name=jc,serviceAccount.annotations.role=op",
		"--set", "serviceMonitor.enabled=true,networkPolicy.enabled=true",
		"--set", "prometheusRule.enabled=true",
		"--set-json", `prometheusRule.groups=[{"name":"extra","rules":[{"alert":"X","expr":"vector(1)"}]}]`,
	)
	d, c := deployment(t, m)
	pod := d.Spec.Template.Spec
	for _, arg := range []string{
		"--leader-elect", "--leader-election-namespace=kube-system", "--leader-election-lease-duration=30s",
		"--leader-election-renew-deadline=20s", "--leader-election-retry-period=4s",
		"--default-deletion-policy=Orphan", "--drift-detection=per-resource", "--max-concurrent-reconciles=4",
		"--zap-log-level=5", "--enable-http2=false", "--metrics-bind-address=:8443",
	} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager arguments %v lack %s", c.Args, arg)
		}
	}
	if c.Image != "registry.example/jc:v9.9.9" || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("image %s, pull policy %s", c.Image, c.ImagePullPolicy)
	}
	if *d.Spec.Replicas != 3 || pod.PriorityClassName != "system-cluster-critical" || pod.ServiceAccountName != "jc" ||
		pod.NodeSelector["disk"] != "ssd" || len(pod.Tolerations) != 1 ||
		d.Spec.Template.Annotations["note"] != "yes" || d.Spec.Template.Labels["team"] != "iam" {
		t.Errorf("pod spec does not carry the values: %s", asJSON(t, d.Spec))
	}
	if role, ok := m.find("Role", release+"-leader-election-role"); !ok || role.Namespace != "kube-system" {
		t.Errorf("the leader-election Role is not in leaderElection.namespace kube-system: %+v", role)
	}
	sa, ok := m.find("ServiceAccount", "jc")
	if annotations, _ := sa.Doc["metadata"].(map[string]any)["annotations"].(map[string]any); !ok || annotations["role"] != "op" {
		t.Errorf("ServiceAccount jc with annotation role=op not rendered: %+v", sa.Doc)
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "NetworkPolicy"} {
		if len(m.ofKind(kind)) != 1 {
			t.Errorf("%s not rendered", kind)
		}
	}

	d, c = deployment(t, mustHelmTemplate(t, "--set", "image.digest=sha256:"+strings.Repeat("ab", 32)))
	if want := "jumpcloud-operator@sha256:" + strings.Repeat("ab", 32); c.Image != want {
		t.Errorf("with image.digest the image is %s, want %s", c.Image, want)
	}
	if _, c = deployment(t, mustHelmTemplate(t)); !strings.HasSuffix(c.Image, ":"+chartAppVersion(t)) {
		t.Errorf("image %s does not default to the chart's appVersion %s", c.Image, chartAppVersion(t))
	}
	if _, c = deployment(t, mustHelmTemplate(t, "--set", "leaderElection.enabled=false")); slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("leaderElection.enabled=false still passes --leader-elect: %v", c.Args)
	}
	m = mustHelmTemplate(t, "--set", "serviceAccount.create=false,serviceAccount.name=existing,rbac.userRoles=false,metrics.enabled=false")
	if len(m.ofKind("ServiceAccount")) != 0 || len(m.ofKind("Service")) != 0 || len(m.ofKind("ClusterRole")) != 1 {
		t.Errorf("serviceAccount.create, rbac.userRoles and metrics.enabled false still render ServiceAccounts %v, Services %v, ClusterRoles %v",
			m.names("ServiceAccount"), m.names("Service"), m.names("ClusterRole"))
	}
}

// TestPrometheusRule checks that the PrometheusRule carries the chart's alert rules (a copy of
// config/prometheus/alerts.rules.yaml) untouched, followed by prometheusRule.groups; and that it
// refuses to render empty.
func TestPrometheusRule(t *testing.T) {
	extra := map[string]any{"name": "extra", "rules": []any{map[string]any{"alert": "X", "expr": "vector(1)"}}}
	var want []any
	raw, err := os.ReadFile(filepath.Join(root(t), chartDir, "files/prometheus-rules.yaml"))
	switch {
	case err == nil:
		var file struct {
			Groups []any `json:"groups"`
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			t.Fatal(err)
		}
		want = file.Groups
	case errors.Is(err, os.ErrNotExist):
		if _, err := helmTemplate(t, "--set", "prometheusRule.enabled=true"); err == nil || !strings.Contains(err.Error(), "prometheusRule.groups") {
			t.Errorf("with no rules file and no prometheusRule.groups, prometheusRule.enabled=true must fail naming prometheusRule.groups: %v", err)
		}
	default:
		t.Fatal(err)
	}
	want = append(want, extra)

	m := mustHelmTemplate(t, "--set", "prometheusRule.enabled=true", "--set-json", "prometheusRule.groups=["+asJSON(t, extra)+"]")
	rules := m.ofKind("PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("%d PrometheusRules rendered, want 1", len(rules))
	}
	spec, _ := rules[0].Doc["spec"].(map[string]any)
	if got := asJSON(t, spec["groups"]); got != asJSON(t, want) {
		t.Errorf("PrometheusRule groups\n%s\nwant\n%s", got, asJSON(t, want))
	}
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root(t), chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatal(err)
	}
	return chart.AppVersion
}

// TestSchemaRejectsBadValues checks that values.schema.json (or the templates) refuse what the
// manager would refuse at start, or what would be silently ignored.
func TestSchemaRejectsBadValues(t *testing.T) {
	for _, c := range []struct {
		set, message string
	}{
		{"defaultDeletionPolicy=Destroy", "defaultDeletionPolicy"},
		{"driftDetection=sometimes", "driftDetection"},
		{"logLevel=loud", "logLevel"},
		{"logLevel=0", "logLevel"},
		{"maxConcurrentReconciles=0", "maxConcurrentReconciles"},
		{"leaderElection.leaseDuration=15", "leaseDuration"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"defaultDeletionPolcy=Delete", "defaultDeletionPolcy"}, // a misspelt key
		{"replicaCount=2,leaderElection.enabled=false", "leaderElection.enabled"},
	} {
		t.Run(c.set, func(t *testing.T) {
			_, err := helmTemplate(t, "--set", c.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded", c.set)
			}
			if !strings.Contains(err.Error(), c.message) {
				t.Errorf("helm template --set %s failed without naming %s: %v", c.set, c.message, err)
			}
		})
	}
	for _, set := range []string{"defaultDeletionPolicy=Delete", "defaultDeletionPolicy=Orphan", "driftDetection=per-resource", "logLevel=debug"} {
		if _, err := helmTemplate(t, "--set", set); err != nil {
			t.Errorf("helm template --set %s: %v", set, err)
		}
	}
}

// keyLine is a key in values.yaml: "<indent><key>:".
var keyLine = regexp.MustCompile(`^( *)([A-Za-z][A-Za-z0-9]*):`)

// TestValuesAreDocumented checks that each value the schema declares, at any depth, is preceded by
// a comment in values.yaml, and that the schema declares every value values.yaml has (the schema's
// additionalProperties: false then catches misspelt keys).
func TestValuesAreDocumented(t *testing.T) {
	dir := root(t)
	raw, err := os.ReadFile(filepath.Join(dir, chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	values, err := os.ReadFile(filepath.Join(dir, chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	// declared is the schema of a path of keys, or nil when the schema does not list it among its
	// parent's properties (a free-form map such as resources.limits or affinity).
	declared := func(path []string) map[string]any {
		node := schema
		for _, key := range path {
			props, _ := node["properties"].(map[string]any)
			next, _ := props[key].(map[string]any)
			if next == nil {
				return nil
			}
			node = next
		}
		return node
	}

	var stack []string // the path of keys down to the current line
	var indents []int
	previous := ""
	seen := map[string]bool{}
	for n, line := range strings.Split(string(values), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "-") {
			if trimmed != "" {
				previous = trimmed
			}
			continue
		}
		match := keyLine.FindStringSubmatch(line)
		if match == nil {
			previous = trimmed
			continue
		}
		indent := len(match[1])
		for len(indents) > 0 && indents[len(indents)-1] >= indent {
			stack, indents = stack[:len(stack)-1], indents[:len(indents)-1]
		}
		stack, indents = append(stack, match[2]), append(indents, indent)
		path := strings.Join(stack, ".")
		parentDeclared := len(stack) == 1 || declared(stack[:len(stack)-1]) != nil
		parentFree := len(stack) > 1 && declared(stack[:len(stack)-1]) != nil &&
			declared(stack[:len(stack)-1])["properties"] == nil
		switch {
		case declared(stack) != nil:
			seen[path] = true
			if !strings.HasPrefix(previous, "#") {
				t.Errorf("values.yaml:%d: %s has no comment above it", n+1, path)
			}
		case parentDeclared && !parentFree:
			t.Errorf("values.yaml:%d: %s is not in values.schema.json", n+1, path)
		}
		previous = trimmed
	}

	// Every declared value, but Helm's global, is in values.yaml.
	var walk func(prefix string, node map[string]any)
	walk = func(prefix string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for key, sub := range props {
			path := strings.TrimPrefix(prefix+"."+key, ".")
			if path == "global" {
				continue
			}
			if !seen[path] {
				t.Errorf("values.schema.json declares %s, which values.yaml does not document", path)
			}
			if m, _ := sub.(map[string]any); m != nil {
				walk(path, m)
			}
		}
	}
	walk("", schema)
}
