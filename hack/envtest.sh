#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, kubectl, etcd) from Go modules, with no downloads
# beyond the Go module proxy, and caches the binaries outside the repository keyed by version.
#
#   hack/envtest.sh            build if missing, print the assets directory (KUBEBUILDER_ASSETS)
#
# The Kubernetes version follows k8s.io/api in go.mod (v0.X.Y -> v1.X.Y); etcd is the server version
# that k8s.io/kubernetes itself requires, so the apiserver runs against the etcd it was tested with.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
api_version=$(cd "$root" && go list -m -f '{{.Version}}' k8s.io/api)
k8s_version="v1.${api_version#v0.}"

cache_root=${JUMPCLOUD_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jumpcloud-operator}
assets="$cache_root/envtest/$k8s_version"

if [[ -x "$assets/kube-apiserver" && -x "$assets/etcd" && -x "$assets/kubectl" ]]; then
  echo "$assets"
  exit 0
fi

log() { echo "envtest: $*" >&2; }
mkdir -p "$assets"
work=$(mktemp -d "$cache_root/envtest/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Export GOFLAGS for the builds below, but never inherit -mod=vendor or similar from the caller.
export GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=0

k8s_mod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$k8s_mod")

# k8s.io/kubernetes replaces each staging module with ./staging/src/...; a consumer must pin them itself.
log "building kube-apiserver and kubectl $k8s_version (a cold build takes several minutes)"
mkdir -p "$work/kube"
{
  echo "module envtest.local/kube"
  echo
  echo "go 1.26"
  echo
  echo "require k8s.io/kubernetes $k8s_version"
  echo
  awk -v v="$api_version" '$2 == "=>" && $3 ~ /^\.\/staging\// {print "replace " $1 " => " $1 " " v}' "$k8s_mod"
} > "$work/kube/go.mod"
cat > "$work/kube/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
(
  cd "$work/kube"
  go mod tidy >&2
  commit=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/.*"Hash": "\(.*\)".*/\1/p' | head -1)
  minor=${k8s_version#v1.}; minor=${minor%%.*}
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags "-s -w $ldflags" -o "$assets/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "-s -w $ldflags" -o "$assets/kubectl" k8s.io/kubernetes/cmd/kubectl
)

log "building etcd $etcd_version"
mkdir -p "$work/etcd"
cat > "$work/etcd/go.mod" <<GOMOD
module envtest.local/etcd

go 1.26

require go.etcd.io/etcd/server/v3 $etcd_version
GOMOD
cat > "$work/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
(
  cd "$work/etcd"
  go mod tidy >&2
  go build -trimpath -ldflags "-s -w" -o "$assets/etcd" .
)

"$assets/kube-apiserver" --version >&2
log "assets ready in $assets"
echo "$assets"
