"""go's record, for the test step, of which changed lines a failed test ran.

A run of many tests gives one coverage profile for them all, so each failed test of the step's
first run (the first :data:`MOST`) is run again alone, in the same place as the step's runs
(the sandbox for code GitHub does not vouch for), with the job's own command and flags, ``-run``
naming it, ``-coverprofile`` into a folder of its own and ``-coverpkg=./...`` (every package of
the module, not only the test's own). What that run covered is believed only where the lone run
failed again: a test that passes alone may run a changed line only on its failing path, so its
failing run's lines are not known, and it is never judged by them. The profile is the test
binary's own writing, read bounded and without following a link (:func:`.profile.read_profile`).

A changed line counts where it is code (not blank, not a ``//`` comment) of a file go's
coverage sees (a ``.go`` file of the module, not a ``_test.go`` one: its lines are never
counted). A changed line outside every block the profile counts (a package-level ``var``,
``const``, ``type`` or ``import``, which no test "runs" but every test builds on) leaves the
run with no label at all: its effect reaches tests that never cover it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.analysis.changed_lines import Record, Touched
from cicd_agent.analysis.history import canonical_test
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.go import step
from cicd_agent.runners.go.profile import read_profile

MOST = 3
"""Failed tests run alone after the step's first run: each is a build and a run of its own."""
PROFILE = "cover.out"
EVIDENCE = "go's coverage of a run of it alone, which failed again"


def sees(path: str) -> bool:
    """Whether go's coverage counts ``path``'s lines: a ``.go`` file, not a test file."""
    return path.endswith(".go") and not path.endswith("_test.go")


@dataclass(frozen=True)
class GoTracer:
    """The lone runs of the failed tests: ``words``, the job's command (``runs``:
    whether it is a ``go test`` one), ``change``, the lines to look for, ``root``, where the runs
    work."""

    words: tuple[str, ...]
    runs: bool
    change: Touched
    root: Path
    arguments: tuple[str, ...] = ()

    def environment(self, folder: Path) -> dict[str, str]:
        return {}

    def alone(self, failed: Sequence[str], folder: Path) -> dict[str, tuple[list[str], Path]]:
        found: dict[str, tuple[list[str], Path]] = {}
        for test in failed[:MOST]:
            own = _folder(folder, test)
            own.mkdir(parents=True, exist_ok=True)
            cover = (f"-coverprofile={own / PROFILE}", "-coverpkg=./...")
            words = step.command(self.runs, self.words, own, [test], cover)
            if words is not None:
                found[test] = (words, own)
        return found

    def record(self, folder: Path, alone: Mapping[str, str]) -> Record | None:
        if not alone:
            return None
        files = sorted(self.change.lines)
        code = {path: self._code(path) for path in files}
        ran: dict[str, bool] = {}
        unseen: dict[str, str] = {}
        outside = ""
        for test, output in alone.items():
            key, own = canonical_test(test), _folder(folder, test)
            passed = step.outcomes(own, output).get(test)
            if passed is not False:
                unseen[key] = (
                    "passed when run alone, so the lines its failing run ran are not known"
                    if passed
                    else "not reported when run alone"
                )
                continue
            executed, measured, problem = read_profile(own / PROFILE, self.root, files)
            if problem or executed is None or measured is None:
                unseen[key] = problem or "no coverage profile"
                continue
            beyond = next((path for path in files if code[path] - measured[path]), "")
            outside = outside or (
                f"a changed line of {beyond} lies outside the code go's coverage "
                "counts (a declaration at package level)"
                if beyond
                else ""
            )
            ran[key] = any(code[path] & executed[path] for path in files)
        return Record(ran, False, unseen=unseen, blind=outside, evidence=EVIDENCE)

    def _code(self, path: str) -> frozenset[int]:
        """The changed lines of ``path`` that are code; all of them when its text
        cannot be read."""
        lines = self.change.lines[path]
        try:
            text = read_text(self.root, path).split("\n")
        except CheckoutFileError:
            return lines
        return frozenset(n for n in lines if n <= len(text) and _is_code(text[n - 1]))


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("//")


def _folder(folder: Path, test: str) -> Path:
    return folder / "alone" / hashlib.sha256(test.encode("utf-8", "replace")).hexdigest()[:16]
