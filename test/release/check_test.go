package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/hack/release/artifacts"
)

// modulePath is the module whose programs the release holds.
const modulePath = "github.com/jumpcloud-operator/jumpcloud-operator"

// stampedPrograms have a main.Version that -X main.Version sets (jumpcloud-sim has none).
var stampedPrograms = []string{"manager", artifacts.PluginProgram}

// expected is what a release directory must hold.
type expected struct {
	version   string
	programs  []string
	platforms []artifacts.Platform
	// releaseURL is the krew manifest's URL prefix; empty accepts any https or .invalid URL.
	releaseURL string
	sbom       bool
}

// entry is one file of an archive.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// readArchive returns the entries of a .tar.gz in their order, after checking what makes it
// reproducible: sorted names, one modification time, owner 0:0 without names, and a gzip header
// without a name or time.
func readArchive(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("%s: gzip header has name %q, time %v; want neither", path, gz.Name, gz.ModTime)
	}
	var entries []entry
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, hdr.Name, err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: %s: type %c, owner %d:%d (%q:%q); want a regular file owned by 0:0 without names",
				path, hdr.Name, hdr.Typeflag, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
		}
		entries = append(entries, entry{hdr: hdr, data: data})
	}
	for i := 1; i < len(entries); i++ {
		if entries[i-1].hdr.Name >= entries[i].hdr.Name {
			t.Errorf("%s: entries not sorted: %q before %q", path, entries[i-1].hdr.Name, entries[i].hdr.Name)
		}
		if !entries[i].hdr.ModTime.Equal(entries[0].hdr.ModTime) {
			t.Errorf("%s: %s has time %v, %s has %v; want one time", path,
				entries[i].hdr.Name, entries[i].hdr.ModTime, entries[0].hdr.Name, entries[0].hdr.ModTime)
		}
	}
	return entries
}

// checkArchiveFiles checks that an archive holds exactly the program (executable) and LICENSE, and
// returns the program's bytes and the entries' time.
func checkArchiveFiles(t *testing.T, path, program string) ([]byte, time.Time) {
	t.Helper()
	entries := readArchive(t, path)
	if len(entries) == 0 {
		t.Errorf("%s: empty", path)
		return nil, time.Time{}
	}
	var names []string
	var bin []byte
	for _, e := range entries {
		names = append(names, e.hdr.Name)
		switch e.hdr.Name {
		case program:
			bin = e.data
			if e.hdr.Mode&0o111 != 0o111 {
				t.Errorf("%s: %s has mode %o; want it executable", path, program, e.hdr.Mode)
			}
		case "LICENSE":
			if !bytes.Contains(e.data, []byte("License")) {
				t.Errorf("%s: LICENSE does not look like a license", path)
			}
		}
	}
	if want := []string{"LICENSE", program}; !slices.Equal(names, want) {
		t.Errorf("%s: entries %q; want %q", path, names, want)
	}
	return bin, entries[0].hdr.ModTime
}

// checkBinary checks that bin is an executable for platform p (an ELF file for linux, Mach-O for
// darwin, of the right architecture) built the release's way: the program's main package, static,
// -trimpath, and the version stamped.
func checkBinary(t *testing.T, name string, bin []byte, program string, p artifacts.Platform, version string) {
	t.Helper()
	r := bytes.NewReader(bin)
	switch p.OS {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			t.Errorf("%s: not an ELF file: %v", name, err)
			return
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Arch]
		if f.Machine != want || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
			t.Errorf("%s: ELF %v %v %v; want %v ELFCLASS64 ET_EXEC", name, f.Machine, f.Class, f.Type, want)
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			t.Errorf("%s: not a Mach-O file: %v", name, err)
			return
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[p.Arch]
		if f.Cpu != want || f.Type != macho.TypeExec {
			t.Errorf("%s: Mach-O %v %v; want %v an executable", name, f.Cpu, f.Type, want)
		}
	default:
		t.Fatalf("no header check for %s", p.OS)
	}

	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Errorf("%s: no Go build information: %v", name, err)
		return
	}
	if want := modulePath + "/cmd/" + program; bi.Path != want {
		t.Errorf("%s: main package %q; want %q", name, bi.Path, want)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": p.OS, "GOARCH": p.Arch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != want {
			t.Errorf("%s: built with %s=%q; want %q", name, key, settings[key], want)
		}
	}
	// With -trimpath the build information leaves out -ldflags, so look for the stamped string.
	if slices.Contains(stampedPrograms, program) && !bytes.Contains(bin, []byte(version)) {
		t.Errorf("%s: the version %q is not in the binary (-X main.Version)", name, version)
	}
}

var checksumLine = regexp.MustCompile(`^([0-9a-f]{64})  ([^/\\\s]+)$`)

