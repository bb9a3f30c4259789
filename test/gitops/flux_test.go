package gitops

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

const fluxDir = "../../config/flux"

const (
	fluxKustomizationAPI = "kustomize.toolkit.fluxcd.io/v1"
	fluxSourceAPI        = "source.toolkit.fluxcd.io/v1"
	kustomizeAPI         = "kustomize.config.k8s.io/v1beta1"
)

// The fields of Flux's Kustomization (kustomize.toolkit.fluxcd.io/v1) the example uses; decoding is
// strict, so a misspelt field fails the test.
type fluxKustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec fluxKustomizationSpec `json:"spec"`
}

type fluxKustomizationSpec struct {
	DependsOn     []dependency `json:"dependsOn,omitempty"`
	Interval      string       `json:"interval"`
	RetryInterval string       `json:"retryInterval,omitempty"`
	Timeout       string       `json:"timeout,omitempty"`
	SourceRef     struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"sourceRef"`
	Path         string           `json:"path"`
	Prune        bool             `json:"prune"`
	Wait         bool             `json:"wait"`
	HealthChecks []healthCheckRef `json:"healthChecks,omitempty"`
	Images       []kustomizeImage `json:"images,omitempty"`
}

type dependency struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type healthCheckRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
}

// kustomizeFile is a kustomization.yaml (kustomize.config.k8s.io/v1beta1), the fields used here.
type kustomizeFile struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Namespace  string           `json:"namespace"`
	Resources  []string         `json:"resources"`
	Images     []kustomizeImage `json:"images"`
}

func readKustomizeFile(t *testing.T, dir string) kustomizeFile {
	t.Helper()
	var k kustomizeFile
	if err := yaml.Unmarshal([]byte(readText(t, filepath.Join(dir, "kustomization.yaml"))), &k); err != nil {
		t.Fatal(err)
	}
	return k
}

// readDocs splits a multi-document YAML file.
func readDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	var docs [][]byte
	for doc := range bytes.SplitSeq([]byte(readText(t, path)), []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func readFluxKustomization(t *testing.T, path string) fluxKustomization {
	t.Helper()
	return decodeFluxKustomization(t, path, []byte(readText(t, path)))
}

func decodeFluxKustomization(t *testing.T, name string, doc []byte) fluxKustomization {
	t.Helper()
	var k fluxKustomization
	if err := yaml.UnmarshalStrict(doc, &k); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if k.APIVersion != fluxKustomizationAPI || k.Kind != "Kustomization" {
		t.Errorf("%s: %s %s, want %s Kustomization", name, k.APIVersion, k.Kind, fluxKustomizationAPI)
	}
	return k
}

func positiveDuration(t *testing.T, what, s string) {
	t.Helper()
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		t.Errorf("%s %q is not a positive duration", what, s)
	}
}

// TestFluxExample checks the Flux objects in config/flux: API versions, the order (users depend on
// the operator), and that the users Kustomization waits for its objects to be healthy.
func TestFluxExample(t *testing.T) {
	top := readKustomizeFile(t, fluxDir)
	if top.APIVersion != kustomizeAPI || top.Kind != "Kustomization" {
		t.Errorf("config/flux/kustomization.yaml: %s %s", top.APIVersion, top.Kind)
	}
	sources := map[string]bool{}
	kustomizations := map[string]fluxKustomization{}
	for _, file := range top.Resources {
		for _, doc := range readDocs(t, filepath.Join(fluxDir, file)) {
			u := decodeObject(t, file, doc)
			switch u.GroupVersionKind().GroupKind().String() {
			case "GitRepository.source.toolkit.fluxcd.io":
				if u.GetAPIVersion() != fluxSourceAPI {
					t.Errorf("%s: GitRepository %s, want %s", file, u.GetAPIVersion(), fluxSourceAPI)
				}
				url, _, _ := unstructured.NestedString(u.Object, "spec", "url")
				interval, _, _ := unstructured.NestedString(u.Object, "spec", "interval")
				if !strings.HasPrefix(url, "https://") {
					t.Errorf("%s: GitRepository %s has url %q", file, u.GetName(), url)
				}
				positiveDuration(t, "GitRepository "+u.GetName()+" interval", interval)
				sources[u.GetName()] = true
			case "Kustomization.kustomize.toolkit.fluxcd.io":
				k := decodeFluxKustomization(t, file, doc)
				kustomizations[k.Metadata.Name] = k
			default:
				t.Errorf("%s: unexpected %s", file, u.GroupVersionKind())
			}
			if ns := u.GetNamespace(); ns != "" && ns != top.Namespace {
				t.Errorf("%s: %s in namespace %s, the kustomization sets %s", file, u.GetName(), ns, top.Namespace)
			}
		}
	}

	operator, ok := kustomizations["jumpcloud-operator"]
	if !ok {
		t.Fatal("no Kustomization jumpcloud-operator")
	}
	users, ok := kustomizations["jumpcloud-users"]
	if !ok {
		t.Fatal("no Kustomization jumpcloud-users")
	}
	for name, k := range kustomizations {
		if k.Spec.SourceRef.Kind != "GitRepository" || !sources[k.Spec.SourceRef.Name] {
			t.Errorf("%s: sourceRef %s/%s is not a GitRepository of the example", name, k.Spec.SourceRef.Kind, k.Spec.SourceRef.Name)
		}
		positiveDuration(t, name+" interval", k.Spec.Interval)
		positiveDuration(t, name+" timeout", k.Spec.Timeout)
		if !k.Spec.Prune {
			t.Errorf("%s: prune is off", name)
		}
	}

	// The operator comes from this repository's config/default, with its image renamed.
	if _, err := os.Stat(filepath.Join("../..", operator.Spec.Path, "kustomization.yaml")); err != nil {
		t.Errorf("jumpcloud-operator: path %s: %v", operator.Spec.Path, err)
	}
	if !operator.Spec.Wait {
		t.Error("jumpcloud-operator: wait is off, so the users could be applied before the CRDs and the operator are up")
	}
	var imageNames []string
	for _, img := range readKustomizeFile(t, "../../config/manager").Images {
		imageNames = append(imageNames, img.NewName)
	}
	for _, img := range operator.Spec.Images {
		if !slices.Contains(imageNames, img.Name) {
			t.Errorf("jumpcloud-operator: images renames %q, but config/manager names the image %v", img.Name, imageNames)
		}
	}

	// The users wait for their objects (wait: true), after the operator.
	if !users.Spec.Wait {
		t.Error("jumpcloud-users: wait is off")
	}
	if len(users.Spec.HealthChecks) > 0 {
		t.Error("jumpcloud-users: Flux ignores healthChecks when wait is true; keep them out of users.yaml")
	}
	if !slices.Contains(users.Spec.DependsOn, dependency{Name: "jumpcloud-operator"}) {
		t.Error("jumpcloud-users does not depend on jumpcloud-operator")
	}
}

// TestFluxHealthChecksVariant checks users-healthchecks.yaml: the same Kustomization as users.yaml,
// with wait off and healthChecks naming objects that the users directory applies.
func TestFluxHealthChecksVariant(t *testing.T) {
	users := readFluxKustomization(t, filepath.Join(fluxDir, "users.yaml"))
	variant := readFluxKustomization(t, filepath.Join(fluxDir, "users-healthchecks.yaml"))
	if variant.Spec.Wait {
		t.Error("users-healthchecks.yaml: wait is true, so Flux ignores its healthChecks")
	}
	if len(variant.Spec.HealthChecks) == 0 {
		t.Fatal("users-healthchecks.yaml has no healthChecks")
	}
	same := variant
	same.Spec.Wait, same.Spec.HealthChecks = users.Spec.Wait, users.Spec.HealthChecks
	if !reflect.DeepEqual(same, users) {
		t.Error("users-healthchecks.yaml differs from users.yaml in more than wait and healthChecks")
	}

	applied := map[healthCheckRef]bool{}
	for _, u := range usersDirObjects(t) {
		applied[healthCheckRef{u.GetAPIVersion(), u.GetKind(), u.GetName(), u.GetNamespace()}] = true
	}
	var userChecks int
	for _, hc := range variant.Spec.HealthChecks {
		if !applied[hc] {
			t.Errorf("healthChecks names %+v, which config/flux/users does not apply", hc)
		}
		if hc.Kind == "JumpCloudUser" {
			userChecks++
		}
	}
	if userChecks == 0 {
		t.Error("healthChecks names no JumpCloudUser")
	}
}

// usersDirObjects reads config/flux/users as kustomize builds it: its resources, in its namespace.
func usersDirObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	dir := filepath.Join(fluxDir, "users")
	k := readKustomizeFile(t, dir)
	if k.APIVersion != kustomizeAPI || k.Namespace == "" {
		t.Errorf("config/flux/users/kustomization.yaml: apiVersion %q, namespace %q", k.APIVersion, k.Namespace)
	}
	var objs []*unstructured.Unstructured
	for _, file := range k.Resources {
		path := filepath.Join(dir, file)
		u := loadObject(t, path)
		if u.GetKind() != "ClusterJumpCloudConnection" {
			u.SetNamespace(k.Namespace)
		}
		objs = append(objs, u)
	}
	return objs
}

// TestFluxUsersDirectory checks that every object the users Kustomization applies is a valid object
// of this API (strict decoding), with no status of its own.
func TestFluxUsersDirectory(t *testing.T) {
	dir := filepath.Join(fluxDir, "users")
	k := readKustomizeFile(t, dir)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if name := filepath.Base(file); name != "kustomization.yaml" && !slices.Contains(k.Resources, name) {
			t.Errorf("%s is not listed in config/flux/users/kustomization.yaml", file)
		}
	}
	kinds := map[string]int{}
	for _, u := range usersDirObjects(t) {
		kinds[u.GetKind()]++
		if u.GroupVersionKind().GroupVersion() != iamv1alpha1.GroupVersion {
			t.Errorf("%s: apiVersion %s", u.GetName(), u.GetAPIVersion())
		}
		typed := typedObject(u.GetKind())
		if typed == nil {
			t.Errorf("%s: unexpected kind %s", u.GetName(), u.GetKind())
			continue
		}
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, typed); err != nil {
			t.Errorf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if _, found := u.Object["status"]; found {
			t.Errorf("%s %s: a manifest in Git has no status", u.GetKind(), u.GetName())
		}
	}
	if kinds["JumpCloudUser"] == 0 {
		t.Error("config/flux/users applies no JumpCloudUser")
	}
}

// TestKstatus computes, for every fixture, the status Flux's health checks (wait and healthChecks)
// see: kstatus. InProgress keeps Flux waiting until the timeout, Failed (Stalled True) fails the
// Kustomization at once, Current lets it become Ready. It also checks that Argo CD's health, from
// config/argocd, says the same thing.
func TestKstatus(t *testing.T) {
	agree := map[kstatus.Status]string{
		kstatus.CurrentStatus:    healthy,
		kstatus.InProgressStatus: progressing,
		kstatus.FailedStatus:     degraded,
	}
	for _, f := range fixtures {
		t.Run(strings.TrimSuffix(f.file, ".yaml"), func(t *testing.T) {
			obj := loadObject(t, filepath.Join("testdata", f.file))
			res, err := kstatus.Compute(obj)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != f.kstatus {
				t.Errorf("kstatus %s (%s), want %s", res.Status, res.Message, f.kstatus)
			}
			if want, ok := agree[f.kstatus]; ok && f.health != want {
				t.Errorf("Argo CD says %s where kstatus says %s", f.health, f.kstatus)
			}
			if res.Status == kstatus.FailedStatus && res.Message != f.message {
				t.Errorf("Flux would report %q, Argo CD %q", res.Message, f.message)
			}
		})
	}
}
