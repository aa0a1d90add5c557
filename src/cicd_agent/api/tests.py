"""The API's tests facet: the job's own test step and where it runs (:func:`step_place`, its
environment scrubbed), whether a failed test ran the change's lines, the tests' history kept
between runs and what it says of flaky tests, and the issues filed for them. Loaded only by a
mode that imports it."""

from __future__ import annotations

from cicd_agent.analysis.changed_lines import Record, Touched, likely_flaky, why_not
from cicd_agent.analysis.flaky_stats import (
    TOP,
    WINDOW,
    FlakyStat,
    StoredRun,
    mermaid_chart,
    stats,
    svg_chart,
)
from cicd_agent.analysis.history import canonical_test
from cicd_agent.job.flaky_issues import own
from cicd_agent.local.test_history import FileStore, history_key, may_record, workflow_key
from cicd_agent.runners import file_of_test
from cicd_agent.sandbox.step import read_change, step_place

__all__ = [
    "TOP",
    "WINDOW",
    "FileStore",
    "FlakyStat",
    "Record",
    "StoredRun",
    "Touched",
    "canonical_test",
    "file_of_test",
    "history_key",
    "likely_flaky",
    "may_record",
    "mermaid_chart",
    "own",
    "read_change",
    "stats",
    "step_place",
    "svg_chart",
    "why_not",
    "workflow_key",
]
