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
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/pem"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's user: numeric, so that the kubelet can check runAsNonRoot without reading the
// image's /etc/passwd.
const (
	UID  = 65532
	User = "65532:65532"
)

// Paths inside the image.
const (
	ManagerPath  = "/manager"
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// passwd and group name UID and GID 65532 "nonroot", as distroless does. The home directory is
// "/", the HOME a runtime sets when the user has no entry, so the entries change no behaviour of
// the manager; the login shell names a file that does not exist.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"nonroot:x:65532:\n"
)

// file is one entry of a layer: a directory when data is nil.
type file struct {
	path string // relative to /, without a leading slash
	mode int64
	data []byte
}

// CABundle returns the Mozilla root certificates of golang.org/x/crypto/x509roots/fallback as a
// PEM bundle, in the module's order. Roots that carry a constraint X.509 cannot express (such as
// a distrust-after date) are left out: a PEM file would trust them without it.
func CABundle() []byte {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		// Writing PEM to a bytes.Buffer cannot fail.
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return buf.Bytes()
}

// baseLayer holds what every release shares: the CA bundle and the user database. Its files carry
// the Unix epoch as their time, so its digest changes only with the CA bundle and registries and
// nodes keep one copy of it across releases.
func baseLayer() (v1.Layer, error) {
	return layer(time.Unix(0, 0), []file{
		{path: "etc", mode: 0o755},
		{path: "etc/group", mode: 0o444, data: []byte(group)},
		{path: "etc/passwd", mode: 0o444, data: []byte(passwd)},
		{path: "etc/ssl", mode: 0o755},
		{path: "etc/ssl/certs", mode: 0o755},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o444, data: CABundle()},
	})
}

// managerLayer holds /manager: owned by root and read-only, so the manager (UID 65532) can run it
// but not replace it.
func managerLayer(binary []byte, modTime time.Time) (v1.Layer, error) {
	return layer(modTime, []file{{path: "manager", mode: 0o555, data: binary}})
}

// layer writes files, owned by root, into an OCI layer: a tar, gzipped at the best compression
// (pulled on every node, built once) and kept in memory once compressed. Everything in the tar is
// fixed by its arguments, so equal arguments give equal digests.
func layer(modTime time.Time, files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.path,
			Mode:    f.mode,
			ModTime: modTime,
			Format:  tar.FormatUSTAR,
		}
		if f.data == nil {
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
}
