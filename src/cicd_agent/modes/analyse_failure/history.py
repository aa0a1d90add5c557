"""What earlier runs show of a failed test (it passed on the same code) and of a recurring
failure; whether that makes the run flaky is :mod:`.flakiness`'s word.

The evidence flaky-test tools (Trunk, BuildPulse) decide by: a test both failed and passed on
the same code. Two histories show that: this run's other attempts (a re-run builds the
same commit), and the recent runs of the same job on the default branch, where a test that flips
between pass and fail while its file did not change is flaky. Whether a file changed between two
commits is asked through ``unchanged`` (the caller's git or API read), so this module stays pure;
an unknown answer never counts as evidence.

A recurring failure is a signature seen in earlier runs; when those runs were followed by a green
one, that run's commit is where the failure stopped last time (a candidate fix to look at).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from cicd_agent.analysis.history import Observation, PastRun, RunTests
from cicd_agent.modes.analyse_failure.log_facts import PastFailure, Recurrence

Unchanged = Callable[[str, str, str | None], bool | None]
"""``(older_sha, newer_sha, test_file)``: the test's file is the same at both (None: unknown)."""
MAX_FLAKY_TESTS = 20
MAX_OUTCOMES = 6
MAX_EARLIER = 5


def test_file(test: str) -> str | None:
    """The file a test id names (``tests/test_a.py::test_b`` → ``tests/test_a.py``), if any."""
    return test.split("::", 1)[0] if "::" in test else None


def _same_code(older: RunTests, newer: RunTests, path: str | None, unchanged: Unchanged) -> bool:
    if older.head_sha and older.head_sha == newer.head_sha:
        return True
    if not older.head_sha or not newer.head_sha:
        return False
    return unchanged(older.head_sha, newer.head_sha, path) is True


def _short(sha: str) -> str:
    return sha[:10] if sha else "?"


@dataclass(frozen=True)
class Shown:
    """A failed test that passed in another run on the same code: what shows it, the runs'
    outcomes, and its recent default-branch failures where it flipped there (what a quarantine
    proposal waits for)."""

    name: str
    evidence: tuple[str, ...]
    outcomes: tuple[Observation, ...]
    default_branch_failures: int


def shown_by_history(
    failed_here: Sequence[str],
    here: RunTests,
    attempts: Sequence[RunTests],
    default_branch: Sequence[RunTests],
    unchanged: Unchanged,
) -> list[Shown]:
    """The tests that failed here and passed in another run on the same code, with the runs
    that show it.

    ``attempts`` are this run's other attempts; ``default_branch`` the job's recent runs on
    the default branch, newest first (as the API lists them).
    """
    flaky: list[Shown] = []
    for test in failed_here[: MAX_FLAKY_TESTS * 5]:
        evidence: list[str] = []
        shown: list[Observation] = []
        for other in attempts:
            observed = other.observe(test)
            if other.head_sha == here.head_sha and observed and observed.outcome == "passed":
                evidence.append(
                    f"passed in attempt {other.attempt} of run {other.run_id} on the same commit "
                    f"{_short(here.head_sha)}, failed in attempt {here.attempt}"
                )
                shown.append(observed)
        path = test_file(test)
        seen = [(run, run.passed(test)) for run in reversed(default_branch)]
        known = [(run, passed) for run, passed in seen if passed is not None]
        flips = [
            (older, newer)
            for (older, was), (newer, now) in pairwise(known)
            if was != now and _same_code(older, newer, path, unchanged)
        ]
        if flips:
            older, newer = flips[-1]
            where = newer.where or "the default branch"
            evidence.append(
                f"flipped between pass and fail {len(flips)} time(s) on {where} without a change "
                f"to its code (last: run {older.run_id} at {_short(older.head_sha)} "
                f"{'passed' if older.passed(test) else 'failed'}, run {newer.run_id} at "
                f"{_short(newer.head_sha)} {'passed' if newer.passed(test) else 'failed'})"
            )
            for run in (older, newer):
                observed = run.observe(test)
                if observed is not None and observed not in shown:
                    shown.append(observed)
        if evidence:
            mine = here.observe(test)
            outcomes = ([mine] if mine is not None else []) + shown
            failures = sum(not passed for _, passed in known) if flips else 0
            flaky.append(Shown(test, tuple(evidence), tuple(outcomes[:MAX_OUTCOMES]), failures))
        if len(flaky) >= MAX_FLAKY_TESTS:
            break
    return flaky


def changed_when_flipped(
    failed_here: Sequence[str], default_branch: Sequence[RunTests], unchanged: Unchanged
) -> bool:
    """Every failed test flipped on the default branch only together with a change to its file.

    Then the failure coming and going there was the test being changed (fixed, then broken
    again), not flakiness, whatever the run-level history suggests.
    """
    if not failed_here:
        return False
    for test in failed_here:
        path = test_file(test)
        known = [
            (run, passed)
            for run in reversed(default_branch)
            if (passed := run.passed(test)) is not None
        ]
        flips = [(a, b) for (a, was), (b, now) in pairwise(known) if was != now]
        if not flips or any(
            a.head_sha == b.head_sha or unchanged(a.head_sha, b.head_sha, path) is not False
            for a, b in flips
        ):
            return False
    return True


def recurrence(fingerprint: str, runs: Sequence[PastRun]) -> Recurrence | None:
    """Earlier runs (newest first) that failed with ``fingerprint``, and where it stopped.

    None when the failure was not seen before. ``stopped_at`` is the first green run newer
    than the newest earlier occurrence: the failure went away with that commit.
    """
    indexes = [i for i, run in enumerate(runs) if run.fingerprint == fingerprint]
    if not indexes:
        return None
    newest = indexes[0]
    stopped = next(
        (runs[i] for i in range(newest - 1, -1, -1) if runs[i].conclusion == "success"), None
    )
    return Recurrence(
        earlier=tuple(
            PastFailure(run_id=runs[i].run_id, url=runs[i].url, head_sha=runs[i].head_sha)
            for i in indexes[:MAX_EARLIER]
        ),
        stopped_at_sha=stopped.head_sha if stopped else "",
        stopped_at_run=stopped.run_id if stopped else None,
        stopped_at_url=stopped.url if stopped else "",
    )
