#!/usr/bin/env bash
# Runs govulncheck over the module against a local copy of the Go vulnerability database. The
# database is built from the golang.org/x/vulndb module (through the Go module proxy, as every
# dependency is) into the user cache, once per database version, so that the scan needs no other
# network access. Findings are failures, except standard-library ones listed in
# hack/vulncheck-allow.txt: those are fixed only by a newer Go than the machine's, and each line
# says which. An allowed finding that no longer shows up is reported, so the list does not rot.
set -euo pipefail

GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
allow="$root/hack/vulncheck-allow.txt"
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
bin="${XDG_CACHE_HOME:-$HOME/.cache}/jumpcloud-operator/govulncheck/$GOVULNCHECK_VERSION"
if [[ ! -x "$bin/govulncheck" ]]; then
  (cd "$(mktemp -d)" && GOBIN="$bin" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
fi

echo "vulncheck: govulncheck $GOVULNCHECK_VERSION, database $VULNDB_VERSION, $(go env GOVERSION)"
rc=0
out="$(cd "$root" && "$bin/govulncheck" -db "file://$db" ./... 2>&1)" || rc=$?
echo "$out"
# 0: nothing found; 3: vulnerabilities found; anything else: the scan itself failed.
if ((rc != 0 && rc != 3)); then
  echo "vulncheck: govulncheck failed (exit $rc)"
  exit "$rc"
fi

allowed="$(grep -v '^[[:space:]]*#' "$allow" | awk 'NF {print $1}' | sort -u)"
found="$(grep -oE '^Vulnerability #[0-9]+: GO-[0-9]+-[0-9]+' <<<"$out" | awk '{print $3}' | sort -u || true)"
# One advisory can cover both the standard library and a module (net/http and
# golang.org/x/net/http2): an advisory found in a module is never allowed.
inmodule="$(awk '/^Vulnerability #/ {id = $3} /^  Module: / {print id}' <<<"$out" | sort -u)"

echo
failed=()
for id in $found; do
  if grep -qxF "$id" <<<"$inmodule"; then
    failed+=("$id (in a module: raise it)")
  elif grep -qxF "$id" <<<"$allowed"; then
    echo "vulncheck: allowed $id: $(awk -v id="$id" '$1 == id {$1 = ""; print}' "$allow" | sed 's/^ *//')"
  else
    failed+=("$id")
  fi
done
for id in $allowed; do
  if ! grep -qxF "$id" <<<"$found"; then
    echo "vulncheck: $id is no longer found: remove it from hack/vulncheck-allow.txt"
  fi
done
if ((${#failed[@]} > 0)); then
  echo "vulncheck: FAIL: vulnerabilities reachable from the code: ${failed[*]}"
  exit 1
fi
echo "vulncheck: ok: $(grep -c . <<<"$found" || true) reachable, all of them allowed standard-library ones"
