package gitops

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm.yaml and values-argo-cd.yaml from the .lua files")

const (
	argoDir           = "../../config/argocd"
	customizationsDir = argoDir + "/resource_customizations"
	configMapFile     = argoDir + "/argocd-cm.yaml"
	helmValuesFile    = argoDir + "/values-argo-cd.yaml"
)

// actionAnnotations maps each JumpCloudUser action to the one-shot annotation it sets.
var actionAnnotations = map[string]string{
	"expire-password": iamv1alpha1.AnnotationExpirePassword,
	"reset-mfa":       iamv1alpha1.AnnotationResetMFA,
	"unlock":          iamv1alpha1.AnnotationUnlock,
	"reconcile":       iamv1alpha1.AnnotationReconcile,
}

// customization is one kind's directory in the layout of Argo CD's resource_customizations:
// <group>/<Kind>/health.lua, <group>/<Kind>/actions/discovery.lua and actions/<name>/action.lua.
type customization struct {
	group, kind string
	health      string
	actions     resourceActions
}

// resourceActions is the value of resource.customizations.actions.<group_kind> in argocd-cm
// (ResourceActions in Argo CD's API).
type resourceActions struct {
	DiscoveryLua        string      `json:"discovery.lua,omitempty"`
	Definitions         []actionDef `json:"definitions,omitempty"`
	MergeBuiltinActions bool        `json:"mergeBuiltinActions,omitempty"`
}

type actionDef struct {
	Name      string `json:"name"`
	ActionLua string `json:"action.lua"`
}

// key is the group_kind suffix of the argocd-cm keys.
func (c customization) key() string { return c.group + "_" + c.kind }

func (c customization) action(name string) string {
	for _, a := range c.actions.Definitions {
		if a.Name == name {
			return a.ActionLua
		}
	}
	return ""
}

func readText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// loadCustomizations reads config/argocd/resource_customizations, sorted by group and kind.
func loadCustomizations(t *testing.T) []customization {
	t.Helper()
	var cs []customization
	groups, err := os.ReadDir(customizationsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		kinds, err := os.ReadDir(filepath.Join(customizationsDir, g.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kinds {
			dir := filepath.Join(customizationsDir, g.Name(), k.Name())
			c := customization{group: g.Name(), kind: k.Name(), health: readText(t, filepath.Join(dir, "health.lua"))}
			if _, err := os.Stat(filepath.Join(dir, "actions", "discovery.lua")); err == nil {
				c.actions.DiscoveryLua = readText(t, filepath.Join(dir, "actions", "discovery.lua"))
				entries, err := os.ReadDir(filepath.Join(dir, "actions"))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.IsDir() {
						c.actions.Definitions = append(c.actions.Definitions, actionDef{
							Name: e.Name(), ActionLua: readText(t, filepath.Join(dir, "actions", e.Name(), "action.lua")),
						})
					}
				}
			}
			cs = append(cs, c)
		}
	}
	return cs
}

func findCustomization(t *testing.T, cs []customization, group, kind string) customization {
	t.Helper()
	for _, c := range cs {
		if c.group == group && c.kind == kind {
			return c
		}
	}
	t.Fatalf("no customization for %s/%s", group, kind)
	return customization{}
}

// writeBlock writes text as the body of a YAML literal block scalar.
func writeBlock(b *strings.Builder, indent, text string) {
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		if line != "" {
			b.WriteString(indent)
			b.WriteString(line)
		}
		b.WriteString("\n")
	}
}

func (c customization) actionsYAML() string {
	var b strings.Builder
	b.WriteString("discovery.lua: |\n")
	writeBlock(&b, "  ", c.actions.DiscoveryLua)
	b.WriteString("definitions:\n")
	for _, a := range c.actions.Definitions {
		fmt.Fprintf(&b, "- name: %s\n  action.lua: |\n", a.Name)
		writeBlock(&b, "    ", a.ActionLua)
	}
	return b.String()
}

// writeData writes the argocd-cm data entries of all customizations.
func writeData(b *strings.Builder, indent string, cs []customization) {
	for _, c := range cs {
		fmt.Fprintf(b, "%sresource.customizations.health.%s: |\n", indent, c.key())
		writeBlock(b, indent+"  ", c.health)
		if c.actions.DiscoveryLua != "" {
			fmt.Fprintf(b, "%sresource.customizations.actions.%s: |\n", indent, c.key())
			writeBlock(b, indent+"  ", c.actionsYAML())
		}
	}
}

const generatedBy = "# Generated from config/argocd/resource_customizations by\n" +
	"#   go test ./test/gitops -run TestArgoCDConfigMap -update\n" +
	"# Edit the .lua files, then run that; a test fails while this file and the .lua files differ.\n"

