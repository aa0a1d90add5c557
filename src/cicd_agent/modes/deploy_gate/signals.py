"""The GitHub reads deploy-gate makes, shaped for ``safety``: review decisions and the
workflow's recent conclusions. Each raises :class:`~cicd_agent.runner.errors.GitHubError` on
failure so the mode can mark the signal missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cicd_agent.modes.deploy_gate.safety import PullReview

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient

MAX_COMMITS_ASKED = 3
"""Commits of the range whose pull requests are looked up (the head first)."""


def pull_reviews(client: GitHubClient, shas: Sequence[str]) -> list[PullReview]:
    """Review state of the pull requests containing the change: those of the head commit, or
    of the next commits of the range when the head belongs to none."""
    for sha in shas[:MAX_COMMITS_ASKED]:
        decisions = client.review_decisions(sha)
        if decisions:
            return [PullReview(d.number, d.verdict) for d in decisions]
    return []


def workflow_conclusions(
    client: GitHubClient, workflow: str, branch: str, days: int, now: datetime
) -> list[str | None]:
    """Conclusions of the workflow's completed runs on ``branch`` in the last ``days`` days."""
    runs = client.workflow_runs(
        int(workflow) if workflow.isdigit() else workflow,
        branch=branch,
        created_since=now - timedelta(days=days),
        status="completed",
    )
    return [run.conclusion for run in runs]


def workflow_from_env(environ: Mapping[str, str]) -> str | None:
    """The running workflow's file name from ``GITHUB_WORKFLOW_REF``
    (``owner/repo/.github/workflows/deploy.yml@refs/heads/main`` → ``deploy.yml``)."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    path = ref.partition("@")[0]
    return path.rsplit("/", 1)[-1] or None if path else None
