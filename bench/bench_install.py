"""Install: what the composite action pays per job to set cicd-agent up, against `python -m venv`.

Run: ``python bench/bench_install.py`` (``--runs N``, ``--inner N``, ``--json``).

The action's install step is ``install/install.sh``: pip installs the pinned uv (checked by
hash), ``uv sync --frozen`` builds the virtualenv from uv.lock, and tiktoken's encoding files are
fetched unless a restored cache holds them. actions/cache restores uv, uv's downloads and those
files under a key of the lock. Each run times, back to back on the same machine:

- ``python -m venv`` into a new folder: the floor any Python action pays (the reference);
- cold: install.sh with nothing cached (uv and every locked wheel downloaded from PyPI);
- warm: install.sh as after a cache hit (uv, uv's cache and tiktoken's files present), into a
  new virtualenv;

once for the core install (review, gen-tests, analyse-failure) and once with deploy-gate's
``deploy`` extra. Ratios are per run (set-up / ``python -m venv``). Sizes compare the installed
virtualenv with an empty ``python -m venv``. (Start-up is bench_startup.py's: the CLI imports a
mode's module only to run it.)
Restoring actions/cache itself (a download from GitHub's cache service) is not measured here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, TIKTOKEN_CACHE, Figure, figure, timed_main

INSTALL_SH = ROOT / "install" / "install.sh"
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
COLD_TARGET, WARM_TARGET, SIZE_TARGET = 10.0, 3.0, 150.0


def folder_mb(path: Path) -> float:
    """Bytes of every file under ``path`` (files hard-linked from uv's cache count in full)."""
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def make_venv(target: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(BASE_PYTHON), "-m", "venv", str(target)], check=True)
    return time.perf_counter() - started


def install(scratch: Path, venv: Path, extras: str, tiktoken: Path) -> float:
    """Seconds for install.sh, as the action's step runs it, with this scratch's uv and caches."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "TIKTOKEN", "INPUT_"))
    }
    env |= {
        "PYTHON": str(BASE_PYTHON),
        "UV_DIR": str(scratch / "uv"),
        "UV_CACHE_DIR": str(scratch / "uv-cache"),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "EXTRAS": extras,
        "TIKTOKEN_CACHE_DIR": str(tiktoken),
    }
    started = time.perf_counter()
    subprocess.run(["bash", str(INSTALL_SH)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def restored_tiktoken(target: Path) -> Path:
    """tiktoken's files as a cache hit restores them (copied from the harness cache)."""
    if TIKTOKEN_CACHE.is_dir():
        shutil.copytree(TIKTOKEN_CACHE, target)
    else:
        target.mkdir()
    return target


def measure(runs: int, inner: int) -> list[Figure]:
    venvs: list[float] = []
    timings: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-install-") as folder:
        root = Path(folder)
        for run in range(runs):
            venvs.append(make_venv(root / f"reference{run}"))
            sizes["reference"] = folder_mb(root / f"reference{run}")
            shutil.rmtree(root / f"reference{run}")
            for extras in ("core", "deploy"):
                scratch = root / f"{extras}{run}"
                scratch.mkdir()
                cold_venv, warm_venv = scratch / "cold-venv", scratch / "warm-venv"
                cold = install(scratch, cold_venv, extras, scratch / "tiktoken-cold")
                warm = install(scratch, warm_venv, extras, restored_tiktoken(scratch / "tk"))
                timings.setdefault(("cold", extras), []).append(cold)
                timings.setdefault(("warm", extras), []).append(warm)
                sizes[extras] = folder_mb(warm_venv)
                shutil.rmtree(scratch)
    return figures(venvs, timings, sizes)


def figures(
    venvs: list[float],
    timings: dict[tuple[str, str], list[float]],
    sizes: dict[str, float],
) -> list[Figure]:
    label = {"core": "review, gen-tests, analyse-failure", "deploy": "deploy-gate"}
    cold_note = (
        "nothing cached: pip installs the pinned uv (hash-checked), uv downloads every locked "
        "wheel from PyPI; tiktoken's files are fetched (on this machine, without internet, "
        "that attempt fails at once and counts would be estimates)"
    )
    warm_note = "after a cache hit: uv, uv's cache and tiktoken's files present; a new virtualenv"
    rows = [figure("install: `python -m venv` (reference)", "s", venvs)]
    for extras in ("core", "deploy"):
        for kind, target in (("cold", COLD_TARGET), ("warm", WARM_TARGET)):
            values = timings[(kind, extras)]
            rows.append(
                figure(
                    f"set-up per job, {kind} cache, {label[extras]}",
                    "s",
                    values,
                    f"≤ {target:g} s" if extras == "core" else "",
                    (lambda m, t=target: m <= t) if extras == "core" else None,
                    cold_note if kind == "cold" else warm_note,
                    "a cold set-up downloads uv (about 20 MB, installed by pip) and every "
                    "locked wheel; under load, pip's own start-up is a large share",
                )
            )
            rows.append(
                figure(
                    f"set-up per job, {kind} cache, {label[extras]} / `python -m venv`",
                    "×",
                    [v / r for v, r in zip(values, venvs, strict=True)],
                    note="per run, the whole install step against creating an empty venv",
                )
            )
    rows += [
        figure(
            "core virtualenv size",
            "MB",
            [sizes["core"]],
            f"≤ {SIZE_TARGET:g} MB",
            lambda m: m <= SIZE_TARGET,
            "every file's bytes; cicd-agent itself is an editable install of the action's src/",
        ),
        figure(
            "core virtualenv / empty `python -m venv`", "×", [sizes["core"] / sizes["reference"]]
        ),
        figure("deploy-gate virtualenv size (core + deploy extra)", "MB", [sizes["deploy"]]),
    ]
    return rows


def main() -> None:
    timed_main(__doc__, "Install", measure, runs=3, inner=7)


if __name__ == "__main__":
    main()
