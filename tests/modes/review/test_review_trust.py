"""Trust comes from GitHub's answer, one value (issue 54): whether a pull request is a fork, who
opened it and whether they can push are read from the API, never from the event a run was
handed. "May publish" is another question (the token's), and answering it must not make a
fork's code trusted.

Through the CLI, real git, real zizmor, and PyGithub against the OpenAPI-validating mock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.git_builder import GitRepoBuilder
from tests.helpers.commands import pull_request_comment, run_command, serve_pull

REPO = "/repos/octocat/Hello-World"
WORKFLOW = ".github/workflows/triage.yml"
DANGEROUS = """\
name: triage
on:
  pull_request_target:  # zizmor: ignore[dangerous-triggers]
permissions: {}
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - run: echo triage
"""


def fork_adds_its_own_exemption(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    """A fork's pull request that adds a ``pull_request_target`` workflow and exempts it."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    head = repo.commit("Add a labeller", {WORKFLOW: DANGEROUS})
    return repo, base, head


def writer_may(github_api: Any, login: str, permission: str) -> None:
    """The permission API's answer for ``login``."""
    github_api.proxy.script(
        "GET",
        rf"{REPO}/collaborators/{login}/permission",
        edit=lambda answer: {**answer, "permission": permission},
    )


def test_a_writers_review_command_does_not_honour_a_forks_own_ignore_comment(
    tmp_path: Path, github_api: Any
) -> None:
    """ATTACK: the command's review may publish on a fork's pull request (the comment's
    workflow holds the base's token); that once made the fork's code look like the
    repository's own, and its new ``# zizmor: ignore`` hid the high finding."""
    repo, base, head = fork_adds_its_own_exemption(tmp_path)
    serve_pull(github_api, base, head, fork=True)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    writer_may(github_api, json.loads(event.read_text())["comment"]["user"]["login"], "write")

    done = run_command(tmp_path, github_api, event, repo.path)

    assert done.code == 0, done.summary
    assert done.outputs["command_status"] == "ran", done.summary
    assert done.outputs["high_count"] == "1", done.summary
    assert "Ignore comments honoured" not in done.summary
