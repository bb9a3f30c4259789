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

// Package image checks the manager image that make image builds (hack/image). It builds the image
// the way make image does, for linux/amd64 and linux/arm64, into a temporary OCI layout, opens the
// layout as a registry client would, and checks each platform's image: its config, its labels, a
// file system holding nothing but /manager, the CA bundle and the user database (no shell, no
// package manager), /manager a static ELF for the platform's architecture, a CA bundle Go can use.
//
// With a warm Go build cache the suite takes about 20 s (two links, and the image assembled twice
// to check that it is reproducible). On a machine whose cache holds no -trimpath build of the
// manager's dependencies for linux/arm64 and linux/amd64, the first run compiles them (about 8
// minutes on 2 busy cores); make image fills the same cache.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/jumpcloud-operator/jumpcloud-operator/hack/image/managerimage"
)

// version is stamped into the test's binaries and labels, the way make image stamps VERSION.
const version = "v0.0.0-imagetest"

// entry is one file of an image's flattened file system.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// platformImage is one platform's image, read back from the layout.
type platformImage struct {
	platform v1.Platform
	image    v1.Image
	config   *v1.ConfigFile
	manifest *v1.Manifest
	files    map[string]entry // by path, without a leading slash
}

// built is the image the suite checks, built once for every test.
type built struct {
	binaries []managerimage.Binary
	meta     managerimage.Metadata
	layout   string
	index    v1.ImageIndex
	images   []platformImage
}

var (
	buildOnce sync.Once
	theImage  *built
	errBuild  error
	workDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		_ = os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// sharedImage builds the image on first use and returns it; the tests share it.
func sharedImage(t *testing.T) *built {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		theImage, errBuild = build()
		fmt.Printf("built and read back the image for %d platforms in %.1fs\n", len(managerimage.Platforms), time.Since(start).Seconds())
	})
	if errBuild != nil {
		t.Fatalf("building the image: %v", errBuild)
	}
	return theImage
}

func build() (*built, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	if workDir, err = os.MkdirTemp("", "image-test-"); err != nil {
		return nil, err
	}
	b := &built{layout: filepath.Join(workDir, "image")}

	revision, created, err := managerimage.FromGit(ctx, root)
	if err != nil {
		return nil, err
	}
	b.meta = managerimage.Metadata{Version: version, Revision: revision, Created: created}
	var out bytes.Buffer
	b.binaries, err = managerimage.Compile(ctx, managerimage.CompileOptions{
		Dir:     root,
		LDFlags: "-s -w -X main.Version=" + version,
		OutDir:  filepath.Join(workDir, "bin"),
		Output:  &out,
	}, managerimage.Platforms)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	idx, err := managerimage.Assemble(b.binaries, b.meta)
	if err != nil {
		return nil, err
	}
	if err := managerimage.WriteLayout(b.layout, idx, "imagetest"); err != nil {
		return nil, err
	}

	// Everything below reads the layout on disk, not the index in memory.
	p, err := layout.FromPath(b.layout)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("index.json has %d entries, want 1 (the multi-platform index)", n)
	}
	if b.index, err = top.ImageIndex(topManifest.Manifests[0].Digest); err != nil {
		return nil, err
	}
	im, err := b.index.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, desc := range im.Manifests {
		pi, err := readImage(b.index, desc)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", desc.Digest, err)
		}
		b.images = append(b.images, pi)
	}
	return b, nil
}

func readImage(idx v1.ImageIndex, desc v1.Descriptor) (platformImage, error) {
	pi := platformImage{files: map[string]entry{}}
	if desc.Platform == nil {
		return pi, errors.New("the index describes the image without a platform")
	}
	pi.platform = *desc.Platform
	var err error
	if pi.image, err = idx.Image(desc.Digest); err != nil {
		return pi, err
	}
	if pi.config, err = pi.image.ConfigFile(); err != nil {
		return pi, err
	}
	if pi.manifest, err = pi.image.Manifest(); err != nil {
		return pi, err
	}
	rc := mutate.Extract(pi.image)
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return pi, nil
		}
		if err != nil {
			return pi, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return pi, err
		}
		pi.files[strings.TrimSuffix(path.Clean(hdr.Name), "/")] = entry{hdr: hdr, data: data}
	}
}

