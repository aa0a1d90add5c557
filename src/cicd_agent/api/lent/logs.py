"""Lent to analyse-failure, and may change with it: what a reader of failed runs' logs stands on
in the core. The runners' log shapes (:data:`LOG_SHAPES`, each a :class:`RunnerShape`, and
:func:`placing`, where a file a report names lies), what a log analysis is made of
(:class:`LogAnalysis`, its failure groups and types, flaky tests), the run history and what it
says of flaky tests (:class:`RunTests`, :func:`flaky_from_history`), and :data:`DAMAGED`, the
errors of an archive that cannot be read. The reading itself is analyse-failure's
(``cicd_agent.modes.analyse_failure.logs``). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.analysis.archive import DAMAGED
from cicd_agent.analysis.history import (
    RunTests,
    changed_when_flipped,
    flaky_from_history,
    recurrence,
)
from cicd_agent.analysis.log_model import (
    FailedJob,
    FailureGroup,
    FailureType,
    FlakinessEvidence,
    FlakyTest,
    LogAnalysis,
    Recurrence,
    ResponsibleFile,
)
from cicd_agent.runners import LOG_SHAPES, placing
from cicd_agent.runners.shape import OUTSIDE, Frame, Place, RunnerShape

__all__ = [
    "DAMAGED",
    "LOG_SHAPES",
    "OUTSIDE",
    "FailedJob",
    "FailureGroup",
    "FailureType",
    "FlakinessEvidence",
    "FlakyTest",
    "Frame",
    "LogAnalysis",
    "Place",
    "Recurrence",
    "ResponsibleFile",
    "RunTests",
    "RunnerShape",
    "changed_when_flipped",
    "flaky_from_history",
    "placing",
    "recurrence",
]
