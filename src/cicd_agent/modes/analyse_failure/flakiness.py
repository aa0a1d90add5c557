"""Whether a failed run is flaky, decided here alone. The other modules hand in facts: the log's
own shapes (``logs.flaky``), each failed test's history (``history``, the test history store),
the runs around this one (another attempt, the default branch, a matrix sibling) and the model's
opinion. Calling a real failure flaky is the costly mistake, so "flaky" needs evidence about
other runs, one log or one sibling makes it "likely" at most, the model may only agree with
evidence, and code that is not proof (a fork's) excuses nothing, whatever its log says of its
tests and their re-runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from cicd_agent.analysis.flaky_stats import MIN_FLIPS, FlakyStat
from cicd_agent.analysis.history import RunTests, canonical_test
from cicd_agent.modes.analyse_failure.history import changed_when_flipped, shown_by_history
from cicd_agent.modes.analyse_failure.log_facts import FailureType, FlakyTest, LogAnalysis
from cicd_agent.modes.analyse_failure.types import (
    Evidence,
    FailureFacts,
    FailureVerdict,
    RecentFailure,
)

if TYPE_CHECKING:
    from cicd_agent.github.run_history import History

_FLAKY_CANDIDATES = (FailureType.TEST_FAILURE, FailureType.TIMEOUT)
MATCHES = "matches a known flaky test's failure"
"""What a history's flaky verdict says of code that cannot be trusted with the word."""
_DIGITS = re.compile(r"\d+")


def recoveries(
    same: Sequence[RecentFailure], failed_tests: Sequence[str], history: History | None
) -> tuple[int, str]:
    """How many of the default branch's recent failures like this one (``same``) came and went,
    and a note ("" for none) when none counts: every failed test flipped there only together
    with a change to its file, which is the test being changed, not flakiness."""
    intermittent = sum(1 for recent in same if recent.recovered)
    if (
        intermittent
        and history is not None
        and changed_when_flipped(failed_tests, history.default_branch, history.unchanged)
    ):
        return 0, (
            "The same failure came and went on the default branch, but each time together "
            "with a change to the failing test's file: that is not counted as flakiness."
        )
    return intermittent, ""


def gathered(
    facts: FailureFacts,
    analysis: LogAnalysis,
    flaky_tests: list[FlakyTest],
    *,
    intermittent: int,
    broken: int,
) -> tuple[Evidence, list[FlakyTest], str]:
    """The evidence of the runs around this one, the failed tests' flaky verdicts, and a note
    ("" for none). Where the failed commit's code is not proof, its log names the failed tests
    and their re-runs, so nothing of it counts: a history's ``true`` becomes ``matches``."""
    other_attempt = facts.other_attempt_passed
    proven = [t for t in flaky_tests if t.verdict == "true"]
    note = ""
    if not facts.code_is_proof and (intermittent or proven or other_attempt):
        note = not_excused(facts)
        flaky_tests = [matches(t) if t.verdict == "true" else t for t in flaky_tests]
        intermittent, other_attempt, proven = 0, False, []
    every_test_flaky = bool(proven) and len(proven) >= len(analysis.failed_tests)
    evidence = Evidence(
        other_attempt_passed=other_attempt,
        intermittent_on_default_branch=intermittent,
        broken_on_default_branch=broken,
        touches_changed_files=any(f.changed for f in analysis.responsible_files),
        flaky_tests=tuple(f"{t.name} {t.evidence[0]}" for t in proven) if every_test_flaky else (),
    )
    return evidence, flaky_tests, note


def not_excused(facts: FailureFacts) -> str:
    """Why a failure that matches flakiness seen elsewhere is not excused: the log that names
    the failed tests (and, re-run, passes them) is the untrusted code's own."""
    sha = facts.target.head_sha[:12] if facts.target else ""
    code = f"commit {sha}" if sha else "the failed commit"
    return (
        f"The failure {MATCHES} (or came and went before), but {code} is not code GitHub "
        "says someone who can push wrote (a fork's, or no answer): its own log names the "
        "failed tests and their re-runs, so it is not excused as flaky."
    )


def matches(test: FlakyTest) -> FlakyTest:
    return replace(test, verdict="matches", evidence=(MATCHES, *test.evidence))


def flakiness(evidence: Evidence) -> tuple[bool, tuple[str, ...]]:
    """Whether the failure is flaky, and the evidence for saying so.

    A failure is flaky when the same commit passed on another attempt, when the same failure
    also happens on the default branch and the failing code was not touched here, or when every
    failed test is flaky by its history.
    """
    reasons: list[str] = []
    if evidence.other_attempt_passed:
        reasons.append("another attempt of this run passed on the same commit")
    if evidence.intermittent_on_default_branch and not evidence.touches_changed_files:
        reasons.append(
            f"the same failure happened in {evidence.intermittent_on_default_branch} recent "
            "run(s) on the default branch, and this change does not touch the failing files"
        )
    reasons += evidence.flaky_tests
    return bool(reasons), tuple(reasons)


