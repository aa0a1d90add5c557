"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`), the one a file belongs to, the test step's arguments for one, the JUnit
reports most of them write, and what a run's report witnessed (:func:`read_report`). Loaded
only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, for_file, step_arguments
from cicd_agent.runners.base import TestRunner
from cicd_agent.runners.junit import MAX_REPORT_BYTES, MAX_REPORTS, outcomes, outcomes_in_zip
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify.evidence import REPORT_NAME, read_report

__all__ = [
    "MAX_REPORTS",
    "MAX_REPORT_BYTES",
    "REPORT_NAME",
    "RUNNERS",
    "PytestSandbox",
    "TestRunner",
    "for_file",
    "outcomes",
    "outcomes_in_zip",
    "read_report",
    "step_arguments",
]
