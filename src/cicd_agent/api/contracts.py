"""The API's contracts facet: the known tools a job runs and what a verification is, the
contracts a patch is checked against (its tests keep passing, its linter stays quiet, a test
fails before it and passes after), and the scripts that run them. Loaded only by a mode that
imports it; it brings no test runner. The verifier that runs these checks in the sandbox is
:mod:`cicd_agent.api.verifier`."""

from __future__ import annotations

from cicd_agent.analysis.known_tools import TOOLS, Checking, KnownTool, base, tools_named
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.verify.contract import (
    NOT_PROOF,
    FailingCommand,
    FailsThenPasses,
    KeepsPassing,
    LintCommand,
    Patch,
    ReliableTests,
    RunOutcome,
    Verification,
    Verifier,
    checked,
    failing_script,
)
from cicd_agent.verify.script import shell_argv, split_commands

__all__ = [
    "NOT_PROOF",
    "TOOLS",
    "Checking",
    "FailingCommand",
    "FailsThenPasses",
    "KeepsPassing",
    "KnownTool",
    "LintCommand",
    "Patch",
    "Refused",
    "ReliableTests",
    "RunOutcome",
    "Verification",
    "Verifier",
    "base",
    "checked",
    "failing_script",
    "job_tool",
    "shell_argv",
    "split_commands",
    "tools_named",
]