// checkChecksums checks that checksums.txt (sha256sum's format) lists exactly the archives and SBOM
// in dir, each once and with its SHA-256, and returns the sums by file name.
func checkChecksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, artifacts.ChecksumsName))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := checksumLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Errorf("checksums.txt: line %q is not \"<sha256>  <file>\"", sc.Text())
			continue
		}
		if _, dup := sums[m[2]]; dup {
			t.Errorf("checksums.txt: %s listed twice", m[2])
		}
		sums[m[2]] = m[1]
		got, err := artifacts.SHA256File(filepath.Join(dir, m[2]))
		if err != nil {
			t.Errorf("checksums.txt lists %s: %v", m[2], err)
		} else if got != m[1] {
			t.Errorf("checksums.txt: %s has sha256 %s; the file has %s", m[2], m[1], got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if artifacts.Checksummed(e.Name()) {
			if _, ok := sums[e.Name()]; !ok {
				t.Errorf("checksums.txt does not list %s", e.Name())
			}
		}
	}
	return sums
}

// checkKrewManifest checks jumpcloud.yaml: krew's schema and validation, a platform for each of
// want.platforms (and no other) whose sha256 is that of the kubectl-jumpcloud archive for it and
// whose uri names that archive, and file operations that the archive satisfies.
func checkKrewManifest(t *testing.T, dir string, want expected) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, artifacts.KrewManifestName))
	if err != nil {
		t.Fatal(err)
	}
	p, err := artifacts.ReadKrewPlugin(data)
	if err != nil {
		t.Fatalf("jumpcloud.yaml does not parse as a krew Plugin: %v", err)
	}
	if err := artifacts.ValidateKrewPlugin(p); err != nil {
		t.Errorf("jumpcloud.yaml fails krew's validation: %v", err)
	}
	if p.Metadata.Name != "jumpcloud" {
		t.Errorf("plugin name %q; want jumpcloud (kubectl jumpcloud)", p.Metadata.Name)
	}
	if p.Spec.Version != artifacts.KrewVersion(want.version) {
		t.Errorf("plugin version %q; want %q", p.Spec.Version, artifacts.KrewVersion(want.version))
	}
	if p.Spec.Description == "" || len(p.Spec.ShortDescription) > 50 {
		t.Errorf("descriptions: short %q (at most 50 characters), long %d characters", p.Spec.ShortDescription, len(p.Spec.Description))
	}
	var got []artifacts.Platform
	for _, pl := range p.Spec.Platforms {
		labels := pl.Selector.MatchLabels
		if len(labels) != 2 || labels["os"] == "" || labels["arch"] == "" || len(pl.Selector.MatchExpressions) != 0 {
			t.Errorf("platform %s: selector %+v; want matchLabels os and arch", pl.URI, pl.Selector)
			continue
		}
		plat := artifacts.Platform{OS: labels["os"], Arch: labels["arch"]}
		got = append(got, plat)
		archive := artifacts.ArchiveName(artifacts.PluginProgram, want.version, plat)
		if !strings.HasSuffix(pl.URI, "/"+archive) {
			t.Errorf("%s: uri %q does not name %s", plat, pl.URI, archive)
		}
		if want.releaseURL != "" && pl.URI != want.releaseURL+"/"+archive {
			t.Errorf("%s: uri %q; want %s/%s", plat, pl.URI, want.releaseURL, archive)
		}
		if !strings.HasPrefix(pl.URI, "https://") {
			t.Errorf("%s: uri %q is not https", plat, pl.URI)
		}
		sum, err := artifacts.SHA256File(filepath.Join(dir, archive))
		if err != nil {
			t.Errorf("%s: %v", plat, err)
			continue
		}
		if pl.SHA256 != sum {
			t.Errorf("%s: sha256 %s; %s has %s", plat, pl.SHA256, archive, sum)
		}
		if pl.Bin != artifacts.PluginProgram {
			t.Errorf("%s: bin %q; want %s", plat, pl.Bin, artifacts.PluginProgram)
		}
		var names []string
		for _, e := range readArchive(t, filepath.Join(dir, archive)) {
			names = append(names, e.hdr.Name)
		}
		var from []string
		for _, f := range pl.Files {
			from = append(from, f.From)
			if f.To != "." || !slices.Contains(names, f.From) {
				t.Errorf("%s: file operation %+v: want one from a file of the archive %q to \".\"", plat, f, names)
			}
		}
		if !slices.Contains(from, artifacts.PluginProgram) || !slices.Contains(from, "LICENSE") {
			t.Errorf("%s: files %+v; want the binary and LICENSE", plat, pl.Files)
		}
	}
	if !sameSet(got, want.platforms) {
		t.Errorf("krew platforms %v; want %v", got, want.platforms)
	}
}