func renderConfigMap(cs []customization) string {
	var b strings.Builder
	b.WriteString("# Argo CD resource customizations for jumpcloud-operator: health checks for every kind of\n" +
		"# iam.jumpcloud-operator.dev, and the JumpCloudUser actions expire-password, reset-mfa, unlock and\n" +
		"# reconcile. It adds keys to Argo CD's own argocd-cm, so apply it as a patch (see docs/gitops.md):\n" +
		"#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file config/argocd/argocd-cm.yaml\n")
	b.WriteString(generatedBy)
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n")
	writeData(&b, "  ", cs)
	return b.String()
}

func renderHelmValues(cs []customization) string {
	var b strings.Builder
	b.WriteString("# Values for the argo-cd Helm chart (argo-helm) with the jumpcloud-operator resource\n" +
		"# customizations; the same keys as argocd-cm.yaml. Merge them into your values (see docs/gitops.md).\n")
	b.WriteString(generatedBy)
	b.WriteString("configs:\n  cm:\n")
	writeData(&b, "    ", cs)
	return b.String()
}

// parseOverrides reads argocd-cm data the way Argo CD's settings manager reads split keys:
// resource.customizations.<type>.<group>_<kind>.
func parseOverrides(t *testing.T, data map[string]string) map[string]customization {
	t.Helper()
	overrides := map[string]customization{}
	for k, v := range data {
		if len(validation.IsConfigMapKey(k)) > 0 {
			t.Errorf("%q is not a valid ConfigMap key", k)
		}
		parts := strings.SplitN(k, ".", 4)
		if len(parts) != 4 || parts[0]+"."+parts[1] != "resource.customizations" {
			t.Errorf("unexpected key %q", k)
			continue
		}
		gk := strings.Split(parts[3], "_")
		if len(gk) != 2 {
			t.Errorf("key %q: want <group>_<kind>", k)
			continue
		}
		o := overrides[gk[0]+"/"+gk[1]]
		o.group, o.kind = gk[0], gk[1]
		switch parts[2] {
		case "health":
			o.health = v
		case "actions":
			if err := yaml.UnmarshalStrict([]byte(v), &o.actions); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		default:
			t.Errorf("key %q: unexpected customization type %q", k, parts[2])
		}
		overrides[gk[0]+"/"+gk[1]] = o
	}
	return overrides
}

