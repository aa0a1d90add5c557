"""A failed GitHub call as one sentence with what to do: a rejected token, a rate limit (said
in the message or by a wait asked for), a write the token may not make, GitHub's own details
of a 422 on one line."""

from __future__ import annotations

import pytest
import requests
from github import GithubException

from cicd_agent.actions.errors import GitHubError, GitHubWriteDenied
from cicd_agent.github.failures import is_rate_limited, translate, unreachable

ACTION = "posting the review on #12"


def _exc(status: int, message: str = "", headers: dict[str, str] | None = None,
         **data: object) -> GithubException:  # fmt: skip
    return GithubException(status, {"message": message, **data}, headers or {})


def test_a_rejected_token_names_the_input_to_check() -> None:
    error = translate(_exc(401, "Bad credentials"), action=ACTION, write=True)
    assert str(error).startswith("GitHub rejected the token (401 Bad credentials) while posting")
    assert "github-token" in error.hint and error.status == 401


@pytest.mark.parametrize(
    ("exc", "limited"),
    [
        (_exc(429), True),
        (_exc(403, headers={"Retry-After": "60"}), True),
        (_exc(403, "API rate limit exceeded for installation ID 1."), True),
        (_exc(403, "Resource not accessible by integration"), False),
        (_exc(404, headers={"retry-after": "60"}), False),
    ],
)
def test_a_rate_limit_is_said_by_github_or_by_the_wait_it_asks(
    exc: GithubException, limited: bool
) -> None:
    assert is_rate_limited(exc) is limited


def test_a_rate_limit_says_how_long_github_asked_to_wait() -> None:
    error = translate(_exc(403, headers={"Retry-After": "60"}), action=ACTION, write=False)
    assert str(error).startswith(f"GitHub rate-limited {ACTION} (403) and asked to wait 60 s.")


def test_a_write_the_token_may_not_make_is_its_own_kind() -> None:
    denied = translate(_exc(403, "Resource not accessible by integration"), action=ACTION,
                       write=True)  # fmt: skip
    assert isinstance(denied, GitHubWriteDenied)
    read = translate(_exc(404, "Not Found"), action="reading #12", write=False)
    assert not isinstance(read, GitHubWriteDenied) and isinstance(read, GitHubError)
    assert "Check the repository, number or id" in read.hint


def test_a_422s_details_are_on_the_one_line() -> None:
    exc = _exc(422, "Validation Failed",
               errors=[{"message": "line must be part of the diff"}, {"code": "invalid"}, "x"])  # fmt: skip
    error = translate(exc, action=ACTION, write=True)
    assert "GitHub answered 422 (Validation Failed; line must be part of the diff; invalid; x)" in (
        str(error)
    )
    assert "please report this" in error.hint


def test_a_server_error_and_an_unreachable_github_say_to_retry_or_check_the_network() -> None:
    assert "server error" in translate(_exc(502), action=ACTION, write=True).hint
    error = unreachable(
        requests.ConnectionError(), action=ACTION, api_url="https://ghe.example/api/v3"
    )
    assert str(error).startswith(
        "Could not reach GitHub at https://ghe.example/api/v3 while posting"
    )
    assert "(ConnectionError)" in str(error)
