package install

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// imageManager is the entrypoint of the manager image, written out as a file this machine can run.
type imageManager struct {
	// Path is the binary on disk.
	Path string
	// Entrypoint is the image's entrypoint (the binary is its first element).
	Entrypoint []string
	platform   string
	labels     map[string]string
}

func (m *imageManager) describe() string {
	return fmt.Sprintf("the manager of dist/image (%s, version %s, revision %.12s)", m.platform,
		m.labels["org.opencontainers.image.version"], m.labels["org.opencontainers.image.revision"])
}

// extractManager opens the OCI layout make image writes (dist/image) as test/image opens its own,
// picks the image of this machine's platform, and writes its entrypoint into dir.
func extractManager(dir string) (*imageManager, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("the image holds a linux binary; this suite runs it, so it needs linux, not %s", runtime.GOOS)
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	dist := filepath.Join(root, "dist", "image")
	p, err := layout.FromPath(dist)
	if err != nil {
		return nil, fmt.Errorf("%s is not an OCI layout (%w): run `make image` (make test builds it first)", dist, err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	topManifest, err := top.IndexManifest()
	if err != nil {
		return nil, err
	}
	if n := len(topManifest.Manifests); n != 1 {
		return nil, fmt.Errorf("%s/index.json has %d entries, want 1 (the multi-platform index)", dist, n)
	}
	idx, err := top.ImageIndex(topManifest.Manifests[0].Digest)
	if err != nil {
		return nil, err
	}
	want := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	img, err := imageFor(idx, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dist, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if len(cfg.Config.Entrypoint) == 0 {
		return nil, fmt.Errorf("the %s image has no entrypoint", want.String())
	}
	m := &imageManager{
		Path:       filepath.Join(dir, "manager"),
		Entrypoint: cfg.Config.Entrypoint,
		platform:   want.String(),
		labels:     cfg.Config.Labels,
	}
	if err := extractFile(img, cfg.Config.Entrypoint[0], m.Path); err != nil {
		return nil, fmt.Errorf("the %s image: %w", want.String(), err)
	}
	return m, nil
}

func imageFor(idx v1.ImageIndex, want v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, desc := range im.Manifests {
		if desc.Platform != nil && desc.Platform.Satisfies(want) {
			return idx.Image(desc.Digest)
		}
	}
	return nil, fmt.Errorf("no image for %s in the index", want.String())
}

// extractFile writes the image's file at name (an absolute path in the image) to dst, executable.
func extractFile(img v1.Image, name, dst string) error {
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	want := strings.TrimPrefix(path.Clean(name), "/")
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("no file %s", name)
		}
		if err != nil {
			return err
		}
		if strings.TrimPrefix(path.Clean(hdr.Name), "/") != want {
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s is not a regular file (tar type %q)", name, hdr.Typeflag)
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			_ = f.Close()
			return err
		}
		return f.Close()
	}
}
