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

# Whether BIN exists and its version output (ARGS) contains TEXT. Output captured first: with pipefail, `| grep -q`
# would fail the pipeline when grep stops reading early (SIGPIPE) and force a rebuild.
has_version() {
    local bin=$1 text=$2; shift 2
    [ -x "$bin" ] || return 1
    local out; out=$("$bin" "$@" 2>/dev/null) || return 1
    [[ "$out" == *"$text"* ]]
}

# Builds PACKAGE (from MODULE@VERSION) into OUT inside a throwaway module: each tool has its own dependency graph
# (helm and etcd pin other k8s.io/grpc versions). An optional SETUP command runs in the module before `go mod tidy`.
build_in_module() {
    local out=$1 module=$2 package=$3 ldflags=$4 setup=${5:-}
    local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/stackwright-tools.XXXXXX")
    (
        cd "$dir"
        printf 'module stackwright.local/tools\n\ngo 1.26\n' >go.mod
        go mod edit -require="$module"
        if [ -n "$setup" ]; then "$setup"; fi
        printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >tools.go
        go mod tidy >/dev/null
        go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$package"
    )
    mv "$out.tmp" "$out"; rm -rf "$dir"
}

# k8s.io/kubernetes replaces its staging modules with ./staging paths, which a consumer cannot follow: point each
# at its published twin (v0.<minor>.<patch>), read from that go.mod rather than listed here.
replace_staging_modules() {
    local gomod minor patch
    minor=$(echo "$K8S_VERSION" | cut -d. -f2); patch=$(echo "$K8S_VERSION" | cut -d. -f3)
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r m; do
        go mod edit -replace="$m=$m@v0.$minor.$patch"
    done
}

build_kube_apiserver() {
    local out="$bin/kube-apiserver"
    if has_version "$out" "Kubernetes v$K8S_VERSION" --version; then return; fi
    log "building kube-apiserver v$K8S_VERSION (the long one: about 20-30 minutes on 2 cores)"
    local minor ldflags="-s -w"
    minor=$(echo "$K8S_VERSION" | cut -d. -f2)
    # Without these, the server reports v0.0.0-master and Helm's kubeVersion checks see v0.0.0.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    build_in_module "$out" "k8s.io/kubernetes@v$K8S_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$ldflags" replace_staging_modules
}

build_etcd() {
    local out="$bin/etcd"
    if has_version "$out" "etcd Version: $ETCD_VERSION" --version; then return; fi
    log "building etcd v$ETCD_VERSION"
    build_in_module "$out" "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" go.etcd.io/etcd/server/v3 "-s -w"
}

build_helm() {
    local out="$bin/helm"
    if has_version "$out" "v$HELM_VERSION" version --short; then return; fi
    log "building helm v$HELM_VERSION"
    build_in_module "$out" "helm.sh/helm/v4@v$HELM_VERSION" helm.sh/helm/v4/cmd/helm "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION"
}

command -v go >/dev/null || { echo "[tools] Go is required (https://go.dev/dl/); none on PATH" >&2; exit 1; }
build_helm
build_etcd
build_kube_apiserver
echo "$bin"
