"""Real failing projects for the fix step's tests: a git checkout whose command really fails.

Each project is a small repository committed with the real git, plus the command that fails in
it (run with this interpreter's pytest, mypy or ruff, by absolute path, so the sandbox needs no
PATH set-up; the projects' own interpreter is not bound in the sandbox of a clone under /tmp)
and the source change that fixes it.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    Patch,
    RunOutcome,
    Verification,
    Verifier,
)
from tests.git_builder import GitRepoBuilder

PYTHON = shlex.quote(sys.executable)


@dataclass(frozen=True)
class FailingProject:
    """A checkout, its failing command and the edit (path → new text) that fixes it."""

    root: Path
    failing: FailingCommand
    fix: dict[str, str]

    def diff_for(self, files: dict[str, str]) -> str:
        """The ``git diff`` that turns the committed files into ``files`` (checkout left clean)."""
        for name, text in files.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text, encoding="utf-8")
        # only the edited files: a host run of the failing command may have left bytecode
        subprocess.run(["git", "add", "-N", "--", *files], cwd=self.root, check=True)
        done = subprocess.run(
            ["git", "diff", "--no-color", "--no-ext-diff"],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(["git", "reset", "-q"], cwd=self.root, check=True)
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=self.root, check=True)
        subprocess.run(["git", "clean", "-qfd"], cwd=self.root, check=True)
        return done.stdout

    @property
    def fix_diff(self) -> str:
        return self.diff_for(self.fix)

    def run(self) -> subprocess.CompletedProcess[str]:
        """The failing command, run here for real (to show the project does fail)."""
        return subprocess.run(
            self.failing.failing, shell=True, cwd=self.root, capture_output=True, text=True
        )


def _project(
    path: Path, files: dict[str, str], command: str, fix: dict[str, str]
) -> FailingProject:
    repo = GitRepoBuilder(path)
    repo.commit("the failing change", files)
    failing = FailingCommand(job="test", step="Run checks", script=command, failing=command)
    return FailingProject(path, failing, fix)


CALC = '''"""Arithmetic helpers."""


def add(a: int, b: int) -> int:
    """The sum of a and b."""
    return a - b
'''

TEST_CALC = """from calc import add


def test_add() -> None:
    assert add(2, 3) == 5
"""


def failing_pytest(path: Path) -> FailingProject:
    """``add`` subtracts; its test fails under pytest."""
    return _project(
        path,
        {"calc.py": CALC, "tests/test_calc.py": TEST_CALC, "conftest.py": ""},
        f"{PYTHON} -m pytest -q -p no:cacheprovider tests/test_calc.py",
        {"calc.py": CALC.replace("return a - b", "return a + b")},
    )


SHAPES = '''"""Areas of shapes."""


def circle_area(radius: float) -> int:
    return 3.14159 * radius * radius
'''


def failing_mypy(path: Path) -> FailingProject:
    """A function annotated ``-> int`` returns a float; mypy reports the return type."""
    return _project(
        path,
        {"shapes.py": SHAPES},
        f"{PYTHON} -m mypy --strict --no-incremental shapes.py",
        {"shapes.py": SHAPES.replace("-> int:", "-> float:")},
    )


UTIL = '''"""String helpers."""
import os
import re


def words(text: str) -> list[str]:
    return re.findall(r"\\w+", text)
'''


def failing_lint(path: Path) -> FailingProject:
    """An unused import; ruff reports F401."""
    return _project(
        path,
        {"util.py": UTIL},
        f"{PYTHON} -m ruff check --no-cache --select F util.py",
        {"util.py": UTIL.replace("import os\n", "")},
    )


class CountingVerifier:
    """The real verifier, counting what reaches it (to show a refused patch never did)."""

    def __init__(self, inner: Verifier) -> None:
        self.inner = inner
        self.runs: list[Patch | None] = []
        self.verified: list[Patch] = []
        self.asked: list[str] = []

    def refusal(self, diff: str) -> str:
        self.asked.append(diff)
        return self.inner.refusal(diff)

    def reproduces(self) -> RunOutcome:
        return self.inner.reproduces()

    def run_failing(self, patch: Patch | None) -> RunOutcome:
        self.runs.append(patch)
        return self.inner.run_failing(patch)

    def verify(self, patch: Patch) -> Verification:
        self.verified.append(patch)
        return self.inner.verify(patch)
