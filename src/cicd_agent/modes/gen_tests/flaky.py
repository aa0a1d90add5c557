"""Existing tests that fail without any generated test: flaky, never a candidate's fault.

The baseline runs the suite twice and leaves out of its passed set every test whose outcome
differed (:func:`suite.run_suite`). A test that fails one run in three passes both of them one
time in nine, and then fails in a candidate's suite stage: before a candidate is blamed for an
existing test, that test is run again, in a fresh copy without the candidate. One that fails
there is flaky too; the run's summary names every one found.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from cicd_agent.modes.gen_tests.evidence import parse_evidence
from cicd_agent.modes.gen_tests.sandbox import Sandbox
from cicd_agent.sandbox import remove_tree

RERUNS = 2


class FlakyTests:
    """The flaky tests of one run: those the baseline found, and those found since."""

    def __init__(
        self,
        sandbox: Sandbox,
        pytest: Sequence[str],
        *,
        timeout: float,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self._sandbox = sandbox
        self._pytest = tuple(pytest)
        self._timeout = timeout
        self._lock = threading.Lock()
        self.known = known
        """What the baseline's two runs found."""
        self.found: set[str] = set(known)

    def without_candidate(self, tests: Sequence[str]) -> frozenset[str]:
        """Those of ``tests`` (pytest node ids) that do not pass when run again, ``RERUNS``
        times, in a fresh copy of the project without the candidate."""
        # A node id is the pull request's file and test name: one that reads as an option is
        # never put on a command line (its failure stays held against the candidate).
        ids = [test for test in tests if not test.startswith("-")]
        if not ids:
            return frozenset()
        failing: set[str] = set()
        space = self._sandbox.workspace("flaky-check")
        try:
            for _ in range(RERUNS):
                result = self._sandbox.run(
                    [*self._pytest, *ids], space, timeout=self._timeout, evidence=True
                )
                evidence = parse_evidence(
                    result.evidence, None if result.timed_out else result.returncode
                )
                if evidence.problem or evidence.outcomes is None:
                    break  # no trustworthy word on any of them: nothing is excused
                ran = evidence.outcomes.tests
                failing |= {test for test in ids if test in ran and ran[test] != "passed"}
        finally:
            remove_tree(space.root)
        with self._lock:
            self.found |= failing
        return frozenset(failing)
