#!/usr/bin/env bash
# Builds the real tools behind the API-server and chart tests from the Go module proxy, once per machine:
#   kube-apiserver (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3), helm (helm.sh/helm/v4).
# Binaries land in a per-machine cache outside the checkout (like Go's own module cache), so a fresh clone on
# the same machine reuses them; STACKWRIGHT_TOOLS_DIR overrides the location. Prints the bin directory.
# First build: about 25-40 minutes on 2 cores (kube-apiserver is most of it); later runs return at once.
# `build.sh --where` only prints the bin directory (the tests use it to find the binaries).
set -euo pipefail

K8S_VERSION=1.37.2       # kube-apiserver; staging modules at v0.${minor}.${patch}
ETCD_VERSION=3.7.4
HELM_VERSION=4.3.2

tools_root="${STACKWRIGHT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackwright/tools}"
bin="$tools_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION/bin"
if [ "${1:-}" = "--where" ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

log() { echo "[tools] $*" >&2; }

# A throwaway module per tool: each has its own dependency graph (helm and etcd pin other k8s.io/grpc versions).
new_module() {
    local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/stackwright-tools.XXXXXX")
    printf 'module stackwright.local/tools\n\ngo 1.26\n' >"$dir/go.mod"
    echo "$dir"
}

build_kube_apiserver() {
    local out="$bin/kube-apiserver"
    if [ -x "$out" ] && "$out" --version 2>/dev/null | grep -q "v$K8S_VERSION\$"; then return; fi
    log "building kube-apiserver v$K8S_VERSION (the long one: about 20-30 minutes on 2 cores)"
    local dir minor patch; dir=$(new_module)
    minor=$(echo "$K8S_VERSION" | cut -d. -f2); patch=$(echo "$K8S_VERSION" | cut -d. -f3)
    (
        cd "$dir"
        # k8s.io/kubernetes replaces its staging modules with ./staging paths, which a consumer cannot follow:
        # point each at its published twin (v0.<minor>.<patch>), read from that go.mod rather than listed here.
        gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
        go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
        for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
            go mod edit -replace="$m=$m@v0.$minor.$patch"
        done
        printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >tools.go
        go mod tidy >/dev/null
        # Without these, the server reports v0.0.0-master and Helm's kubeVersion checks see v0.0.0.
        ldflags="-s -w"
        for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
            ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
            ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
        done
        go build -trimpath -ldflags "$ldflags" -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver
    )
    mv "$out.tmp" "$out"; rm -rf "$dir"
}

build_etcd() {
    local out="$bin/etcd"
    if [ -x "$out" ] && "$out" --version 2>/dev/null | grep -q "etcd Version: $ETCD_VERSION\$"; then return; fi
    log "building etcd v$ETCD_VERSION"
    local dir; dir=$(new_module)
    (
        cd "$dir"
        go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
        printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
        go mod tidy >/dev/null
        go build -trimpath -ldflags "-s -w" -o "$out.tmp" go.etcd.io/etcd/server/v3
    )
    mv "$out.tmp" "$out"; rm -rf "$dir"
}

build_helm() {
    local out="$bin/helm"
    if [ -x "$out" ] && "$out" version --short 2>/dev/null | grep -q "^v$HELM_VERSION"; then return; fi
    log "building helm v$HELM_VERSION"
    local dir; dir=$(new_module)
    (
        cd "$dir"
        go mod edit -require="helm.sh/helm/v4@v$HELM_VERSION"
        printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v4/cmd/helm"\n' >tools.go
        go mod tidy >/dev/null
        go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
            -o "$out.tmp" helm.sh/helm/v4/cmd/helm
    )
    mv "$out.tmp" "$out"; rm -rf "$dir"
}

command -v go >/dev/null || { echo "[tools] Go is required (https://go.dev/dl/); none on PATH" >&2; exit 1; }
build_helm
build_etcd
build_kube_apiserver
echo "$bin"
