"""Comments are upserted by a hidden marker: created once, then edited in place on every re-run.

Prism answers with GitHub's static examples, which never contain our marker; where a re-run
must find the earlier comment, the proxy edits the (validated) list response to contain it."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_agent.github.client import connect
from cicd_agent.github.comments import (
    Found,
    find_issue_comment,
    marker,
    upsert_issue_comment,
    with_marker,
)
from cicd_agent.github.limits import COMMENT_BODY_MAX

LIST_PATH = "/repos/octocat/Hello-World/issues/7/comments"
LIST = LIST_PATH
EDIT = r"/repos/octocat/Hello-World/issues/comments/\d+"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def _posted_earlier(key: str, comment_id: int):
    """Edit Prism's example list so it holds a comment we posted before (plus someone else's)."""

    def edit(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ours = {**comments[0], "id": comment_id, "body": f"old\n\n{marker(key)}"}
        theirs = {**comments[0], "id": comment_id + 1, "body": "a human's comment"}
        return [theirs, ours]

    return edit


def test_first_run_creates_and_re_runs_edit_in_place(github_api) -> None:
    client = connect(github_api.settings())
    first = upsert_issue_comment(client, 7, "review", "## Review\nall good")
    assert first.status == "created" and first.url.endswith("#issuecomment-1")

    github_api.proxy.script("GET", LIST, edit=_posted_earlier("review", 4242))
    for attempt in range(3):
        again = upsert_issue_comment(client, 7, "review", f"## Review\nrun {attempt}")
        assert again.status == "updated"

    posts = github_api.proxy.calls("POST", LIST)
    patches = github_api.proxy.calls("PATCH", EDIT)
    assert len(posts) == 1
    assert [p.api_path for p in patches] == ["/repos/octocat/Hello-World/issues/comments/4242"] * 3
    assert patches[-1].json() == {"body": f"## Review\nrun 2\n\n{marker('review')}"}
    assert posts[0].json()["body"].endswith(marker("review"))


def test_a_comment_with_another_key_is_left_alone(github_api) -> None:
    github_api.proxy.script("GET", LIST, edit=_posted_earlier("gen-tests", 99))
    outcome = upsert_issue_comment(connect(github_api.settings()), 7, "review", "body")
    assert outcome.status == "created"
    assert github_api.proxy.calls("PATCH", EDIT) == []


def test_dry_run_reports_the_update_it_would_make(github_api) -> None:
    github_api.proxy.script("GET", LIST, edit=_posted_earlier("review", 8))
    outcome = upsert_issue_comment(connect(github_api.settings(dry_run=True)), 7, "review", "x")
    assert outcome.status == "dry_run"
    assert outcome.requests[0].method == "PATCH"
    assert outcome.requests[0].path.endswith("/issues/comments/8")
    # Reads only: the comment list, and who the token belongs to (whose comments are ours).
    assert sorted(r.api_path for r in github_api.proxy.requests) == sorted([LIST_PATH, "/user"])


def test_an_oversized_body_is_cut_with_a_note_and_keeps_its_marker() -> None:
    body = with_marker("x" * (COMMENT_BODY_MAX * 2), "review")
    assert len(body) <= COMMENT_BODY_MAX
    assert "truncated by cicd-agent" in body
    assert body.endswith(marker("review"))


@pytest.mark.parametrize("key", ["", "a -->b", "a--b", "two words", "-lead"])
def test_a_key_that_could_break_out_of_the_marker_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="comment key"):
        marker(key)


def test_our_earlier_comment_can_be_read_back_by_its_key(github_api) -> None:
    client = connect(github_api.settings())
    assert find_issue_comment(client, 7, "review") is None
    github_api.proxy.script("GET", LIST, edit=_posted_earlier("review", 12))
    assert find_issue_comment(client, 7, "review") == Found(12, f"old\n\n{marker('review')}")


def test_a_marker_pasted_into_someone_elses_comment_is_neither_edited_nor_trusted(
    github_api,
) -> None:
    """Prism's /user example is octocat; a comment with our marker by anyone else is not ours."""

    def forged(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stranger = {**comments[0]["user"], "login": "mallory", "type": "User"}
        return [
            {**comments[0], "id": 66, "user": stranger, "body": f"gotcha\n\n{marker('review')}"}
        ]

    github_api.proxy.script("GET", LIST, edit=forged)
    client = connect(github_api.settings())
    assert find_issue_comment(client, 7, "review") is None
    outcome = upsert_issue_comment(client, 7, "review", "our summary")
    assert outcome.status == "created"
    assert github_api.proxy.calls("PATCH", EDIT) == []


def _a_bot_wrote(github_api: Any, login: str, comment_id: int, kind: str = "Bot") -> None:
    """The token cannot say who it is (GET /user is 403), and bot ``login`` wrote the only
    comment, ending in our marker."""

    def by_bot(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        bot = {**comments[0]["user"], "login": login, "type": kind}
        body = f"old\n\n{marker('review')}"
        return [{**comments[0], "id": comment_id, "user": bot, "body": body}]

    github_api.proxy.fail("GET", r"/user", 403, "Resource not accessible by integration")
    github_api.proxy.script("GET", LIST, edit=by_bot)


def test_a_bot_comment_counts_as_ours_when_the_token_cannot_say_who_it_is(github_api) -> None:
    """The workflow's GITHUB_TOKEN gets 403 from GET /user; then a bot's comment is ours."""

    _a_bot_wrote(github_api, "github-actions[bot]", 77)
    outcome = upsert_issue_comment(connect(github_api.settings()), 7, "review", "new")
    assert outcome.status == "updated"
    assert outcome.requests[0].path.endswith("/issues/comments/77")


def test_another_bots_comment_with_our_marker_is_not_ours(github_api) -> None:
    """ATTACK: another app's bot (here renovate[bot]) wrote a comment ending in our marker."""
    _a_bot_wrote(github_api, "renovate[bot]", 78)
    assert find_issue_comment(connect(github_api.settings()), 7, "review") is None


def test_attack_a_person_named_as_bot_login_says_without_its_suffix_is_not_ours(
    github_api,
) -> None:
    """ATTACK: ``bot-login: my-app`` (the ``[bot]`` left off) names a login anyone may sign
    up as: a person ``my-app`` pasting our marker and a ledger must not count as the App."""
    _a_bot_wrote(github_api, "my-app", 80, kind="User")
    assert find_issue_comment(connect(github_api.settings(bot_login="my-app")), 7, "review") is None


def test_the_app_the_bot_login_input_names_posts_our_comments(github_api) -> None:
    """An App's token cannot say who it is either: its login comes from ``bot-login``."""
    _a_bot_wrote(github_api, "My-App[bot]", 79)
    client = connect(github_api.settings(bot_login="my-app[bot]"))
    assert find_issue_comment(client, 7, "review") == Found(79, f"old\n\n{marker('review')}")
    assert find_issue_comment(connect(github_api.settings()), 7, "review") is None
