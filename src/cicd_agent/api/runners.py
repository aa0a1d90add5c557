"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`, and :class:`Runner`, the part every consumer asks for), the one a file belongs to,
the JUnit reports of a run's artifacts, and how a runner's :data:`Layout` of existing tests
reads (:mod:`cicd_agent.runners.layout`). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, for_file, layout, settings_problem
from cicd_agent.runners.base import (
    PASSED,
    TEST_FOLDERS,
    Layout,
    Reach,
    Selection,
    TestReport,
    nearest,
)
from cicd_agent.runners.junit import outcomes_in_zip
from cicd_agent.runners.protocol import Runner, TestRunner
from cicd_agent.runners.pytest.report import Evidence
from cicd_agent.runners.pytest.runner import Pytest, PytestSandbox, repeated

__all__ = [
    "PASSED",
    "RUNNERS",
    "TEST_FOLDERS",
    "Evidence",
    "Layout",
    "Pytest",
    "PytestSandbox",
    "Reach",
    "Runner",
    "Selection",
    "TestReport",
    "TestRunner",
    "for_file",
    "layout",
    "nearest",
    "outcomes_in_zip",
    "repeated",
    "settings_problem",
]
