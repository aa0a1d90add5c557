"""Lent to analyse-failure, deploy-gate and review, and may change with them: GitHub's answers
as values. A job, a workflow run and a changed file (analyse-failure); deployments
(deploy-gate); a check run's annotation, a review's event and a write's outcome (review)."""

from __future__ import annotations

from cicd_agent.github.models import (
    DEPLOYMENTS_READ,
    DeploymentInfo,
    DeploymentListing,
    FileChange,
    JobInfo,
    ReviewEvent,
    WorkflowRunInfo,
    WriteOutcome,
)
from cicd_agent.github.models import Annotation as CheckAnnotation

__all__ = [
    "DEPLOYMENTS_READ",
    "CheckAnnotation",
    "DeploymentInfo",
    "DeploymentListing",
    "FileChange",
    "JobInfo",
    "ReviewEvent",
    "WorkflowRunInfo",
    "WriteOutcome",
]
