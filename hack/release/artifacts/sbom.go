package artifacts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// writeSBOM runs cyclonedx-gomod's "app" mode: a CycloneDX JSON SBOM of the modules (and the Go
// standard library) that the main package cfg.SBOMMain links when built for cfg.SBOMPlatform,
// with their go.sum hashes and the licenses found in them. It leaves out the timestamp and derives
// the serial number from the version, so that packing the same commit again gives the same file.
func writeSBOM(ctx context.Context, cfg Config, file string) (Artifact, error) {
	cmd := exec.CommandContext(ctx, cfg.SBOMTool, "app",
		"-json", "-licenses", "-std",
		"-notimestamp", "-serial", sbomSerial(cfg.Version),
		"-main", cfg.SBOMMain,
		"-output", file,
		cfg.ModuleDir)
	cmd.Dir = cfg.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+cfg.SBOMPlatform.OS, "GOARCH="+cfg.SBOMPlatform.Arch)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Artifact{}, fmt.Errorf("%s app: %w: %s", cfg.SBOMTool, err, strings.TrimSpace(out.String()))
	}
	fi, err := os.Stat(file)
	if err != nil {
		return Artifact{}, err
	}
	sum, err := SHA256File(file)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Path: file, Size: fi.Size(), SHA256: sum}, nil
}

// sbomSerial is a name-based (version 5 style, with SHA-256) UUID URN for the SBOM of version:
// the same for every build of one version, different between versions.
func sbomSerial(version string) string {
	h := sha256.Sum256([]byte("github.com/jumpcloud-operator/jumpcloud-operator SBOM " + version))
	u := h[:16]
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
