package artifacts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// GoBuild returns a BuildFunc that runs go build in moduleDir the way a release needs it: static
// (CGO_ENABLED=0), with -trimpath so that no local path is embedded and the same commit builds the
// same bytes anywhere, and with ldflags (which stamp main.Version).
func GoBuild(moduleDir, ldflags string) BuildFunc {
	return func(ctx context.Context, program string, p Platform, out string) error {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd/"+program)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
}