// forEachImage runs check as a subtest per platform.
func forEachImage(t *testing.T, check func(t *testing.T, b *built, pi platformImage)) {
	b := sharedImage(t)
	for _, pi := range b.images {
		t.Run(pi.platform.String(), func(t *testing.T) { check(t, b, pi) })
	}
}

func TestIndexHasExactlyLinuxAmd64AndArm64(t *testing.T) {
	b := sharedImage(t)
	var got []string
	for _, pi := range b.images {
		got = append(got, pi.platform.String())
	}
	want := []string{"linux/amd64", "linux/arm64"}
	if !slices.Equal(got, want) {
		t.Fatalf("index platforms = %v, want %v", got, want)
	}
}

func TestConfigRunsManagerAsNonRoot(t *testing.T) {
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		c := pi.config
		if c.OS != pi.platform.OS || c.Architecture != pi.platform.Architecture {
			t.Errorf("config platform = %s/%s, index says %s", c.OS, c.Architecture, pi.platform)
		}
		if !slices.Equal(c.Config.Entrypoint, []string{"/manager"}) {
			t.Errorf("entrypoint = %q, want [/manager]", c.Config.Entrypoint)
		}
		if len(c.Config.Cmd) != 0 {
			t.Errorf("cmd = %q, want none", c.Config.Cmd)
		}
		// Numeric, so that the kubelet can enforce runAsNonRoot.
		if c.Config.User != "65532:65532" {
			t.Errorf("user = %q, want 65532:65532", c.Config.User)
		}
		if c.Config.WorkingDir != "/" {
			t.Errorf("working dir = %q, want /", c.Config.WorkingDir)
		}
		if len(c.Config.Env) != 0 {
			t.Errorf("env = %q, want none", c.Config.Env)
		}
	})
}

func TestOCILabelsAndAnnotations(t *testing.T) {
	forEachImage(t, func(t *testing.T, b *built, pi platformImage) {
		want := map[string]string{
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.revision": b.meta.Revision,
			"org.opencontainers.image.source":   "https://github.com/jumpcloud-operator/jumpcloud-operator",
			"org.opencontainers.image.licenses": "Apache-2.0",
			"org.opencontainers.image.title":    "jumpcloud-operator",
			"org.opencontainers.image.created":  b.meta.Created.Format(time.RFC3339),
		}
		if len(b.meta.Revision) != 40 {
			t.Errorf("revision %q is not a full git commit", b.meta.Revision)
		}
		im, err := b.index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for key, value := range want {
			if got := pi.config.Config.Labels[key]; got != value {
				t.Errorf("config label %s = %q, want %q", key, got, value)
			}
			if got := pi.manifest.Annotations[key]; got != value {
				t.Errorf("manifest annotation %s = %q, want %q", key, got, value)
			}
			if got := im.Annotations[key]; got != value {
				t.Errorf("index annotation %s = %q, want %q", key, got, value)
			}
		}
		// Reproducible: the image's times are the commit's, not the build's.
		if !pi.config.Created.Equal(b.meta.Created) {
			t.Errorf("config created = %s, want the commit time %s", pi.config.Created.Time, b.meta.Created)
		}
	})
}

func TestFileSystemHoldsOnlyManagerAndCABundle(t *testing.T) {
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		want := []string{
			"etc", "etc/group", "etc/passwd", "etc/ssl", "etc/ssl/certs",
			"etc/ssl/certs/ca-certificates.crt", "manager",
		}
		got := slices.Sorted(maps.Keys(pi.files))
		if !slices.Equal(got, want) {
			t.Errorf("files = %q, want exactly %q", got, want)
		}
		for name, e := range pi.files {
			if e.hdr.Typeflag != tar.TypeReg && e.hdr.Typeflag != tar.TypeDir {
				t.Errorf("%s: tar type %q, want only regular files and directories (no links, devices)", name, e.hdr.Typeflag)
			}
			if e.hdr.Mode&0o6000 != 0 {
				t.Errorf("%s: mode %o has setuid or setgid", name, e.hdr.Mode)
			}
		}
	})
}

