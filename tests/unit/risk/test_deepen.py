"""A shallow clone is deepened only from the repository's own server, by SHA, with nothing of
the checkout's settings (issue 56)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.fit import Origin, deepen_history
from tests.git_builder import GitRepoBuilder


def _shallow(tmp_path: Path) -> tuple[GitRepoBuilder, Path]:
    origin = GitRepoBuilder(tmp_path / "origin")
    for number in range(5):
        origin.commit(f"Change {number}", {"app.py": f"VALUE = {number}\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{origin.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    return origin, clone


def test_a_full_clone_is_not_fetched_into(tmp_path: Path) -> None:
    origin, _ = _shallow(tmp_path)
    repo = GitRepo.open(origin.path)
    assert not repo.is_shallow()
    assert not deepen_history(repo, Origin(f"file://{origin.path}"), [origin.head()], 0)


def test_a_shallow_clone_gets_the_named_commits_history(tmp_path: Path) -> None:
    origin, clone = _shallow(tmp_path)
    repo = GitRepo.open(clone)
    assert repo.run("rev-list", "--count", origin.head()).strip() == "1"
    assert deepen_history(repo, Origin(f"file://{origin.path}"), [origin.head(), None], 0)
    assert repo.run("rev-list", "--count", origin.head()).strip() == "5"


def test_only_shas_and_the_servers_transport_are_fetched(tmp_path: Path) -> None:
    """Attack: a ref name that reads as an option, and a transport that runs a program
    (``ext::``), fetch nothing."""
    origin, clone = _shallow(tmp_path)
    repo = GitRepo.open(clone)
    marker = tmp_path / "ran"
    assert not deepen_history(repo, Origin(f"file://{origin.path}"), ["--upload-pack=touch x"], 0)
    assert not repo.deepen(f"ext::sh -c touch% {marker}", [origin.head()], 0)
    assert not marker.exists()
    assert repo.run("rev-list", "--count", origin.head()).strip() == "1"
