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
	"errors"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The OCI annotation keys the images carry, as manifest annotations and as config labels.
const (
	AnnotationTitle       = "org.opencontainers.image.title"
	AnnotationDescription = "org.opencontainers.image.description"
	AnnotationVersion     = "org.opencontainers.image.version"
	AnnotationRevision    = "org.opencontainers.image.revision"
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationLicenses    = "org.opencontainers.image.licenses"
	AnnotationCreated     = "org.opencontainers.image.created"
)

// Defaults for Metadata.
const (
	DefaultSource = "https://github.com/jumpcloud-operator/jumpcloud-operator"
	// License is the SPDX identifier of the project's license (README.md "License", and the
	// header of every source file).
	License = "Apache-2.0"
	title   = "jumpcloud-operator"
	descr   = "Kubernetes operator that manages JumpCloud directory users and groups"
)

// Metadata describes the build; it becomes the images' labels and annotations.
type Metadata struct {
	// Version is the operator's version, the one stamped into the binary (main.Version).
	Version string
	// Revision is the full git commit the image is built from.
	Revision string
	// Created is the commit's time, so that rebuilding a commit gives the same digests.
	Created time.Time
	// Source is the repository URL; DefaultSource when empty.
	Source string
}

func (m Metadata) annotations() map[string]string {
	source := m.Source
	if source == "" {
		source = DefaultSource
	}
	return map[string]string{
		AnnotationTitle:       title,
		AnnotationDescription: descr,
		AnnotationVersion:     m.Version,
		AnnotationRevision:    m.Revision,
		AnnotationSource:      source,
		AnnotationLicenses:    License,
		AnnotationCreated:     m.Created.UTC().Format(time.RFC3339),
	}
}

func (m Metadata) validate() error {
	var errs []error
	if m.Version == "" {
		errs = append(errs, errors.New("no version"))
	}
	if m.Revision == "" {
		errs = append(errs, errors.New("no revision"))
	}
	if m.Created.IsZero() {
		errs = append(errs, errors.New("no creation time"))
	}
	return errors.Join(errs...)
}

// Assemble builds one image per binary and returns them as a multi-platform OCI index, each
// manifest described by its platform. It only reads the binaries: equal binaries and metadata
// give an equal index digest.
func Assemble(binaries []Binary, meta Metadata) (v1.ImageIndex, error) {
	if err := meta.validate(); err != nil {
		return nil, fmt.Errorf("image metadata: %w", err)
	}
	if len(binaries) == 0 {
		return nil, errors.New("no binaries to assemble")
	}
	base, err := baseLayer()
	if err != nil {
		return nil, fmt.Errorf("CA bundle and user database layer: %w", err)
	}

	adds := make([]mutate.IndexAddendum, 0, len(binaries))
	for _, b := range binaries {
		img, err := image(base, b, meta)
		if err != nil {
			return nil, fmt.Errorf("image for %s: %w", b.Platform, err)
		}
		platform := b.Platform
		adds = append(adds, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &platform},
		})
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	return mutate.Annotations(idx, meta.annotations()).(v1.ImageIndex), nil
}

// image puts one binary on an empty base: the shared layer, then /manager.
func image(base v1.Layer, b Binary, meta Metadata) (v1.Image, error) {
	data, err := os.ReadFile(b.Path)
	if err != nil {
		return nil, err
	}
	manager, err := managerLayer(data, meta.Created)
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{
			Created:   v1.Time{Time: time.Unix(0, 0)},
			CreatedBy: "hack/image: " + CABundlePath + " (x509roots/fallback), /etc/passwd, /etc/group",
		}},
		mutate.Addendum{Layer: manager, History: v1.History{
			Created:   v1.Time{Time: meta.Created},
			CreatedBy: "hack/image: " + ManagerPath + " (go build -trimpath, CGO_ENABLED=0)",
		}},
	)
	if err != nil {
		return nil, err
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = b.Platform.OS
	cfg.Architecture = b.Platform.Architecture
	cfg.Variant = b.Platform.Variant
	cfg.Created = v1.Time{Time: meta.Created}
	cfg.Author = ""
	cfg.Config = v1.Config{
		Entrypoint: []string{ManagerPath},
		User:       User,
		WorkingDir: "/",
		Labels:     meta.annotations(),
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, meta.annotations()).(v1.Image), nil
}
