"""One mypy run over toy modules, read per module: the structure tests' typing checks.

Each run analyses the whole package the toys import (12 CPU-s), so every toy is checked in the
same run (``tests/project/conftest.py``) and each test reads the messages of its own files. When
the repository's own ``mypy`` run left its cache (``.ci/run`` runs it before the tests), the run
starts from a copy of it: mypy rechecks any module whose source changed since, and the package's
analysis costs 2.6 CPU-s instead of 24.6 (the same report, line for line). The run follows
imports as the repository's run does (``normal``): ``silent``, a per-module option, is part of
each cached module's options, so every module of the copied cache was stale and analysed again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT

TOY_GROUP = pytest.mark.xdist_group("toy-mypy")
"""Mark of the tests that read the ``toy_mypy`` fixture: a parallel run (``--dist loadgroup``)
gives them all to one worker, which makes the mypy run once."""


@dataclass(frozen=True)
class ToyReport:
    """What ``mypy --strict`` said about the toy modules in ``folder``."""

    folder: Path
    report: str

    def errors(self, *names: str) -> list[str]:
        """The error lines of the toy modules ``names`` (every toy's when none is named)."""
        files = tuple(str(self.folder / f"{name}.py") for name in names) or (str(self.folder),)
        return [
            line
            for line in self.report.splitlines()
            if ": error:" in line and line.startswith(files)
        ]

    def strays(self) -> list[str]:
        """Error lines outside every toy module: the package itself must check clean."""
        return [
            line
            for line in self.report.splitlines()
            if ": error:" in line and not line.startswith(str(self.folder))
        ]


def check(folder: Path, sources: dict[str, str]) -> ToyReport:
    """Write each toy module into a package of its own under ``folder`` and check them all in
    one ``mypy --strict``.

    The package's name is new each run, so no cache holds a toy module: mypy checks each one
    (a cached module of the same content is taken as checked, and its errors named the file
    it had then). In a process of its own: in the test process, mypy's analysis of the package
    stayed on the heap (three quarters of a GB), which every later full garbage collection of
    that worker walked, the one at its exit for minutes of a loaded machine."""
    package = folder / f"toys_{uuid.uuid4().hex}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in sources.items():
        (package / f"{name}.py").write_text(source)
    files = [str(package / f"{name}.py") for name in sources]
    cache = folder / "mypy-cache"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *_cache_options(cache), *files],
        capture_output=True, text=True, check=False, timeout=900,
        env={**os.environ, "MYPYPATH": str(REPO_ROOT / "src")},
    )  # fmt: skip
    return ToyReport(package, done.stdout + done.stderr)


def _cache_options(cache: Path) -> list[str]:
    """The run's cache folder, a copy of the repository's mypy cache to start from: the run
    writes into the copy, never into the developer's cache. With none to copy, no cache."""
    try:
        shutil.copytree(REPO_ROOT / ".mypy_cache", cache)
    except OSError:  # no cache yet, or a mypy run rewriting it meanwhile: check from scratch
        return ["--no-incremental", "--cache-dir", str(cache)]
    return ["--cache-dir", str(cache)]
