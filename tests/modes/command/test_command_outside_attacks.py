"""An outsider's attacks on the settings a comment's nested run reads: the pull request's head
(checked out, its settings file in the working tree) must never reach the review a comment
runs, whatever that file says of the review's provider, dry run or fail-on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.commands import pull_request_comment, replies, run_command, serve_pull

HEADS = {
    "softer review": "review:\n  dry-run: false\n  fail-on: none\n",
    "softer command": "command:\n  dry-run: false\nreview:\n  dry-run: false\n",
    "a file the run would refuse": "review:\n  bogus: 1\n",
    "a key written twice": "review:\n  dry-run: true\nreview:\n  dry-run: false\n",
}


def _pull(tmp_path: Path, github_api: Any, base_text: str, head_text: str) -> Path:
    """Pull request #2 whose base holds ``base_text`` and whose head, checked out, holds
    ``head_text`` as the settings file; the comment job's default branch is the base."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n",
                                ".github/cicd-agent.yml": base_text})  # fmt: skip
    head = repo.commit("feature", {"src/app.py": "def one():\n    return 2\n",
                                   ".github/cicd-agent.yml": head_text})  # fmt: skip
    repo.git("update-ref", "refs/remotes/origin/master", base)
    serve_pull(github_api, base, head)
    return repo.path


@pytest.mark.parametrize("head_text", HEADS.values(), ids=HEADS.keys())
def test_attack_the_heads_settings_cannot_lift_the_bases_dry_run_of_a_commands_review(
    tmp_path: Path, github_api: Any, head_text: str
) -> None:
    """`/cicd-agent describe` from a writer on a pull request whose head rewrites the settings
    file: the base's `review: dry-run: true` holds (nothing written into the pull request),
    and a head file that would be refused is never parsed (exit 0, not 2)."""
    checkout = _pull(tmp_path, github_api, "review:\n  dry-run: true\n", head_text)
    event = pull_request_comment(tmp_path, "/cicd-agent describe")
    done = run_command(tmp_path, github_api, event, checkout)

    assert done.code == 0, done.summary + done.stdout + done.stderr
    assert github_api.proxy.calls("PATCH", r"/repos/octocat/Hello-World/pulls/2") == []
    [answer] = replies(github_api)
    assert "not written into the pull request: dry run" in answer


def _comment_run(tmp_path: Path, github_api: Any, model_server: Any, event: Path, checkout: Path) -> Any:
    """The command step on ``event`` as a comment's workflow runs it, with a model key."""
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_WORKSPACE": str(checkout),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    return run_cli(["command", "--base-url", model_server.base_url], tmp_path, environ)


def test_attack_the_heads_provider_cannot_send_a_commands_review_to_a_model(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """The base keeps review offline (`review: provider: none`); the head names a provider and
    the comment's workflow has a key: the review a comment runs still asks no model."""
    checkout = _pull(tmp_path, github_api, "review:\n  provider: none\n",
                     "command:\n  provider: openai\nreview:\n  provider: openai\n")  # fmt: skip
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    done = _comment_run(tmp_path, github_api, model_server, event, checkout)

    assert done.code == 0, done.summary + done.stdout + done.stderr
    assert model_server.chat_requests == []


@pytest.mark.parametrize("association", ["NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR"])
def test_attack_a_non_writers_review_command_runs_nothing(
    tmp_path: Path, github_api: Any, model_server: Any, association: str
) -> None:
    """A comment from someone who cannot write is refused before any nested run: no model
    call, nothing written into the pull request, whatever the head's file says."""
    checkout = _pull(tmp_path, github_api, "review:\n  fail-on: high\n",
                     "review:\n  provider: openai\n  dry-run: false\n")  # fmt: skip
    event = pull_request_comment(tmp_path, "/cicd-agent review", association=association)
    done = _comment_run(tmp_path, github_api, model_server, event, checkout)

    assert done.code == 0, done.summary + done.stdout + done.stderr
    assert model_server.chat_requests == []
    assert github_api.proxy.calls("PATCH", r"/repos/octocat/Hello-World/pulls/2") == []
    assert github_api.proxy.calls("POST", r"/repos/octocat/Hello-World/pulls/2/reviews") == []
    assert "write access" in done.summary + done.stdout
