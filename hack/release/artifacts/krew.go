package artifacts

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// The krew plugin manifest's identity.
const (
	KrewAPIVersion = "krew.googlecontainertools.github.com/v1alpha2"
	KrewKind       = "Plugin"
	// KrewPluginName is the name users install ("kubectl krew install jumpcloud") and type
	// ("kubectl jumpcloud").
	KrewPluginName = "jumpcloud"
)

// What krew shows about the plugin, from docs/kubectl-plugin.md (keep the two in step).
const (
	krewShortDescription = "List, import and act on JumpCloud users and groups"
	krewDescription      = `Reads and acts on JumpCloud directory users and user groups alongside the
jumpcloud-operator:

  list, get                list or search JumpCloud users, or show one
  import                   write ObserveOnly JumpCloudUser manifests for
                           existing users (GitOps onboarding)
  groups list|get|import   the same for user groups, with their members
  expire-password, reset-mfa, unlock, activate
                           create a JumpCloudUserOperation and wait for the
                           operator's result

list, get, import and the groups commands reach JumpCloud with the connection
the operator would use for the namespace (a JumpCloudConnection or a
ClusterJumpCloudConnection, whose API key is read with your own kubeconfig
credentials), or with a key from an environment variable (--api-key-env).
The API key is never printed.
`
	krewCaveats = `The one-shot operations (expire-password, reset-mfa, unlock, activate) need
the jumpcloud-operator running in the cluster. Reading the API key from a
connection needs "get" on the connection and on its Secret.

Start with: kubectl jumpcloud --help
`
)

// KrewPlugin is a krew plugin manifest: the krew.googlecontainertools.github.com/v1alpha2 Plugin
// of sigs.k8s.io/krew/pkg/index (v0.4.3), with the fields this project uses.
type KrewPlugin struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   KrewMetadata   `json:"metadata"`
	Spec       KrewPluginSpec `json:"spec"`
}

// KrewMetadata names the plugin.
type KrewMetadata struct {
	Name string `json:"name"`
}

// KrewPluginSpec is the plugin's version, descriptions and downloads.
type KrewPluginSpec struct {
	Version          string         `json:"version"`
	Homepage         string         `json:"homepage,omitempty"`
	ShortDescription string         `json:"shortDescription"`
	Description      string         `json:"description,omitempty"`
	Caveats          string         `json:"caveats,omitempty"`
	Platforms        []KrewPlatform `json:"platforms"`
}

// KrewPlatform is the download for the platforms its selector matches, and how to install it.
type KrewPlatform struct {
	Selector *KrewSelector `json:"selector,omitempty"`
	URI      string        `json:"uri"`
	SHA256   string        `json:"sha256"`
	// Files are copied from the unpacked archive into the plugin's directory.
	Files []KrewFileOperation `json:"files"`
	// Bin is the executable, relative to the plugin's directory.
	Bin string `json:"bin"`
}

// KrewSelector is the subset of a Kubernetes label selector that krew matches against the
// labels "os" and "arch".
type KrewSelector struct {
	MatchLabels      map[string]string         `json:"matchLabels,omitempty"`
	MatchExpressions []KrewSelectorRequirement `json:"matchExpressions,omitempty"`
}

// KrewSelectorRequirement is a label selector expression (key In/NotIn values, ...).
type KrewSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// KrewFileOperation copies From (a path or glob in the archive) to To (in the plugin's directory).
type KrewFileOperation struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// NewKrewPlugin returns the manifest for the kubectl-jumpcloud archives of one release: a
// platform per archive, downloaded from releaseURL/<archive name>. homepage may be empty.
func NewKrewPlugin(version, releaseURL, homepage string, archives map[Platform]Artifact) (KrewPlugin, error) {
	p := KrewPlugin{
		APIVersion: KrewAPIVersion,
		Kind:       KrewKind,
		Metadata:   KrewMetadata{Name: KrewPluginName},
		Spec: KrewPluginSpec{
			Version:          KrewVersion(version),
			Homepage:         homepage,
			ShortDescription: krewShortDescription,
			Description:      krewDescription,
			Caveats:          krewCaveats,
		},
	}
	platforms := slices.SortedFunc(maps.Keys(archives), func(a, b Platform) int {
		return cmp.Or(cmp.Compare(a.OS, b.OS), cmp.Compare(a.Arch, b.Arch))
	})
	for _, pl := range platforms {
		a := archives[pl]
		p.Spec.Platforms = append(p.Spec.Platforms, KrewPlatform{
			Selector: &KrewSelector{MatchLabels: map[string]string{"os": pl.OS, "arch": pl.Arch}},
			URI:      strings.TrimSuffix(releaseURL, "/") + "/" + path.Base(strings.ReplaceAll(a.Path, "\\", "/")),
			SHA256:   a.SHA256,
			Files: []KrewFileOperation{
				{From: PluginProgram, To: "."},
				{From: "LICENSE", To: "."},
			},
			Bin: PluginProgram,
		})
	}
	if err := ValidateKrewPlugin(p); err != nil {
		return KrewPlugin{}, fmt.Errorf("krew manifest: %w", err)
	}
	return p, nil
}

