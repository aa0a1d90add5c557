"""The API's verifier facet: the known tools a job runs, the contracts a patch is checked
against (its tests keep passing, its linter stays quiet), a suggested patch checked in the
sandbox. Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.verify.contract import KeepsPassing, LintCommand
from cicd_agent.verify.job_tools import job_tool
from cicd_agent.verify.known import TOOLS, Checking, KnownTool
from cicd_agent.verify.suggested import Kept, PatchChecks, lint_argv

__all__ = [
    "TOOLS",
    "Checking",
    "KeepsPassing",
    "Kept",
    "KnownTool",
    "LintCommand",
    "PatchChecks",
    "job_tool",
    "lint_argv",
]