// bom is the part of a CycloneDX JSON document the checks read.
type bom struct {
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Version      int    `json:"version"`
	Metadata     struct {
		Tools     json.RawMessage `json:"tools"`
		Component bomComponent    `json:"component"`
	} `json:"metadata"`
	Components   []bomComponent `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

type bomComponent struct {
	BOMRef  string    `json:"bom-ref"`
	Type    string    `json:"type"`
	Name    string    `json:"name"`
	Version string    `json:"version"`
	PURL    string    `json:"purl"`
	Hashes  []bomHash `json:"hashes"`
}

type bomHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

var (
	serialRE      = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	specVersionRE = regexp.MustCompile(`^1\.[4-9]$`)
)

// checkSBOM checks that the SBOM is a CycloneDX JSON document whose main component is the module,
// whose components are Go modules (with the standard library) including deps at their versions,
// and whose dependency graph refers only to components it lists.
func checkSBOM(t *testing.T, path string, deps map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bom
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("%s: not JSON: %v", path, err)
	}
	if b.BOMFormat != "CycloneDX" || !specVersionRE.MatchString(b.SpecVersion) || b.Version < 1 || !serialRE.MatchString(b.SerialNumber) {
		t.Errorf("%s: bomFormat %q, specVersion %q, version %d, serialNumber %q; want a CycloneDX 1.4+ document",
			path, b.BOMFormat, b.SpecVersion, b.Version, b.SerialNumber)
	}
	if len(b.Metadata.Tools) == 0 {
		t.Errorf("%s: no metadata.tools", path)
	}
	main := b.Metadata.Component
	if main.Name != modulePath || main.Type != "application" || main.BOMRef == "" {
		t.Errorf("%s: main component %q (%s); want the application %s", path, main.Name, main.Type, modulePath)
	}
	refs := map[string]bool{main.BOMRef: true}
	versions := map[string]string{}
	for _, c := range b.Components {
		if c.BOMRef == "" || refs[c.BOMRef] {
			t.Errorf("%s: component %s has bom-ref %q, empty or repeated", path, c.Name, c.BOMRef)
		}
		refs[c.BOMRef] = true
		versions[c.Name] = c.Version
		if c.Type != "library" || c.Name == "" || c.Version == "" || !strings.HasPrefix(c.PURL, "pkg:golang/"+c.Name+"@"+c.Version) {
			t.Errorf("%s: component %+v; want a library with name, version and a Go purl", path, c)
		}
		if c.Name != "std" && !slices.ContainsFunc(c.Hashes, func(h bomHash) bool { return h.Alg == "SHA-256" && len(h.Content) == 64 }) {
			t.Errorf("%s: component %s has no SHA-256", path, c.Name)
		}
	}
	if _, ok := versions["std"]; !ok {
		t.Errorf("%s: no component for the Go standard library (std)", path)
	}
	for name, version := range deps {
		if versions[name] != version {
			t.Errorf("%s: %s at %q; want it at %s (go.mod)", path, name, versions[name], version)
		}
	}
	var mainDeps int
	for _, d := range b.Dependencies {
		if !refs[d.Ref] {
			t.Errorf("%s: dependency entry for unknown ref %q", path, d.Ref)
		}
		for _, on := range d.DependsOn {
			if !refs[on] {
				t.Errorf("%s: %s depends on unknown ref %q", path, d.Ref, on)
			}
		}
		if d.Ref == main.BOMRef {
			mainDeps = len(d.DependsOn)
		}
	}
	if mainDeps == 0 {
		t.Errorf("%s: the main component depends on nothing", path)
	}
}

// checkRelease checks a release directory against want: every archive with the right binary,
// checksums.txt, and the krew manifest and SBOM when they belong.
func checkRelease(t *testing.T, dir string, want expected, deps map[string]string) {
	t.Helper()
	var modTime time.Time
	for _, program := range want.programs {
		for _, p := range want.platforms {
			name := artifacts.ArchiveName(program, want.version, p)
			bin, mt := checkArchiveFiles(t, filepath.Join(dir, name), program)
			if bin != nil {
				checkBinary(t, name, bin, program, p, want.version)
			}
			if !modTime.IsZero() && !mt.Equal(modTime) {
				t.Errorf("%s: entries dated %v, others %v; want one time (the commit's)", name, mt, modTime)
			}
			modTime = mt
		}
	}
	checkChecksums(t, dir)
	krew := filepath.Join(dir, artifacts.KrewManifestName)
	if slices.Contains(want.programs, artifacts.PluginProgram) {
		checkKrewManifest(t, dir, want)
	} else if _, err := os.Stat(krew); err == nil {
		t.Errorf("%s written without %s in the release", artifacts.KrewManifestName, artifacts.PluginProgram)
	}
	if want.sbom {
		checkSBOM(t, filepath.Join(dir, artifacts.SBOMName(want.version)), deps)
	}
}

func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
