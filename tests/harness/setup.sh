#!/usr/bin/env bash
# Installs the real artefacts the tests run against, inside the clone (.harness/, gitignored).
#
# Why a script and not fixtures: these downloads take seconds to minutes and must happen once per
# machine, before pytest starts, and the same way for a developer and for CI (.ci/run calls this).
# Every step is idempotent: a stamp file records what was installed, so a second run is a no-op.
# Nothing is cached outside the clone: npm's cache is pointed into .harness/ as well.
#
# Usage (from the repository root): bash tests/harness/setup.sh
# PYTHON may name the interpreter with the package installed (default .venv/bin/python).
set -euo pipefail

if [[ ! -f pyproject.toml || ! -d tests/harness ]]; then
    echo "setup.sh: run me from the repository root (no pyproject.toml or tests/harness here)" >&2
    exit 2
fi

readonly ROOT="$PWD"
readonly HARNESS="$ROOT/.harness"
readonly STAMPS="$HARNESS/stamps"
readonly PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

readonly WEBHOOKS_PKG="@octokit/webhooks-examples@7.6.1"
readonly OPENAPI_PKG="@octokit/openapi@23.0.2"
readonly TIKTOKEN_PKG="js-tiktoken@1.0.21"
readonly SARIF_SCHEMA_PKG="@microsoft/jest-sarif@1.0.0-beta.0"
readonly EXPRESSIONS_PKG="@actions/expressions@0.3.61"

export npm_config_cache="$HARNESS/npm-cache"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error

mkdir -p "$STAMPS"
WORK="$(mktemp -d "$HARNESS/tmp.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- helpers -------------------------------------------------------------------------------------

# is_current NAME VALUE: true when step NAME already installed VALUE (and its outputs still exist).
is_current() {
    [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]
}

mark() {
    printf '%s' "$2" >"$STAMPS/$1"
}

# timed LABEL CMD...: runs CMD and prints how long it took, so slow steps are visible in CI logs.
timed() {
    local label="$1" start end
    shift
    start="$EPOCHREALTIME"
    "$@"
    end="$EPOCHREALTIME"
    awk -v l="$label" -v s="$start" -v e="$end" 'BEGIN { printf "[setup] %-22s %7.1f s\n", l, e - s }'
}

# fetch_files PKG DEST FILE...: `npm pack` PKG and extract only FILE... (paths inside the package),
# which is much faster than `npm install` for data-only packages such as the 385 MB OpenAPI one.
# Each call unpacks in a folder of its own: the steps run side by side.
fetch_files() {
    local pkg="$1" dest="$2" tarball own
    shift 2
    local members=()
    for f in "$@"; do members+=("package/$f"); done
    own="$(mktemp -d "$WORK/pack.XXXXXX")"
    tarball="$(cd "$own" && npm pack --silent "$pkg" | tail -n 1)"
    tar -xzf "$own/$tarball" -C "$own" "${members[@]}"
    for f in "$@"; do
        mkdir -p "$dest/$(dirname "$f")"
        mv "$own/package/$f" "$dest/$f"
        touch "$dest/$f" # npm packs every file as 1985; later make-style checks need real times
    done
    rm -rf "$own"
}

# --- steps ---------------------------------------------------------------------------------------

webhooks() {
    local out="$HARNESS/webhooks/api.github.com/index.json"
    if is_current webhooks "$WEBHOOKS_PKG" && [[ -f "$out" ]]; then return; fi
    rm -rf "$HARNESS/webhooks"
    fetch_files "$WEBHOOKS_PKG" "$HARNESS/webhooks" api.github.com/index.json
    mark webhooks "$WEBHOOKS_PKG"
}

openapi() {
    local out="$HARNESS/openapi/api.github.com.deref.json"
    if is_current openapi "$OPENAPI_PKG" && [[ -f "$out" ]]; then return; fi
    mkdir -p "$HARNESS/openapi"
    rm -f "$out"
    fetch_files "$OPENAPI_PKG" "$WORK/openapi" generated/api.github.com.deref.json
    mv "$WORK/openapi/generated/api.github.com.deref.json" "$out"
    mark openapi "$OPENAPI_PKG"
}

