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
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// AnnotationRefName names an entry of an OCI layout's index.json (oci:DIR:NAME for skopeo,
// DIR:NAME for oras).
const AnnotationRefName = "org.opencontainers.image.ref.name"

// WriteLayout writes idx as an OCI image layout in dir, replacing whatever dir held: index.json
// has one entry, the multi-platform index, named refName. It writes into a sibling directory
// first, so an interrupted run leaves the previous layout in place.
func WriteLayout(dir string, idx v1.ImageIndex, refName string) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{AnnotationRefName: refName}))
	}
	if err := p.AppendIndex(idx, opts...); err != nil {
		return err
	}
	if err := readableByAll(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// readableByAll sets the modes of the layout's files to 0644 and of its directories to 0755:
// go-containerregistry writes some blobs 0600, which would keep other users (a CI job, a push
// tool run as another user) from reading the layout.
func readableByAll(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(path, mode)
	})
}

// WriteTarball writes one platform's image as a tarball tagged ref, in the format of docker save:
// docker load, podman load and kind load image-archive read it.
func WriteTarball(path string, ref name.Tag, img v1.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Size is an image's size: what a pull transfers (the compressed layers, the config and the
// manifest) and what it takes unpacked (the layers' tars).
type Size struct {
	Compressed   int64
	Uncompressed int64
}

// ImageSize measures img.
func ImageSize(img v1.Image) (Size, error) {
	var s Size
	manifest, err := img.RawManifest()
	if err != nil {
		return s, err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return s, err
	}
	s.Compressed = int64(len(manifest) + len(config))
	layers, err := img.Layers()
	if err != nil {
		return s, err
	}
	for _, l := range layers {
		size, err := l.Size()
		if err != nil {
			return s, err
		}
		s.Compressed += size
		rc, err := l.Uncompressed()
		if err != nil {
			return s, err
		}
		n, err := io.Copy(io.Discard, rc)
		if closeErr := rc.Close(); err == nil {
			err = closeErr
		}
		if err != nil {
			return s, fmt.Errorf("reading layer: %w", err)
		}
		s.Uncompressed += n
	}
	return s, nil
}
