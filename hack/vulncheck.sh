#!/usr/bin/env bash
# Runs govulncheck over the module against a local copy of the Go vulnerability database. The
# database is built from the golang.org/x/vulndb module (through the Go module proxy, as every
# dependency is) into the user cache, once per database version, so that the scan needs no other
# network access. Any vulnerability reachable from the code fails the check, standard-library ones
# included: run it through make vuln, which uses the Go toolchain the Makefile pins.
set -euo pipefail

GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
db="${XDG_CACHE_HOME:-$HOME/.cache}/jumpcloud-operator/vulndb/$VULNDB_VERSION"

if [[ ! -f "$db/index/db.json" ]]; then
  echo "vulncheck: building the vulnerability database $VULNDB_VERSION into $db"
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  # Outside the module, so that neither go.mod nor go.sum is touched.
  src="$(cd "$scratch" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  (cd "$scratch" && go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$scratch/db")
  mkdir -p "$(dirname "$db")"
  rm -rf "$db"
  mv "$scratch/db" "$db"
fi

# Installed rather than run with go run, which would hide govulncheck's exit code.
goversion="$(cd "$root" && go env GOVERSION)"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/jumpcloud-operator/govulncheck/$GOVULNCHECK_VERSION-$goversion"
if [[ ! -x "$bin/govulncheck" ]]; then
  (cd "$(mktemp -d)" && GOBIN="$bin" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
fi

echo "vulncheck: govulncheck $GOVULNCHECK_VERSION, database $VULNDB_VERSION, $goversion"
rc=0
(cd "$root" && "$bin/govulncheck" -db "file://$db" ./...) || rc=$?
# 0: nothing found; 3: vulnerabilities found; anything else: the scan itself failed.
case $rc in
  0) echo "vulncheck: ok: no known vulnerability is reachable from the code" ;;
  3) echo "vulncheck: FAIL: vulnerabilities reachable from the code (above): raise the module, or the Go toolchain (GOTOOLCHAIN in the Makefile)" ;;
  *) echo "vulncheck: govulncheck failed (exit $rc)" ;;
esac
exit "$rc"
