"""Red team (repository settings): a number of more digits than Python turns into an int
(4,300) in ``.github/cicd-agent.yml`` crashed the run as an internal error, exit 3, instead of
the one-line settings error, exit 2, that every other malformed file gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli


@pytest.mark.parametrize("digits", ["9" * 5_000, "0x" + "f" * 5_000, "2024-02-30"])
def test_a_number_too_long_to_read_is_a_settings_error(tmp_path: Path, digits: str) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    settings = "review:\n  max-findings: " + digits + "\n"
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n", ".github/cicd-agent.yml": settings})
    head = repo.commit("Change", {"app.py": "VALUE = 2\n"})
    done = run_cli(
        ["review", "--repo", str(repo.path), "--base", base, "--head", head,
         "--provider", "none", "--sarif-file", str(tmp_path / "r.sarif")],
        tmp_path, {},
    )  # fmt: skip
    assert done.code == 2, done.outputs.get("error")
    assert done.outputs["error"].startswith(".github/cicd-agent.yml is refused: ")
    assert "internal error" not in done.outputs["error"]
