"""A finding a maintainer dismissed (👎 or 😕 on our inline comment) is not posted again.

Only a writer's reaction on a comment we wrote counts; anything unreadable dismisses nothing
and says so. Against the GitHub mock, through a review run's real context.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.review.collect import dismissed_findings
from tests.git_builder import GitRepoBuilder
from tests.helpers.review import REPO, pull_request_event, review_context

FINGERPRINT = "0123456789abcdef0123456789abcdef"
REVIEW_COMMENTS = rf"{REPO}/pulls/2/comments"
REACTIONS = rf"{REPO}/pulls/comments/\d+/reactions"


def _context(tmp_path: Path, github_api: Any) -> Any:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"app.py": "A = 1\n"})
    head = repo.commit("change", {"app.py": "A = 2\n"})
    return review_context(tmp_path, github_api, repo, pull_request_event(tmp_path, base, head))


def _reacted(
    github_api: Any,
    *,
    author: str = "octocat",
    reactor: str = "maintainer",
    permission: str = "write",
    content: str = "-1",
    body: str = f"**medium** · Debugger call\n\n<!-- cicd-agent-finding: {FINGERPRINT} -->",
) -> None:
    """One inline comment on pull request 2, by ``author``, with ``reactor``'s reaction."""

    def comments(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**listing[0]["user"], "login": author, "type": "User"}
        rollup = {**listing[0].get("reactions", {}), "-1": 1, "confused": 1}
        return [{**listing[0], "id": 31, "body": body, "user": user, "reactions": rollup}]

    def reactions(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**listing[0]["user"], "login": reactor}
        return [{**listing[0], "content": content, "user": user}]

    github_api.proxy.script("GET", REVIEW_COMMENTS, edit=comments)
    github_api.proxy.script("GET", REACTIONS, edit=reactions)
    github_api.proxy.script(
        "GET",
        rf"{REPO}/collaborators/{reactor}/permission",
        edit=lambda p: {**p, "permission": permission},
    )


@pytest.mark.parametrize("content", ["-1", "confused"])
def test_a_writers_thumbs_down_or_confusion_on_our_comment_dismisses_its_finding(
    tmp_path: Path, github_api: Any, content: str
) -> None:
    _reacted(github_api, content=content)
    ctx = _context(tmp_path, github_api)
    assert dismissed_findings(ctx, 2) == {FINGERPRINT}
    assert ctx.notes == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"permission": "read"}, "a reader's reaction is no one's decision"),
        ({"author": "mallory"}, "our marker pasted into someone else's comment"),
        ({"content": "laugh"}, "a reaction that is not a dismissal"),
        ({"body": "**medium** · Debugger call (no marker)"}, "a comment that names no finding"),
    ],
)
def test_nothing_else_dismisses_a_finding(
    tmp_path: Path, github_api: Any, change: dict[str, str], why: str
) -> None:
    _reacted(github_api, **change)
    assert dismissed_findings(_context(tmp_path, github_api), 2) == frozenset(), why


def test_unreadable_reactions_dismiss_nothing_and_say_so(tmp_path: Path, github_api: Any) -> None:
    github_api.proxy.fail("GET", REVIEW_COMMENTS, 403, "Resource not accessible by integration")
    ctx = _context(tmp_path, github_api)
    assert dismissed_findings(ctx, 2) == frozenset()
    (note,) = ctx.notes
    assert note.startswith("Could not read the reactions on earlier review comments (")


def test_without_a_token_nothing_is_asked(tmp_path: Path, github_api: Any) -> None:
    _reacted(github_api)
    ctx = _context(tmp_path, github_api)
    offline = dataclasses.replace(
        ctx, environ={k: v for k, v in ctx.environ.items() if k != "GITHUB_TOKEN"}
    )
    assert dismissed_findings(offline, 2) == frozenset()
    assert github_api.proxy.calls("GET", REVIEW_COMMENTS) == []