# The mock needs the spec rewritten (base URL, Link headers, media types); tests/harness/prepare_spec.py
# owns that knowledge. Re-run whenever the spec's package or the script's text changed: stamped by
# their contents, not their times (a fresh clone, a checkout or a merge makes the script newer).
prepare_spec() {
    local script="tests/harness/prepare_spec.py" made
    local src="$HARNESS/openapi/api.github.com.deref.json" out="$HARNESS/openapi/github-mock.json"
    if [[ ! -f "$script" ]]; then
        echo "[setup] $script not present yet: spec left unprepared"
        return
    fi
    made="$OPENAPI_PKG $(sha256sum "$script" | cut -d' ' -f1)"
    if is_current prepare_spec "$made" && [[ -f "$out" ]]; then return; fi
    "$PYTHON" "$script" "$src" "$out"
    mark prepare_spec "$made"
}

# Prism and its dependencies come from the lockfile in tests/harness/prism/, so a new release of
# one of its ~200 transitive packages cannot change the mock under the tests.
prism() {
    local bin="$HARNESS/prism/node_modules/.bin/prism" lock
    lock="$(sha256sum tests/harness/prism/package-lock.json | cut -d' ' -f1)"
    if is_current prism "$lock" && [[ -x "$bin" ]]; then return; fi
    rm -rf "$HARNESS/prism"
    mkdir -p "$HARNESS/prism"
    cp tests/harness/prism/package.json tests/harness/prism/package-lock.json "$HARNESS/prism/"
    (cd "$HARNESS/prism" && npm ci --silent >/dev/null)
    "$bin" --version >/dev/null
    mark prism "$lock"
}

# The system packages the tests run, from apt. Each check below says whether its tools are there;
# the missing ones are installed together, after one `apt-get update`. apt takes one run at a
# time, so on a fresh machine five runs of their own (an update and an install each, 11-26 s a
# step) were the set-up's longest lane: 95 s of its 95, against 56 s of installing.

# The metric tests run a real Prometheus and promtool.
prometheus_present() { command -v promtool && command -v prometheus; }

# gen-tests runs candidates under bubblewrap (Debian/Ubuntu package); its sandbox tests need it.
bubblewrap_present() { command -v bwrap; }

# The decision record's tests run a real PostgreSQL server (tests/harness/postgres_server.py).
postgresql_present() { compgen -G "/usr/lib/postgresql/*/bin/initdb"; }

# The test-runner seam's Go runner runs real `go test` (runners/go/runner.py); Debian's go has
# the standard library prebuilt, so a tiny module's tests build in about a second of CPU. The
# test step's tests run Debian's gotestsum too (it wraps `go test -json`).
golang_present() { command -v go && command -v gotestsum; }

# The build mode's tests run real buildah builds (chroot isolation, overlay storage, and vfs on a
# fuse-overlayfs folder where overlay does not build) from scratch images with Debian's static
# busybox copied in, each in a network of its own that slirp4netns joins to the outside and
# nftables fences off the runner's own addresses, metadata, link-local and private ranges.
buildah_present() {
    command -v buildah && command -v fuse-overlayfs && command -v slirp4netns &&
        command -v nft && dpkg -s busybox-static
}

# The canary sources' tests run the real stores Debian ships (tests/harness/metric_servers.py):
# InfluxDB 1.x, VictoriaMetrics, and Graphite (carbon-cache and graphite-web).
metric_stores_present() {
    command -v influxd && command -v victoria-metrics && command -v carbon-cache &&
        command -v graphite-manage
}

# The deploy example's test checks its rollback step's arguments with a real kubectl's parser
# (`--help` reads no kubeconfig and reaches no cluster); Debian ships it as kubernetes-client.
kubectl_present() { command -v kubectl; }

