"""The run a command starts keeps its own deadline: the real CLI on a real comment payload,
real git, GitHub's validating mock and the local model server, which answers too slowly."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, RecordedRequest, Reply, completion_body
from tests.helpers.cli import run_cli
from tests.helpers.commands import pull_request_comment, serve_pull


@pytest.mark.timeout(300)  # a guard against a hang only: the run ends at its deadline
def test_a_commands_review_stops_at_the_deadline_the_base_commit_gives_review(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """The base commit's settings give review one deadline; a `/cicd-agent review` comment ran
    the review under the command step's deadline alone (30 minutes by default), so a model
    that answers a byte at a time held the job far past the minutes review was given.

    The deadline (30 s) leaves a loaded machine time to reach the model, whose answer takes
    about 2 minutes to trickle out: the deadline that stops the run is the one in the model
    call, on any machine (3 s passed before the model call at load 12). The test does not wait
    the rest of it out: when the model is asked, the alarm pending is read (review's 30 s,
    not the command's 30 minutes nor pytest-timeout's 300 s) and made to ring at once, as the
    clock would once it got there; its handler is the run's, and says which deadline it was."""
    repo = GitRepoBuilder(tmp_path / "repo")
    settings = {".github/cicd-agent.yml": "review:\n  deadline-minutes: 0.5\n"}
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n", **settings})
    head = repo.commit("feature", {"src/app.py": "def one():\n    return eval('1')\n"})
    serve_pull(github_api, base, head)
    pending: list[float] = []

    def at_the_model(request: RecordedRequest) -> Reply:
        seconds, _ = signal.getitimer(signal.ITIMER_REAL)
        pending.append(seconds)
        if 0 < seconds <= 30:  # review's alarm: the clock reaches its deadline now
            signal.setitimer(signal.ITIMER_REAL, 1e-3)
        return Reply(body=completion_body(request, "{}"), trickle=0.25)

    model_server.enqueue(at_the_model, times=None)
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
    assert "deadline of 0.5 minute(s) passed" in done.outputs["error"]
    assert model_server.chat_requests, "the review got as far as asking the model"
    assert len(pending) == 1 and 0 < pending[0] <= 30, pending  # review's alarm, at the model


def _comment_run(
    tmp_path: Path, github_api: Any, model_server: Any, base_settings: str, head_settings: str
) -> Any:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit(
        "base",
        {"src/app.py": "def one():\n    return 1\n", ".github/cicd-agent.yml": base_settings},
    )
    head = repo.commit(
        "feature",
        {
            "src/app.py": "def one():\n    return eval('1')\n",
            ".github/cicd-agent.yml": head_settings,
        },
    )
    serve_pull(github_api, base, head)
    model_server.trickle(0.25, times=None)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_WORKSPACE": str(repo.path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    return run_cli(
        ["command", "--base-url", model_server.base_url, "--model-timeout", "120"],
        tmp_path,
        environ,
    )


@pytest.mark.timeout(90)
def test_the_pull_requests_own_settings_cannot_lift_the_deadline_of_the_run_it_asks_for(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """Attack: the pull request's head rewrites the settings file to give review no deadline
    (and the checkout is at that head, as a comment's workflow may check it out). The base
    commit's deadline still stops the review."""
    done = _comment_run(
        tmp_path,
        github_api,
        model_server,
        "review:\n  deadline-minutes: 0.05\n",
        "review:\n  deadline-minutes: 0\ncommand:\n  deadline-minutes: 0\n",
    )
    assert done.code == 3, done.summary + done.stderr
    assert "deadline of 0.05 minute(s) passed" in done.outputs["error"]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("minutes", [".nan", ".inf", "-1", "1e300"])
def test_a_base_commits_deadline_no_clock_can_hold_is_one_usage_error(
    tmp_path: Path, github_api: Any, model_server: Any, minutes: str
) -> None:
    """Attack: the base commit's settings give the nested review a deadline no clock can hold.
    It is no internal error and no run without a deadline: a usage error naming the setting."""
    done = _comment_run(
        tmp_path, github_api, model_server, f"review:\n  deadline-minutes: {minutes}\n", ""
    )
    assert done.code == 2, done.summary + done.stderr
    assert "deadline-minutes must be 0 (no deadline) up to" in done.outputs["error"]
    assert not model_server.chat_requests
