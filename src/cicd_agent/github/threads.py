"""A conversation in a pull request: replies, review threads, the head's failed runs.

What the ``command`` mode needs to acknowledge a comment and answer it where it was written: in
the pull request's conversation (an issue comment) or in the review thread of a line comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cicd_agent.github.client import GitHubClient
from cicd_agent.github.comments import is_ours
from cicd_agent.github.limits import COMMENT_BODY_MAX, fit
from cicd_agent.github.models import WorkflowRunInfo, WriteOutcome
from cicd_agent.github.runs import _run_info

CommentKind = Literal["issue", "review"]


@dataclass(frozen=True)
class ThreadStart:
    """The first comment of a review thread, and whether we wrote it."""

    id: int
    body: str
    path: str
    line: int | None
    ours: bool


def reply_tag(comment_id: int) -> str:
    """The hidden line a conversation reply carries to say which comment it answers."""
    return f"<!-- reply-to: {comment_id} -->"


def reply(
    client: GitHubClient,
    number: int,
    body: str,
    *,
    thread: int | None = None,
    answering: int | None = None,
) -> WriteOutcome:
    """Answer in the conversation of pull request ``number``, or in the review thread whose
    first comment is ``thread`` (GitHub threads replies under the first comment only).

    ``answering``: the comment answered, whose :func:`reply_tag` ``body`` carries. A re-run of
    the job replays the same comment event; our earlier reply to it is then edited, never
    posted a second time."""
    text = fit(body, COMMENT_BODY_MAX)
    if thread is None:
        earlier = None if answering is None else _earlier_reply(client, number, answering)
        if earlier is not None:
            return client.write(
                f"updating the reply on #{number}",
                "PATCH",
                f"{client.repo_path}/issues/comments/{earlier}",
                {"body": text},
                status="updated",
            )
        return client.write(
            f"replying on #{number}",
            "POST",
            f"{client.repo_path}/issues/{number}/comments",
            {"body": text},
            status="created",
        )
    return client.write(
        f"replying in a review thread of #{number}",
        "POST",
        f"{client.repo_path}/pulls/{number}/comments/{thread}/replies",
        {"body": text},
        status="created",
    )


def _earlier_reply(client: GitHubClient, number: int, answering: int) -> int | None:
    """Our reply to comment ``answering`` on ``number``: it carries the tag and we wrote it."""
    tag = reply_tag(answering)

    def find() -> int | None:
        for comment in client.repository.get_issue(number).get_comments():
            if tag in (comment.body or "") and is_ours(client, comment):
                return int(comment.id)
        return None

    return client.read(f"listing the comments on #{number}", find)


def thread_start(client: GitHubClient, number: int, comment_id: int) -> ThreadStart:
    """The review comment ``comment_id`` and whether it is one of ours (:func:`is_ours`: the
    writer, never a marker anyone can paste)."""

    def read() -> ThreadStart:
        comment = client.repository.get_pull(number).get_review_comment(comment_id)
        return ThreadStart(
            id=comment.id,
            body=comment.body or "",
            path=comment.path or "",
            line=comment.line or comment.original_line,
            ours=is_ours(client, comment),
        )

    return client.read(f"reading review comment {comment_id}", read)


def latest_failed_run(client: GitHubClient, head_sha: str) -> WorkflowRunInfo | None:
    """The newest workflow run of commit ``head_sha`` that failed, or None."""

    def find() -> WorkflowRunInfo | None:
        for run in client.repository.get_workflow_runs(head_sha=head_sha, status="failure"):
            if run.head_sha == head_sha and run.conclusion == "failure":
                return _run_info(run)
        return None

    return client.read(f"listing the failed runs of {head_sha[:12]}", find)