// semverRE is semver.org's regular expression for a semantic version, after krew's required "v".
var semverRE = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// IsKrewVersion reports whether krew accepts v as a plugin version: a semantic version with a
// leading "v".
func IsKrewVersion(v string) bool { return semverRE.MatchString(v) }

var (
	notBuildMetadata = regexp.MustCompile(`[^0-9A-Za-z.-]+`)
	repeatedDots     = regexp.MustCompile(`\.{2,}`)
)

// KrewVersion returns version when krew accepts it (a tag like v0.2.0, or git describe's
// v0.2.0-3-gabc1234), "v"+version when that is accepted, and otherwise (an untagged commit such as
// "abc1234-dirty") v0.0.0 with the version as build metadata, so that a development build still
// has a valid manifest.
func KrewVersion(version string) string {
	switch {
	case IsKrewVersion(version):
		return version
	case IsKrewVersion("v" + version):
		return "v" + version
	}
	meta := strings.Trim(notBuildMetadata.ReplaceAllString(version, "-"), ".-")
	meta = repeatedDots.ReplaceAllString(meta, ".")
	if meta == "" {
		return "v0.0.0-dev"
	}
	return "v0.0.0-dev+" + meta
}

var (
	krewNameRE   = regexp.MustCompile(`^[\w-]+$`)
	krewSHA256RE = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// ValidateKrewPlugin applies the checks of krew v0.4.3's validation.ValidatePlugin (what
// "kubectl krew install --manifest" and the krew-index CI run), plus that every file operation
// has a source and the platforms do not repeat a selector.
func ValidateKrewPlugin(p KrewPlugin) error {
	if p.APIVersion != KrewAPIVersion {
		return fmt.Errorf("apiVersion %q, want %q", p.APIVersion, KrewAPIVersion)
	}
	if p.Kind != KrewKind {
		return fmt.Errorf("kind %q, want %q", p.Kind, KrewKind)
	}
	if !krewNameRE.MatchString(p.Metadata.Name) {
		return fmt.Errorf("plugin name %q must match %s", p.Metadata.Name, krewNameRE)
	}
	if p.Spec.ShortDescription == "" {
		return errors.New("no short description")
	}
	if !IsKrewVersion(p.Spec.Version) {
		return fmt.Errorf("version %q is not a semantic version with a leading v", p.Spec.Version)
	}
	if len(p.Spec.Platforms) == 0 {
		return errors.New("no platforms")
	}
	seen := map[string]bool{}
	for i, pl := range p.Spec.Platforms {
		if err := validateKrewPlatform(pl); err != nil {
			return fmt.Errorf("platform %d (%s): %w", i, pl.URI, err)
		}
		key := fmt.Sprint(pl.Selector.MatchLabels, pl.Selector.MatchExpressions)
		if seen[key] {
			return fmt.Errorf("platform %d (%s): selector %s repeated", i, pl.URI, key)
		}
		seen[key] = true
	}
	return nil
}

func validateKrewPlatform(p KrewPlatform) error {
	switch {
	case p.URI == "":
		return errors.New("no uri")
	case !krewSHA256RE.MatchString(p.SHA256):
		return fmt.Errorf("sha256 %q must match %s", p.SHA256, krewSHA256RE)
	case p.Bin == "":
		return errors.New("no bin")
	case len(p.Files) == 0:
		return errors.New("no files")
	case p.Selector == nil || (len(p.Selector.MatchLabels) == 0 && len(p.Selector.MatchExpressions) == 0):
		return errors.New("no selector")
	}
	for _, f := range p.Files {
		if f.From == "" {
			return errors.New("a file operation without from")
		}
	}
	for k := range p.Selector.MatchLabels {
		if k != "os" && k != "arch" {
			return fmt.Errorf("selector key %q: only os and arch are supported", k)
		}
	}
	for _, e := range p.Selector.MatchExpressions {
		if e.Key != "os" && e.Key != "arch" {
			return fmt.Errorf("selector key %q: only os and arch are supported", e.Key)
		}
	}
	return nil
}

// MarshalKrewPlugin returns the manifest as YAML, after a comment saying where it came from.
func MarshalKrewPlugin(p KrewPlugin) ([]byte, error) {
	y, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	header := "# The krew plugin manifest of kubectl jumpcloud " + p.Spec.Version + ", written by make release (hack/release).\n" +
		"# Install from it with: kubectl krew install --manifest=jumpcloud.yaml\n"
	return append([]byte(header), y...), nil
}

// ReadKrewPlugin parses a manifest, refusing fields the schema does not have.
func ReadKrewPlugin(data []byte) (KrewPlugin, error) {
	var p KrewPlugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		return KrewPlugin{}, err
	}
	return p, nil
}

func writeKrewManifest(file string, p KrewPlugin) (Artifact, error) {
	data, err := MarshalKrewPlugin(p)
	if err != nil {
		return Artifact{}, err
	}
	return writeFile(file, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
