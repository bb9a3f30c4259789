// Command release makes the files of a release in one directory (make release): every program
// under cmd/ built for each platform and packed as <program>_<version>_<os>_<arch>.tar.gz, the krew
// plugin manifest jumpcloud.yaml, a CycloneDX SBOM, and checksums.txt. See package artifacts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jumpcloud-operator/jumpcloud-operator/hack/release/artifacts"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg          artifacts.Config
		programs     = flag.String("programs", "manager jumpcloud-sim kubectl-jumpcloud", "programs under cmd/ to build, separated by spaces or commas")
		platforms    = flag.String("platforms", "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64", "OS/ARCH pairs to build for")
		epoch        = flag.String("epoch", "", "modification time of the archive entries, in seconds since 1970 (SOURCE_DATE_EPOCH; the commit time)")
		sbomPlatform = flag.String("sbom-platform", "linux/amd64", "the build the SBOM describes")
	)
	flag.StringVar(&cfg.OutDir, "out", "dist/release", "directory to write the artifacts to")
	flag.StringVar(&cfg.Version, "version", "", "the release's version (VERSION); names the archives and the krew manifest")
	flag.StringVar(&cfg.LDFlags, "ldflags", "", "go build -ldflags (they stamp main.Version)")
	flag.StringVar(&cfg.License, "license", "LICENSE", "license file to put in every archive as LICENSE")
	flag.StringVar(&cfg.ReleaseURL, "release-url", "", "URL the archives are downloaded from (the krew manifest's uri is RELEASE_URL/<archive>)")
	flag.StringVar(&cfg.Homepage, "homepage", "", "the krew manifest's homepage (optional)")
	flag.StringVar(&cfg.SBOMTool, "sbom-tool", "", "path of cyclonedx-gomod; empty skips the SBOM")
	flag.StringVar(&cfg.SBOMMain, "sbom-main", "cmd/manager", "main package the SBOM describes")
	flag.Parse()

	var err error
	if cfg.ModuleDir, err = os.Getwd(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(cfg.ModuleDir, "go.mod")); err != nil {
		return fmt.Errorf("run from the module's root: %w", err)
	}
	cfg.Programs = strings.FieldsFunc(*programs, func(r rune) bool { return r == ' ' || r == ',' })
	if cfg.Platforms, err = artifacts.ParsePlatforms(*platforms); err != nil {
		return err
	}
	sp, err := artifacts.ParsePlatforms(*sbomPlatform)
	if err != nil || len(sp) != 1 {
		return fmt.Errorf("-sbom-platform %q: want one OS/ARCH", *sbomPlatform)
	}
	cfg.SBOMPlatform = sp[0]
	if *epoch != "" {
		secs, err := strconv.ParseInt(*epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("-epoch %q: %w", *epoch, err)
		}
		cfg.ModTime = time.Unix(secs, 0)
	}
	cfg.Log = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := artifacts.Run(ctx, cfg); err != nil {
		return err
	}
	return list(cfg.OutDir)
}

// list prints every file in dir with its size, including what was there before (a packaged chart).
func list(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	fmt.Printf("release: %s\n", dir)
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		fmt.Printf("  %10s  %s\n", size(fi.Size()), e.Name())
	}
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
