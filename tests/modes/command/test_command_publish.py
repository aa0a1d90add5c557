"""The command's publish step: it runs what the command asked for and answers where it was
asked, in one reply keyed by the command comment (a re-run edits it), saying what ran at which
commit, and saying so when the mode could not finish.

Through the command mode's real context, the GitHub mock's pull request #2 and real git.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import CicdError, ExitCode
from cicd_agent.job.context import RunContext
from cicd_agent.modes.command.mode import MODE
from cicd_agent.modes.command.options import CommandOptions
from cicd_agent.modes.command.publish import REPLY_KEY
from tests.git_builder import GitRepoBuilder
from tests.helpers.commands import COMMENT_URL, command_context, replies, serve_pull


@pytest.fixture
def project(tmp_path: Path, github_api: Any) -> tuple[GitRepoBuilder, str]:
    """Pull request #2 adds a debugger call; returns the repository and its head."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n"})
    head = repo.commit("feature", {"src/app.py": "def one():\n    breakpoint()\n    return 1\n"})
    serve_pull(github_api, base, head)
    return repo, head


def _context(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder, body: str
) -> tuple[RunContext[CommandOptions], int]:
    """The context of ``cicd-agent command`` on a member's comment ``body``, and its id."""
    ctx = command_context(tmp_path, github_api, repo.path, body)
    return ctx, ctx.event.comment.id  # type: ignore[union-attr]


def test_an_answer_is_one_reply_keyed_by_the_command_naming_the_commit_it_is_about(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, head = project
    ctx, comment_id = _context(tmp_path, github_api, repo, "/cicd-agent ask what does one do?")
    result, code = MODE.run(ctx)
    assert code == ExitCode.OK
    (reply,) = replies(github_api)
    assert "Leftover debugger call — `src/app.py:2`" in reply
    assert f"<sub>About commit `{head[:12]}`. In reply to [this comment]({COMMENT_URL}" in reply
    assert reply.endswith(f"<!-- cicd-agent:{REPLY_KEY}:{comment_id} -->")
    outputs = result.outputs()
    assert (outputs["command_status"], outputs["head_sha"]) == ("answered", head)
    assert outputs["reply_url"].startswith("https://github.com/")


def test_a_command_that_runs_a_mode_says_what_ran_where_and_keeps_the_modes_outputs(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, head = project
    ctx, _ = _context(tmp_path, github_api, repo, "/cicd-agent review")
    result, code = MODE.run(ctx)
    assert code == ExitCode.OK
    (reply,) = replies(github_api)
    assert reply.startswith(
        f"Ran `review` at commit `{head[:12]}`, the pull request's head when this command ran."
    )
    assert "Review decision: comment; 1 finding(s) (1 high); risk low." in reply
    assert "See [the review](https://github.com/" in reply
    outputs = result.outputs()
    assert (outputs["command_status"], outputs["decision"], outputs["high_count"]) == (
        "ran", "comment", "1",
    )  # fmt: skip


def test_a_mode_that_cannot_finish_is_answered_before_its_error_ends_the_run(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, _ = project
    ctx, _ = _context(tmp_path, github_api, repo, "/cicd-agent gen-tests")
    with pytest.raises(CicdError) as raised:  # no PATH: the project's test command is not found
        MODE.run(ctx)
    (reply,) = replies(github_api)
    assert reply.startswith(f"`gen-tests` could not finish: {raised.value.message}")


def _offline_help(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder
) -> RunContext[CommandOptions]:
    ctx, _ = _context(tmp_path, github_api, repo, "/cicd-agent help")
    return dataclasses.replace(
        ctx, environ={k: v for k, v in ctx.environ.items() if k != "GITHUB_TOKEN"}
    )


def test_without_a_token_nothing_is_sent_and_the_reply_is_kept_on_the_result(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, _ = project
    result, _ = MODE.run(_offline_help(tmp_path, github_api, repo))
    assert "No GitHub token: the reply was not posted; it is in this summary." in result.notes
    assert "/cicd-agent review" in result.to_json()["reply"]
    assert github_api.proxy.requests == []


def test_without_a_token_the_reply_is_in_the_job_summary_as_the_note_says(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, _ = project
    result, _ = MODE.run(_offline_help(tmp_path, github_api, repo))
    assert "/cicd-agent review" in result.summary_markdown()


def test_a_comment_that_is_not_a_command_gets_no_reply(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    repo, _ = project
    ctx, _ = _context(tmp_path, github_api, repo, "Looks good to me, thanks!")
    result, code = MODE.run(ctx)
    assert (code, result.outputs()["command_status"]) == (ExitCode.OK, "ignored")
    assert github_api.proxy.requests == []


def test_a_reply_that_echoes_a_secret_posts_it_redacted(
    tmp_path: Path, github_api: Any, project: tuple[GitRepoBuilder, str]
) -> None:
    """A reply echoes what the comment wrote (an unknown command's word) and what a
    mode said; one holding the run's token (or any secret shape) was posted as it was. Every
    posted text is redacted by the posting seam, whoever built it."""
    repo, _ = project
    token = github_api.env()["GITHUB_TOKEN"]
    ctx, _ = _context(tmp_path, github_api, repo, f"/cicd-agent {token}")
    result, code = MODE.run(ctx)
    (reply,) = replies(github_api)
    assert code == ExitCode.OK
    assert "is not a command" in reply and "[REDACTED:" in reply
    shown = (reply + result.summary_markdown()).lower()  # the command's word is lower-cased
    assert token.lower() not in shown and token.lower()[:20] not in shown
