"""Install: what the composite action pays per job to install cicd-agent from a warm pip cache.

Run: ``python bench/bench_install.py`` (``--runs N``, ``--json``).

action.yml's install step does ``python -m venv "$RUNNER_TEMP/cicd-agent-venv"`` and then
``venv/bin/python -m pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"``
with ``PIP_CACHE_DIR`` restored by actions/cache. This bench does exactly that: it copies the
package sources to a temporary folder (so no build output lands in the checkout), warms a
pip cache folder of its own with one untimed install, then times fresh venv + install ``--runs``
times against that cache. The venv creation alone is reported too: it is the floor any
Python action pays, and the ratio to it survives a slow machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Figure, emit, figure, print_table

SOURCES = ("pyproject.toml", "README.md", "src")


def copy_sources(target: Path) -> Path:
    """The package as the action checks it out: sources only, no build output or caches."""
    tree = target / "cicd-agent"
    tree.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            shutil.copy2(source, tree / name)
    return tree


def install(tree: Path, venv: Path, cache: Path) -> tuple[float, float]:
    """Seconds for the action's two commands: create the venv, pip install the package."""
    environ = {**os.environ, "PIP_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=environ)
    created = time.perf_counter()
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install",
         "--disable-pip-version-check", "--quiet", str(tree)],
        check=True, env=environ, capture_output=True,
    )  # fmt: skip
    return created - started, time.perf_counter() - created


def build_wheel(tree: Path, out: Path, cache: Path) -> float:
    """Seconds to build cicd-agent's own wheel alone: the share of the step that is ours."""
    environ = {**os.environ, "PIP_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(tree)],
        check=True, env=environ, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def measure(runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-install-") as scratch:
        root = Path(scratch)
        tree = copy_sources(root)
        cache = root / "pip-cache"
        install(tree, root / "warm-up", cache)
        size = folder_mb(root / "warm-up")
        venvs, pips, totals, wheels = [], [], [], []
        for n in range(runs):
            venv = root / f"venv{n}"
            created, installed = install(tree, venv, cache)
            venvs.append(created)
            pips.append(installed)
            totals.append(created + installed)
            shutil.rmtree(venv)
            wheels.append(build_wheel(tree, root / f"wheel{n}", cache))
    finders = os.environ.get("PIP_FIND_LINKS", "")
    local = f"; pip also has local wheels (PIP_FIND_LINKS={finders})" if finders else ""
    note = f"fresh venv + `pip install .` from a warmed PIP_CACHE_DIR{local}"
    return [
        figure("install per job: venv + pip install", "s", totals, note=note),
        figure(
            "install: the `pip install .` step", "s", pips, note="builds the wheel, installs deps"
        ),
        figure("install: the `python -m venv` step (reference)", "s", venvs),
        figure(
            "install: building cicd-agent's own wheel alone (`pip wheel --no-deps .`)",
            "s",
            wheels,
            note="timed separately in the same runs: the rest of `pip install .` is resolving, "
            "unpacking and byte-compiling the dependencies (numpy and scipy are most of the size)",
        ),
        figure(
            "install per job / `python -m venv`",
            "×",
            [total / venv for total, venv in zip(totals, venvs, strict=True)],
            note="per run, the whole step against creating an empty venv",
        ),
        figure("installed venv size", "MB", [size], note="everything the step writes"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure(args.runs)
    if args.json:
        emit(figures)
    else:
        print_table("Install", figures)


if __name__ == "__main__":
    main()
