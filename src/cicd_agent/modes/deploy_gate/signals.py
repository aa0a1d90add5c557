"""The GitHub reads deploy-gate makes: review decisions, the workflow's recent failures, and the
previous deployment. Each returns plain values for ``analysis.signals``; each raises
:class:`~cicd_agent.runner.errors.GitHubError` on failure so the mode can mark the signal missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from cicd_agent.analysis.signals import PullReview

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient

MAX_COMMITS_ASKED = 3
"""Commits of the range whose pull requests are looked up (the head first)."""
MAX_DEPLOYMENTS = 50


def pull_reviews(client: GitHubClient, shas: Sequence[str]) -> list[PullReview]:
    """Review state of the pull requests containing the change: those of the head commit, or
    of the next commits of the range when the head belongs to none."""
    # Here, not at the top: PyGithub costs 1.1 s (`python -X importtime -c "import
    # cicd_agent.github.pulls"`), and a run with no GitHub token never reads from it.
    from cicd_agent.github.pulls import review_decisions

    for sha in shas[:MAX_COMMITS_ASKED]:
        decisions = review_decisions(client, sha)
        if decisions:
            return [PullReview(d.number, d.verdict) for d in decisions]
    return []


def pull_author(client: GitHubClient, sha: str, base: str) -> tuple[str, tuple[str, ...]] | None:
    """The login that opened the pull request holding ``sha`` and the addresses of its commits
    in ``base``'s history (:func:`~cicd_agent.github.pulls.author_of_change`)."""
    from cicd_agent.github.pulls import author_of_change  # PyGithub: only with a token

    return author_of_change(client, sha, base)


def workflow_conclusions(
    client: GitHubClient, workflow: str, branch: str, days: int, now: datetime
) -> list[str | None]:
    """Conclusions of the workflow's completed runs on ``branch`` in the last ``days`` days."""
    from cicd_agent.github.runs import list_workflow_runs  # PyGithub: see pull_reviews

    runs = list_workflow_runs(
        client,
        int(workflow) if workflow.isdigit() else workflow,
        branch=branch,
        created_since=now - timedelta(days=days),
        status="completed",
    )
    return [run.conclusion for run in runs]


def previous_deployment_sha(
    client: GitHubClient, environment: str, deployment_id: int, head: str
) -> str | None:
    """The commit of the latest earlier deployment to ``environment`` that is not ``head``."""

    def find() -> str | None:
        deployments = client.repository.get_deployments(environment=environment)
        for deployment in islice(deployments, MAX_DEPLOYMENTS):
            if deployment.id < deployment_id and deployment.sha != head:
                return str(deployment.sha)
        return None

    return client.read(f"listing the deployments to {environment}", find)


def workflow_from_env(environ: Mapping[str, str]) -> str | None:
    """The running workflow's file name from ``GITHUB_WORKFLOW_REF``
    (``owner/repo/.github/workflows/deploy.yml@refs/heads/main`` → ``deploy.yml``)."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    path = ref.partition("@")[0]
    return path.rsplit("/", 1)[-1] or None if path else None
