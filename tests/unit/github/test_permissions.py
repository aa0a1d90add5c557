"""Who may write, as GitHub's permission API says (never a comment's ``author_association``),
and the reaction that acknowledges a command, against the Prism mock of GitHub's API."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.client import connect
from cicd_agent.github.permissions import can_write
from cicd_agent.github.reactions import react
from cicd_agent.github.threads import latest_failed_run

PERMISSION = r"/repos/octocat/Hello-World/collaborators/[^/]+/permission"


@pytest.mark.parametrize(
    ("permission", "writes"), [("admin", True), ("write", True), ("read", False), ("none", False)]
)
def test_only_admin_or_write_may_write(github_api: Any, permission: str, writes: bool) -> None:
    github_api.proxy.script("GET", PERMISSION, edit=lambda body: {**body, "permission": permission})
    assert can_write(connect(github_api.settings()), "mona") is writes


def test_a_user_github_does_not_know_has_no_permission(github_api: Any) -> None:
    github_api.proxy.fail("GET", PERMISSION, 404, "Not Found")
    assert can_write(connect(github_api.settings()), "nobody-here") is False


def test_any_other_failure_raises_so_nothing_runs_on_a_guess(github_api: Any) -> None:
    github_api.proxy.fail("GET", PERMISSION, 502, "Bad Gateway")
    with pytest.raises(GitHubError, match="reading the repository permission of mona"):
        can_write(connect(github_api.settings()), "mona")


@pytest.mark.parametrize(("kind", "where"), [("issue", "issues"), ("review", "pulls")])
def test_a_reaction_goes_to_the_comment_of_its_kind(github_api: Any, kind: Any, where: str) -> None:
    outcome = react(connect(github_api.settings()), kind, 42, "eyes")
    assert outcome.status == "created"
    (call,) = github_api.proxy.calls(
        "POST", rf"/repos/octocat/Hello-World/{where}/comments/42/reactions"
    )
    assert call.json() == {"content": "eyes"}


def test_the_newest_failed_run_of_the_commit_is_found_or_none(github_api: Any) -> None:
    client = connect(github_api.settings())
    runs = r"/repos/octocat/Hello-World/actions/runs"

    def failed(body: dict[str, Any]) -> dict[str, Any]:
        run = {**body["workflow_runs"][0], "id": 7, "head_sha": "abc123", "conclusion": "failure"}
        return {**body, "total_count": 1, "workflow_runs": [run]}

    github_api.proxy.script("GET", runs, edit=failed)
    found = latest_failed_run(client, "abc123")
    assert found is not None and found.id == 7
    assert latest_failed_run(client, "def456") is None  # a run of another commit is not it
