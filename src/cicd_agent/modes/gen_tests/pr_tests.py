"""The tests a pull request adds or changes, run again and again before they merge (issue 51).

A flaky test is found today after it has failed on the default branch; here the pull request's
own test files run in the sandbox, through the verifier (:class:`~cicd_agent.verify.reruns.
TestRuns`), as often as Datadog's early flake detection runs a new test: 10 times under 5 s, 5
under 30 s, 2 under 5 min, within one budget for them all. One that both passes and fails is
flaky, with its counts; what the budget or a timeout cut short is unchecked, never stable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.local import checkout_files
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.verify.contract import ReliableTests
from cicd_agent.verify.reruns import Counts, TestRuns

BUDGET = 300.0
"""Seconds for all the runs of the pull request's tests, whatever their number."""


@dataclass(frozen=True)
class PrTests:
    """What the runs found: each test's counts, the files left unchecked (with why)."""

    tests: Mapping[str, Counts] = field(default_factory=dict)
    unchecked: Mapping[str, str] = field(default_factory=dict)
    runs: int = 0
    seconds: float = 0.0
    budget: float = BUDGET

    def having(self, verdict: str) -> list[str]:
        return sorted(test for test, counts in self.tests.items() if counts.verdict == verdict)


def changed_test_files(checkout: GitCheckout, base: str, head: str) -> list[str]:
    """The pytest files (``test_*.py``, ``*_test.py``) the change adds or modifies and head
    holds as a regular file; a name with control characters is left out."""
    files = []
    for changed in checkout.diff(base, head).files:
        name = PurePosixPath(changed.path).name
        if changed.status == "deleted" or not name.endswith(".py"):
            continue
        if not (name.startswith("test_") or name.endswith("_test.py")):
            continue
        if has_control_characters(changed.path):
            continue
        if checkout_files.is_file(checkout.root, changed.path):
            files.append(changed.path)
    return files


def rerun(runs: TestRuns, files: list[str], budget: float = BUDGET) -> PrTests:
    """Run each file's tests by the verifier while ``budget`` lasts; a file the budget never
    reached, or whose first run gave no trustworthy report, is unchecked."""
    ends = time.monotonic() + budget
    tests: dict[str, Counts] = {}
    unchecked: dict[str, str] = {}
    made, seconds = 0, 0.0
    for path in files:
        left = ends - time.monotonic()
        if left <= 0:
            unchecked[path] = "the time budget was spent"
            continue
        found = runs.judge(ReliableTests((path,), budget=left), "pr-tests")
        tests.update(found.tests)
        made, seconds = made + found.runs, seconds + found.seconds
        if not found.tests:
            unchecked[path] = found.stopped or "no test ran"
    return PrTests(tests, unchecked, made, seconds, budget)
