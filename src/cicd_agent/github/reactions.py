"""Reactions: ours acknowledging a command, and writers' 👎 or 😕 on our review comments, which
mean "stop telling me". Anyone who can see a public pull request can react, the flagged code's
author included, so a reaction counts only from a user with write access. Resolving a thread is
not read: only GraphQL says it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from github.PullRequestComment import PullRequestComment

from cicd_agent.github.comments import is_ours
from cicd_agent.github.models import WriteOutcome
from cicd_agent.github.permissions import WRITE_PERMISSIONS
from cicd_agent.github.threads import CommentKind

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

Reaction = Literal["eyes", "+1", "confused", "rocket"]
DISMISSING = frozenset({"-1", "confused"})
MAX_COMMENTS = 300
"""Our review comments looked at, newest first; older ones keep their earlier effect."""


def dismissed(client: Transport, number: int, marker: re.Pattern[str]) -> frozenset[str]:
    """The keys (``marker``'s group 1: review's finding fingerprints) of our review comments
    on ``number`` that a writer reacted to with 👎 or 😕."""

    def collect() -> frozenset[str]:
        comments = client.repository.get_pull(number).get_review_comments()
        found: set[str] = set()
        permissions: dict[str, bool] = {}
        for comment in list(comments)[-MAX_COMMENTS:][::-1]:
            match = marker.search(comment.body or "")
            if match is None or not _has_dismissing(comment) or not is_ours(client, comment):
                continue
            for reaction in comment.get_reactions():
                login = reaction.user.login if reaction.user is not None else ""
                if reaction.content not in DISMISSING or not login:
                    continue
                if login not in permissions:
                    permission = client.repository.get_collaborator_permission(login)
                    permissions[login] = permission in WRITE_PERMISSIONS
                if permissions[login]:
                    found.add(match.group(1))
                    break
        return frozenset(found)

    return client.read(f"reading the reactions on the review comments of #{number}", collect)


def _has_dismissing(comment: PullRequestComment) -> bool:
    """Whether the comment's reaction counts show a 👎 or 😕 at all (saves a request per
    comment); when GitHub leaves the counts out, the reactions are read."""
    rollup = comment.reactions if isinstance(comment.reactions, dict) else None
    if not rollup:
        return True
    return any(int(rollup.get(kind) or 0) > 0 for kind in DISMISSING)


def react(client: Transport, kind: CommentKind, comment_id: int, content: Reaction) -> WriteOutcome:
    where = "issues" if kind == "issue" else "pulls"
    return client._send(
        f"reacting to comment {comment_id}",
        "POST",
        f"{client.repo_path}/{where}/comments/{comment_id}/reactions",
        {"content": content},
        status="created",
    )
