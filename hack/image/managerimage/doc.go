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

// Package managerimage builds the manager's container image with Go tooling only: no Docker
// engine, no base image to pull, no registry. It owns the image's contents and metadata, the same
// image the Dockerfile defines:
//
//   - Compile cross-compiles the manager statically (CGO_ENABLED=0, -trimpath) per platform.
//   - Assemble puts each binary on an empty base with go-containerregistry and collects the
//     images into one multi-platform index.
//   - WriteLayout and WriteTarball write the result as an OCI image layout and as tarballs that
//     docker load and kind load image-archive accept.
//
// Each image has two layers. The first holds the files every release shares and changes only
// when the CA bundle does: /etc/ssl/certs/ca-certificates.crt, built from the Mozilla roots in
// golang.org/x/crypto/x509roots/fallback (so a fresh machine needs nothing but Go modules), and
// /etc/passwd and /etc/group naming UID and GID 65532 "nonroot", as distroless does, so that
// tools resolving the user find it. The second holds /manager, mode 0555 and owned by root: the
// manager, running as 65532, can execute it but not replace it. Nothing else: no shell, no
// package manager.
//
// Builds are reproducible: every timestamp comes from the commit (or SOURCE_DATE_EPOCH), the
// shared layer's files carry the Unix epoch so that its digest stays the same across commits, and
// the Go build is -trimpath.
package managerimage