def weighed(analysis: LogAnalysis, evidence: Evidence) -> LogAnalysis:
    """``analysis`` (judged with no evidence) with the flakiness ``evidence`` of the runs around
    it weighed in. Only whether it is flaky, why, and so its type depend on the evidence, so
    evidence found after the logs were judged needs no second judging; a run in which no job
    failed is left as it is."""
    if not analysis.failed_jobs:
        return analysis
    is_flaky, reasons = flakiness(evidence)
    return replace(
        analysis,
        flaky_by_evidence=is_flaky,
        flaky_evidence=reasons,
        failure_type=flaky_type(analysis.failure_type, is_flaky),
    )


def flaky_type(failure_type: FailureType, is_flaky: bool) -> FailureType:
    """``flaky_test`` for a flaky test failure or test timeout; other types stay what they are."""
    return (
        FailureType.FLAKY_TEST if is_flaky and failure_type in _FLAKY_CANDIDATES else failure_type
    )


def reported(
    verdict: FailureVerdict, failed: Sequence[str], *, is_flaky: bool, evidence: Sequence[str]
) -> tuple[Literal["true", "likely", "false"], list[str]]:
    """The ``is_flaky`` word and its evidence: ``true`` when the evidence (or the model with
    it) says flaky, ``likely`` when only this log's shapes, a failed test's history or a matrix
    sibling (of the ``failed`` jobs) say so, else ``false``."""
    analysis = verdict.analysis
    by_history = [
        f"{t.name} {t.evidence[0]}"
        for t in verdict.flaky_tests
        if t.verdict == "likely" and t.evidence
    ][:3]
    by_history += sibling_passed(verdict, failed)
    likely = list(analysis.likely_flaky_evidence) or by_history
    if is_flaky:
        return "true", list(evidence) or likely
    return ("likely" if likely else "false"), list(evidence) or likely


def sibling_passed(verdict: FailureVerdict, failed: Sequence[str]) -> list[str]:
    """A failed test job whose matrix sibling passed on the same commit: one line of evidence
    that the failure may be flaky, naming the sibling. Likely, not proven: a matrix entry differs
    from its sibling in its environment (a version, an operating system). Read only where the
    log is proof (a fork's tests could fail in one entry on purpose)."""
    facts, analysis = verdict.facts, verdict.analysis
    if analysis.failure_type not in (FailureType.TEST_FAILURE, FailureType.TIMEOUT):
        return []
    if not facts.code_is_proof:
        return []
    failing = set(failed)
    passed = facts.passed_jobs or tuple(
        scan.name for scan in facts.scans if scan.name not in failing
    )
    for name in failed:
        family = matrix_family(name)
        sibling = next((job for job in passed if family and matrix_family(job) == family), "")
        if sibling:
            return [
                f"the same job in another matrix entry, {sibling[:80]}, passed on the same "
                "commit (its environment differs: likely, not proven)"
            ]
    return []


def matrix_family(job: str) -> str:
    """The job's name without its matrix values (``test (3.12, ubuntu)`` → ``test``); "" for a
    job that is no matrix entry."""
    name, bracket, rest = job.partition(" (")
    return name if bracket and rest.endswith(")") else ""


def with_model(
    analysis: LogAnalysis, evidence: Evidence, model_says: bool, model_evidence: Sequence[str]
) -> tuple[bool, list[str], str]:
    """The model's word on flakiness weighed in: whether the failure is flaky, the model's
    evidence to add (already cut and redacted by the caller), and the disagreement to show (""
    for none). The model may call a failure flaky only where there is evidence of flakiness
    (another attempt passed, the same failure came and went on the default branch, every failed
    test is flaky by its history); a failure the evidence shows flaky stays flaky whatever the
    model says."""
    if model_says and not analysis.flaky_by_evidence:
        if evidence.any:
            added = list(model_evidence) or [
                "the model judged the failure intermittent given the evidence"
            ]
            return True, added, ""
        return (
            False,
            [],
            (
                "The model thinks the failure is flaky, but nothing shows it passing on a "
                "retry or coming and going on the default branch, so it is reported as a "
                "real failure."
            ),
        )
    if not model_says and analysis.flaky_by_evidence:
        return (
            True,
            [],
            (
                "The model thinks the failure is not flaky; it stays flaky because "
                + "; ".join(analysis.flaky_evidence)
                + "."
            ),
        )
    return analysis.flaky_by_evidence, [], ""


def failing_on_base_too(
    tests: list[FlakyTest], base_runs: Sequence[tuple[int, str, LogAnalysis]]
) -> list[FlakyTest]:
    """``tests`` with the evidence that a likely flaky one (a timing bound missed, a re-run) also
    failed on the default branch, without this change: a failure the change cannot have caused.
    ``base_runs``: the default branch's recent failed runs (id, link, their analysis)."""

    def key(name: str) -> str:  # a measured time in a name (AVA's title and message) folded
        return _DIGITS.sub("#", canonical_test(name))

    out = []
    for test in tests:
        seen = next(
            (
                f"run {run_id}" + (f" ({url})" if url else "")
                for run_id, url, judged in base_runs
                if key(test.name) in {key(name) for name in judged.failed_tests}
            ),
            None,
        )
        if test.verdict == "likely" and seen is not None:
            more = f"it failed on the default branch too, without this change: {seen}"
            out.append(replace(test, evidence=(more, *test.evidence)))
        else:
            out.append(test)
    return out


