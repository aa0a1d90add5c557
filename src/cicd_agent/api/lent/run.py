"""Lent to analyse-failure, command and review, and may change with them: finer parts of the
run. The event's parts and checks and the run's deadline (command); a pull request from
another repository (analyse-failure); a commit, a workflow run, a tool's run and the event
described (review)."""

from __future__ import annotations

from cicd_agent.actions.deadline import run_deadline
from cicd_agent.job.context import ToolRun
from cicd_agent.job.events import (
    Branch,
    Comment,
    Repository,
    Sha,
    User,
    WorkflowRun,
    described,
    from_other_repository,
    require,
    require_workflow_run,
)

__all__ = [
    "Branch",
    "Comment",
    "Repository",
    "Sha",
    "ToolRun",
    "User",
    "WorkflowRun",
    "described",
    "from_other_repository",
    "require",
    "require_workflow_run",
    "run_deadline",
]
