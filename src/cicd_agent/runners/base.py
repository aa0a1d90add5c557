"""The test-runner seam: how a judge runs a repository's own tests in any language.

Every claim that tests passed is read from a :class:`TestReport` a runner made from one sandboxed
run of a :class:`Selection`; nothing else reads a runner's output. What the code under test
writes cannot be its own verdict: each runner reads its report from the sandbox's evidence pipe,
never from a file the run could write, and believes it only where a second channel agrees (each
runner's module says which, and what it cannot see). A report that disagrees is no result
(:attr:`TestReport.problem`), never a pass. Coverage is measured with the language's own tool or
is "could not run" with its reason, never skipped silently."""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from cicd_agent.local.job_tools import Refused
from cicd_agent.runners.patched_lines import PatchedLines

COUNT = r"(\d{1,12})"
"""A count or line number as every runner's reader matches it (one group): a longer run of
digits a test printed is no number there, never one Python's ``int`` refuses (it throws past
4,300 digits)."""

TEST_FOLDERS = ("__tests__", "test", "tests")
"""The folders beside the code where a project keeps its tests (gen-tests' gate allows these
and the code's own folder), and for jest and vitest at the root, mirroring the code's folders."""

Reach = Literal["tests", "own", "none"]
"""How a runner's tests reach a changed file: through test files of
their own (``tests``), also through tests in the file itself (``own``: Rust's ``#[cfg(test)]``
module beside the code), or not at all (``none``: a Rust binary, example, bench or build script,
which no test of the crate imports)."""

Layout = Mapping[str, tuple[str, ...]]
"""Which existing tests of a runner test each source file, nearest first, and under :data:`ROOT`
its tests in root-level test folders."""
ROOT = ""
"""The key of a :data:`Layout`'s tests in root-level test folders (no file is named "")."""

PASSED = "passed"
"""The one outcome that is a pass; every other (``failed``, ``skipped``, ``error``, ``xfailed``,
``unseen``) is not."""


@dataclass(frozen=True)
class Selection:
    """What one run runs. ``tests``: files or ids, relative to the repository (empty: the whole
    suite); ``seed``: None for the runner's own order; ``cover``: the files whose executed lines
    to measure; ``changed``: a patch's changed lines (pytest's in-run check stops a run in which
    one runs before the tests; None: no patch); ``zone``: the run's ``TZ``; ``repeat``: runs of
    each test in one process (its outcome then its worst); ``noise``: CPU- and memory-burning
    processes beside a repeated run."""

    tests: tuple[str, ...] = ()
    seed: int | None = None
    cover: tuple[str, ...] = ()
    changed: PatchedLines | None = None
    zone: str = ""
    repeat: int = 1
    noise: int = 0
    python: str = ""
    """The interpreter Python's tests run with, a path in the copy (the checkout's
    ``.venv/bin/python``); "": the sandbox's ``python`` on ``PATH``."""
    patched: tuple[str, ...] = ()
    """The files a patch changed in the copy: a runner whose tests may import the checkout's
    installed code imports these from the copy first (pytest, with ``python`` set: each Python
    file's package, which an install in editable mode would otherwise import from the
    checkout)."""

    @property
    def environment(self) -> dict[str, str]:
        """What the run's environment holds for this selection, every runner's the same way:
        only the variables named here, so a selection never sets one a runner relies on."""
        return {"TZ": self.zone} if self.zone else {}


@dataclass(frozen=True)
class TestReport:
    """One run's word: each test's outcome, or why none is believed (``problem``: a forged or
    unreadable report, a killed run). ``coverage``: the executed lines of each ``cover`` file
    (None: not measured, ``coverage_problem`` says why); ``measured``: the lines the tool counts,
    run or not."""

    __test__ = False  # a name pytest would otherwise collect

    runner: str
    outcomes: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""
    seed: int | None = None
    coverage: Mapping[str, frozenset[int]] | None = None
    coverage_problem: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""
    measured: Mapping[str, frozenset[int]] | None = None
    checks: Mapping[str, str] = field(default_factory=dict)
    """Each failed test whose own check failed, with where and what (``tests/x.rs:5:
    assertion failed: h == 1``): an assertion or explicit failure raised in the test's own
    file, as its runner's module reads that from its report. A failed test not named here
    stopped on an error raised elsewhere (a panic or exception inside the code under test):
    it crashed, which says nothing of what it checks."""
    repeats: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Each test's passed and failed runs where the run repeated it, every run held to the
    runner's in-run check; empty: once."""
    noise: int = 0
    command: str = ""
    """The run as a person types it again in the checkout (shell words; our own flags left
    out); "" where the runner cannot say it."""
    crashed: tuple[str, ...] = ()
    """Tests seen crashing in a run whose report is no result (go's panic ends its test binary
    before the seam's in-run check): read from what the run printed, so never a pass nor a check,
    only a reason to drop a candidate (a forged one can only refuse)."""
    unimportable: str = ""
    """The runner's word on a test module it could not import (``ModuleNotFoundError: No module
    named 'x'``, only a module's name quoted), when its output holds one; "" otherwise."""

    def passed(self) -> frozenset[str]:
        """The tests that passed, as seen by the in-run check; nothing when the report is no
        result."""
        if self.problem:
            return frozenset()
        return frozenset(test for test, outcome in self.outcomes.items() if outcome == PASSED)


def could_not_run(tool: str, why: str = "") -> str:
    return f"could not run: install {tool} before this step{f' ({why})' if why else ''}"


def unusable(found: str | Refused | None, tool: str, why: str = "") -> str:
    """Why ``found`` (:func:`job_tool`'s answer) cannot run as ``tool``; "" when it can."""
    if isinstance(found, Refused):
        return f"could not run: {found.reason}"
    return could_not_run(tool, why) if found is None else ""


def on_pipe(argv: Sequence[str], evidence_variable: str, *, stream: int = 1) -> list[str]:
    """``argv`` with its standard output (``stream`` 2: its standard error) on the evidence pipe,
    everything else to the log. Our interpreter moves the pipe onto that descriptor and drops the
    variable naming it before it executes the tool, so no process the tool starts finds the pipe
    but through its output. (dash takes no descriptor above 9 after ``>&``, and /dev/fd/N is not
    reopened by a run as nobody.)"""
    move = (
        f"import os, sys; fd = int(os.environ.pop(sys.argv[1])); os.dup2(fd, {stream}); "
        "os.close(fd); os.execv(sys.argv[2], sys.argv[2:])"
    )
    return [sys.executable, "-I", "-c", move, evidence_variable, *argv]


def file_word(test: str) -> str:
    """A test file as a command-line word that no runner reads as an option (``./name``)."""
    return test if test.startswith(("/", "./")) else f"./{test}"


def nearest(found: Sequence[str], path: str) -> tuple[str, ...]:
    """``found`` (test files), those sharing most folders with ``path`` first."""
    return tuple(sorted(found, key=lambda f: (-_shared(f, path), f)))


def _shared(one: str, other: str) -> int:
    return len(
        PurePosixPath(
            posixpath.commonpath([posixpath.dirname(one), posixpath.dirname(other)])
        ).parts
    )
