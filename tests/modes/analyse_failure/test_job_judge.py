"""One job judged on its own: a job GitHub says passed is never read as failed, whatever its
log prints; the same log with no conclusion is judged on what it says."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import default_matcher, scan_jobs
from cicd_agent.modes.analyse_failure.logs.judge import PASSED_CONCLUSIONS, Judged, judge
from cicd_agent.modes.analyse_failure.logs.on_change import ChangePlaces
from tests.modes.analyse_failure.job_logs import job_log

LOG = b"""tests/test_api.py::test_ratio FAILED                                     [100%]

=================================== FAILURES ===================================
__________________________________ test_ratio __________________________________
E       ZeroDivisionError: division by zero
=========================== short test summary info ============================
FAILED tests/test_api.py::test_ratio - ZeroDivisionError: division by zero
============================== 1 failed in 0.02s ===============================
##[error]Process completed with exit code 1.
"""


def _judged(conclusion: str | None) -> Judged | None:
    (scan,) = scan_jobs([job_log("test", LOG, conclusion=conclusion)])
    return judge(
        scan,
        0,
        assume_failed=True,
        baseline=None,
        changed_files=(),
        places=ChangePlaces((), None, None),
        matcher=default_matcher(),
    )


def test_a_job_github_says_passed_is_not_judged_whatever_its_log_prints() -> None:
    assert {_judged(conclusion) for conclusion in PASSED_CONCLUSIONS} == {None}


def test_a_job_with_no_conclusion_is_judged_by_its_log() -> None:
    judged = _judged(None)

    assert judged is not None
    assert judged.failure_type is FailureType.TEST_FAILURE
    assert judged.conclusion == "failure"
    assert judged.exit_code == 1