system_packages() {
    local -A packages=([prometheus_present]="prometheus" [bubblewrap_present]="bubblewrap"
        [postgresql_present]="postgresql" [golang_present]="golang-go gotestsum"
        [buildah_present]="buildah skopeo umoci busybox-static fuse-overlayfs slirp4netns nftables"
        [metric_stores_present]="influxdb victoria-metrics graphite-carbon graphite-web"
        [kubectl_present]="kubernetes-client")
    local check wanted=() sudo=()
    for check in "${!packages[@]}"; do
        # shellcheck disable=SC2206  # a check's packages are words
        "$check" >/dev/null 2>&1 || wanted+=(${packages[$check]})
    done
    ((${#wanted[@]})) || return 0
    if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
    for check in "${!packages[@]}"; do
        if ! "$check" >/dev/null 2>&1; then
            echo "[setup] ${check%_present}: still missing after the install" >&2
            return 1
        fi
    done
}

# tiktoken downloads its encodings on first use; there is no internet here, so the same BPE ranks
# are taken from npm js-tiktoken and written out in tiktoken's own cache format.
tiktoken_cache() {
    local out="$HARNESS/tiktoken"
    if is_current tiktoken "$TIKTOKEN_PKG" && [[ -d "$out" ]]; then return; fi
    rm -rf "$out"
    fetch_files "$TIKTOKEN_PKG" "$WORK/js-tiktoken" dist/ranks/cl100k_base.js dist/ranks/o200k_base.js
    "$PYTHON" tests/harness/tiktoken_cache.py "$WORK/js-tiktoken/dist/ranks" "$out"
    mark tiktoken "$TIKTOKEN_PKG"
}

# The SARIF 2.1.0 JSON schema (OASIS, rtm.5) as Microsoft's SARIF tooling ships it, for review's
# SARIF output tests.
sarif_schema() {
    local out="$HARNESS/sarif/sarif-2.1.0-rtm.5.json"
    if is_current sarif "$SARIF_SCHEMA_PKG" && [[ -f "$out" ]]; then return; fi
    rm -rf "$HARNESS/sarif"
    fetch_files "$SARIF_SCHEMA_PKG" "$WORK/sarif" lib/schemas/sarif-2.1.0-rtm.5.json
    mkdir -p "$HARNESS/sarif"
    mv "$WORK/sarif/lib/schemas/sarif-2.1.0-rtm.5.json" "$out"
    mark sarif "$SARIF_SCHEMA_PKG"
}

# GitHub's own evaluator of ${{ }} expressions (no dependencies), so the end-to-end tests read the
# example workflows' `with:`, `if:` and `outputs:` as the runner does (tests/harness/expressions.mjs).
expressions() {
    local out="$HARNESS/expressions/dist/index.js"
    if is_current expressions "$EXPRESSIONS_PKG" && [[ -f "$out" ]]; then return; fi
    rm -rf "$HARNESS/expressions"
    local tarball own
    own="$(mktemp -d "$WORK/pack.XXXXXX")"
    tarball="$(cd "$own" && npm pack --silent "$EXPRESSIONS_PKG" | tail -n 1)"
    tar -xzf "$own/$tarball" -C "$own"
    mv "$own/package" "$HARNESS/expressions"
    mark expressions "$EXPRESSIONS_PKG"
}

# The corpus toolbox (tests/corpus/tools.py: typescript, eslint (9, and 6.0 and 7.14 apart), vitest (2, and 0.34 apart), jest
# and ts-jest, and mocha, AVA, uvu and pyright apart, from npm; flake8, black, isort, pylint and yamllint from PyPI). Inside pytest, the first test that needed it
# installed it while the other workers' tests waited on its lock; here it installs beside the
# other lanes, its npm and PyPI halves side by side. Idempotent through its own stamps; the
# tests' prepare() then only reads them.
toolbox_node() {
    "$PYTHON" -m tests.corpus.tools node vitest0 jsrunners eslint6 eslint7 pyright
}

toolbox_python() {
    "$PYTHON" -m tests.corpus.tools venv
}

# The interpreter the tests' projects run their own tests with (tests/helpers/gen_tests.py puts it
# first on the sandbox's PATH): pytest, coverage and pytest-cov at the versions uv.lock gives .venv,
# and nothing else, as a project's own environment would be. Each sandboxed pytest session started
# from .venv loaded every plugin of the dev environment (anyio's, hypothesis's): 0.75 CPU-s a start
# against 0.35 here, in sessions the suite starts thousands of. Compiled here: the sandbox reads it
# read-only, so nothing run there would write its bytecode.
inner_python() {
    local inner="$HARNESS/inner" pins
    pins="$("$PYTHON" -c 'from importlib.metadata import version as v
print(" ".join(f"{p}=={v(p)}" for p in ("pytest", "coverage", "pytest-cov", "pytest-timeout")))')"
    is_current inner "$pins" && [[ -x "$inner/bin/python" ]] && return
    rm -rf "$inner"
    "$HARNESS/uv/bin/uv" venv -q -p "$PYTHON" "$inner"
    # shellcheck disable=SC2086  # the pins are words
    "$HARNESS/uv/bin/uv" pip install -q -p "$inner/bin/python" $pins
    "$inner/bin/python" -m compileall -q -j 0 "$inner/lib" >/dev/null
    mark inner "$pins"
}

# --- main ----------------------------------------------------------------------------------------

if [[ ! -x "$PYTHON" ]]; then
    echo "setup.sh: no Python at $PYTHON; install first: EXTRAS=dev bash install/install.sh" >&2
    exit 2
fi

# The steps are downloads and unpacking, bound by the network and the disk, so the independent
# ones run side by side: the set-up takes about as long as its longest lane (the toolbox's or
# prism's npm), not the sum of its steps. A lane is steps that wait on each other (the spec is prepared once
# downloaded; apt runs one at a time). Each lane's output is kept in a file and printed in the
# order below, so the log reads as a sequential run would; every lane runs to its end even when
# another failed, and the exit code is the first failed lane's.
lanes=("webhooks" "openapi prepare_spec" "prism"
    "system_packages"
    "tiktoken_cache" "sarif_schema" "expressions" "toolbox_node"
    "toolbox_python" "inner_python")
declare -A labels=([webhooks]="webhook examples" [openapi]="openapi spec"
    [prepare_spec]="prepare spec" [prism]="prism" [system_packages]="system packages (apt)"
    [tiktoken_cache]="tiktoken cache"
    [sarif_schema]="sarif schema" [expressions]="expressions" [toolbox_node]="toolbox (npm)"
    [toolbox_python]="toolbox (PyPI)" [inner_python]="inner python")

# lane STEP...: runs the steps in order and stops at the first that fails, naming it.
lane() {
    step="$1" # read by the trap, after the function has returned
    trap 'status=$?; ((status == 0)) ||
        printf "[setup] %-22s FAILED (exit %d)\n" "${labels[$step]}" "$status"' EXIT
    for step in "$@"; do timed "${labels[$step]}" "$step"; done
}

total_start="$EPOCHREALTIME"
pids=()
for i in "${!lanes[@]}"; do
    # shellcheck disable=SC2086  # a lane is a list of step names
    (lane ${lanes[$i]}) >"$WORK/lane.$i" 2>&1 &
    pids+=("$!")
done
status=0
for i in "${!lanes[@]}"; do
    wait "${pids[$i]}" || { lane_status=$?; ((status)) || status=$lane_status; }
    cat "$WORK/lane.$i"
done
awk -v s="$total_start" -v e="$EPOCHREALTIME" -v n="${#lanes[@]}" \
    'BEGIN { printf "[setup] %-22s %7.1f s (%d lanes side by side)\n", "total", e - s, n }'
exit "$status"
