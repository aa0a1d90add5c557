"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`), the one a file belongs to, the test step's arguments for one, the JUnit
reports most of them write, what a run's report witnessed (:func:`read_report`), and what
gen-tests still reads of some runners directly (cargo's crate checks, the JavaScript
runners' test layout and scripts) until those move behind the :class:`TestRunner`
protocol. Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, for_file, settings_problem, step_arguments
from cicd_agent.runners.base import (
    PASSED,
    TEST_FOLDERS,
    Reach,
    Selection,
    TestReport,
    TestRunner,
    nearest,
)
from cicd_agent.runners.cargo.crate import first_error, integration_test_problem, unasserted_test
from cicd_agent.runners.cargo.runner import NOT_SHUFFLED
from cicd_agent.runners.jest.runner import RANDOMIZE
from cicd_agent.runners.js import layout, script
from cicd_agent.runners.js.runner import JsRunner, installed
from cicd_agent.runners.junit import (
    MAX_REPORT_BYTES,
    MAX_REPORTS,
    outcomes,
    outcomes_in_zip,
    runner_ids,
)
from cicd_agent.runners.pytest.runner import Evidence, Pytest, PytestSandbox, repeated
from cicd_agent.verify.evidence import REPORT_NAME, read_report

__all__ = [
    "MAX_REPORTS",
    "MAX_REPORT_BYTES",
    "NOT_SHUFFLED",
    "PASSED",
    "RANDOMIZE",
    "REPORT_NAME",
    "RUNNERS",
    "TEST_FOLDERS",
    "Evidence",
    "JsRunner",
    "Pytest",
    "PytestSandbox",
    "Reach",
    "Selection",
    "TestReport",
    "TestRunner",
    "first_error",
    "for_file",
    "installed",
    "integration_test_problem",
    "layout",
    "nearest",
    "outcomes",
    "outcomes_in_zip",
    "read_report",
    "repeated",
    "runner_ids",
    "script",
    "settings_problem",
    "step_arguments",
    "unasserted_test",
]
