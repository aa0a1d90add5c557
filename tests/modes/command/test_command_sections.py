"""Which section of the repository's settings file a mode a command runs reads: its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.commands import pull_request_comment, replies, run_command, serve_pull


@pytest.mark.parametrize("body", ["/cicd-agent review", "/cicd-agent ask is this safe?"])
def test_the_command_section_does_not_outrank_reviews_own_provider_none(
    tmp_path: Path, github_api: Any, model_server: Any, body: str
) -> None:
    """`review: provider: none` keeps review's code from any model, in a review a comment
    runs too; the `command:` section's own `provider: openai` is the command step's, never a
    value that outranks review's section."""
    repo = GitRepoBuilder(tmp_path / "repo")
    text = "command:\n  provider: openai\nreview:\n  provider: none\n"
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n",
                                ".github/cicd-agent.yml": text})  # fmt: skip
    head = repo.commit("feature", {"src/app.py": "def one():\n    return 2\n"})
    repo.git("update-ref", "refs/remotes/origin/master", base)  # the comment job's checkout
    serve_pull(github_api, base, head)
    event = pull_request_comment(tmp_path, body)
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_WORKSPACE": str(repo.path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    done = run_cli(["command", "--base-url", model_server.base_url], tmp_path, environ)

    assert done.code == 0, done.summary + done.stdout
    assert model_server.chat_requests == []


def test_the_command_section_does_not_outrank_reviews_own_dry_run(
    tmp_path: Path, github_api: Any
) -> None:
    """`review: dry-run: true` keeps a review a comment runs from writing to GitHub, whatever
    the `command:` section says of the command step's own dry run."""
    done = _describe(tmp_path, github_api, "command:\n  dry-run: false\nreview:\n  dry-run: true\n")

    assert done.code == 0, done.summary + done.stdout
    assert github_api.proxy.calls("PATCH", r"/repos/octocat/Hello-World/pulls/2") == []
    [answer] = replies(github_api)
    assert "not written into the pull request: dry run" in answer


def test_the_command_sections_dry_run_still_holds_where_reviews_section_says_nothing(
    tmp_path: Path, github_api: Any
) -> None:
    """`command: dry-run: true` with no word on it in `review:`: the review a comment runs
    writes nothing to GitHub either (the step's section fills what the mode's leaves)."""
    done = _describe(tmp_path, github_api, "command:\n  dry-run: true\nreview:\n  fail-on: high\n")

    assert done.code == 0, done.summary + done.stdout
    assert github_api.proxy.calls("PATCH", r"/repos/octocat/Hello-World/pulls/2") == []


def test_a_run_a_command_starts_reads_the_installed_plugins_sections_too(
    tmp_path: Path, github_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another distribution's mode `reviews` (its section stands in for an installed plugin's,
    which tests/project/test_mode_of_your_own.py installs for real): the top-level run reads it
    as that mode's section, and so does the review a comment runs, instead of refusing it as a
    misspelt `review` (before: exit 2 inside the comment's run only)."""
    sections = {"reviews": frozenset({"greeting"})}
    monkeypatch.setattr("cicd_agent.plugins.plugin_sections", lambda: sections)
    monkeypatch.setattr("cicd_agent.modes.command.dispatch.plugin_sections", lambda: sections)
    done = _describe(tmp_path, github_api, "reviews:\n  greeting: hi\nreview:\n  dry-run: true\n")

    assert done.code == 0, done.summary + done.stdout + done.stderr
    [answer] = replies(github_api)
    assert "not written into the pull request: dry run" in answer


def _describe(tmp_path: Path, github_api: Any, text: str) -> Any:
    """`/cicd-agent describe` on a pull request whose base commit holds ``text`` as its
    settings file (the comment job's checkout is the default branch, at the base)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n",
                                ".github/cicd-agent.yml": text})  # fmt: skip
    head = repo.commit("feature", {"src/app.py": "def one():\n    return 2\n"})
    repo.git("update-ref", "refs/remotes/origin/master", base)
    serve_pull(github_api, base, head)
    event = pull_request_comment(tmp_path, "/cicd-agent describe")
    done = run_command(tmp_path, github_api, event, repo.path)
    return done
