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

// Command image builds the manager image without a Docker engine (make image): it cross-compiles
// the manager for each platform and writes OUT/image, an OCI image layout holding one
// multi-platform index, and OUT/image-OS-ARCH.tar, one docker-save tarball per platform tagged
// -tag. What the image holds is documented in package managerimage.
//
// The revision and creation time come from git (the commit checked out, and its commit time) unless
// -revision and -created say otherwise; SOURCE_DATE_EPOCH, when set, is the creation time.
//
//	go run ./hack/image -version v0.1.0 -tag registry.example.com/jumpcloud-operator:v0.1.0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/jumpcloud-operator/jumpcloud-operator/hack/image/managerimage"
)

type options struct {
	out       string
	tag       string
	version   string
	ldflags   string
	revision  string
	created   string
	source    string
	platforms string
	tarballs  bool
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "dist", "directory to write image/ (the OCI layout) and the tarballs into")
	flag.StringVar(&o.tag, "tag", "jumpcloud-operator:latest", "image reference: the tarballs' tag; its tag names the layout's entry")
	flag.StringVar(&o.version, "version", "dev", "the operator's version: the image's version label")
	flag.StringVar(&o.ldflags, "ldflags", "", `go build -ldflags (default "-s -w -X main.Version=VERSION")`)
	flag.StringVar(&o.revision, "revision", "", "git commit of the build (default: the commit checked out)")
	flag.StringVar(&o.created, "created", "", "creation time, RFC 3339 (default: SOURCE_DATE_EPOCH, else the commit time)")
	flag.StringVar(&o.source, "source", managerimage.DefaultSource, "source repository URL: the image's source label")
	flag.StringVar(&o.platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated OS/ARCH list")
	flag.BoolVar(&o.tarballs, "tarballs", true, "also write one docker-save tarball per platform")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	platforms, err := parsePlatforms(o.platforms)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	meta, err := metadata(ctx, o)
	if err != nil {
		return err
	}
	ldflags := o.ldflags
	if ldflags == "" {
		ldflags = "-s -w -X main.Version=" + o.version
	}

	work, err := os.MkdirTemp("", "manager-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	fmt.Printf("Building %s for %s (version %s, revision %.12s, created %s)\n",
		managerimage.ManagerPackage, o.platforms, meta.Version, meta.Revision, meta.Created.Format(time.RFC3339))
	binaries, err := managerimage.Compile(ctx, managerimage.CompileOptions{Dir: ".", LDFlags: ldflags, OutDir: work}, platforms)
	if err != nil {
		return err
	}
	idx, err := managerimage.Assemble(binaries, meta)
	if err != nil {
		return err
	}
	layoutDir := filepath.Join(o.out, "image")
	if err := managerimage.WriteLayout(layoutDir, idx, tag.TagStr()); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PLATFORM\tDIGEST\tCOMPRESSED\tUNCOMPRESSED\tTARBALL\n")
	for _, desc := range manifest.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return err
		}
		tarPath := "-"
		if o.tarballs {
			tarPath = filepath.Join(o.out, "image-"+desc.Platform.OS+"-"+desc.Platform.Architecture+".tar")
			if err := managerimage.WriteTarball(tarPath, tag, img); err != nil {
				return fmt.Errorf("writing %s: %w", tarPath, err)
			}
		}
		size, err := managerimage.ImageSize(img)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%.19s\t%s\t%s\t%s\n", desc.Platform, desc.Digest, mib(size.Compressed), mib(size.Uncompressed), tarPath)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("Wrote %s: OCI layout, index %s, entry %q (%.0fs)\n", layoutDir, digest, tag.TagStr(), time.Since(start).Seconds())
	return nil
}

// metadata fills in the revision and creation time from the flags, SOURCE_DATE_EPOCH or git.
func metadata(ctx context.Context, o options) (managerimage.Metadata, error) {
	meta := managerimage.Metadata{Version: o.version, Revision: o.revision, Source: o.source}
	if o.revision == "" || o.created == "" {
		rev, created, err := managerimage.FromGit(ctx, ".")
		if err != nil {
			return meta, fmt.Errorf("%w (set -revision and -created outside a git work tree)", err)
		}
		if meta.Revision == "" {
			meta.Revision = rev
		}
		meta.Created = created
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" && o.created == "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return meta, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		meta.Created = time.Unix(secs, 0).UTC()
	}
	if o.created != "" {
		t, err := time.Parse(time.RFC3339, o.created)
		if err != nil {
			return meta, fmt.Errorf("-created: %w", err)
		}
		meta.Created = t.UTC()
	}
	return meta, nil
}

func parsePlatforms(s string) ([]v1.Platform, error) {
	var platforms []v1.Platform
	for field := range strings.SplitSeq(s, ",") {
		p, err := v1.ParsePlatform(strings.TrimSpace(field))
		if err != nil {
			return nil, fmt.Errorf("-platforms: %w", err)
		}
		if p.OS != "linux" {
			return nil, fmt.Errorf("-platforms: %s: the image is built for linux only", p)
		}
		platforms = append(platforms, *p)
	}
	if len(platforms) == 0 {
		return nil, errors.New("-platforms: none given")
	}
	return platforms, nil
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
