"""Find why a CI run failed from its logs: streaming, deterministic, bounded in memory.

``load_logs`` reads a run-logs zip, a folder or a text file into ``JobLog`` streams;
``analyse_logs`` turns them into a ``LogAnalysis`` (failed jobs and steps, failure type,
root-cause line, responsible files, a budgeted and redacted excerpt for the model); it is
``scan_jobs`` (the one streaming pass) then ``analyse_scans`` (the judgement, repeatable).
"""

from cicd_agent.analysis.logs.model import (
    FailedJob,
    FailureGroup,
    FailureType,
    FlakinessEvidence,
    LogAnalysis,
    ResponsibleFile,
)
from cicd_agent.modes.analyse_failure.logs.analyse import (
    analyse_logs,
    analyse_scans,
    fingerprint,
    scan_jobs,
)
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex, subtract_baseline
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, LogPart, load_logs

__all__ = [
    "BaselineIndex",
    "FailedJob",
    "FailureGroup",
    "FailureType",
    "FlakinessEvidence",
    "JobLog",
    "LogAnalysis",
    "LogPart",
    "ResponsibleFile",
    "analyse_logs",
    "analyse_scans",
    "fingerprint",
    "load_logs",
    "scan_jobs",
    "subtract_baseline",
]
