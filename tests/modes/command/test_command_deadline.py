"""The run a command starts keeps its own deadline: the real CLI on a real comment payload,
real git, GitHub's validating mock and the local model server, which answers too slowly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.commands import pull_request_comment, serve_pull


@pytest.mark.timeout(90)
def test_a_commands_review_stops_at_the_deadline_the_base_commit_gives_review(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """The base commit's settings give review one deadline; a `/cicd-agent review` comment ran
    the review under the command step's deadline alone (30 minutes by default), so a model
    that answers a byte at a time held the job far past the minutes review was given."""
    repo = GitRepoBuilder(tmp_path / "repo")
    settings = {".github/cicd-agent.yml": "review:\n  deadline-minutes: 0.05\n"}
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n", **settings})
    head = repo.commit("feature", {"src/app.py": "def one():\n    return eval('1')\n"})
    serve_pull(github_api, base, head)
    model_server.trickle(0.25, times=None)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_WORKSPACE": str(repo.path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    done = run_cli(
        ["command", "--base-url", model_server.base_url, "--model-timeout", "120"],
        tmp_path,
        environ,
    )

    assert done.code == 3, done.summary + done.stderr
    assert "deadline of 0.05 minute(s) passed" in done.outputs["error"]
    assert model_server.chat_requests, "the review got as far as asking the model"