// TestArgoCDConfigMap keeps config/argocd/argocd-cm.yaml and values-argo-cd.yaml equal to the .lua
// files (-update rewrites them), and reads them back as Argo CD does.
func TestArgoCDConfigMap(t *testing.T) {
	cs := loadCustomizations(t)
	for _, f := range []struct{ path, want string }{
		{configMapFile, renderConfigMap(cs)},
		{helmValuesFile, renderHelmValues(cs)},
	} {
		if *update {
			if err := os.WriteFile(f.path, []byte(f.want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := readText(t, f.path); got != f.want {
			t.Errorf("%s differs from the .lua files; run: go test ./test/gitops -run TestArgoCDConfigMap -update", f.path)
		}
	}

	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(readText(t, configMapFile)), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Name != "argocd-cm" {
		t.Errorf("got %s %s %s, want the v1 ConfigMap argocd-cm", cm.APIVersion, cm.Kind, cm.Name)
	}
	var values struct {
		Configs struct {
			CM map[string]string `json:"cm"`
		} `json:"configs"`
	}
	if err := yaml.UnmarshalStrict([]byte(readText(t, helmValuesFile)), &values); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(values.Configs.CM, cm.Data) {
		t.Errorf("%s: configs.cm differs from the data of %s", helmValuesFile, configMapFile)
	}

	overrides := parseOverrides(t, cm.Data)
	if len(overrides) != len(cs) {
		t.Errorf("argocd-cm customizes %d kinds, the files %d", len(overrides), len(cs))
	}
	for _, c := range cs {
		o, ok := overrides[c.group+"/"+c.kind]
		switch {
		case !ok:
			t.Errorf("argocd-cm has nothing for %s/%s", c.group, c.kind)
		case o.health != c.health:
			t.Errorf("%s/%s: health.lua in argocd-cm differs from the file", c.group, c.kind)
		case !reflect.DeepEqual(o.actions, c.actions):
			t.Errorf("%s/%s: actions in argocd-cm differ from the files", c.group, c.kind)
		}
	}
}

// TestArgoCDLayout checks that every kind of the API group has a health check, in the directory
// layout of Argo CD's own repository, and that the JumpCloudUser actions are the one-shot annotations.
func TestArgoCDLayout(t *testing.T) {
	cs := loadCustomizations(t)
	var kinds []string
	for _, c := range cs {
		if c.group != iamv1alpha1.GroupVersion.Group {
			t.Errorf("unexpected group %s", c.group)
		}
		kinds = append(kinds, c.kind)
		if c.kind != "JumpCloudUser" && c.actions.DiscoveryLua != "" {
			t.Errorf("%s: unexpected actions", c.kind)
		}
	}
	if want := []string{"ClusterJumpCloudConnection", "JumpCloudConnection", "JumpCloudUser", "JumpCloudUserGroup", "JumpCloudUserOperation"}; !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if api := apiKinds(t); !slices.Equal(kinds, api) {
		t.Errorf("kinds %v, but the API has %v", kinds, api)
	}
	user := findCustomization(t, cs, iamv1alpha1.GroupVersion.Group, "JumpCloudUser")
	var names []string
	for _, a := range user.actions.Definitions {
		names = append(names, a.Name)
	}
	if want := slices.Sorted(maps.Keys(actionAnnotations)); !slices.Equal(names, want) {
		t.Errorf("JumpCloudUser actions %v, want %v", names, want)
	}
	cluster := findCustomization(t, cs, iamv1alpha1.GroupVersion.Group, "ClusterJumpCloudConnection")
	namespaced := findCustomization(t, cs, iamv1alpha1.GroupVersion.Group, "JumpCloudConnection")
	if cluster.health != namespaced.health {
		t.Error("the two connection kinds share one status shape; their health.lua files should be the same")
	}
}

var (
	luaComment = regexp.MustCompile(`--.*`)
	// Libraries that are nil in a script Argo CD runs from argocd-cm, and method calls on strings,
	// which need the string library too.
	luaMissingLib = regexp.MustCompile(`\b(string|math|io|debug|coroutine|utf8)\.|[\w)\]"']:\w+\(`)
	luaGlobalOs   = regexp.MustCompile(`\bos\.`)
	luaRequireOs  = regexp.MustCompile(`(?m)^local os = require\("os"\)$`)
)

// TestArgoCDScriptsUseNoStandardLibrary checks every script, including branches no fixture reaches,
// for what Argo CD's sandbox lacks: the standard libraries, and a global os (os.date and os.time
// come from require("os")). It also shows the Lua environment of these tests has the same gaps.
func TestArgoCDScriptsUseNoStandardLibrary(t *testing.T) {
	err := filepath.WalkDir(customizationsDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Ext(path) != ".lua" {
			t.Errorf("%s: only .lua files belong in resource_customizations", path)
			return nil
		}
		code := luaComment.ReplaceAllString(readText(t, path), "")
		if m := luaMissingLib.FindString(code); m != "" {
			t.Errorf("%s uses %q, which Argo CD does not provide to argocd-cm scripts", path, m)
		}
		if luaGlobalOs.MatchString(code) && !luaRequireOs.MatchString(code) {
			t.Errorf("%s uses os without local os = require(\"os\"): os is nil in Argo CD's sandbox", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	obj := &unstructured.Unstructured{Object: map[string]any{}}
	for _, tc := range []struct {
		script string
		mode   luaMode
		works  bool
	}{
		{`return {v = os.date("!%Y")}`, luaModes[0], false},
		{`return {v = string.format("%d", 1)}`, luaModes[0], false},
		{`local os = require("os") return {v = os.date("!%Y"), t = os.time()}`, luaModes[0], true},
		{`return {v = os.date("!%Y")}`, luaModes[1], true},
		{`return {v = string.format("%d", 1)}`, luaModes[1], true},
	} {
		_, err := runLua(obj, tc.script, tc.mode)
		if works := err == nil; works != tc.works {
			t.Errorf("%s in %s mode: error %v, want it to work: %v", tc.script, tc.mode.name, err, tc.works)
		}
	}
}

type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// TestArgoCDHealth runs each kind's health.lua on the fixtures, in both ways Argo CD runs scripts.
func TestArgoCDHealth(t *testing.T) {
	cs := loadCustomizations(t)
	for _, f := range fixtures {
		obj := loadObject(t, filepath.Join("testdata", f.file))
		gvk := obj.GroupVersionKind()
		script := findCustomization(t, cs, gvk.Group, gvk.Kind).health
		for _, mode := range luaModes {
			t.Run(strings.TrimSuffix(f.file, ".yaml")+"/"+mode.name, func(t *testing.T) {
				out, err := runLua(obj, script, mode)
				if err != nil {
					t.Fatal(err)
				}
				var hs healthStatus
				if err := json.Unmarshal(out, &hs); err != nil {
					t.Fatalf("%s: %v", out, err)
				}
				if hs.Status != f.health || hs.Message != f.message {
					t.Errorf("got %s %q\nwant %s %q", hs.Status, hs.Message, f.health, f.message)
				}
			})
		}
	}
}

// TestArgoCDActionDiscovery checks which JumpCloudUser actions Argo CD offers, and which it greys out.
func TestArgoCDActionDiscovery(t *testing.T) {
	user := findCustomization(t, loadCustomizations(t), iamv1alpha1.GroupVersion.Group, "JumpCloudUser")
	lockedBySpec := loadObject(t, "testdata/user-ready.yaml")
	if err := unstructured.SetNestedField(lockedBySpec.Object, true, "spec", "locked"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		obj      *unstructured.Unstructured
		disabled []string
	}{
		{"fresh", loadObject(t, "testdata/user-fresh.yaml"), nil},
		{"ready", loadObject(t, "testdata/user-ready.yaml"), nil},
		{"locked out", loadObject(t, "testdata/user-lockedout.yaml"), nil},
		{"paused (tokens wait until it is resumed)", loadObject(t, "testdata/user-paused.yaml"), nil},
		{"locked by spec", lockedBySpec, []string{"unlock"}},
		{"ObserveOnly", loadObject(t, "testdata/user-observeonly-drifted.yaml"), []string{"expire-password", "reset-mfa", "unlock"}},
	} {
		for _, mode := range luaModes {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				out, err := runLua(tc.obj, user.actions.DiscoveryLua, mode)
				if err != nil {
					t.Fatal(err)
				}
				var actions map[string]struct {
					Disabled    bool   `json:"disabled"`
					DisplayName string `json:"displayName"`
					IconClass   string `json:"iconClass"`
				}
				if err := json.Unmarshal(out, &actions); err != nil {
					t.Fatalf("%s: %v", out, err)
				}
				if got, want := slices.Sorted(maps.Keys(actions)), slices.Sorted(maps.Keys(actionAnnotations)); !slices.Equal(got, want) {
					t.Errorf("actions %v, want %v", got, want)
				}
				for name, a := range actions {
					if want := slices.Contains(tc.disabled, name); a.Disabled != want {
						t.Errorf("%s: disabled %v, want %v", name, a.Disabled, want)
					}
					if a.DisplayName == "" || !strings.HasPrefix(a.IconClass, "fa ") {
						t.Errorf("%s: displayName %q, iconClass %q", name, a.DisplayName, a.IconClass)
					}
				}
			})
		}
	}
}

// TestArgoCDActions runs each JumpCloudUser action: it must set its annotation to a new token, the
// current UTC time, and change nothing else, as Argo CD applies the object it returns.
func TestArgoCDActions(t *testing.T) {
	user := findCustomization(t, loadCustomizations(t), iamv1alpha1.GroupVersion.Group, "JumpCloudUser")
	for _, file := range []string{"user-fresh.yaml", "user-ready.yaml", "user-lockedout.yaml"} {
		for name, annotation := range actionAnnotations {
			for _, mode := range luaModes {
				t.Run(strings.TrimSuffix(file, ".yaml")+"/"+name+"/"+mode.name, func(t *testing.T) {
					obj := loadObject(t, filepath.Join("testdata", file))
					before := time.Now().UTC().Truncate(time.Second)
					out, err := runLua(obj, user.action(name), mode)
					after := time.Now().UTC()
					if err != nil {
						t.Fatal(err)
					}
					if bytes.HasPrefix(out, []byte("[")) {
						t.Fatalf("want the modified object (a patch), got a list: %s", out)
					}
					got := &unstructured.Unstructured{}
					if err := got.UnmarshalJSON(out); err != nil {
						t.Fatalf("%s: %v", out, err)
					}
					got.Object = cleanReturned(got.Object, obj.Object)

					token := got.GetAnnotations()[annotation]
					at, err := time.Parse(time.RFC3339, token)
					switch {
					case err != nil || !strings.HasSuffix(token, "Z"):
						t.Errorf("%s = %q, want an RFC 3339 UTC time", annotation, token)
					case at.Before(before) || at.After(after):
						t.Errorf("%s = %q, want the time of the run (%s to %s)", annotation, token, before.Format(time.RFC3339), after.Format(time.RFC3339))
					case token == obj.GetAnnotations()[annotation]:
						t.Errorf("%s = %q, the token it had: the operator would not run it again", annotation, token)
					}

					annotations := got.GetAnnotations()
					delete(annotations, annotation)
					if value, had := obj.GetAnnotations()[annotation]; had {
						annotations[annotation] = value
					}
					if len(annotations) == 0 && obj.GetAnnotations() == nil {
						unstructured.RemoveNestedField(got.Object, "metadata", "annotations")
					} else {
						got.SetAnnotations(annotations)
					}
					if !reflect.DeepEqual(got.Object, obj.Object) {
						gotJSON, _ := json.MarshalIndent(got.Object, "", " ")
						wantJSON, _ := json.MarshalIndent(obj.Object, "", " ")
						t.Errorf("the action changed more than %s:\n got %s\nwant %s", annotation, gotJSON, wantJSON)
					}
				})
			}
		}
	}
}
