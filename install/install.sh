#!/usr/bin/env bash
# Install cicd-agent from uv.lock: the composite action's install step, and what
# bench/bench_install.py times. Every distribution comes from uv.lock, pinned by hash; uv itself
# is installed by pip with --require-hashes from install/requirements.txt.
#
# Environment (the defaults suit a checkout: `EXTRAS=dev bash install/install.sh`):
#   PYTHON                  the interpreter the virtualenv is made with (default python3)
#   UV_PROJECT_ENVIRONMENT  the virtualenv to create or bring in line with the lock (.venv)
#   UV_DIR                  where the pinned uv lives, reused when it is the pinned version
#                           (.harness/uv)
#   UV_CACHE_DIR            uv's download cache (the action keeps it in actions/cache)
#   EXTRAS                  core (review, gen-tests, analyse-failure), deploy (deploy-gate), build
#                           (the build mode), or dev (.ci/run: tests and linters; includes deploy)
#   TIKTOKEN_CACHE_DIR      tiktoken's encoding files: fetched once when missing, unless
#                           INPUT_PROVIDER is none (then no tokens are ever counted)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

# The step runs in the job's environment and in its checkout, before the run that holds the
# token: a PYTHONPATH into the checkout (often `src`) would run the pull request's
# sitecustomize in every Python started here, pip's and uv's too, and it could write a .pth
# file into cicd-agent's own site-packages, which even `python -I` runs. So none of the job's
# PYTHON* variables reaches anything started here, and each Python starts isolated (-I): the
# current folder (the checkout) is on no Python's path.
while read -r name; do
    [[ "$name" == PYTHON ]] || unset "$name"
done < <(compgen -e | grep '^PYTHON')
export UV_PROJECT_ENVIRONMENT="${UV_PROJECT_ENVIRONMENT:-$root/.venv}"
UV_DIR="${UV_DIR:-$root/.harness/uv}"
pins="$root/install/requirements.txt"
pinned="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' "$pins")"
uv="$UV_DIR/bin/uv"

# A restored cache may hold another uv (or none): install the pinned one, checked by hash.
# --isolated: no PIP_* variable or user configuration of the calling workflow applies.
# --no-cache-dir: the wheel is needed once; the installed uv is what gets cached.
read -r _ found _ < <("$uv" --version 2>/dev/null || echo "none none")
if [[ "$found" != "$pinned" ]]; then
    rm -rf "$UV_DIR"
    "$PYTHON" -I -m pip install --isolated --quiet --disable-pip-version-check --no-deps \
        --no-cache-dir --root-user-action=ignore --only-binary :all: --require-hashes \
        --target "$UV_DIR" -r "$pins"
fi

# From the action's own folder with --no-config: a uv.toml in the checked-out (untrusted)
# workspace or the runner's home must not change the index, hashes or build settings.
# --system-certs: trust what the machine trusts, as pip does (a self-hosted runner behind a
# TLS-inspecting proxy); the hashes in the lock are checked either way.
extras=()
case "${EXTRAS:-core}" in
    core) ;;
    deploy | build | dev) extras=(--extra "$EXTRAS") ;;
    *) echo "install.sh: EXTRAS must be core, deploy, build or dev, got '$EXTRAS'" >&2; exit 2 ;;
esac
cd "$root"
"$uv" sync --frozen --no-config --system-certs --no-dev --no-python-downloads --quiet \
    --python "$PYTHON" ${extras[@]+"${extras[@]}"}

# The console scripts start Python isolated (-I), as the action does: a job's PYTHONPATH (often
# the checkout's src), user site-packages and current folder never shape what cicd-agent imports.
# uv writes a shebang, or, where the Python's path is longer than a shebang holds, a /bin/sh
# line that execs it: each form gets -I.
"$UV_PROJECT_ENVIRONMENT/bin/python" -I - "$UV_PROJECT_ENVIRONMENT/bin" <<'PYTHON'
import pathlib, re, sys
for name in ("cicd-agent", "cicd-agent-canary-server"):
    script = pathlib.Path(sys.argv[1], name)
    text = re.sub(r"\A(#!/\S*/python[0-9.]*)\n", r"\1 -I\n", script.read_text(), count=1)
    text = re.sub(r"^('''exec' '[^']*/python[0-9.]*') \"\$0\"", r'\1 -I "$0"', text, count=1,
                  flags=re.MULTILINE)
    script.write_text(text)
PYTHON

# Bytecode for cicd-agent itself, the start-up path of every mode: a fresh job has none, and
# compiling on import would be paid by every `cicd-agent MODE --help`. Not uv's
# --compile-bytecode: compiling the whole environment costs every set-up more than it saves the
# job's first run (Python writes the bytecode of the libraries it imports on first use, for the
# job's later steps). bench/bench_install.py times the set-up (BENCHMARKS.md).
"$UV_PROJECT_ENVIRONMENT/bin/python" -I -m compileall -q -j 0 "$root/src/cicd_agent" >/dev/null

if [[ -n "${TIKTOKEN_CACHE_DIR:-}" && "${INPUT_PROVIDER:-}" != none ]]; then
    "$UV_PROJECT_ENVIRONMENT/bin/python" -I -m cicd_agent.model.encodings
fi

echo "install.sh: cicd-agent ($EXTRAS) is installed in $UV_PROJECT_ENVIRONMENT; run $UV_PROJECT_ENVIRONMENT/bin/cicd-agent --help"
