"""Quarantined tests: a known flaky test that fails alone does not count as a failure, until
its entry expires.

The entries come from ``analyse-failure.quarantine`` in the settings file at the trusted commit
(:mod:`cicd_agent.job.repo_config`), never from the pull request's head: a change must not be
able to excuse its own failure. An entry names one test exactly as its runner prints it and is
compared as written, by the rule test-step shares (:mod:`cicd_agent.analysis.quarantine_match`):
not in the spelling a log and a JUnit report share (``canonical_test``), where pytest's
``tests/test_a.py::test_b`` and jest's ``tests › test_a › test_b`` meet; a go test by its
``package.TestX``, which its log prints on the package's closing line; nothing in it is a
pattern, so an entry cannot cover more than its test. An entry that covers none of the failed
tests of a run that counts as failed is said, with the run's name of a test it nearly names.
A run counts as quarantined only when every failure in it is a test failure and every failed
test has a live entry; one test without one and the run is a failure that names it. From its
expiry day on, an entry counts for nothing and says so. The failed tests are what the log says,
and the log is written by the code that ran: on code from someone who cannot push (a conftest
can give a real failure the quarantined test's id) no entry excuses the run. Pure: the day and
the trust are the facts'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from cicd_agent.actions.markdown import code_block, code_span
from cicd_agent.analysis.governing import CONFIG_PATH
from cicd_agent.analysis.history import canonical_test
from cicd_agent.analysis.quarantine_match import covering, names_none
from cicd_agent.job.repo_config import PLACEHOLDER_OWNER, QuarantineEntry, valid_test_id
from cicd_agent.modes.analyse_failure.log_facts import FailureType, FlakyTest, LogAnalysis

QUARANTINED_FLAKY = "quarantined_flaky"
"""The ``failure_type`` of a run whose only failures are tests under a live quarantine."""
EXPIRY_WARNING_DAYS = 7
PROPOSE_AFTER = 3
"""Default-branch failures (flipping without a change to the test's code) before an entry is
proposed: once is bad luck, three times in the last 20 runs is a test to quarantine."""
PROPOSED_DAYS = 30
Status = Literal["active", "expiring", "expired"]
_TEST_KINDS = frozenset({FailureType.TEST_FAILURE, FailureType.FLAKY_TEST})
_UNNAMED = re.compile(r"(?:FAILED|ERROR) (?!\S+::)")
"""pytest's verdict on no test: a module that failed to collect (``ERROR tests/test_x.py``)."""


@dataclass(frozen=True, kw_only=True)
class QuarantinedTest:
    """A failed test the settings file quarantines, and where its quarantine stands."""

    test: str
    owner: str
    expires: str
    status: Status
    """``expiring``: fewer than 7 days left; ``expired``: it counts as a failure again."""


@dataclass(frozen=True, kw_only=True)
class QuarantineReport:
    """What the quarantine list says of this run's failed tests."""

    applies: bool = False
    """Every failure is a test under a live entry: the run is ``quarantined_flaky``."""
    code_is_proof: bool = True
    """False: the run's code (and so its log) is from someone who cannot push; nothing applies."""
    matched: list[QuarantinedTest] = field(default_factory=list)
    unquarantined: list[str] = field(default_factory=list)
    """Failed tests with no live entry, named when some other failed test has one."""
    idle: str = ""
    """The line naming the entries that cover none of the failed tests ("" when all cover one)."""
    proposed: list[str] = field(default_factory=list)
    proposed_why: list[str] = field(default_factory=list)
    """For each of ``proposed``, what its history shows, in its own counts ("" when none)."""
    proposed_until: str = ""

    def markdown(self) -> str:
        """The summary's and comment's quarantine section (empty when there is nothing)."""
        lines = [_entry_line(item) for item in self.matched]
        if self.matched and self.unquarantined:
            real = ", ".join(code_span(name, 200) for name in self.unquarantined[:10])
            lines.append(f"- Not quarantined: {real}: the run counts as failed.")
        if not self.code_is_proof and self.matched:
            lines.append(
                "- The run's code is from someone who cannot push: the log that names "
                "the failed tests is its own, so no quarantine excuses it."
            )
        if self.idle:
            lines.append(f"- {self.idle}")
        if self.applies:
            lines.insert(
                0,
                "Every failure of this run is a quarantined test: not counted as a "
                "failure (`failure_type` quarantined_flaky).",
            )
        text = ("**Quarantine:**\n" + "\n".join(lines)) if lines else ""
        if self.proposed:
            text += ("\n\n" if text else "") + self._proposal()
        return text

    def _proposal(self) -> str:
        """The entries to paste, each test's history said in its own counts: a test that failed
        every run and passed only on a retry is not called one that flips."""
        entries = "".join(
            f'    - test: {json.dumps(name)}\n      owner: "{PLACEHOLDER_OWNER}"\n'
            f'      expires: "{self.proposed_until}"\n'
            for name in self.proposed
        )
        why = "".join(
            f"\n- {code_span(name, 200)}: {reason}"
            for name, reason in zip(self.proposed, self.proposed_why, strict=False)
            if reason
        )
        return (
            f"**Quarantine proposal:** {len(self.proposed)} test(s) failed at least "
            f"{PROPOSE_AFTER} times in the recent runs on the default branch.{why}\n\n"
            f"To quarantine them, add this to {CONFIG_PATH} on the default branch, with the "
            "owner who fixes them:\n\n"
            + code_block(f"analyse-failure:\n  quarantine:\n{entries}", "yaml")
        )


def judge(
    analysis: LogAnalysis,
    entries: Sequence[QuarantineEntry],
    today: date,
    flaky: Sequence[FlakyTest] = (),
    *,
    code_is_proof: bool = True,
) -> QuarantineReport | None:
    """What ``entries`` say of the failed tests on ``today``; None when they say nothing. Each
    test is matched by its id as the test step names it (go's ``package.TestX``, which the log
    gives only on its package's line), by the rule test-step shares
    (:func:`~cicd_agent.analysis.quarantine_match.covering`)."""
    by_name = _ids(analysis)
    ids = list(dict.fromkeys(one for name in analysis.failed_tests for one in by_name[name]))
    matched: list[QuarantinedTest] = []
    live: set[str] = set()
    covered: set[str] = set()
    parents = {one: within for _, one, within in analysis.test_ids}
    for name in ids:  # a go test runs within its parents, whose entry covers it (as in test-step)
        entry, _, _ = covering(canonical_test(name), name, entries, parents=parents.get(name, ()))
        if entry is None:
            continue
        covered.add(name)
        left = (entry.expires - today).days
        status: Status = (
            "expired" if left <= 0 else "expiring" if left < EXPIRY_WARNING_DAYS else "active"
        )
        matched.append(
            QuarantinedTest(
                test=name, owner=entry.owner, expires=entry.expires.isoformat(), status=status
            )
        )
        if status != "expired":
            live.add(name)
    unquarantined = [name for name in ids if name not in live]
    runs_within = {p for each in parents.values() for p in each}
    idle = (
        names_none(entries, ids, what="this run's failed tests", within=runs_within)
        if unquarantined
        else ""
    )
    why = {
        one: test.evidence[0] if test.evidence else ""
        for test in flaky
        if test.default_branch_failures >= PROPOSE_AFTER
        for one in by_name.get(test.name, (test.name,))
        if one not in covered and valid_test_id(one)
    }
    proposed = list(why)[:5]
    if not matched and not proposed and not idle:
        return None
    return QuarantineReport(
        applies=code_is_proof and bool(live) and not unquarantined and _only_tests(analysis),
        code_is_proof=code_is_proof,
        matched=matched,
        unquarantined=unquarantined if matched else [],
        idle=idle,
        proposed=proposed,
        proposed_why=[why[name] for name in proposed],
        proposed_until=(today + timedelta(days=PROPOSED_DAYS)).isoformat() if proposed else "",
    )


def _ids(analysis: LogAnalysis) -> dict[str, tuple[str, ...]]:
    """Each failed test → its ids as the test step names it, where the log gave them
    (:attr:`~cicd_agent.modes.analyse_failure.log_facts.LogAnalysis.test_ids`), else its name
    alone."""
    ids: dict[str, tuple[str, ...]] = {}
    for name, one, _ in analysis.test_ids:
        ids[name] = (*ids.get(name, ()), one)
    return {name: ids.get(name) or (name,) for name in analysis.failed_tests}


def _only_tests(analysis: LogAnalysis) -> bool:
    """Every failure is a test's: no build, lint or type error rides along with the quarantined
    tests. Infrastructure noise inside a test (its network error) is the flakiness itself.
    Several failed jobs must fail the same way: the tests named are the first job's. A pytest
    verdict that names no test (a module that no longer imports) is a failure no entry covers."""
    jobs = analysis.failed_jobs
    return (
        all(job.failure_type in _TEST_KINDS for job in jobs)
        and len({job.root_cause for job in jobs}) <= 1
        and all(g.kind in _TEST_KINDS for g in analysis.failures if not g.infrastructure)
        and not any(_UNNAMED.match(g.line) for g in analysis.failures)
    )


def _entry_line(item: QuarantinedTest) -> str:
    who = f"{code_span(item.test, 200)} (owner {code_span('@' + item.owner, 140)})"
    if item.status == "expired":
        return f"- {who}: its quarantine expired on {item.expires}; it counts as a failure again."
    if item.status == "expiring":
        return (
            f"- {who}: quarantined until {item.expires}, fewer than {EXPIRY_WARNING_DAYS} "
            "days from now: fix it or renew the entry."
        )
    return f"- {who}: quarantined until {item.expires}."
