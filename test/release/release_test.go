// Package release checks make release (hack/make/release.mk, hack/release): that each archive
// holds the right binary for its OS and architecture, built static with -trimpath and the version
// stamped; that checksums.txt, the krew manifest jumpcloud.yaml and the CycloneDX SBOM agree with
// the archives; and that packing is reproducible.
//
// TestMakeRelease runs a reduced make release (jumpcloud-sim for linux/amd64 and darwin/arm64, the
// SBOM, no Helm chart) so that it stays quick; TestKrewManifest packs stand-in kubectl-jumpcloud
// binaries for all four platforms to check the krew manifest in full without compiling them, and
// installs this machine's with krew itself (make krew builds it from Go modules). After
// a real make release, RELEASE_CHECK_DIR=$PWD/dist/release go test ./test/release/ -run
// TestFullRelease checks the whole release the same way.
package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/hack/release/artifacts"
)

// sbomDeps are modules the manager links, whose versions the SBOM must give as go.mod does.
var sbomDeps = []string{"sigs.k8s.io/controller-runtime", "k8s.io/client-go", "k8s.io/apimachinery"}

func TestMakeRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries; skipped with -short")
	}
	root := repoRoot(t)
	const version = "v0.0.0-releasetest.1"
	want := expected{
		version:    version,
		programs:   []string{"jumpcloud-sim"},
		platforms:  []artifacts.Platform{{OS: "linux", Arch: "amd64"}, {OS: "darwin", Arch: "arm64"}},
		releaseURL: "https://example.invalid/releasetest/" + version,
		sbom:       true,
	}
	first, second := t.TempDir(), t.TempDir()
	for _, dir := range []string{first, second} {
		makeRelease(t, root, dir, want)
	}
	checkRelease(t, first, want, goModVersions(t, root, sbomDeps...))

	// A second run from the same commit writes the same bytes (checksums.txt covers the archives
	// and the SBOM).
	a := readFile(t, filepath.Join(first, artifacts.ChecksumsName))
	b := readFile(t, filepath.Join(second, artifacts.ChecksumsName))
	if !bytes.Equal(a, b) {
		t.Errorf("two runs of make release differ:\n%s\n---\n%s", a, b)
	}
}

func TestKrewManifest(t *testing.T) {
	root := repoRoot(t)
	for _, version := range []string{"v1.2.3", "0253e9b-dirty"} {
		t.Run(version, func(t *testing.T) {
			dir := t.TempDir()
			url := "https://example.invalid/jumpcloud-operator/releases/download/" + version
			stub := func(_ context.Context, program string, p artifacts.Platform, out string) error {
				return os.WriteFile(out, []byte("stand-in "+program+" for "+p.String()), 0o755)
			}
			_, err := artifacts.Run(t.Context(), artifacts.Config{
				ModuleDir:  root,
				OutDir:     dir,
				Version:    version,
				Programs:   []string{artifacts.PluginProgram},
				Platforms:  artifacts.DefaultPlatforms,
				License:    filepath.Join(root, "LICENSE"),
				ModTime:    time.Unix(1700000000, 0),
				ReleaseURL: url + "/",
				Build:      stub,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := expected{version: version, platforms: artifacts.DefaultPlatforms, releaseURL: url}
			checkKrewManifest(t, dir, want)
			sums := checkChecksums(t, dir)
			if len(sums) != len(artifacts.DefaultPlatforms) {
				t.Errorf("checksums.txt lists %d files; want the %d archives", len(sums), len(artifacts.DefaultPlatforms))
			}
			for _, p := range artifacts.DefaultPlatforms {
				bin, _ := checkArchiveFiles(t, filepath.Join(dir, artifacts.ArchiveName(artifacts.PluginProgram, version, p)), artifacts.PluginProgram)
				if string(bin) != "stand-in kubectl-jumpcloud for "+p.String() {
					t.Errorf("%s: the archive holds %q", p, bin)
				}
			}

			// krew installs this machine's archive (linux/amd64 here), and refuses another one.
			host := artifacts.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
			if !slices.Contains(artifacts.DefaultPlatforms, host) {
				return
			}
			manifest := filepath.Join(dir, artifacts.KrewManifestName)
			installed, err := krewInstall(t, root, manifest, filepath.Join(dir, artifacts.ArchiveName(artifacts.PluginProgram, version, host)))
			if err != nil {
				t.Fatal(err)
			}
			if string(installed) != "stand-in kubectl-jumpcloud for "+host.String() {
				t.Errorf("krew installed %q as kubectl-jumpcloud", installed)
			}
			other := artifacts.DefaultPlatforms[slices.IndexFunc(artifacts.DefaultPlatforms, func(p artifacts.Platform) bool { return p != host })]
			_, err = krewInstall(t, root, manifest, filepath.Join(dir, artifacts.ArchiveName(artifacts.PluginProgram, version, other)))
			if err == nil || !strings.Contains(err.Error(), "checksum does not match") {
				t.Errorf("krew install of the %s archive on %s: %v; want a checksum mismatch", other, host, err)
			}
		})
	}
}

// TestReleaseDefaults checks that a full release builds every program under cmd/ for the four
// platforms of the issue, and publishes the krew manifest to a placeholder host by default.
func TestReleaseDefaults(t *testing.T) {
	root := repoRoot(t)
	mk := string(readFile(t, filepath.Join(root, "hack", "make", "release.mk")))
	programs := strings.Fields(makeVar(t, mk, "RELEASE_PROGRAMS"))
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(programs, e.Name()) {
			t.Errorf("cmd/%s is not in RELEASE_PROGRAMS %q", e.Name(), programs)
		}
	}
	if !slices.Contains(programs, artifacts.PluginProgram) {
		t.Errorf("RELEASE_PROGRAMS %q lacks %s: no krew manifest", programs, artifacts.PluginProgram)
	}
	platforms, err := artifacts.ParsePlatforms(makeVar(t, mk, "RELEASE_PLATFORMS"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(platforms, artifacts.DefaultPlatforms) || len(artifacts.DefaultPlatforms) != 4 {
		t.Errorf("RELEASE_PLATFORMS %v, DefaultPlatforms %v; want linux and darwin on amd64 and arm64", platforms, artifacts.DefaultPlatforms)
	}
	if url := makeVar(t, mk, "RELEASE_URL"); !strings.HasPrefix(url, "https://example.invalid/") || !strings.Contains(url, "$(VERSION)") {
		t.Errorf("RELEASE_URL defaults to %q; want a placeholder under https://example.invalid/ with $(VERSION)", url)
	}
}

// TestFullRelease checks the release in RELEASE_CHECK_DIR (after make release) as a whole: every
// program for every platform, the krew manifest covering the four, the SBOM, checksums.txt; and
// runs this machine's kubectl-jumpcloud for its version.
func TestFullRelease(t *testing.T) {
	dir := os.Getenv("RELEASE_CHECK_DIR")
	if dir == "" {
		t.Skip("set RELEASE_CHECK_DIR to a make release output directory (dist/release) to check it")
	}
	root := repoRoot(t)
	mk := string(readFile(t, filepath.Join(root, "hack", "make", "release.mk")))
	version := releaseVersion(t, dir)
	want := expected{
		version:   version,
		programs:  strings.Fields(makeVar(t, mk, "RELEASE_PROGRAMS")),
		platforms: artifacts.DefaultPlatforms,
		sbom:      true,
	}
	checkRelease(t, dir, want, goModVersions(t, root, sbomDeps...))

	host := artifacts.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if !slices.Contains(want.platforms, host) {
		return
	}
	bin, _ := checkArchiveFiles(t, filepath.Join(dir, artifacts.ArchiveName(artifacts.PluginProgram, version, host)), artifacts.PluginProgram)
	exe := filepath.Join(t.TempDir(), artifacts.PluginProgram)
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), exe, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), version) {
		t.Errorf("kubectl-jumpcloud --version: %v: %q; want %s", err, out, version)
	}
}

