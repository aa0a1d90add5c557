"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`: one small protocol per consumer, :class:`Runner`, :class:`ReadsLogs`,
:class:`RetriesStep`, :class:`Repeats`, :class:`WritesTests`), the one a file belongs to,
the JUnit reports of a run's artifacts, and how a runner's :data:`Layout` of existing tests
reads (:mod:`cicd_agent.runners.layout`). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import RUNNERS, for_file, layout, settings_problem
from cicd_agent.runners.base import (
    PASSED,
    TEST_FOLDERS,
    Layout,
    Reach,
    ReadsLogs,
    Repeats,
    RetriesStep,
    Runner,
    Selection,
    TestReport,
    TestRunner,
    WritesTests,
    nearest,
)
from cicd_agent.runners.junit import outcomes_in_zip, runner_ids
from cicd_agent.runners.pytest.runner import Evidence, Pytest, PytestSandbox, repeated

__all__ = [
    "PASSED",
    "RUNNERS",
    "TEST_FOLDERS",
    "Evidence",
    "Layout",
    "Pytest",
    "PytestSandbox",
    "Reach",
    "ReadsLogs",
    "Repeats",
    "RetriesStep",
    "Runner",
    "Selection",
    "TestReport",
    "TestRunner",
    "WritesTests",
    "for_file",
    "layout",
    "nearest",
    "outcomes_in_zip",
    "repeated",
    "runner_ids",
    "settings_problem",
]
