"""Lent to analyse-failure and test-step, and may change with them: the test step's own parts,
beyond the promised history (:mod:`cicd_agent.api.tests`). The job's test step and where it
runs, the changed lines each test ran, flaky charts and issues (test-step); a workflow's key
in the history (analyse-failure)."""

from __future__ import annotations

from cicd_agent.analysis.changed_lines import Record, Touched, likely_flaky, why_not
from cicd_agent.analysis.flaky_stats import TOP, WINDOW, mermaid_chart, svg_chart
from cicd_agent.job.flaky_issues import own
from cicd_agent.local.test_history import may_record, workflow_key
from cicd_agent.runners import file_of_test
from cicd_agent.runners.step_outcomes import StepOutcomes
from cicd_agent.sandbox.step import read_change, step_place

__all__ = [
    "TOP",
    "WINDOW",
    "Record",
    "StepOutcomes",
    "Touched",
    "file_of_test",
    "likely_flaky",
    "may_record",
    "mermaid_chart",
    "own",
    "read_change",
    "step_place",
    "svg_chart",
    "why_not",
    "workflow_key",
]
