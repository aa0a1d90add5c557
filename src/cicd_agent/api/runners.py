"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`, and :class:`Runner`, the part every consumer asks for), the one whose
sessions the verifier drives itself (:data:`DRIVEN`, driven through :data:`SESSIONS`, each
session's :class:`Evidence` read in a :class:`SessionSandbox`), the one a file belongs to,
the JUnit reports of a run's artifacts, and how a runner's :data:`Layout` of existing tests
reads (:mod:`cicd_agent.runners.layout`). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import DRIVEN, RUNNERS, SESSIONS, for_file, layout, settings_problem
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
from cicd_agent.runners.sessions import Evidence, SessionSandbox

__all__ = [
    "DRIVEN",
    "PASSED",
    "RUNNERS",
    "SESSIONS",
    "TEST_FOLDERS",
    "Evidence",
    "Layout",
    "Reach",
    "Runner",
    "Selection",
    "SessionSandbox",
    "TestReport",
    "TestRunner",
    "for_file",
    "layout",
    "nearest",
    "outcomes_in_zip",
    "settings_problem",
]
