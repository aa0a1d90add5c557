"""Where an audit file goes when none is named: never into the user's working tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from cicd_agent.local.audit import default_audit_path
from tests.git_builder import GitRepoBuilder


def test_in_a_worktree_the_audit_goes_to_the_common_git_directory(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.write({"app.py": "x = 1\n"})
    repo.commit("first")
    worktree = tmp_path / "worktree"
    repo.git("worktree", "add", "-q", str(worktree))
    # In a worktree ``.git`` is a file: a path under it cannot be written, and a guess at
    # ``checkout/.git`` would miss the repository's git directory.
    assert (worktree / ".git").is_file()

    path = default_audit_path({}, "analyse-failure", worktree)

    assert path.parent.parent.resolve() == (repo.path / ".git").resolve()
    assert path.name == "analyse-failure-audit.jsonl"


def test_on_a_runner_the_audit_goes_to_runner_temp(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    path = default_audit_path({"RUNNER_TEMP": str(tmp_path / "t")}, "deploy-gate", repo.path)
    assert path == tmp_path / "t" / "cicd-agent" / "deploy-gate-audit.jsonl"


def test_outside_a_repository_the_audit_goes_to_the_temp_folder(tmp_path: Path) -> None:
    path = default_audit_path({}, "deploy-gate", tmp_path / "plain")
    assert path.parent.parent == Path(tempfile.gettempdir())
