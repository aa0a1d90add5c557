"""The API's log facet: a failed run's job logs read (:func:`load_logs`, :func:`scan_jobs`,
:func:`analyse_scans`) into a :class:`LogAnalysis` (failure groups, their type, flaky tests),
set against earlier runs (:class:`BaselineIndex`, the run history and what it says of flaky
tests), the file names a log mentions matched to the change's, and the advice a failure type
meets when no model gives one (:func:`advice_for`). Loaded only by a mode that
imports it."""

from __future__ import annotations

from cicd_agent.analysis.history import (
    RunTests,
    changed_when_flipped,
    flaky_from_history,
    recurrence,
)
from cicd_agent.analysis.log_model import (
    FailureGroup,
    FailureType,
    FlakinessEvidence,
    FlakyTest,
    LogAnalysis,
    Recurrence,
)
from cicd_agent.logs.analyse import FAILED_CONCLUSIONS, analyse_scans, scan_jobs
from cicd_agent.logs.baseline import BaselineIndex
from cicd_agent.logs.classify import advice_for, flaky_type
from cicd_agent.logs.files import normalise_path, rank_changed, same_file
from cicd_agent.logs.reader import JobScan
from cicd_agent.logs.runner_format import STEP_RUN_PREFIX, TIMESTAMP, clean_line
from cicd_agent.logs.sources import JobLog, load_logs

__all__ = [
    "FAILED_CONCLUSIONS",
    "STEP_RUN_PREFIX",
    "TIMESTAMP",
    "BaselineIndex",
    "FailureGroup",
    "FailureType",
    "FlakinessEvidence",
    "FlakyTest",
    "JobLog",
    "JobScan",
    "LogAnalysis",
    "Recurrence",
    "RunTests",
    "advice_for",
    "analyse_scans",
    "changed_when_flipped",
    "clean_line",
    "flaky_from_history",
    "flaky_type",
    "load_logs",
    "normalise_path",
    "rank_changed",
    "recurrence",
    "same_file",
    "scan_jobs",
]
