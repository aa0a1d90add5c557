"""Lent to analyse-failure, command, deploy-gate and review, and may change with them: finer
parts of the run. The event's parts and checks and the run's deadline (command); a pull request
from another repository (analyse-failure); a commit, a workflow run, a tool's run and the event
described (review); the base every result shares (command, which runs another mode); a part of
a result as ``--json`` shows it (deploy-gate, whose audit record keeps some)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from cicd_agent.actions.deadline import run_deadline
from cicd_agent.job.context import ToolRun
from cicd_agent.job.events import described, require, require_workflow_run
from cicd_agent.job.pipeline import BaseResult, as_json

if TYPE_CHECKING:
    from cicd_agent.job.payloads import (
        Branch,
        Comment,
        Repository,
        Sha,
        User,
        WorkflowRun,
        from_other_repository,
    )

PAYLOAD_NAMES = frozenset(
    {"Branch", "Comment", "Repository", "Sha", "User", "WorkflowRun", "from_other_repository"}
)
"""The payload's views (pydantic models), imported on a mode's first use of one: a run that
reads no event file never loads them."""

__all__ = [
    "BaseResult",
    "Branch",
    "Comment",
    "Repository",
    "Sha",
    "ToolRun",
    "User",
    "WorkflowRun",
    "as_json",
    "described",
    "from_other_repository",
    "require",
    "require_workflow_run",
    "run_deadline",
]


def __getattr__(name: str) -> object:
    """A payload view of :data:`PAYLOAD_NAMES`, imported from its module on first use."""
    if name not in PAYLOAD_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("cicd_agent.job.payloads"), name)
    globals()[name] = value
    return value
