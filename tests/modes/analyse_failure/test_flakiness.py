"""Flakiness is decided in one module: it needs evidence about other runs, never one log alone;
the default branch's failures count only when this change is elsewhere; a commit whose code is
not proof excuses nothing; and only a test failure or timeout becomes a flaky test."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

import pytest

from cicd_agent.analysis.history import RunTests, canonical_test
from cicd_agent.github.run_history import History
from cicd_agent.modes.analyse_failure.flakiness import (
    flakiness,
    flaky_type,
    gathered,
    recoveries,
    weighed,
)
from cicd_agent.modes.analyse_failure.log_facts import FailureType, FlakyTest
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.types import Evidence, FailureFacts, RecentFailure
from tests.modes.analyse_failure.test_analyse import TRACEBACK, _job

T = FailureType


def _facts(**kwargs: Any) -> FailureFacts:
    return FailureFacts(None, [], [], None, None, date(2026, 1, 1), **kwargs)


def test_flakiness_needs_evidence_from_other_runs() -> None:
    assert flakiness(Evidence()) == (False, ())
    flaky, reasons = flakiness(Evidence(other_attempt_passed=True, touches_changed_files=True))
    assert flaky and "another attempt" in reasons[0]
    listed = Evidence(flaky_tests=("test_a failed 4 of its last 20 runs",))
    assert flakiness(listed) == (True, listed.flaky_tests)
    assert listed.flaky_by_test_history == 1


def test_failing_on_the_default_branch_counts_only_when_this_change_is_elsewhere() -> None:
    elsewhere = analyse_scans(scan_jobs([_job("test", TRACEBACK)]))
    here = analyse_scans(scan_jobs([_job("test", TRACEBACK)]), changed_files=["src/app/maths.py"])
    proof = _facts(code_is_proof=True)
    evidence, _, _ = gathered(proof, elsewhere, [], intermittent=3, broken=0)
    flaky, (reason,) = flakiness(evidence)
    assert flaky and "in 3 recent run(s)" in reason
    assert weighed(elsewhere, evidence).failure_type is T.FLAKY_TEST
    touched, _, _ = gathered(proof, here, [], intermittent=3, broken=0)
    assert touched.touches_changed_files and flakiness(touched) == (False, ())
    assert not weighed(here, touched).flaky_by_evidence  # the change touches the failing code


def test_a_recovery_on_the_default_branch_counts_unless_each_flip_changed_the_test() -> None:
    """The same failure came and went on the default branch: flakiness, unless every time the
    failing test flipped there its file changed too (the test fixed, then broken again)."""
    same = [RecentFailure(n, "", (), recovered=n < 3) for n in (1, 2, 3)]
    test = "tests/test_api.py::test_fetch"
    assert recoveries(same, [test], None) == (2, "")
    shas = ["9" * 40, "a" * 40, "b" * 40]
    main = [
        RunTests(n, 1, sha, "main", outcomes={canonical_test(test): n != 2})
        for n, sha in zip((3, 2, 1), reversed(shas), strict=True)
    ]
    flipped = {pair: frozenset({"tests/test_api.py"}) for pair in pairwise(shas)}
    assert recoveries(same, [test], History(default_branch=main)) == (2, "")  # no compare: counted
    counted, note = recoveries(same, [test], History(default_branch=main, changed=flipped))
    assert counted == 0 and "not counted as flakiness" in note


def test_code_that_is_not_proof_is_excused_by_nothing_its_log_says() -> None:
    analysis = analyse_scans(scan_jobs([_job("test", TRACEBACK)]))
    (name,) = analysis.failed_tests
    proven = [FlakyTest(name=name, verdict="true", evidence=("passed in attempt 2",))]
    trusted, tests, note = gathered(
        _facts(code_is_proof=True, other_attempt_passed=True),
        analysis,
        proven,
        intermittent=2,
        broken=0,
    )
    assert trusted.any and trusted.flaky_by_test_history == 1 and not note
    assert [t.verdict for t in tests] == ["true"]
    fork, tests, note = gathered(
        _facts(code_is_proof=False, other_attempt_passed=True),
        analysis,
        proven,
        intermittent=2,
        broken=1,
    )
    assert not fork.any and fork.broken_on_default_branch == 1
    assert [t.verdict for t in tests] == ["matches"] and "not excused as flaky" in note
    assert not weighed(analysis, fork).flaky_by_evidence


@pytest.mark.parametrize(
    ("failure_type", "is_flaky", "expected"),
    [
        (T.TEST_FAILURE, True, T.FLAKY_TEST),
        (T.TIMEOUT, True, T.FLAKY_TEST),
        (T.TEST_FAILURE, False, T.TEST_FAILURE),
        (T.BUILD_ERROR, True, T.BUILD_ERROR),
    ],
)
def test_only_a_test_failure_or_timeout_becomes_flaky(
    failure_type: FailureType, is_flaky: bool, expected: FailureType
) -> None:
    assert flaky_type(failure_type, is_flaky) is expected


def test_attack_facts_that_do_not_say_whose_code_failed_excuse_nothing() -> None:
    """A builder of the facts that forgets whose code failed (only collect judges it) must not
    have a fork's log trusted by default."""
    analysis = analyse_scans(scan_jobs([_job("test", TRACEBACK)]))
    unsaid = FailureFacts(None, [], [], None, None, date(2026, 1, 1), other_attempt_passed=True)
    evidence, _, note = gathered(unsaid, analysis, [], intermittent=2, broken=0)
    assert not evidence.any and "not excused as flaky" in note
