"""analyse-failure's ``analyse`` step (:func:`analyse`): the deterministic verdict, which no
model answer lowers. The scanned logs (collect read each once) are judged once, with the excerpt
budget of the model that will read the excerpt, if any (:func:`judge_logs`); then the flakiness
evidence of the runs around this one is gathered: another attempt passed, the same failure
came and went on the default branch, or the failing tests' own history says so, and weighed in
by :mod:`.flakiness`, which alone decides what of it counts. Pure, over the
facts alone: no log is read again, and nothing here runs a process or goes to the network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from cicd_agent.analysis.flaky_stats import MIN_FLIPS, FlakyStat
from cicd_agent.analysis.history import RunTests, canonical_test
from cicd_agent.modes.analyse_failure.flakiness import gathered, recoveries, weighed
from cicd_agent.modes.analyse_failure.history import flaky_from_history, recurrence
from cicd_agent.modes.analyse_failure.log_facts import FlakyTest, LogAnalysis, Recurrence
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans
from cicd_agent.modes.analyse_failure.logs.classify import hung_after_report
from cicd_agent.modes.analyse_failure.types import (
    ExcerptFit,
    FailureFacts,
    FailureVerdict,
)

EXCERPT_TOKENS = 2_000
"""Tokens of log excerpt sent at most (about 8 KB of log): the error region with context fits
with room to spare, and more log mostly adds cost, not answers."""
FIXED_PROMPT_TOKENS = 3_000
"""Room kept in a small model's window for everything but the excerpt (system prompt, facts,
changed files, commits, schema)."""
_DIGITS = re.compile(r"\d+")
RECENT_BUDGET = 1_000
"""Excerpt characters for judging a recent default-branch failure: only its fingerprint is
compared, and the fingerprint does not depend on the excerpt."""


def excerpt_budget(prompt_budget: int) -> int:
    """Tokens the excerpt may take in a prompt whose whole budget is ``prompt_budget``."""
    return max(min(EXCERPT_TOKENS, prompt_budget - FIXED_PROMPT_TOKENS), 200)


def judge_logs(facts: FailureFacts, fit: ExcerptFit) -> LogAnalysis:
    """The scanned logs judged, the excerpt fitted as ``fit`` says; no flakiness evidence yet
    (:func:`analyse` weighs it in after)."""
    return analyse_scans(
        facts.scans,
        changed_files=facts.change.files if facts.change else (),
        changed_lines=facts.change.lines if facts.change else {},
        baseline=facts.baseline,
        budget=fit.budget,
        measure=fit.measure,
        redact=fit.redact,
        checkout=facts.checkout,
    )


def analyse(facts: FailureFacts, fit: ExcerptFit) -> FailureVerdict:
    """The verdict, with the flakiness evidence of the runs around this one weighed in."""
    notes: list[str] = []
    analysis = judge_logs(facts, fit)
    changed = facts.change.files if facts.change else ()
    recents = [
        (recent, analyse_scans(recent.scans, changed_files=changed, budget=RECENT_BUDGET))
        for recent in facts.recent_failures
    ]
    same = [recent for recent, judged in recents if judged.fingerprint == analysis.fingerprint]
    intermittent, flipped = recoveries(same, analysis.failed_tests, facts.history)
    if flipped:
        notes.append(flipped)
    broken = [recent for recent in same if not recent.recovered]
    if broken and facts.target and facts.target.branch != facts.target.default_branch:
        notes.append(
            f"The default branch fails the same way and has not passed since "
            f"({broken[0].html_url or broken[0].run_id}): this change is probably not the cause."
        )
    if hung := hung_after_report(analysis.failure_type, analysis.signatures_hit):
        notes.append(hung)
    flaky_tests, recurring = tests_history(facts, analysis)
    flaky_tests = failing_on_base_too(
        flaky_tests, [(recent.run_id, recent.html_url, judged) for recent, judged in recents]
    )
    evidence, flaky_tests, untrusted = gathered(
        facts, analysis, flaky_tests, intermittent=intermittent, broken=len(broken)
    )
    if untrusted:
        notes.append(untrusted)
    analysis = weighed(analysis, evidence)
    return FailureVerdict(
        facts,
        analysis,
        evidence,
        flaky_tests,
        recurring,
        tuple(notes),
    )


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
    flaky (never one that passed only on retries, failing every first run: :func:`apart_only`):
    its runs span commits, and whether the test's code changed between them is not known there."""
    found = []
    for name in failed[:20]:
        stat = _stored(stored, name)
        if stat is None or name in named or stat.apart_only:
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


def apart_only(stored: Sequence[FlakyStat], failed: Sequence[str]) -> dict[str, int]:
    """Each failed test the history shows failing the first run of each of its runs and
    passing only on retries, with how many runs (never flaky:
    :attr:`~cicd_agent.analysis.flaky_stats.FlakyStat.apart_only`)."""
    return {
        name: stat.runs
        for name in failed[:20]
        if (stat := _stored(stored, name)) is not None and stat.apart_only
    }


def _stored(stored: Sequence[FlakyStat], name: str) -> FlakyStat | None:
    """The stored record of the failed test ``name``: by its canonical name, or, for a name the
    log gives without its package (go's plain ``--- FAIL: TestX``; the step records
    ``example.com/m.TestX``), the one stored test it ends, where only one does."""
    key = canonical_test(name)
    if (stat := next((s for s in stored if s.test == key), None)) is not None or "." in key:
        return stat
    tails = [s for s in stored if s.test.rsplit(".", 1)[-1] == key]
    return tails[0] if len(tails) == 1 else None


def tests_history(
    facts: FailureFacts, analysis: LogAnalysis
) -> tuple[list[FlakyTest], Recurrence | None]:
    """Flaky tests from the runs around this one (or likely ones from this log) and repeats."""
    history, target = facts.history, facts.target
    found: list[FlakyTest] = []
    recurring = None
    if history is not None and target is not None and target.run_id is not None:
        here = RunTests(
            target.run_id,
            target.attempt,
            target.head_sha,
            "this run",
            target.html_url,
            {canonical_test(name): False for name in analysis.failed_tests},
        )
        found = flaky_from_history(
            analysis.failed_tests,
            here,
            history.attempts,
            history.default_branch,
            history.unchanged,
        )
        recurring = recurrence(analysis.fingerprint, history.past)
    found += _from_store(facts.stored, analysis.failed_tests, {t.name for t in found})
    own = dict(analysis.test_evidence)  # each test's own: never another failed test's
    named = {t.name for t in found}
    found += [
        FlakyTest(name=name, verdict="likely", evidence=own[name])
        for name in analysis.failed_tests[:20]
        if name not in named and own.get(name)
    ]
    return found, recurring
