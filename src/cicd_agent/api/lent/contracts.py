"""Lent to analyse-failure, gen-tests and review, and may change with them: the contracts a
patch is checked against, beyond the promised ones (:mod:`cicd_agent.api.contracts`). A
failing command, a test that fails before a fix and passes after, a patch, a verification and
its verifier, the scripts that run them (analyse-failure); reliable tests (gen-tests); the
tests keep passing and the linter stays quiet (review)."""

from __future__ import annotations

from cicd_agent.analysis.known_tools import Checking, base, tools_named
from cicd_agent.verify.contract import (
    FailingCommand,
    FailsThenPasses,
    KeepsPassing,
    LintCommand,
    Patch,
    ReliableTests,
    RunOutcome,
    Verification,
    Verifier,
    failing_script,
)
from cicd_agent.verify.script import shell_argv, split_commands

__all__ = [
    "Checking",
    "FailingCommand",
    "FailsThenPasses",
    "KeepsPassing",
    "LintCommand",
    "Patch",
    "ReliableTests",
    "RunOutcome",
    "Verification",
    "Verifier",
    "base",
    "failing_script",
    "shell_argv",
    "split_commands",
    "tools_named",
]
