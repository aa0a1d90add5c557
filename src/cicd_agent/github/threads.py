"""A conversation in a pull request: review threads and the head's failed runs.

What the ``command`` mode reads about a comment: the thread it is in and whether we started it.
Its reply goes out through :mod:`cicd_agent.github.comments`, edited in place on a re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cicd_agent.github.comments import is_ours
from cicd_agent.github.models import WorkflowRunInfo
from cicd_agent.github.runs import _run_info

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

CommentKind = Literal["issue", "review"]


@dataclass(frozen=True)
class ThreadStart:
    """The first comment of a review thread, and whether we wrote it."""

    id: int
    body: str
    path: str
    line: int | None
    ours: bool


def thread_start(client: Transport, number: int, comment_id: int) -> ThreadStart:
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


def latest_failed_run(client: Transport, head_sha: str) -> WorkflowRunInfo | None:

    def find() -> WorkflowRunInfo | None:
        for run in client.repository.get_workflow_runs(head_sha=head_sha, status="failure"):
            if run.head_sha == head_sha and run.conclusion == "failure":
                return _run_info(run)
        return None

    return client.read(f"listing the failed runs of {head_sha[:12]}", find)
