"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`), the one a file belongs to (:func:`for_file`), and the sessions of the
runner the verifier drives itself (:data:`SESSIONS`), and the folders the runners' toolchains
need in a sandbox (:func:`tool_mounts`, what every sandbox a mode opens is built with). The
runners whose tests run in orders of a mode's choosing (:data:`IN_ORDER`) and those runs, in
fresh sandbox copies (:class:`OrderedRuns`), are the test step's flaky-test fixer's. Loaded
only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.runners import IN_ORDER, RUNNERS, SESSIONS, for_file, tool_mounts
from cicd_agent.runners.protocol import TestRunner
from cicd_agent.sandbox import ToolMount
from cicd_agent.verify.orders import OrderedRuns

__all__ = [
    "IN_ORDER",
    "RUNNERS",
    "SESSIONS",
    "OrderedRuns",
    "TestRunner",
    "ToolMount",
    "for_file",
    "tool_mounts",
]
