"""Comments that are updated in place: a hidden marker finds our earlier comment on a re-run.

The marker ``<!-- cicd-agent:KEY -->`` ends the body; GitHub renders nothing for it. Re-running a
mode with the same key edits the comment it posted before instead of adding another one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from cicd_agent.actions.markdown import Neutral, with_hidden
from cicd_agent.github.limits import COMMENT_BODY_MAX, fit
from cicd_agent.github.models import WriteOutcome

if TYPE_CHECKING:
    # Types only: an offline run reads ``marker`` from here and must not load PyGithub.
    from github.CommitComment import CommitComment
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.PullRequestComment import PullRequestComment
    from github.PullRequestReview import PullRequestReview

    from cicd_agent.github.transport import Transport

_KEY = re.compile(r"[\w.:/@+]+(?:-[\w.:/@+]+)*")


_Comment: TypeAlias = "IssueComment | PullRequestComment | CommitComment | PullRequestReview"
"""A comment a marker may find: on an issue or pull request, in a review thread, on a commit,
or a review's body."""
_Marked: TypeAlias = "_Comment | Issue"
"""What carries our marker: a comment, or an issue we opened (a flaky test's)."""


@dataclass(frozen=True)
class Found:
    """Our comment under a key as this run listed it: passed on to the upsert, it is edited
    without listing the comments a second time."""

    id: int
    body: str


def marker(key: str) -> str:
    """The hidden marker for ``key``; keys are plain words so they can never close the comment."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"comment key {key!r} must be letters, digits and . : / @ + - _")
    return f"<!-- cicd-agent:{key} -->"


def with_marker(body: Neutral, key: str) -> Neutral:
    """``body`` cut to GitHub's limit with the marker kept intact at the end."""
    mark = marker(key)
    return with_hidden(fit(body, COMMENT_BODY_MAX, reserve=len(mark) + 2), mark)


ACTIONS_BOT = "github-actions[bot]"
"""Who the workflow's GITHUB_TOKEN posts as: every workflow of the repository, not only ours."""


def is_ours(client: Transport, comment: _Marked) -> bool:
    """Whether we wrote ``comment``: the one test of "ours" for everything a marker finds. Anyone
    can paste a marker, and we must neither edit nor trust that one. "We" is the token's user
    when GitHub tells, else ``github-actions[bot]`` or the ``bot-login`` App: never any bot
    (another App's comment may quote a pull request's text, our marker included). Call it only
    for comments carrying a marker, so the user is looked up only then."""
    if comment.user is None:
        return False
    own_login = client.own_login
    if own_login:
        return comment.user.login.lower() == own_login.lower()
    # a named login is a bot's only where GitHub says the account is one: a person may sign
    # up as ``my-app`` when ``bot-login`` leaves ``[bot]`` off
    ours = {login.lower() for login in (ACTIONS_BOT, client.bot_login) if login}
    return comment.user.type == "Bot" and comment.user.login.lower() in ours


def our_marked_comments(client: Transport, *, number: int = 0, sha: str = "") -> list[Found]:
    """Our comments that carry any marker of ours, oldest first: on issue or pull request
    ``number``, else on commit ``sha``. A mode that matches several markers (analyse-failure's
    run and signature) reads them from the bodies."""
    where = f"#{number}" if number else f"commit {sha[:12]}"

    def collect() -> list[Found]:
        repository = client.repository
        listed = (
            repository.get_issue(number).get_comments()
            if number
            else repository.get_commit(sha).get_comments()
        )
        return [
            Found(c.id, c.body or "")
            for c in listed
            if "<!-- cicd-agent:" in (c.body or "") and is_ours(client, c)
        ]

    return client.read(f"listing the comments on {where}", collect)


def _find(client: Transport, comments: Iterable[_Comment], key: str) -> _Comment | None:
    """Our comment under ``key``: it ends with our marker and we wrote it."""
    mark = marker(key)
    for comment in comments:
        if (comment.body or "").rstrip().endswith(mark) and is_ours(client, comment):
            return comment
    return None


def find_issue_comment(client: Transport, number: int, key: str) -> Found | None:
    """Our comment with ``key`` on ``number``, or None (review reads its ledger from it)."""

    def collect() -> Found | None:
        found = _find(client, client.repository.get_issue(number).get_comments(), key)
        return None if found is None else Found(found.id, str(found.body or ""))

    return client.read(f"listing the comments on #{number}", collect)


def upsert_issue_comment(
    client: Transport,
    number: int,
    key: str,
    body: Neutral,
    *,
    reply: bool = False,
    found: Found | None = None,
) -> WriteOutcome:
    """Create or update our comment on issue or pull request ``number`` (``reply``: it answers
    a comment there, and the run's notes say so). ``found``: the comment as this run already
    listed it (:func:`find_issue_comment`), edited without listing again."""
    repo, noun = client.repo_path, "reply" if reply else "comment"
    return _upsert(
        client,
        f"on #{number}",
        lambda: client.repository.get_issue(number).get_comments(),
        (f"{repo}/issues/{number}/comments", f"{repo}/issues/comments/{{id}}"),
        key=key,
        body=body,
        noun=noun,
        found=found,
    )


def upsert_thread_reply(
    client: Transport, number: int, thread: int, key: str, body: Neutral
) -> WriteOutcome:
    """Create or update our reply in the review thread of pull request ``number`` whose first
    comment is ``thread`` (GitHub threads replies under the first comment only)."""
    repo = client.repo_path
    return _upsert(
        client,
        f"in a review thread of #{number}",
        lambda: client.repository.get_pull(number).get_review_comments(),
        (f"{repo}/pulls/{number}/comments/{thread}/replies", f"{repo}/pulls/comments/{{id}}"),
        key=key,
        body=body,
        noun="reply",
    )


def upsert_commit_comment(
    client: Transport, sha: str, key: str, body: Neutral, *, found: Found | None = None
) -> WriteOutcome:
    """Create or update our comment on commit ``sha`` (``found``: as
    :func:`upsert_issue_comment`)."""
    repo = client.repo_path
    return _upsert(
        client,
        f"on commit {sha[:12]}",
        lambda: client.repository.get_commit(sha).get_comments(),
        (f"{repo}/commits/{sha}/comments", f"{repo}/comments/{{id}}"),
        key=key,
        body=body,
        noun="comment",
        found=found,
    )


def _upsert(
    client: Transport,
    where: str,
    comments: Callable[[], Iterable[_Comment]],
    paths: tuple[str, str],
    *,
    key: str,
    body: Neutral,
    noun: str,
    found: Found | None = None,
) -> WriteOutcome:
    """Edit the comment we posted before under ``key``, or post it: never a second copy. Without
    ``found`` (this run's earlier listing) the comments are listed right before posting: a run
    that started meanwhile may have posted it."""
    create_path, edit_path = paths
    payload = {"body": with_marker(body, key)}
    existing = None if found is None else found.id
    if existing is None:
        listed = client.read(
            f"listing the comments {where}", lambda: _find(client, comments(), key)
        )
        existing = None if listed is None else listed.id
    if existing is None:
        posting = "replying" if noun == "reply" else "commenting"
        return client._send(f"{posting} {where}", "POST", create_path, payload, status="created")
    return client._send(
        f"updating the {noun} {where}",
        "PATCH",
        edit_path.format(id=existing),
        payload,
        status="updated",
    )
