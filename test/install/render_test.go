package install

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// rendering is what one install applies: every object, in the order it was rendered.
type rendering struct {
	// Source says where the objects come from, for messages.
	Source  string
	Objects []*unstructured.Unstructured
	// Namespace is the namespace the Deployment (and so the manager) runs in.
	Namespace string
	// Deployment is the manager's Deployment.
	Deployment *appsv1.Deployment
}

// renderKustomize builds config/default with bin/kustomize, as make deploy does.
func renderKustomize() (*rendering, error) {
	// config/default takes from the rest of config/.
	out, err := runTool("kustomize", "kustomize", "config", "build", "config/default")
	if err != nil {
		return nil, err
	}
	return newRendering("kustomize build config/default", out)
}

// renderChart renders the chart with its default values with bin/helm, as helm install would.
func renderChart(release, namespace string) (*rendering, error) {
	out, err := runTool("helm", "helm", "charts/jumpcloud-operator",
		"template", release, "charts/jumpcloud-operator", "--namespace", namespace)
	if err != nil {
		return nil, err
	}
	r, err := newRendering("helm template "+release+" charts/jumpcloud-operator --namespace "+namespace, out)
	if err != nil {
		return nil, err
	}
	// helm install puts namespaced objects without a namespace in the release namespace.
	for _, o := range r.Objects {
		if o.GetNamespace() == "" && !clusterScoped[o.GetKind()] {
			o.SetNamespace(namespace)
		}
	}
	return r, nil
}

// clusterScoped are the cluster-scoped kinds an install renders.
var clusterScoped = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
}

// runTool runs bin/<name> (installed by `make <target>`) in the repository root on the files
// under inputs.
func runTool(name, target, inputs string, args ...string) ([]byte, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "bin", name)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s is missing: run `make %s` (make test installs it)", bin, target)
	}
	if err := statTree(filepath.Join(root, inputs)); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// statTree stats every file under dir. go test reuses a passing result until a file the test
// opened or stat'ed changes; the tools read the install's files in their own processes, so the
// suite stats them itself, and a change of the install runs it again.
func statTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.Stat(path)
		return err
	})
}

func newRendering(source string, stream []byte) (*rendering, error) {
	r := &rendering{Source: source}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w in\n%s", source, err, raw)
		}
		if len(doc) == 0 {
			continue
		}
		r.Objects = append(r.Objects, &unstructured.Unstructured{Object: doc})
	}
	var deployments []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == "Deployment" {
			deployments = append(deployments, o)
		}
	}
	if len(deployments) != 1 {
		return nil, fmt.Errorf("%s renders %d Deployments, want 1 (the manager)", source, len(deployments))
	}
	r.Deployment = &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(deployments[0].Object, r.Deployment); err != nil {
		return nil, fmt.Errorf("%s: the Deployment: %w", source, err)
	}
	r.Namespace = r.Deployment.Namespace
	return r, nil
}

// find returns the rendered object of that kind whose name ends with suffix; it must be the only one.
func (r *rendering) find(kind, suffix string) (*unstructured.Unstructured, error) {
	var found []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == kind && strings.HasSuffix(o.GetName(), suffix) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s renders %d %s named *%s, want 1", r.Source, len(found), kind, suffix)
	}
	return found[0], nil
}

// ofKind returns the rendered objects of a kind.
func (r *rendering) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// dropRule is a rule INSTALL_DROP_RULE removes before the install is applied.
type dropRule struct {
	// role is the end of the Role's or ClusterRole's name.
	role  string
	index int
}

// dropRuleFromEnv reads INSTALL_DROP_RULE=[<role>:]<index>; nil when it is unset.
func dropRuleFromEnv() (*dropRule, error) {
	v := os.Getenv("INSTALL_DROP_RULE")
	if v == "" {
		return nil, nil
	}
	d := &dropRule{role: "manager-role"}
	index := v
	if role, rest, ok := strings.Cut(v, ":"); ok {
		d.role, index = role, rest
	}
	n, err := strconv.Atoi(index)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("INSTALL_DROP_RULE=%q: want [<role>:]<index>, e.g. 3 or leader-election-role:0", v)
	}
	d.index = n
	return d, nil
}

// apply removes the rule from the rendering's role and says which rule that was.
func (d *dropRule) apply(r *rendering) (string, error) {
	var role *unstructured.Unstructured
	for _, kind := range []string{"ClusterRole", "Role"} {
		if o, err := r.find(kind, d.role); err == nil {
			role = o
		}
	}
	if role == nil {
		return "", fmt.Errorf("INSTALL_DROP_RULE: %s renders no single Role or ClusterRole named *%s", r.Source, d.role)
	}
	rules, _, err := unstructured.NestedSlice(role.Object, "rules")
	if err != nil {
		return "", err
	}
	if d.index >= len(rules) {
		return "", fmt.Errorf("INSTALL_DROP_RULE: %s %s has %d rules (0 to %d)", role.GetKind(), role.GetName(), len(rules), len(rules)-1)
	}
	dropped, err := yaml.Marshal(rules[d.index])
	if err != nil {
		return "", err
	}
	rules = append(rules[:d.index], rules[d.index+1:]...)
	if err := unstructured.SetNestedSlice(role.Object, rules, "rules"); err != nil {
		return "", err
	}
	return fmt.Sprintf("INSTALL_DROP_RULE removed rule %d of %s %s:\n%s", d.index, role.GetKind(), role.GetName(), dropped), nil
}
