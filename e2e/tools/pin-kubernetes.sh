#!/usr/bin/env bash
# Regenerates e2e/tools/go.mod for a kube-apiserver release: requires k8s.io/kubernetes at that version and
# replaces every staging module named in *that release's own go.mod* (its `k8s.io/x => ./staging/...` lines)
# with the published k8s.io/x v0.MINOR.PATCH, because the k8s.io/kubernetes module requires them at v0.0.0.
#
#   e2e/tools/pin-kubernetes.sh v1.34.4
#
# The list is read from the module proxy's copy of the go.mod, never typed by hand.
set -euo pipefail
version=${1:?usage: pin-kubernetes.sh v1.MINOR.PATCH}
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "not a v1.x.y version: $version" >&2; exit 2; }
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
cd "$(dirname "$0")"

kube_gomod=$(go mod download -json "k8s.io/kubernetes@$version" | jq -r '.GoMod // error(.Error)')
staging=$(go mod edit -json "$kube_gomod" | jq -r '.Replace[] | select(.New.Path | startswith("./staging/")) | .Old.Path')
[[ -n $staging ]] || { echo "no ./staging replaces found in $kube_gomod" >&2; exit 1; }

# Drop the old kubernetes pin and its replaces, keep everything else (etcd, tool lines).
for old in $(go mod edit -json | jq -r '(.Replace // [])[] | select(.Old.Path | startswith("k8s.io/")) | .Old.Path'); do
  go mod edit -dropreplace="$old"
done
go mod edit -require="k8s.io/kubernetes@$version"
for module in $staging; do
  go mod edit -replace="$module=$module@$staging_version"
done
echo "k8s.io/kubernetes $version; $(wc -w <<<"$staging") staging modules replaced with $staging_version"
GOFLAGS=-mod=mod go mod tidy
