"""Comments that are updated in place: a hidden marker finds our earlier comment on a re-run.

The marker ``<!-- cicd-agent:KEY -->`` ends the body; GitHub renders nothing for it. Re-running a
mode with the same key edits the comment it posted before instead of adding another one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from cicd_agent.github.client import GitHubClient
from cicd_agent.github.limits import COMMENT_BODY_MAX, fit
from cicd_agent.github.models import WriteOutcome

_KEY = re.compile(r"[\w.:/@+]+(?:-[\w.:/@+]+)*")


class _Comment(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def body(self) -> str: ...


def marker(key: str) -> str:
    """The hidden marker for ``key``; keys are plain words so they can never close the comment."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"comment key {key!r} must be letters, digits and . : / @ + - _")
    return f"<!-- cicd-agent:{key} -->"


def with_marker(body: str, key: str) -> str:
    """``body`` cut to GitHub's limit with the marker kept intact at the end."""
    mark = marker(key)
    return f"{fit(body.rstrip(), COMMENT_BODY_MAX, reserve=len(mark) + 2)}\n\n{mark}"


def _find(comments: Iterable[_Comment], key: str) -> int | None:
    mark = marker(key)
    for comment in comments:
        if mark in (comment.body or ""):
            return comment.id
    return None


def find_issue_comment(client: GitHubClient, number: int, key: str) -> str | None:
    """The body of our comment with ``key`` on ``number``, or None (review reads its ledger)."""
    mark = marker(key)

    def collect() -> str | None:
        for comment in client.repository.get_issue(number).get_comments():
            if mark in (comment.body or ""):
                return str(comment.body)
        return None

    return client.read(f"listing the comments on #{number}", collect)


def upsert_issue_comment(client: GitHubClient, number: int, key: str, body: str) -> WriteOutcome:
    """Create or update our comment on issue or pull request ``number``."""
    where = f"#{number}"
    existing = client.read(
        f"listing the comments on {where}",
        lambda: _find(client.repository.get_issue(number).get_comments(), key),
    )
    payload = {"body": with_marker(body, key)}
    if existing is None:
        return client.write(
            f"commenting on {where}",
            "POST",
            f"{client.repo_path}/issues/{number}/comments",
            payload,
            status="created",
        )
    return client.write(
        f"updating the comment on {where}",
        "PATCH",
        f"{client.repo_path}/issues/comments/{existing}",
        payload,
        status="updated",
    )


def upsert_commit_comment(client: GitHubClient, sha: str, key: str, body: str) -> WriteOutcome:
    """Create or update our comment on commit ``sha`` (used when no pull request exists)."""
    where = f"commit {sha[:12]}"
    existing = client.read(
        f"listing the comments on {where}",
        lambda: _find(client.repository.get_commit(sha).get_comments(), key),
    )
    payload = {"body": with_marker(body, key)}
    if existing is None:
        return client.write(
            f"commenting on {where}",
            "POST",
            f"{client.repo_path}/commits/{sha}/comments",
            payload,
            status="created",
        )
    return client.write(
        f"updating the comment on {where}",
        "PATCH",
        f"{client.repo_path}/comments/{existing}",
        payload,
        status="updated",
    )
