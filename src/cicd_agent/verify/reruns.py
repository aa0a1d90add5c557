"""The verifier's pytest runs: the sandbox they run in, what a run reports about itself, when
that report cannot be believed, and the judge of the claim "these tests pass every time"
(:class:`.contract.ReliableTests`).

Every pytest run the verifier starts (gen-tests' suite and candidates, review's checked
suggestions) is a :class:`PytestSandbox`'s: the shared sandbox with our pytest plugin and a
private copy of coverage on ``PYTHONPATH`` (:mod:`cicd_agent.modes.gen_tests.boot`, read as
package data by name: the engine imports no mode), read-only inside the sandbox. The plugin
writes exactly one JSON line to a pipe the host opened (the run finds its write end in
``CICD_GENTESTS_EVIDENCE_FD``) at the end of the session, then closes it: each test's outcome
and time, collection errors, unresolved imports, pytest's exit status and, when coverage was
measured, the main process's coverage data. Nothing is read back from files the run could
write. A run whose pipe carries a second document (written by a test, before or after ours),
or whose process exits with another status than the one pytest reported, was tampered with:
its report is not believed. The report is still produced inside the tests' process, so a test
written to patch our plugin's memory could lie in it; the checks here stop the cheap forgeries
(rewriting a report file, an ``atexit`` hook, a dropped coverage file, ``os._exit``).

:meth:`PytestSandbox.pytest` is the one place such a run is started and its report read: the
gate's stages, the suite's runs under coverage, the flaky check of existing tests, the pull
request's own tests and review's suggestions all go through it. :meth:`TestRuns.judge` runs
the named tests again and again in one fresh sandbox copy and counts, per test, the runs it
passed and the runs it did not: a test that both passed and failed is flaky; one that never
passed is failing; one whose runs the budget or the timeout cut short is unchecked, never
stable. No node id goes on a command line (our plugin reads them from a file), and a report
naming more than :data:`MAX_TESTS` stops the rounds.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cicd_agent.sandbox import RunResult, Sandbox, Workspace, remove_tree
from cicd_agent.verify.conditions import PLAIN, Schedule
from cicd_agent.verify.contract import ReliableTests

_BOOT_FILES = ("sitecustomize.py", "cicd_gentests_plugin.py")


@dataclass(frozen=True)
class Outcomes:
    """What our pytest plugin saw in one run."""

    tests: Mapping[str, str]
    collect_errors: tuple[str, ...]
    unresolved: tuple[str, ...]
    exitstatus: int | None = None
    coverage: bytes | None = None
    """coverage.py's serialised data of the pytest process (``CoverageData.dumps()``)."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Each test's setup, call and teardown time, as pytest measured it."""

    def passed(self) -> frozenset[str]:
        return frozenset(test for test, outcome in self.tests.items() if outcome == "passed")


@dataclass(frozen=True)
class Evidence:
    """The parsed pipe of one run: its outcomes, or why there are none to believe."""

    outcomes: Outcomes | None
    problem: str = ""
    """Why the report cannot be believed ("" when it can, or when there is none)."""


def _document(line: bytes) -> Outcomes:
    document: dict[str, Any] = json.loads(line)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    blob = document.get("coverage")
    status = document.get("exitstatus")
    return Outcomes(
        tests={str(k): str(v) for k, v in dict(document.get("tests", {})).items()},
        collect_errors=tuple(str(e) for e in document.get("collect_errors", [])),
        unresolved=tuple(str(u) for u in document.get("unresolved", [])),
        exitstatus=status if isinstance(status, int) else None,
        coverage=base64.b64decode(blob, validate=True) if isinstance(blob, str) else None,
        seconds={str(k): float(v) for k, v in dict(document.get("seconds", {})).items()},
    )


def parse_evidence(raw: bytes, returncode: int | None) -> Evidence:
    """Read a run's pipe; ``returncode`` is the run's exit status (None: killed, not compared)."""
    lines = [line for line in raw.split(b"\n") if line.strip()]
    if not lines:
        return Evidence(None)
    if len(lines) > 1:
        return Evidence(None, f"{len(lines)} outcome reports instead of one (a test wrote its own)")
    try:
        outcomes = _document(lines[0])
    except (ValueError, TypeError, RecursionError, binascii.Error) as exc:
        return Evidence(None, f"an unreadable outcome report ({type(exc).__name__})")
    if returncode is not None and outcomes.exitstatus != returncode:
        return Evidence(
            outcomes,
            f"the process exited with status {returncode} although pytest ended with "
            f"{outcomes.exitstatus}",
        )
    return Evidence(outcomes)


class PytestSandbox(Sandbox):
    """The shared sandbox with our pytest plugin and coverage on every run's ``PYTHONPATH``."""

    temp_prefix = "cicd-agent-gentests-"
    evidence_variable = "CICD_GENTESTS_EVIDENCE_FD"
    """Names the write end of the evidence pipe in a run's environment (the plugin reads it)."""

    @property
    def boot(self) -> Path:
        return self.root / "boot"

    def prepare(self) -> None:
        self.boot.mkdir()
        package = resources.files("cicd_agent.modes.gen_tests.boot")
        for name in _BOOT_FILES:
            (self.boot / name).write_text(package.joinpath(name).read_text("utf-8"), "utf-8")
        # Imported here: only a sandbox that runs needs coverage, not gen-tests' other steps nor
        # the tests that import this module.
        import coverage

        # A copy, not a link: our own install may sit in a folder the sandbox hides.
        shutil.copytree(
            Path(coverage.__file__).parent,
            self.boot / "covlib" / "coverage",
            ignore=shutil.ignore_patterns("__pycache__"),
        )

    def python_path(self) -> list[str]:
        return [str(self.boot)]

    def pytest(
        self,
        argv: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        shared: Sequence[Path] = (),
    ) -> tuple[RunResult, Evidence]:
        """Run ``argv`` (a pytest command with our plugin loaded, or the user's suite) in
        ``space`` and read its report (a killed run's exit status is not compared with
        pytest's)."""
        result = self.run(argv, space, timeout=timeout, evidence=True, extra_env=extra_env,
                          shared=shared)  # fmt: skip
        return result, parse_evidence(
            result.evidence, None if result.timed_out else result.returncode
        )


