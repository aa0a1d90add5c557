"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`, the test step's retry among what it answers), the one a file belongs to,
the JUnit reports of a run's artifacts, and what
gen-tests still reads of some runners directly (cargo's crate checks, the JavaScript
runners' test layout and scripts) until those move behind the :class:`TestRunner`
protocol. Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, for_file, settings_problem
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
from cicd_agent.runners.junit import outcomes_in_zip, runner_ids
from cicd_agent.runners.pytest.runner import Evidence, Pytest, PytestSandbox, repeated

__all__ = [
    "NOT_SHUFFLED",
    "PASSED",
    "RANDOMIZE",
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
    "outcomes_in_zip",
    "repeated",
    "runner_ids",
    "script",
    "settings_problem",
    "unasserted_test",
]