// makeRelease runs make release into dir for want's programs and platforms, as a user would.
func makeRelease(t *testing.T, root, dir string, want expected) {
	t.Helper()
	var platforms []string
	for _, p := range want.platforms {
		platforms = append(platforms, p.String())
	}
	start := time.Now()
	runMake(t, root, "release",
		"RELEASE_DIR="+dir,
		"VERSION="+want.version,
		"RELEASE_PROGRAMS="+strings.Join(want.programs, " "),
		"RELEASE_PLATFORMS="+strings.Join(platforms, " "),
		"RELEASE_URL="+want.releaseURL,
		"RELEASE_CHART=no",
		"RELEASE_SBOM="+map[bool]string{true: "yes", false: "no"}[want.sbom])
	t.Logf("make release (%s) took %s", want.programs, time.Since(start).Round(time.Second))
}

// runMake runs make with args in root, and fails the test if it fails.
func runMake(t *testing.T, root string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"-C", root, "--no-print-directory"}, args...)...)
	// Run from make test, this make must not join the outer make's jobserver or take its flags.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// krewInstall installs the plugin as a user would, with krew (make krew builds it into bin/):
// "kubectl krew install --manifest=jumpcloud.yaml --archive=ARCHIVE", into a krew root of its own.
// krew checks the archive against the manifest's sha256 and carries out its file operations. It
// returns the installed kubectl-jumpcloud's contents, or krew's error and output.
func krewInstall(t *testing.T, root, manifest, archive string) ([]byte, error) {
	t.Helper()
	runMake(t, root, "krew")
	krewRoot := t.TempDir()
	cmd := exec.CommandContext(t.Context(), filepath.Join(root, "bin", "krew"), "install", "--manifest="+manifest, "--archive="+archive)
	cmd.Env = append(os.Environ(), "KREW_ROOT="+krewRoot)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("krew install: %w\n%s", err, out)
	}
	return os.ReadFile(filepath.Join(krewRoot, "bin", artifacts.PluginProgram))
}

// goModVersions returns the versions the build list gives the modules.
func goModVersions(t *testing.T, root string, modules ...string) map[string]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, modules...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	versions := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if path, version, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			versions[path] = version
		}
	}
	return versions
}

// makeVar returns the default a ?= assignment in a makefile gives name.
func makeVar(t *testing.T, mk, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*\?=\s*(.*)$`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatalf("release.mk does not set %s", name)
	}
	return strings.TrimSpace(m[1])
}

// releaseVersion reads the version from the name of the linux/amd64 kubectl-jumpcloud archive.
func releaseVersion(t *testing.T, dir string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, artifacts.PluginProgram+"_*_linux_amd64.tar.gz"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("want one %s archive for linux/amd64 in %s, found %q (%v)", artifacts.PluginProgram, dir, matches, err)
	}
	name := filepath.Base(matches[0])
	return strings.TrimSuffix(strings.TrimPrefix(name, artifacts.PluginProgram+"_"), "_linux_amd64.tar.gz")
}

// repoRoot returns the nearest directory above the working directory that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