def no_word(result: RunResult, evidence: Evidence) -> str:
    """Why a run's report says nothing to believe ("" when it does): the sandbox's word when
    the run ended before its time (killed, timed out, never started), else the report's."""
    ended = result.timed_out or result.killed_for or result.sandbox_failure
    if not ended and evidence.outcomes is not None and not evidence.problem:
        return ""
    return evidence.problem if evidence.problem and not ended else f"pytest {result.describe()}"


MAX_TESTS = 10_000
"""Most tests a claim follows: a report naming more (ids a test forged) stops the rounds."""

RUNS_BY_SECONDS = ((5.0, 10), (30.0, 5), (300.0, 2))
"""How often a test is run by how long its first run took (Datadog's early flake detection);
one slower than the last bound is not run again."""


def planned_runs(seconds: float, most: int = 10) -> int:
    """How many runs in all a test whose first run took ``seconds`` gets (0: too slow), the
    count of a fast one raised to ``most`` (a schedule's length: each of its conditions once)."""
    runs = next((runs for bound, runs in RUNS_BY_SECONDS if seconds < bound), 0)
    return max(runs, most) if runs == RUNS_BY_SECONDS[0][1] else runs


@dataclass(frozen=True)
class Counts:
    """One test's record: runs it passed, runs it ran and did not pass, runs it was due."""

    passed: int = 0
    failed: int = 0
    planned: int = 0

    @property
    def runs(self) -> int:
        return self.passed + self.failed

    @property
    def verdict(self) -> str:
        """``flaky`` (both), ``failing`` (never passed), ``stable`` (passed every run it was
        due), else ``unchecked``: fewer runs than planned is no evidence of stability."""
        if self.passed and self.failed:
            return "flaky"
        if not self.planned or self.runs < self.planned:
            return "unchecked"
        return "failing" if self.failed else "stable"


@dataclass(frozen=True)
class Reruns:
    """The evidence for a claim: each test's counts, the pytest runs made and their seconds,
    and why the rounds stopped before their count ("" when they did not)."""

    tests: Mapping[str, Counts]
    runs: int = 0
    seconds: float = 0.0
    stopped: str = ""
    failed_under: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each test's failing runs, by the condition each ran under (:mod:`.conditions`)."""
    replays: Mapping[str, str] = field(default_factory=dict)
    """For each test that failed, a command that replays its first failing run."""
    seed: int = 0
    """The schedule's seed, every round's order, hash seed and zone drawn from it."""


def quiet(line: str) -> None:
    """Progress nobody reads (a caller with no progress seam)."""


