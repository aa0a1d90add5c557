"""Lent to analyse-failure, gen-tests and review, and may change with them: the test runners'
parts beyond the promised registry (:mod:`cicd_agent.api.runners`). The JUnit reports of a
run's artifacts (analyse-failure); the driven runner's sessions, its evidence, a layout of
existing tests and what a test reaches (gen-tests); the protocol every consumer asks for
(review). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import DRIVEN, layout, settings_problem
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
from cicd_agent.runners.protocol import Runner
from cicd_agent.runners.sessions import Evidence, SessionSandbox

__all__ = [
    "DRIVEN",
    "PASSED",
    "TEST_FOLDERS",
    "Evidence",
    "Layout",
    "Reach",
    "Runner",
    "Selection",
    "SessionSandbox",
    "TestReport",
    "layout",
    "nearest",
    "outcomes_in_zip",
    "settings_problem",
]
