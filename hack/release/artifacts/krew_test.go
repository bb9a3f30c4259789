package artifacts

import (
	"reflect"
	"strings"
	"testing"
)

func TestKrewVersion(t *testing.T) {
	for version, want := range map[string]string{
		"v0.2.0":                  "v0.2.0",
		"v0.2.0-rc.1":             "v0.2.0-rc.1",
		"v0.2.0-3-gabc1234":       "v0.2.0-3-gabc1234",
		"v0.2.0-3-gabc1234-dirty": "v0.2.0-3-gabc1234-dirty",
		"0.2.0":                   "v0.2.0",
		"abc1234":                 "v0.0.0-dev+abc1234",
		"0123456-dirty":           "v0.0.0-dev+0123456-dirty",
		"dev":                     "v0.0.0-dev+dev",
		"v1.2":                    "v0.0.0-dev+v1.2",
		"weird/ver..sion_":        "v0.0.0-dev+weird-ver.sion",
		"__":                      "v0.0.0-dev",
	} {
		got := KrewVersion(version)
		if got != want {
			t.Errorf("KrewVersion(%q) = %q; want %q", version, got, want)
		}
		if !IsKrewVersion(got) {
			t.Errorf("KrewVersion(%q) = %q, which krew refuses", version, got)
		}
	}
	for _, bad := range []string{"0.2.0", "v01.2.3", "v1.2.3-01", "v1.2.3+", "v1.2.3-a..b"} {
		if IsKrewVersion(bad) {
			t.Errorf("IsKrewVersion(%q) = true", bad)
		}
	}
}

func validPlugin(t *testing.T) KrewPlugin {
	t.Helper()
	sum := strings.Repeat("ab", 32)
	p, err := NewKrewPlugin("v1.0.0", "https://example.invalid/dl/v1.0.0", "", map[Platform]Artifact{
		{"linux", "amd64"}:  {Path: "out/kubectl-jumpcloud_v1.0.0_linux_amd64.tar.gz", SHA256: sum},
		{"darwin", "arm64"}: {Path: "out/kubectl-jumpcloud_v1.0.0_darwin_arm64.tar.gz", SHA256: sum},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewKrewPlugin(t *testing.T) {
	p := validPlugin(t)
	if len(p.Spec.Platforms) != 2 || p.Spec.Platforms[0].Selector.MatchLabels["os"] != "darwin" {
		t.Fatalf("platforms %+v; want darwin/arm64 then linux/amd64", p.Spec.Platforms)
	}
	if got := p.Spec.Platforms[1].URI; got != "https://example.invalid/dl/v1.0.0/kubectl-jumpcloud_v1.0.0_linux_amd64.tar.gz" {
		t.Errorf("uri %q", got)
	}
	data, err := MarshalKrewPlugin(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadKrewPlugin(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, p) {
		t.Errorf("the manifest does not read back the same:\n%s", data)
	}
	if _, err := ReadKrewPlugin([]byte("apiVersion: x\nkind: Plugin\nspec:\n  bogus: 1\n")); err == nil {
		t.Error("a manifest with an unknown field reads without error")
	}
}

func TestValidateKrewPlugin(t *testing.T) {
	for name, mutate := range map[string]func(*KrewPlugin){
		"apiVersion":        func(p *KrewPlugin) { p.APIVersion = "krew.googlecontainertools.github.com/v1alpha1" },
		"kind":              func(p *KrewPlugin) { p.Kind = "Plug" },
		"name":              func(p *KrewPlugin) { p.Metadata.Name = "jump cloud" },
		"short description": func(p *KrewPlugin) { p.Spec.ShortDescription = "" },
		"version":           func(p *KrewPlugin) { p.Spec.Version = "1.0.0" },
		"no platforms":      func(p *KrewPlugin) { p.Spec.Platforms = nil },
		"uri":               func(p *KrewPlugin) { p.Spec.Platforms[0].URI = "" },
		"sha256":            func(p *KrewPlugin) { p.Spec.Platforms[0].SHA256 = strings.Repeat("AB", 32) },
		"bin":               func(p *KrewPlugin) { p.Spec.Platforms[0].Bin = "" },
		"files":             func(p *KrewPlugin) { p.Spec.Platforms[0].Files = nil },
		"file from":         func(p *KrewPlugin) { p.Spec.Platforms[0].Files[0].From = "" },
		"no selector":       func(p *KrewPlugin) { p.Spec.Platforms[0].Selector = nil },
		"empty selector":    func(p *KrewPlugin) { p.Spec.Platforms[0].Selector = &KrewSelector{} },
		"selector key": func(p *KrewPlugin) {
			p.Spec.Platforms[0].Selector.MatchLabels = map[string]string{"os": "linux", "distro": "debian"}
		},
		"expression key": func(p *KrewPlugin) {
			p.Spec.Platforms[0].Selector.MatchExpressions = []KrewSelectorRequirement{{Key: "kernel", Operator: "In", Values: []string{"x"}}}
		},
		"repeated selector": func(p *KrewPlugin) { p.Spec.Platforms[1].Selector = p.Spec.Platforms[0].Selector },
	} {
		t.Run(name, func(t *testing.T) {
			p := validPlugin(t)
			mutate(&p)
			if err := ValidateKrewPlugin(p); err == nil {
				t.Error("accepted")
			}
		})
	}
}
