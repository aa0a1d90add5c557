"""analyse judges the run's scanned logs once: flakiness evidence found after the judging is
weighed into that one analysis (``flakiness.weighed``), with the verdict judging the logs
again with the evidence gave."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure import verdict
from cicd_agent.modes.analyse_failure.flakiness import weighed
from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.types import Evidence, ExcerptFit, FailureFacts
from tests.modes.analyse_failure.test_analyse import TRACEBACK, _job


def _facts(**kwargs: Any) -> FailureFacts:
    scans = scan_jobs([_job("test", TRACEBACK)])
    return FailureFacts(
        None, scans, [], None, None, date(2026, 1, 1), code_is_proof=True, **kwargs
    )  # code someone who can push wrote: its log's re-run may excuse it


def test_the_logs_are_judged_once_when_another_attempt_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Evidence of flakiness (another attempt passed) used to judge this run's logs a second
    time; it is weighed into the first judging, with the same verdict."""
    facts = _facts(other_attempt_passed=True)
    judged: list[object] = []

    def counted(scans: Any, **kwargs: Any) -> Any:
        judged.append(scans)
        return analyse_scans(scans, **kwargs)

    monkeypatch.setattr(verdict, "analyse_scans", counted)
    result = verdict.analyse(facts, ExcerptFit(redact=str))
    assert [scans is facts.scans for scans in judged] == [True]
    assert result.analysis.failure_type is FailureType.FLAKY_TEST
    assert result.analysis.flaky_evidence == (
        "another attempt of this run passed on the same commit",
    )
    passed = Evidence(other_attempt_passed=True)
    again = weighed(
        analyse_scans(facts.scans, budget=ExcerptFit(redact=str).budget, redact=str), passed
    )
    assert result.analysis == again


def test_a_run_with_no_failed_job_is_not_called_flaky_by_evidence() -> None:
    """Judging again never made a run with no failed job flaky; weighing keeps that."""
    green = analyse_scans(scan_jobs([_job("test", b"all good\n", code=0, conclusion="success")]))
    assert weighed(green, Evidence(other_attempt_passed=True)) == green
    assert replace(green, flaky_by_evidence=True) != green  # the comparison above can tell them apart
