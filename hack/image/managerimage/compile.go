/*
Copyright 2026 The jumpcloud-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package managerimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Platforms are the platforms the manager image is built for by default; config/manager's node
// affinity admits the same two.
var Platforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// ManagerPackage is the Go package that becomes /manager.
const ManagerPackage = "./cmd/manager"

// CompileOptions say what to build and how.
type CompileOptions struct {
	// Dir is the module root; go build runs there.
	Dir string
	// Package is the main package to build; ManagerPackage when empty.
	Package string
	// LDFlags are passed to go build -ldflags verbatim, e.g. "-s -w -X main.Version=v0.1.0".
	LDFlags string
	// OutDir receives one binary per platform, named manager-OS-ARCH.
	OutDir string
	// Output receives go build's output; os.Stderr when nil.
	Output io.Writer
}

// Binary is a static manager binary built for one platform.
type Binary struct {
	Platform v1.Platform
	Path     string
}

// Compile builds the manager for each platform: static (CGO_ENABLED=0, so no libc and no dynamic
// loader), -trimpath (no paths of the build machine, so builds are reproducible). The platforms
// are built one after the other: go build already uses every core.
func Compile(ctx context.Context, opts CompileOptions, platforms []v1.Platform) ([]Binary, error) {
	pkg := opts.Package
	if pkg == "" {
		pkg = ManagerPackage
	}
	output := opts.Output
	if output == nil {
		output = os.Stderr
	}
	outDir, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}

	binaries := make([]Binary, 0, len(platforms))
	for _, p := range platforms {
		path := filepath.Join(outDir, "manager-"+p.OS+"-"+p.Architecture)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", opts.LDFlags, "-o", path, pkg)
		cmd.Dir = opts.Dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
		cmd.Stdout = output
		cmd.Stderr = output
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go build %s for %s: %w", pkg, p, err)
		}
		binaries = append(binaries, Binary{Platform: p, Path: path})
	}
	return binaries, nil
}
