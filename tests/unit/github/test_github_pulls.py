"""Pull requests through PyGithub → proxy → Prism: reading, files, reviews and review decisions."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_agent.actions.errors import GitHubError, GitHubWriteDenied
from cicd_agent.github.client import connect
from cicd_agent.github.models import ReviewComment
from cicd_agent.github.pulls import (
    create_review,
    get_pull_request,
    list_changed_files,
    probe_review_comment,
    pulls_for_commit,
    review_decisions,
)

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
REVIEWS = r"/repos/octocat/Hello-World/pulls/\d+/reviews"


def test_a_pull_request_reads_into_plain_data(github_api) -> None:
    pull = get_pull_request(connect(github_api.settings()), 1347)
    assert (pull.number, pull.head_ref, pull.base_ref) == (1347, "new-topic", "master")
    assert pull.head_sha == SHA and not pull.is_fork


def test_changed_files_are_listed_with_their_patches(github_api) -> None:
    files = list_changed_files(connect(github_api.settings()), 1347)
    assert [(f.filename, f.status, f.additions) for f in files] == [("file1.txt", "added", 103)]
    assert files[0].patch.startswith("@@")
    listing = github_api.proxy.calls("GET", r"/repos/octocat/Hello-World/pulls/1347/files")
    assert listing[0].query["per_page"] == ["100"]


def test_a_valid_review_with_inline_comments_is_posted_as_sent(github_api) -> None:
    comments = [
        ReviewComment("src/app.py", 12, "Possible None dereference."),
        ReviewComment("src/app.py", 30, "This loop never ends.", start_line=27),
    ]
    outcome = create_review(
        connect(github_api.settings()),
        1347,
        body="2 findings",
        event="COMMENT",
        comments=comments,
        commit_sha=SHA,
    )
    assert outcome.status == "created" and outcome.id == 80
    (posted,) = github_api.proxy.calls("POST", REVIEWS)
    assert posted.json() == outcome.requests[0].body
    assert posted.json()["comments"][1] == {
        "path": "src/app.py",
        "body": "This loop never ends.",
        "line": 30,
        "side": "RIGHT",
        "start_line": 27,
        "start_side": "RIGHT",
    }
    assert posted.json()["commit_id"] == SHA


def test_a_review_comment_without_a_body_is_refused_with_422(github_api) -> None:
    broken = ReviewComment("src/app.py", 3, None)  # type: ignore[arg-type]
    github_api.expect_rejections("request.body.comments.0.body")
    with pytest.raises(GitHubError) as caught:
        create_review(connect(github_api.settings()), 1347, body="x", comments=[broken])
    assert caught.value.status == 422
    assert not isinstance(caught.value, GitHubWriteDenied)


def test_github_refusing_a_line_outside_the_diff_names_the_reason(github_api) -> None:
    github_api.proxy.script(
        "POST",
        REVIEWS,
        status=422,
        body={
            "message": "Unprocessable Entity",
            "errors": ["Line could not be resolved"],
            "documentation_url": "https://docs.github.com/rest/pulls/reviews",
        },
    )
    with pytest.raises(GitHubError, match="Line could not be resolved") as caught:
        create_review(
            connect(github_api.settings()),
            1347,
            body="x",
            comments=[ReviewComment("src/app.py", 9999, "out of the diff")],
        )
    assert caught.value.status == 422


def _reviews(*states: tuple[str, str]):
    def edit(example: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**example[0], "id": n, "state": state, "user": {**example[0]["user"], "login": who}}
            for n, (who, state) in enumerate(states, start=1)
        ]

    return edit


@pytest.mark.parametrize(
    ("states", "verdict"),
    [
        ([("ann", "APPROVED")], "approved"),
        ([("bob", "CHANGES_REQUESTED"), ("ann", "APPROVED")], "changes_requested"),
        ([("bob", "CHANGES_REQUESTED"), ("bob", "APPROVED")], "approved"),
        ([("ann", "APPROVED"), ("ann", "DISMISSED"), ("cy", "COMMENTED")], "review_required"),
        ([], "review_required"),
    ],
)
def test_review_decisions_count_each_reviewers_latest_verdict(github_api, states, verdict) -> None:
    github_api.proxy.script("GET", REVIEWS, edit=_reviews(*states))
    (decision,) = review_decisions(connect(github_api.settings()), SHA)
    assert (decision.number, decision.verdict) == (1347, verdict)


def test_pull_requests_of_a_commit_come_without_refetching_each(github_api) -> None:
    pulls = pulls_for_commit(connect(github_api.settings()), SHA)
    assert [p.number for p in pulls] == [1347]
    assert [r.api_path for r in github_api.proxy.requests] == [
        f"/repos/octocat/Hello-World/commits/{SHA}/pulls"
    ]


def test_probing_a_comment_leaves_no_pending_review_behind(github_api) -> None:
    comment = ReviewComment("src/app.py", 12, "Possible None dereference.")
    accepted = probe_review_comment(connect(github_api.settings()), 1347, comment, SHA)
    assert accepted
    (pending,) = github_api.proxy.calls("POST", REVIEWS)
    assert "event" not in pending.json()
    deleted = github_api.proxy.calls("DELETE", r"/repos/octocat/Hello-World/pulls/1347/reviews/\d+")
    assert [d.api_path for d in deleted] == ["/repos/octocat/Hello-World/pulls/1347/reviews/80"]


def test_probing_a_comment_github_refuses_says_so(github_api) -> None:
    github_api.proxy.fail("POST", REVIEWS, 422, "Line could not be resolved")
    comment = ReviewComment("src/app.py", 9999, "outside the diff")
    assert not probe_review_comment(connect(github_api.settings()), 1347, comment, SHA)
    assert github_api.proxy.calls("DELETE", r".*") == []
