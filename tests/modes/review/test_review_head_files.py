"""The head's files that review's ask step reads through the facts: a reader, yet a fixed value.
What it answers was settled when collect resolved the head commit: neither a write to the work
tree nor a new commit on the branch afterwards changes it, and no step can point it elsewhere."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.review.types import HeadFiles
from tests.git_builder import GitRepoBuilder


def test_the_head_read_later_is_the_head_collect_resolved(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("base", {"a.py": "x = 0\n"})
    head = repo.commit("head", {"a.py": "x = 1\n", "b.py": "y = 1\n"})
    files = HeadFiles(GitCheckout(repo.path), head)
    (repo.path / "b.py").write_text("y = 'work tree'\n")  # after collect, before ask
    repo.commit("moved on", {"a.py": "x = 2\n"})
    assert files.texts(["b.py", "a.py", "gone.py"]) == {"b.py": "y = 1\n", "a.py": "x = 1\n"}
    repo.commit("and again", {"b.py": "y = 3\n"})
    assert files.texts(["a.py", "b.py"]) == {"a.py": "x = 1\n", "b.py": "y = 1\n"}


def test_no_step_can_point_it_at_another_commit(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("head", {"a.py": "x = 1\n"})
    files = HeadFiles(GitCheckout(repo.path), head)
    with pytest.raises(dataclasses.FrozenInstanceError):
        files.head = "HEAD"  # type: ignore[misc]
