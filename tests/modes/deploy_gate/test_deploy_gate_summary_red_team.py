"""Red team (Markdown injection): deploy-gate's routing reasons name a changed file ("no test
found for PATH"), and the summary's table showed the path raw: a pull request's file named
``@octo-org/admins <img src=…> [l](…).py`` rendered a team mention, an image and a link."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.runner.rendered import live_on_github
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

HOSTILE = "@octo-org/admins <img src=https:evil.example> [l](https:evil.example) | x.py"


def test_a_changed_files_name_in_the_routing_reasons_is_shown_as_text(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", {HOSTILE: "VALUE = 2\n"})
    done = run_cli(
        ["deploy-gate", "--repo", str(repo.path), "--base", base, "--head", head,
         "--provider", "none", "--cache-dir", str(tmp_path / "cache")],
        tmp_path, {},
    )  # fmt: skip
    assert done.code == 0, done.stderr
    row = next(line for line in done.summary.splitlines() if line.startswith("| tests to run"))
    assert "octo-org" in row  # the reason names the file
    table = "| | |\n|---|---|\n" + row
    assert live_on_github(table) == []  # the name is a code span: no mention, image or link
    assert len(row.replace("\\|", "").split("|")) == 4, row  # two cells, however named