def _from_store(
    stored: Sequence[FlakyStat], failed: Sequence[str], named: set[str]
) -> list[FlakyTest]:
    """The failed tests the test history store shows flipping or passing on retries, as likely
    flaky (never one failing every first run, or classified order-dependent: :func:`apart_only`):
    its runs span commits, and whether the test's code changed between them is not known there."""
    found = []
    for name in failed[:20]:
        stat = _stat_of(stored, name)
        if stat is None or name in named or stat.every_run or stat.depends_on:
            continue
        retried = (
            f"passed on a retry in {stat.retried} of the last {stat.runs} default-branch "
            "runs (test history: the test step saw it fail on the first run and pass when "
            "run again, on the same commit)"
        )
        flipped = (
            f"flipped between pass and fail {stat.flips} time(s) in its last {stat.runs} "
            f"runs on the default branch (test history; flip rate {stat.flip_rate:.0%}, "
            f"{stat.lost_seconds:.0f} s of CI lost to its failures)"
        )
        evidence = (
            *([retried] if stat.retried else []),
            *([flipped] if stat.flips >= MIN_FLIPS else []),
        )
        found.append(
            FlakyTest(
                name=name,
                verdict="likely",
                evidence=evidence,
                default_branch_failures=stat.failures,
            )
        )
    return found


def apart_only(stored: Sequence[FlakyStat], failed: Sequence[str]) -> dict[str, str]:
    """Each failed test the history shows is not flaky, with what shows it: the test step
    classified it order-dependent, or it failed the first run of each of its runs and passed
    only on retries (:attr:`~cicd_agent.analysis.flaky_stats.FlakyStat.every_run`)."""
    found = {}
    for name in failed[:20]:
        if (stat := _stat_of(stored, name)) is None:
            continue
        read = f"the last {stat.runs} default-branch runs of the test history"
        if stat.depends_on:
            found[name] = (
                f"order-dependent: the test step (--fix-flaky) found it failing after "
                f"{stat.depends_on} and passing alone in run {stat.classified_in}; it failed "
                f"{stat.failures} of {read}"
            )
        elif stat.every_run:
            found[name] = (
                f"it fails every time: it failed the first run of each of {read} and passed "
                "only when the test step retried it apart from the suite"
                + (
                    ", so it depends on the tests run before it, not on chance"
                    if stat.apart_only
                    else ""
                )
                + " (test-step --fix-flaky suggest names the test it depends on)"
            )
    return found


_GO_TOP_LEVEL = re.compile(r"(?:Test|Benchmark|Fuzz|Example)(?![a-z])\w*")
"""A go top-level test's name: go runs only ``TestXxx`` whose ``Xxx`` starts with no lowercase."""


def _stat_of(stored: Sequence[FlakyStat], name: str) -> FlakyStat | None:
    """The stored record of the failed test ``name``: by its canonical name, or, for a name the
    log gives without its package (go's plain ``--- FAIL: TestX``; the step records
    ``example.com/m.TestX``), the one stored test it ends, where only one does. Only a name
    shaped as go's is read so: node's log names a test by its title alone, and the history by
    its file too, so a new test of another file would borrow a same-titled test's runs."""
    key = canonical_test(name)
    found = next((s for s in stored if s.test == key), None)
    if found is not None or "." in key or not _GO_TOP_LEVEL.fullmatch(key):
        return found
    tails = [s for s in stored if s.test.rsplit(".", 1)[-1] == key]
    return tails[0] if len(tails) == 1 else None


def tests_history(facts: FailureFacts, analysis: LogAnalysis) -> list[FlakyTest]:
    """Flaky tests from the runs around this one, or likely ones from the test history store
    and from this log."""
    history, target = facts.history, facts.target
    found: list[FlakyTest] = []
    if history is not None and target is not None and target.run_id is not None:
        here = RunTests(
            target.run_id,
            target.attempt,
            target.head_sha,
            "this run",
            target.html_url,
            {canonical_test(name): False for name in analysis.failed_tests},
        )
        shown = shown_by_history(
            analysis.failed_tests,
            here,
            history.attempts,
            history.default_branch,
            history.unchanged,
        )
        # passed on the same code: flaky, the strongest word (whose code it is is weighed after)
        found = [
            FlakyTest(
                name=s.name,
                verdict="true",
                evidence=s.evidence,
                outcomes=s.outcomes,
                default_branch_failures=s.default_branch_failures,
            )
            for s in shown
        ]
    found += _from_store(facts.stored, analysis.failed_tests, {t.name for t in found})
    own = dict(analysis.test_evidence)  # each test's own: never another failed test's
    named = {t.name for t in found}
    found += [
        FlakyTest(name=name, verdict="likely", evidence=own[name])
        for name in analysis.failed_tests[:20]
        if name not in named and own.get(name)
    ]
    return found
