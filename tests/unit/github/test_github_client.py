"""The GitHub client's policy, through PyGithub → scripting proxy → Prism (every request validated):
settings, error mapping, write denial and degradation, retries on rate limits and 5xx, GHES."""

from __future__ import annotations

import socket
import time

import pytest

from cicd_agent.actions.errors import GitHubError, GitHubWriteDenied, UsageError
from cicd_agent.github.client import connect
from cicd_agent.github.comments import upsert_issue_comment
from cicd_agent.github.pulls import create_review, get_pull_request
from cicd_agent.github.settings import settings_from_env
from cicd_agent.github.transport import Transport

COMMENTS = r"/repos/octocat/Hello-World/issues/\d+/comments"
PULL = r"/repos/octocat/Hello-World/pulls/\d+"
REVIEWS = r"/repos/octocat/Hello-World/pulls/\d+/reviews"
NOT_PERMITTED = "Resource not accessible by integration"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def test_settings_come_from_the_runner_environment() -> None:
    settings = settings_from_env(
        {
            "GITHUB_TOKEN": "ghs_secret",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_API_URL": "https://ghe.example.com/api/v3",
        }
    )
    assert (settings.repo, settings.api_url) == ("acme/shop", "https://ghe.example.com/api/v3")
    assert "ghs_secret" not in repr(settings)


