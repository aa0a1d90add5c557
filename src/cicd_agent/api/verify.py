"""The API's verifier facet: the known tools a job runs, the contracts a patch is checked
against (its tests keep passing, its linter stays quiet), a suggested patch checked in the
sandbox, a fix proven by a test that fails before it and passes after (:mod:`fail_to_pass`,
:class:`Verifier`), a generated test's checks (mutation, reruns under varied conditions,
assertions that hold on both sides). Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.analysis.known_tools import TOOLS, Checking, KnownTool, base, tools_named
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.runners import same_sides
from cicd_agent.runners.js.scopes import js_lexer
from cicd_agent.verify import fail_to_pass, mutants, mutation
from cicd_agent.verify.conditions import MAX_REPEAT, NOISE, ZONES, varied
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
from cicd_agent.verify.judge import SandboxVerifier
from cicd_agent.verify.reruns import SHARE_USED, Counts, Enough, Reruns, TestRuns
from cicd_agent.verify.script import shell_argv, split_commands
from cicd_agent.verify.suggested import Kept, PatchChecks, lint_argv

__all__ = [
    "MAX_REPEAT",
    "NOISE",
    "NOT_PROOF",
    "SHARE_USED",
    "TOOLS",
    "ZONES",
    "Checking",
    "Counts",
    "Enough",
    "FailingCommand",
    "FailsThenPasses",
    "KeepsPassing",
    "Kept",
    "KnownTool",
    "LintCommand",
    "Patch",
    "PatchChecks",
    "Refused",
    "ReliableTests",
    "Reruns",
    "RunOutcome",
    "SandboxVerifier",
    "TestRuns",
    "Verification",
    "Verifier",
    "base",
    "checked",
    "fail_to_pass",
    "failing_script",
    "job_tool",
    "js_lexer",
    "lint_argv",
    "mutants",
    "mutation",
    "same_sides",
    "shell_argv",
    "split_commands",
    "tools_named",
    "varied",
]