func TestNoShellNoPackageManager(t *testing.T) {
	shells := []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "toybox"}
	packageManagers := []string{
		"var/lib/dpkg", "var/lib/apt", "etc/apt", "etc/dpkg", "usr/bin/apt", "usr/bin/apt-get", "usr/bin/dpkg",
		"lib/apk", "etc/apk", "sbin/apk", "var/lib/rpm", "usr/bin/rpm", "usr/bin/yum", "usr/bin/dnf", "usr/bin/microdnf",
	}
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		if _, ok := pi.files["bin/sh"]; ok {
			t.Error("/bin/sh exists")
		}
		for name := range pi.files {
			if slices.Contains(shells, path.Base(name)) {
				t.Errorf("/%s: a shell", name)
			}
			for _, pm := range packageManagers {
				if name == pm || strings.HasPrefix(name, pm+"/") {
					t.Errorf("/%s: package manager files", name)
				}
			}
		}
	})
}

func TestManagerIsStaticELFForItsArchitecture(t *testing.T) {
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		m, ok := pi.files["manager"]
		if !ok {
			t.Fatal("/manager is missing")
		}
		if m.hdr.Mode != 0o555 || m.hdr.Uid != 0 || m.hdr.Gid != 0 {
			t.Errorf("/manager: mode %o owner %d:%d, want 555 root:root (runnable, not writable, by 65532)", m.hdr.Mode, m.hdr.Uid, m.hdr.Gid)
		}
		f, err := elf.NewFile(bytes.NewReader(m.data))
		if err != nil {
			t.Fatalf("/manager is not an ELF file: %v", err)
		}
		if want := machines[pi.platform.Architecture]; f.Machine != want || f.Class != elf.ELFCLASS64 {
			t.Errorf("/manager: %s %s, want %s ELFCLASS64", f.Machine, f.Class, want)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
				t.Errorf("/manager has a %s program header: it is dynamically linked", prog.Type)
			}
		}
		libs, err := f.ImportedLibraries()
		if err != nil {
			t.Fatalf("/manager: reading DT_NEEDED: %v", err)
		}
		if len(libs) != 0 {
			t.Errorf("/manager needs shared libraries (DT_NEEDED) %q", libs)
		}
		// The version the labels carry is the one the binary reports (main.Version).
		if !bytes.Contains(m.data, []byte(version)) {
			t.Errorf("/manager does not contain its version %q", version)
		}
	})
}

func TestCABundleParses(t *testing.T) {
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		ca, ok := pi.files["etc/ssl/certs/ca-certificates.crt"]
		if !ok {
			t.Fatal("/etc/ssl/certs/ca-certificates.crt is missing (Go's crypto/x509 reads it on Linux)")
		}
		if !x509.NewCertPool().AppendCertsFromPEM(ca.data) {
			t.Fatal("CertPool.AppendCertsFromPEM found no certificate")
		}
		n := 0
		for rest := ca.data; ; n++ {
			var block *pem.Block
			if block, rest = pem.Decode(rest); block == nil {
				break
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatalf("certificate %d: %v", n, err)
			}
			if !cert.IsCA {
				t.Errorf("certificate %d (%s) is not a CA", n, cert.Subject)
			}
		}
		if n <= 100 {
			t.Errorf("CA bundle has %d certificates, want more than 100", n)
		}
		t.Logf("CA bundle: %d certificates, %d bytes", n, len(ca.data))
	})
}

func TestUserDatabaseNamesNonroot(t *testing.T) {
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		for file, want := range map[string]string{
			"etc/passwd": "nonroot:x:65532:65532:",
			"etc/group":  "nonroot:x:65532:",
		} {
			if !strings.Contains(string(pi.files[file].data), "\n"+want) {
				t.Errorf("/%s has no line starting %q:\n%s", file, want, pi.files[file].data)
			}
		}
	})
}

func TestAssemblyIsReproducible(t *testing.T) {
	b := sharedImage(t)
	again, err := managerimage.Assemble(b.binaries, b.meta)
	if err != nil {
		t.Fatal(err)
	}
	want, err := b.index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("assembling the same binaries again gave index %s, the layout holds %s", got, want)
	}
}

func TestImageSizes(t *testing.T) {
	forEachImage(t, func(t *testing.T, _ *built, pi platformImage) {
		size, err := managerimage.ImageSize(pi.image)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MiB compressed, %.1f MiB uncompressed", pi.platform, float64(size.Compressed)/(1<<20), float64(size.Uncompressed)/(1<<20))
		// The manager alone is about 50 MB; anything much larger has picked up something else.
		if size.Uncompressed > 100<<20 {
			t.Errorf("image is %d bytes uncompressed, want under 100 MiB", size.Uncompressed)
		}
	})
}
