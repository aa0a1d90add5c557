"""The API's test-runner facet: every runner cicd-agent knows (:data:`RUNNERS`, each a
:class:`TestRunner`), the one a file belongs to (:func:`for_file`), and the sessions of the
runner the verifier drives itself (:data:`SESSIONS`), and the folders the runners' toolchains
need in a sandbox (:func:`tool_mounts`, what every sandbox a mode opens is built with). The
runners whose tests run in chosen orders (:data:`IN_ORDER`, each a :class:`RunsInOrder`), and
whether a patched test still catches a bug in the code it calls (:func:`still_catches`, in a
copy :func:`rewrite` patched), are the test step's flaky-test fixer's. Loaded only by a mode
that imports it."""

from __future__ import annotations

from cicd_agent.runners import IN_ORDER, RUNNERS, SESSIONS, for_file, tool_mounts
from cicd_agent.runners.orders import RunsInOrder, SetUp
from cicd_agent.runners.protocol import TestRunner
from cicd_agent.runners.sessions import Outcomes, SessionSandbox
from cicd_agent.sandbox import ToolMount, Workspace
from cicd_agent.verify.catches import rewrite, still_catches
from cicd_agent.verify.mutants import Dependence

__all__ = [
    "IN_ORDER",
    "RUNNERS",
    "SESSIONS",
    "Dependence",
    "Outcomes",
    "RunsInOrder",
    "SessionSandbox",
    "SetUp",
    "TestRunner",
    "ToolMount",
    "Workspace",
    "for_file",
    "rewrite",
    "still_catches",
    "tool_mounts",
]
