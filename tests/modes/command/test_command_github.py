"""The command mode end to end: real comment webhook payloads, real git, GitHub's validating
mock (every request checked against GitHub's OpenAPI description), the local model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.commands import (
    CONVERSATION,
    ISSUE_REACTIONS,
    REVIEW_REACTIONS,
    pull_request_comment,
    replies,
    review_comment,
    run_command,
    serve_pull,
)
from tests.helpers.review import REVIEWS

AWS_KEY = "AKIA" + "ZXCVBNMASDFGHJKL"


@pytest.fixture
def project(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    """A pull request that adds a function and commits a secret."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n"})
    head = repo.commit(
        "feature",
        {
            "src/app.py": "def one():\n    return 1\n\n\ndef two(x):\n    return eval(x)\n",
            "src/settings.py": f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\n",
        },
    )
    return repo, base, head


def test_a_members_review_command_is_acknowledged_run_at_the_pinned_head_and_answered(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str, str]
) -> None:
    repo, base, head = project
    serve_pull(github_api, base, head)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    done = run_command(tmp_path, github_api, event, repo.path)

    assert done.code == 0, done.summary + done.stdout
    [reaction] = github_api.proxy.calls("POST", ISSUE_REACTIONS)
    assert reaction.json() == {"content": "eyes"}
    assert reaction.api_path.endswith("/issues/comments/492700400/reactions")
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert review.json()["commit_id"] == head
    assert "settings.py" in str(review.json()["comments"])
    [answer] = replies(github_api)
    assert f"Ran `review` at commit `{head[:12]}`" in answer
    assert (done.outputs["command"], done.outputs["command_status"]) == ("review", "ran")
    assert done.outputs["head_sha"] == head
    assert AWS_KEY not in answer
