// Package artifacts makes the files of a release (make release): the programs under cmd/ built for
// each OS and architecture and packed into reproducible .tar.gz archives, the krew plugin manifest
// for kubectl-jumpcloud, a CycloneDX SBOM, and checksums.txt. It also holds what checking them
// needs (archive names, the krew manifest types and krew's validation rules), so that
// test/release reads the artifacts with the same definitions.
package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// PluginProgram is the program that krew installs as "kubectl jumpcloud".
const PluginProgram = "kubectl-jumpcloud"

// Platform is one OS and architecture to build for, as GOOS and GOARCH spell them.
type Platform struct {
	OS, Arch string
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// DefaultPlatforms are the platforms of a full release.
var DefaultPlatforms = []Platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// ParsePlatforms reads a list like "linux/amd64 darwin/arm64" (spaces or commas between entries).
func ParsePlatforms(s string) ([]Platform, error) {
	var out []Platform
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		goos, goarch, ok := strings.Cut(f, "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, fmt.Errorf("platform %q: want OS/ARCH, e.g. linux/amd64", f)
		}
		p := Platform{OS: goos, Arch: goarch}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no platforms")
	}
	return out, nil
}

// ArchiveName is the file name of the archive of program for platform p at version.
func ArchiveName(program, version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", program, version, p.OS, p.Arch)
}

// SBOMName is the file name of the SBOM at version.
func SBOMName(version string) string {
	return fmt.Sprintf("jumpcloud-operator_%s.cdx.json", version)
}

// Names of the files that sit beside the archives.
const (
	ChecksumsName    = "checksums.txt"
	KrewManifestName = "jumpcloud.yaml"
)

// BuildFunc builds program (a directory under cmd/) for platform p into the file out.
type BuildFunc func(ctx context.Context, program string, p Platform, out string) error

// Config says what Run makes and where.
type Config struct {
	// ModuleDir is the root of the Go module (where go.mod is).
	ModuleDir string
	// OutDir receives the artifacts. Run adds to it and leaves other files alone, but
	// checksums.txt covers every archive in it (so a Helm chart packaged there first is included).
	OutDir string
	// Version names the archives and the krew manifest's version; it is not stamped by Run itself
	// (LDFlags does that).
	Version string
	// Programs are directories under cmd/.
	Programs  []string
	Platforms []Platform
	// License is the file every archive carries as LICENSE.
	License string
	// ModTime is the modification time of every archive entry (the commit time, for reproducibility).
	ModTime time.Time
	// ReleaseURL is where the archives are downloaded from: the krew manifest's uri is
	// ReleaseURL/<archive name>.
	ReleaseURL string
	// Homepage is the krew manifest's homepage; empty leaves it out.
	Homepage string
	// SBOMTool is the cyclonedx-gomod binary; empty skips the SBOM.
	SBOMTool string
	// SBOMMain is the main package the SBOM describes, relative to ModuleDir (cmd/manager).
	SBOMMain string
	// SBOMPlatform is the build the SBOM describes (the modules linked can depend on it).
	SBOMPlatform Platform
	// Build builds one program; GoBuild(LDFlags) when nil.
	Build BuildFunc
	// LDFlags are passed to go build -ldflags when Build is nil.
	LDFlags string
	// Log receives one line per step; nil discards them.
	Log io.Writer
}

// Artifact is one file Run wrote.
type Artifact struct {
	Path   string
	Size   int64
	SHA256 string
}

// Run builds and packs every program for every platform, then writes the krew manifest (when
// PluginProgram is among the programs), the SBOM (when SBOMTool is set) and checksums.txt. It
// returns the files it wrote, checksums.txt last.
func Run(ctx context.Context, cfg Config) ([]Artifact, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			_, _ = fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	build := cfg.Build
	if build == nil {
		build = GoBuild(cfg.ModuleDir, cfg.LDFlags)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "jumpcloud-operator-release-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	var written []Artifact
	plugin := map[Platform]Artifact{}
	for _, program := range cfg.Programs {
		for _, p := range cfg.Platforms {
			bin := filepath.Join(tmp, p.OS+"_"+p.Arch, program)
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				return nil, err
			}
			logf("release: building %s for %s", program, p)
			if err := build(ctx, program, p, bin); err != nil {
				return nil, fmt.Errorf("build %s for %s: %w", program, p, err)
			}
			a, err := writeArchive(filepath.Join(cfg.OutDir, ArchiveName(program, cfg.Version, p)), cfg.ModTime,
				[]ArchiveFile{{Name: program, Source: bin, Mode: 0o755}, {Name: "LICENSE", Source: cfg.License, Mode: 0o644}})
			if err != nil {
				return nil, err
			}
			written = append(written, a)
			if program == PluginProgram {
				plugin[p] = a
			}
		}
	}

	if len(plugin) > 0 {
		m, err := NewKrewPlugin(cfg.Version, cfg.ReleaseURL, cfg.Homepage, plugin)
		if err != nil {
			return nil, err
		}
		if m.Spec.Version != cfg.Version {
			logf("release: VERSION %q is not a semantic version; the krew manifest says %q", cfg.Version, m.Spec.Version)
		}
		a, err := writeKrewManifest(filepath.Join(cfg.OutDir, KrewManifestName), m)
		if err != nil {
			return nil, err
		}
		written = append(written, a)
	} else {
		logf("release: %s is not among the programs; no krew manifest", PluginProgram)
	}

	if cfg.SBOMTool != "" {
		logf("release: writing the SBOM of %s (%s) with %s", cfg.SBOMMain, cfg.SBOMPlatform, filepath.Base(cfg.SBOMTool))
		a, err := writeSBOM(ctx, cfg, filepath.Join(cfg.OutDir, SBOMName(cfg.Version)))
		if err != nil {
			return nil, err
		}
		written = append(written, a)
	}

	a, err := writeChecksums(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	return append(written, a), nil
}

func (cfg Config) validate() error {
	var errs []error
	if cfg.ModuleDir == "" || cfg.OutDir == "" {
		errs = append(errs, errors.New("the module and output directories must be set"))
	}
	if cfg.Version == "" || strings.ContainsAny(cfg.Version, "/\\ \t\n") {
		errs = append(errs, fmt.Errorf("version %q: must be set and fit in a file name", cfg.Version))
	}
	if len(cfg.Programs) == 0 || len(cfg.Platforms) == 0 {
		errs = append(errs, errors.New("no programs or no platforms to build"))
	}
	for _, p := range cfg.Programs {
		if p == "" || strings.ContainsAny(p, "/\\. ") {
			errs = append(errs, fmt.Errorf("program %q: must name a directory under cmd/", p))
		}
	}
	if cfg.License == "" {
		errs = append(errs, errors.New("no license file"))
	}
	if cfg.SBOMTool != "" && cfg.SBOMMain == "" {
		errs = append(errs, errors.New("the SBOM needs a main package"))
	}
	return errors.Join(errs...)
}
