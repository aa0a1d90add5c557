"""Review closes its own threads once a later push fixed their finding.

Two real runs of the CLI on a real repository: the first posts an inline comment on a leaked
key, the second runs on a push that removed it. GitHub's REST API is the validating Prism mock;
its GraphQL endpoint is the harness's, which validates every query against GitHub's public
schema and keeps the threads' state, refusing what the token may not do as GitHub does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from cicd_agent.analysis.finding_text import MARKER
from cicd_agent.github.review_threads import REVIEW_HEADING
from tests.git_builder import GitRepoBuilder
from tests.harness.graphql_mock import Review, Thread
from tests.helpers.review import REPO, REVIEWS, pull_request_event, run_review

AWS_KEY = "AKIA" + "ZXCVBNMASDFGHJKL"
REVIEW_COMMENTS = rf"{REPO}/pulls/2/comments"
ISSUE_COMMENTS = rf"{REPO}/issues/2/comments"
SUMMARY_EDIT = rf"{REPO}/issues/comments/5150"
OURS, FORGED, ANSWERED, STILL_OPEN = 101, 102, 103, 104
POSTED_EXAMPLE_ID = 80
"""The id of a review in GitHub's OpenAPI examples: the one a posted review gets from Prism."""


@dataclass(frozen=True)
class Fixed:
    """The repository after the fix was pushed, and what the first run posted."""

    repo: GitRepoBuilder
    base: str
    head: str
    summary: str
    inline: str
    review: str
    """The first run's review body."""


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory, github_mock: Any) -> Fixed:
    """The first run, once for the module: an inline comment on the leaked key."""
    from tests.harness.github_mock import GitHubApi

    tmp_path = tmp_path_factory.mktemp("threads")
    github_mock.proxy.reset()
    api = GitHubApi(github_mock)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "VALUE = 1\n"})
    leaked = repo.commit("leak", {"src/settings.py": f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\n"})
    event = pull_request_event(tmp_path, base, leaked)
    code, _, said, _ = run_review(tmp_path, api, None, repo, event, provider="none")
    assert code == 0, said
    [review] = api.proxy.calls("POST", REVIEWS)
    [inline] = [c["body"] for c in review.json()["comments"] if MARKER.search(c["body"])]
    [summary] = api.proxy.calls("POST", ISSUE_COMMENTS)
    assert api.rejections() == []
    head = repo.commit("fix", {"src/settings.py": "AWS_ACCESS_KEY_ID = ''\n"})
    return Fixed(repo, base, head, summary.json()["body"], inline, review.json()["body"])


def _second_run(
    tmp_path: Path, github_api: Any, fixed: Fixed, *threads: Thread, reviews: Any = None
) -> str:
    """The run on the fix, with GitHub as the first run left it: our summary with its ledger;
    our inline comment (thread OURS); the same marker pasted by someone else (FORGED); ours
    with a person's reply (ANSWERED); a thread of ours whose finding is still open."""
    other = fixed.inline.replace(MARKER.search(fixed.inline).group(1), "e" * 32)  # type: ignore[union-attr]

    def listing(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ours, person = comments[0]["user"], {**comments[0]["user"], "login": "mallory", "id": 9}
        item = {**comments[0], "in_reply_to_id": None}
        return [
            {**item, "id": OURS, "body": fixed.inline, "user": ours},
            {**item, "id": FORGED, "body": fixed.inline, "user": person},
            {**item, "id": ANSWERED, "body": fixed.inline, "user": ours},
            {**item, "id": 105, "body": "I'd rather keep this open", "user": person,
             "in_reply_to_id": ANSWERED},
            {**item, "id": STILL_OPEN, "body": other, "user": ours},
        ]  # fmt: skip

    def summary_listing(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**comments[0], "id": 5150, "body": fixed.summary}]

    github_api.proxy.script("GET", REVIEW_COMMENTS, edit=listing)
    github_api.proxy.script("GET", ISSUE_COMMENTS, edit=summary_listing)
    if reviews is not None:
        github_api.proxy.script("GET", REVIEWS, edit=reviews)
    github_api.proxy.graphql.threads.extend(threads)
    event = pull_request_event(tmp_path, fixed.base, fixed.head, action="synchronize")
    code, _, summary, _ = run_review(tmp_path, github_api, None, fixed.repo, event, provider="none")
    assert code == 0, summary
    assert github_api.proxy.calls("PATCH", SUMMARY_EDIT), "the summary comment was not written"
    return summary


def _graphql(github_api: Any, operation: str) -> list[dict[str, Any]]:
    sent = [r.json() for r in github_api.proxy.calls("POST", "/graphql")]
    return [body for body in sent if operation in body["query"]]


def test_a_fixed_findings_thread_is_resolved_and_no_other(
    tmp_path: Path, github_api: Any, fixed: Fixed
) -> None:
    threads = [Thread(2, root) for root in (OURS, FORGED, ANSWERED, STILL_OPEN)]

    summary = _second_run(tmp_path, github_api, fixed, *threads)

    assert [t.resolved for t in threads] == [True, False, False, False]
    assert [b["variables"] for b in _graphql(github_api, "resolveReviewThread")] == [
        {"thread": f"PRRT_{OURS}"}
    ]
    assert _graphql(github_api, "minimizeComment") == []
    assert "1 review thread(s) of findings fixed since were resolved." in summary
    [edit] = github_api.proxy.calls("PATCH", SUMMARY_EDIT)
    assert "1 resolved" in edit.json()["body"]


def test_a_token_that_may_not_resolve_hides_the_comment_as_outdated(
    tmp_path: Path, github_api: Any, fixed: Fixed
) -> None:
    thread = Thread(2, OURS, viewer_can_resolve=False)

    summary = _second_run(tmp_path, github_api, fixed, thread)

    assert not thread.resolved and thread.minimized
    [hide] = _graphql(github_api, "minimizeComment")
    assert hide["variables"] == {"comment": f"PRRC_{OURS}"} and "OUTDATED" in hide["query"]
    assert _graphql(github_api, "resolveReviewThread") == []
    assert "hidden as outdated: the token may not resolve their threads" in summary


@pytest.mark.parametrize(
    ("thread", "said"),
    [
        (
            Thread(2, OURS, viewer_can_resolve=False, viewer_can_minimize=False),
            "the token may neither resolve the thread nor hide its comment",
        ),
        (
            Thread(2, OURS, refuse=True),
            "GitHub refused it (Resource not accessible by integration)",
        ),
    ],
    ids=["may-neither", "refused-anyway"],
)
def test_a_thread_the_token_cannot_close_stays_open_and_the_summary_says_why(
    tmp_path: Path, github_api: Any, fixed: Fixed, thread: Thread, said: str
) -> None:
    """Every other write of the run still happens (the summary comment is edited)."""
    summary = _second_run(tmp_path, github_api, fixed, thread)

    assert not thread.resolved and not thread.minimized
    assert f"1 review thread(s) of findings fixed since were left open: {said}" in summary
    assert "Resolving needs `pull-requests: write`" in summary


def test_the_graphql_mock_refuses_what_github_refuses(github_api: Any) -> None:
    """A field GitHub's schema lacks and a connection read without ``first`` are refused."""
    url = f"{github_api.base_url}/graphql"
    pull = 'query { repository(owner: "o", name: "r") { pullRequest(number: 1) { %s } } }'
    bad = requests.post(url, json={"query": pull % "merged"}, timeout=10).json()
    assert "Cannot query field 'merged'" in json.dumps(bad["errors"])
    github_api.expect_rejections("Cannot query field 'merged'")
    unpaged = pull % "reviewThreads { nodes { id } }"
    answer = requests.post(url, json={"query": unpaged}, timeout=10).json()
    assert "You must provide a `first` or `last` value" in json.dumps(answer["errors"])


def test_our_earlier_review_bodies_are_hidden_as_outdated_and_no_other(
    tmp_path: Path, github_api: Any, fixed: Fixed
) -> None:
    """Each run posts a review whose body is its verdict then; the summary comment is edited in
    place, but the earlier review bodies stayed in the conversation as if current.
    Ours are hidden once a later review supersedes them; a person's review with the same words,
    one hidden already and the review this run posted are left alone, and so is one of ours
    posted after it (a run on an older head that posted first and finished last hid the
    newer head's verdict, leaving the stale one as the current verdict)."""
    earlier, forged, hidden, newer = 71, 72, 73, POSTED_EXAMPLE_ID + 1

    def listing(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ours = {**reviews[0], "body": fixed.review}  # by the token's user, as in the example
        person = {**ours, "user": {**ours["user"], "login": "mallory", "id": 9}}
        # ours (id 80) is the review this run posted: GitHub's example answer, as Prism gives it
        return [{**ours, "id": earlier}, {**person, "id": forged}, {**ours, "id": hidden}, ours,
                {**ours, "id": newer}]  # fmt: skip

    shown = [Review(2, earlier), Review(2, forged), Review(2, hidden, minimized=True)]
    shown += [Review(2, POSTED_EXAMPLE_ID), Review(2, newer)]
    github_api.proxy.graphql.reviews.extend(shown)
    summary = _second_run(tmp_path, github_api, fixed, reviews=listing)

    assert fixed.review.startswith(REVIEW_HEADING)
    assert [r.minimized for r in shown] == [True, False, True, False, False]
    assert [b["variables"] for b in _graphql(github_api, "minimizeComment")] == [
        {"comment": f"PRR_{earlier}"}
    ]
    assert "1 earlier review(s) of this pull request were hidden as outdated." in summary