class TestRuns:
    """Runs pytest (``pytest``: the command and its options, our plugin loaded) in ``sandbox``."""

    __test__ = False  # a name pytest would otherwise collect

    def __init__(self, sandbox: PytestSandbox, pytest: Sequence[str], *, timeout: float) -> None:
        self.sandbox = sandbox
        self.pytest = tuple(pytest)
        self.timeout = timeout

    def once(
        self, space: Workspace, args: Sequence[str], *, timeout: float | None = None
    ) -> tuple[RunResult, Evidence]:
        """One run of ``pytest`` with ``args`` in ``space`` (:meth:`PytestSandbox.pytest`)."""
        return self.sandbox.pytest([*self.pytest, *args], space, timeout=timeout or self.timeout)

    def judge(
        self,
        claim: ReliableTests,
        label: str = "reruns",
        *,
        said: Callable[[str], None] = quiet,
        schedule: Schedule = PLAIN,
    ) -> Reruns:
        """Run ``claim.tests`` together in a fresh copy of the project, then each test they
        hold again, round after round, as often as :func:`planned_runs` gives it for the time
        pytest measured it taking (or ``claim.runs``), while the budget lasts, each round under
        the ``schedule``'s next condition. ``said`` gets one line as each round starts (the
        caller's progress): rounds may take minutes."""
        # A node id is the pull request's file and test name: one that reads as an option is
        # never put on a command line.
        due = claimed = [test for test in claim.tests if test and not test.startswith("-")]
        if not due:
            return Reruns({}, stopped="no test to run")
        ends = time.monotonic() + claim.budget if claim.budget else math.inf
        passed: dict[str, int] = {}
        failed: dict[str, int] = {}
        planned: dict[str, int] = {}
        under: dict[str, list[str]] = {}
        replays: dict[str, str] = {}
        runs, seconds, stopped = 0, 0.0, ""
        space = self.sandbox.workspace(label)
        try:
            while due:
                left = ends - time.monotonic()
                if left <= 0:
                    stopped = "the time budget was spent"
                    break
                condition = schedule.at(runs)
                varied = f", {condition.label}" if len(schedule.conditions) > 1 else ""
                said(f"{label}: round {runs + 1}, {len(due)} test(s){varied}")
                result, evidence = self.sandbox.pytest(
                    [*self.pytest, *condition.arguments(space, due)], space,
                    timeout=min(self.timeout, left), extra_env=condition.environment,
                )  # fmt: skip
                runs, seconds = runs + 1, seconds + result.seconds
                outcomes = evidence.outcomes
                why = no_word(result, evidence)
                if why or outcomes is None:
                    stopped = f"run {runs}: {why}"
                    break  # no trustworthy word on any of them: the rest stays unchecked
                # A forged report's other ids never run next; past MAX_TESTS none is followed.
                mine = {t: o for t, o in outcomes.tests.items() if _under(t, claimed)}
                if len(planned.keys() | mine.keys()) > MAX_TESTS:
                    stopped = (f"run {runs}: its report names {len(mine):,} tests of the change, "
                               f"more than the {MAX_TESTS:,} followed")  # fmt: skip
                    break
                for test, outcome in mine.items():
                    if outcome != "skipped":  # a skip is neither: the test did not run
                        tally = passed if outcome == "passed" else failed
                        tally[test] = tally.get(test, 0) + 1
                    if outcome not in ("passed", "skipped"):
                        under.setdefault(test, []).append(condition.said)
                        replays.setdefault(test, condition.replay(test))
                    if test not in planned:
                        seconds_taken = outcomes.seconds.get(test, 0)
                        most = len(schedule.conditions)
                        planned[test] = claim.runs or planned_runs(seconds_taken, most)
                due = [test for test, count in planned.items() if count > runs]
        finally:
            remove_tree(space.root)
        tests = {
            test: Counts(passed.get(test, 0), failed.get(test, 0), planned.get(test, 0))
            for test in sorted(passed.keys() | failed.keys())
        }
        for name in claimed:  # one no run reported on (a timeout, a spent budget): unchecked
            if not any(_under(test, (name,)) for test in tests):
                tests[name] = Counts()
        failures = {test: tuple(labels) for test, labels in under.items()}
        return Reruns(tests, runs, seconds, stopped, failures, replays, schedule.seed)


def _under(test: str, names: Sequence[str]) -> bool:
    """Whether ``test`` is one of ``names`` or a test of one (``file::name``)."""
    return any(test == name or test.startswith(f"{name}::") for name in names)
