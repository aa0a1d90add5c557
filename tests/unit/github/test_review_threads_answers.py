"""GitHub's GraphQL answer is read, never trusted to have the shape asked for. A pull
request GitHub answers as null (deleted, or no longer visible to the token) or a null node in
a list (GraphQL's lists may hold them) must cost the hiding, never the run: a crash there comes
after the review was posted and before the summary comment records it, so the next run would
post the same review again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.review_threads import REVIEW_HEADING, hide_earlier_reviews

EARLIER, POSTED = 71, 80


def _client(answer: dict[str, Any]) -> Any:
    ours = SimpleNamespace(login="github-actions[bot]", type="Bot")
    review = SimpleNamespace(id=EARLIER, body=f"{REVIEW_HEADING} · earlier", user=ours)
    pull = SimpleNamespace(get_reviews=lambda: [review])
    requester = SimpleNamespace(
        graphql_query=lambda query, variables: ({}, answer), graphql_url="/graphql"
    )
    return SimpleNamespace(
        own_login=None, bot_login="", dry_run=True, repo_path="/repos/o/r",
        repository=SimpleNamespace(get_pull=lambda number: pull),
        _github=SimpleNamespace(requester=requester), read=lambda action, call: call(),
    )  # fmt: skip


def _listed(nodes: list[Any]) -> dict[str, Any]:
    page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}
    return {"data": {"repository": {"pullRequest": {"reviews": page}}}}


def test_a_pull_request_github_answers_as_null_is_a_clear_github_error() -> None:
    with pytest.raises(GitHubError, match="listing the reviews of #2"):
        hide_earlier_reviews(_client({"data": {"repository": {"pullRequest": None}}}), 2, POSTED)


def test_a_null_node_is_passed_over_and_the_others_still_hidden() -> None:
    node = {"id": "PRR_71", "databaseId": EARLIER, "isMinimized": False, "viewerCanMinimize": True}
    outcomes = hide_earlier_reviews(_client(_listed([None, node])), 2, POSTED)
    assert [o.status for o in outcomes] == ["dry_run"]
