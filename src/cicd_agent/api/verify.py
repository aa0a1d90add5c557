"""The API's verifier facet: the known tools a job runs, the contracts a patch is checked
against (its tests keep passing, its linter stays quiet), a suggested patch checked in the
sandbox, a fix proven by a test that fails before it and passes after (:mod:`fail_to_pass`,
:class:`Verifier`), a generated test's checks (mutation, reruns under varied conditions,
assertions that hold on both sides). Loaded only by a mode that imports it.

The tool table and the contracts are loaded with the facet; the verifier's engine, which brings
every test runner (about 0.15 CPU-seconds), is loaded on the first use of one of its names
(:data:`ON_USE`), so a review that runs no linter and checks no suggestion never pays for it."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from cicd_agent.runners import same_sides
    from cicd_agent.runners.js.scopes import js_lexer
    from cicd_agent.verify import fail_to_pass, mutants, mutation
    from cicd_agent.verify.conditions import MAX_REPEAT, NOISE, ZONES, varied
    from cicd_agent.verify.judge import SandboxVerifier
    from cicd_agent.verify.reruns import SHARE_USED, Counts, Enough, Reruns, TestRuns
    from cicd_agent.verify.suggested import Kept, PatchChecks, lint_argv

ON_USE: dict[str, tuple[str, ...]] = {
    "cicd_agent.runners.same_sides": (),
    "cicd_agent.runners.js.scopes": ("js_lexer",),
    "cicd_agent.verify.fail_to_pass": (),
    "cicd_agent.verify.mutants": (),
    "cicd_agent.verify.mutation": (),
    "cicd_agent.verify.conditions": ("MAX_REPEAT", "NOISE", "ZONES", "varied"),
    "cicd_agent.verify.judge": ("SandboxVerifier",),
    "cicd_agent.verify.reruns": ("SHARE_USED", "Counts", "Enough", "Reruns", "TestRuns"),
    "cicd_agent.verify.suggested": ("Kept", "PatchChecks", "lint_argv"),
}
"""The names loaded on first use, by the module that holds them (a module listed with no names
is itself the name, its last part)."""


if not TYPE_CHECKING:  # hidden from mypy, which then still refuses a name the facet lacks

    def __getattr__(name: str) -> object:
        """The verifier's name ``name``, its module imported now (Python calls this for a name the
        module does not hold yet)."""
        for module, names in ON_USE.items():
            if name in names:
                value: object = getattr(import_module(module), name)
                break
            if not names and module.rpartition(".")[2] == name:
                value = import_module(module)
                break
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value


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
