"""One mypy run over toy modules, read per module: the structure tests' typing checks.

Each run analyses the whole package the toys import (about half a minute of a core), so every
toy is checked in the same run (``tests/project/conftest.py``) and each test reads the messages
of its own files.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    """Write each toy module into ``folder`` and check them all in one ``mypy --strict``.

    In a process of its own: in the test process, mypy's analysis of the package stayed on
    the heap (three quarters of a GB), which every later full garbage collection of that
    worker walked, the one at its exit for minutes of a loaded machine."""
    for name, source in sources.items():
        (folder / f"{name}.py").write_text(source)
    files = [str(folder / f"{name}.py") for name in sources]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         *files],
        capture_output=True, text=True, check=False, timeout=900,
        env={**os.environ, "MYPYPATH": str(REPO_ROOT / "src")},
    )  # fmt: skip
    return ToyReport(folder, done.stdout + done.stderr)
