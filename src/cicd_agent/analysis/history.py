"""A test's one spelling, and the outcomes of earlier runs as data: the attempts and runs of a
job and a workflow's completed runs, as the run history reads them from the API. Judging them (a
flaky test, a recurring failure) is analyse-failure's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_SEPARATORS = re.compile(r"\.py::|::|/| › | > |#")


def canonical_test(name: str) -> str:
    """One spelling for a test whether a log or a JUnit report names it:
    ``tests/test_a.py::TestX::test_b[1]`` and ``tests.test_a.TestX.test_b[1]``, ``calc › adds``
    and ``calc adds`` meet."""
    head, bracket, params = name.strip().partition("[")
    head = _SEPARATORS.sub(".", head.removesuffix(".py")).replace(" ", ".")
    return head.strip(".") + bracket + params


@dataclass(frozen=True, kw_only=True)
class Observation:
    """How one test ended in one run attempt: the evidence behind a flaky verdict."""

    run_id: int
    attempt: int = 1
    head_sha: str = ""
    outcome: str
    """``passed`` or ``failed``."""
    url: str = ""
    where: str = ""
    """``this run`` (another attempt of it) or the default branch's name."""


@dataclass(frozen=True)
class RunTests:
    """The test outcomes of one attempt of one run of the job; ``all_passed`` when its job
    succeeded (every test it ran passed, listed or not)."""

    run_id: int
    attempt: int
    head_sha: str
    where: str
    url: str = ""
    outcomes: Mapping[str, bool] = field(default_factory=dict)
    all_passed: bool = False

    def passed(self, test: str) -> bool | None:
        """Whether ``test`` passed in this attempt; None when it is not known."""
        key = canonical_test(test)
        if key in self.outcomes:
            return self.outcomes[key]
        return True if self.all_passed else None

    def observe(self, test: str) -> Observation | None:
        passed = self.passed(test)
        if passed is None:
            return None
        return Observation(
            run_id=self.run_id,
            attempt=self.attempt,
            head_sha=self.head_sha,
            outcome="passed" if passed else "failed",
            url=self.url,
            where=self.where,
        )


@dataclass(frozen=True)
class PastRun:
    """A completed run of the workflow; ``fingerprint`` when its failure was analysed."""

    run_id: int
    conclusion: str
    head_sha: str = ""
    url: str = ""
    fingerprint: str | None = None