def test_explicit_token_and_repo_win_and_pacing_is_tunable() -> None:
    settings = settings_from_env(
        {
            "GITHUB_TOKEN": "from-env",
            "GITHUB_REPOSITORY": "a/b",
            "CICD_AGENT_GITHUB_WRITE_INTERVAL": "0",
            "CICD_AGENT_GITHUB_MAX_WAIT": "2.5",
        },
        token="from-input",
        repo="c/d",
    )
    assert (settings.token, settings.repo) == ("from-input", "c/d")
    assert settings.api_url == "https://api.github.com"
    assert settings.seconds_between_writes == 0
    assert settings.retry.max_wait_seconds == 2.5


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"GITHUB_REPOSITORY": "a/b"}, "No GitHub token"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "just-a-name"}, "OWNER/NAME"),
        (
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "CICD_AGENT_GITHUB_MAX_WAIT": "-1"},
            "CICD_AGENT_GITHUB_MAX_WAIT",
        ),
    ],
)
def test_missing_or_bad_settings_are_usage_errors(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        settings_from_env(environ)


def test_an_api_url_that_is_not_http_is_a_usage_error(github_api) -> None:
    with pytest.raises(UsageError, match="not an http"):
        connect(github_api.settings(api_url="api.github.com"))


def test_ghes_base_url_with_api_v3_is_used_as_given(github_api) -> None:
    client = connect(github_api.settings(api_url=f"{github_api.base_url}/api/v3/"))
    pull = get_pull_request(client, 1347)
    outcome = upsert_issue_comment(client, 1347, "ghes", "on enterprise")
    assert pull.number == 1347
    assert outcome.status == "created"
    paths = [r.path for r in github_api.proxy.requests]
    assert paths[0] == "/api/v3/repos/octocat/Hello-World/pulls/1347"
    assert all(p.startswith("/api/v3/repos/octocat/Hello-World/") for p in paths)


def test_403_on_a_write_denies_writing_and_later_writes_are_skipped(github_api) -> None:
    github_api.proxy.fail("POST", COMMENTS, 403, NOT_PERMITTED)
    client = connect(github_api.settings())

    first = upsert_issue_comment(client, 5, "review", "body")
    second = create_review(client, 5, body="review body")

    assert first.status == "skipped" and "403" in first.reason
    assert isinstance(client.capability.denial, GitHubWriteDenied)
    assert client.capability.denial.status == 403
    assert "permissions" in client.capability.denial.hint
    assert not client.capability.can_write
    assert second.status == "skipped" and second.reason == first.reason
    assert client.capability.skipped == [
        "commenting on #5",
        "posting the review on pull request #5",
    ]
    assert github_api.proxy.calls("POST", REVIEWS) == []


def test_404_on_a_write_is_a_denial_too(github_api) -> None:
    github_api.proxy.fail("POST", REVIEWS, 404, "Not Found")
    client = connect(github_api.settings())
    outcome = create_review(client, 5, body="x")
    assert outcome.status == "skipped"
    assert client.capability.denial is not None and client.capability.denial.status == 404


def test_a_fork_pull_request_sends_no_write_at_all(github_api) -> None:
    reason = "the pull request comes from a fork, whose token cannot write"
    client = connect(github_api.settings())
    client.capability.deny(reason)
    outcome = upsert_issue_comment(client, 5, "review", "body")
    assert (outcome.status, outcome.reason) == ("skipped", reason)
    assert outcome.requests[0].body["body"].startswith("body")
    assert [r.method for r in github_api.proxy.requests] == ["GET"]


def test_dry_run_returns_what_would_be_sent_and_sends_nothing(github_api) -> None:
    client = connect(github_api.settings(dry_run=True))
    outcome = create_review(client, 7, body="looks fine", event="COMMENT")
    assert outcome.status == "dry_run"
    assert outcome.requests[0].method == "POST"
    assert outcome.requests[0].path == "/repos/octocat/Hello-World/pulls/7/reviews"
    assert outcome.requests[0].body["body"] == "looks fine"
    assert github_api.proxy.requests == []
    assert client.capability.can_write


def test_a_call_module_stands_on_the_transport_not_on_the_client(github_api) -> None:
    """The call modules are functions of the transport beneath the client: a bare transport
    (no call bound as a method) sends their writes under the same policy."""
    settings = github_api.settings(dry_run=True)
    transport = Transport(connect(settings)._github, settings)
    assert not hasattr(transport, "post_review")
    outcome = create_review(transport, 7, body="looks fine", event="COMMENT")
    assert (outcome.status, outcome.requests[0].path) == (
        "dry_run", "/repos/octocat/Hello-World/pulls/7/reviews"
    )
    assert github_api.proxy.requests == []


def test_401_says_the_token_is_the_problem(github_api) -> None:
    github_api.proxy.fail("GET", PULL, 401, "Bad credentials")
    client = connect(github_api.settings())
    with pytest.raises(GitHubError) as caught:
        get_pull_request(client, 3)
    assert caught.value.status == 401
    assert "rejected the token" in caught.value.message
    assert "github-token" in caught.value.hint
    assert not isinstance(caught.value, GitHubWriteDenied)


def test_404_on_a_read_is_an_error_naming_what_was_read(github_api) -> None:
    github_api.proxy.fail("GET", PULL, 404, "Not Found")
    with pytest.raises(GitHubError, match="reading pull request #3") as caught:
        get_pull_request(connect(github_api.settings()), 3)
    assert caught.value.status == 404


def test_5xx_on_a_post_fails_once_without_a_duplicate_write(github_api) -> None:
    github_api.proxy.fail("POST", COMMENTS, 502, "Server Error")
    client = connect(github_api.settings())
    with pytest.raises(GitHubError) as caught:
        upsert_issue_comment(client, 5, "review", "body")
    assert caught.value.status == 502
    assert "server error" in caught.value.hint
    assert len(github_api.proxy.calls("POST", COMMENTS)) == 1
    assert client.capability.can_write


def test_5xx_on_a_read_is_retried(github_api) -> None:
    github_api.proxy.fail("GET", PULL, 500, "Server Error", times=1)
    pull = get_pull_request(connect(github_api.settings()), 1347)
    assert pull.title == "Amazing new feature"
    assert [r.status for r in github_api.proxy.calls("GET", PULL)] == [500, 200]


def test_5xx_that_persists_ends_as_an_error_after_the_retries(github_api) -> None:
    github_api.proxy.fail("GET", PULL, 503, "Unavailable")
    with pytest.raises(GitHubError) as caught:
        get_pull_request(connect(github_api.settings()), 1347)
    assert caught.value.status == 503
    assert len(github_api.proxy.calls("GET", PULL)) == 3  # first try and total=2 retries


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_with_retry_after_is_waited_out(github_api, status: int) -> None:
    github_api.proxy.fail(
        "POST", COMMENTS, status, SECONDARY, headers={"Retry-After": "0"}, times=1
    )
    outcome = upsert_issue_comment(connect(github_api.settings()), 5, "review", "body")
    assert outcome.status == "created"
    assert [r.status for r in github_api.proxy.calls("POST", COMMENTS)] == [status, 201]


def test_secondary_rate_limit_without_retry_after_is_waited_out_too(github_api) -> None:
    github_api.proxy.fail("GET", PULL, 403, SECONDARY, times=1)
    assert get_pull_request(connect(github_api.settings()), 1).number == 1347
    assert [r.status for r in github_api.proxy.calls("GET", PULL)] == [403, 200]


def test_a_retry_after_longer_than_the_limit_fails_at_once(github_api) -> None:
    github_api.proxy.fail("POST", COMMENTS, 403, SECONDARY, headers={"Retry-After": "3600"})
    client = connect(github_api.settings())
    with pytest.raises(GitHubError) as caught:
        upsert_issue_comment(client, 5, "review", "body")
    assert caught.value.status == 403
    assert "rate-limited" in caught.value.message and "3600" in caught.value.message
    assert not isinstance(caught.value, GitHubWriteDenied)
    assert len(github_api.proxy.calls("POST", COMMENTS)) == 1


def test_an_unreachable_api_is_a_clear_error(github_api) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = connect(github_api.settings(api_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(GitHubError, match="Could not reach GitHub") as caught:
        get_pull_request(client, 1)
    assert caught.value.status is None


def test_a_primary_rate_limit_far_in_the_future_fails_at_once(github_api) -> None:
    reset = str(int(time.time()) + 3600)
    github_api.proxy.fail(
        "GET",
        PULL,
        403,
        "API rate limit exceeded for installation ID 1.",
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    with pytest.raises(GitHubError, match="rate-limited") as caught:
        get_pull_request(connect(github_api.settings()), 1)
    assert caught.value.status == 403
    assert len(github_api.proxy.calls("GET", PULL)) == 1
