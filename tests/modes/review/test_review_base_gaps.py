"""Attacks on review's block of a new error in a file the change did not touch (it rests on the
base check): a change that makes the base check impossible, a package link re-pointed, a module
deleted whole."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_deleted_definition import CALLER, DELETED, KEPT, PYPROJECT

SUB_A = "1" * 40
SUB_B = "2" * 40


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def _review(tmp_path: Path, repo: Path, base: str, head: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo),
            "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home"), "PATH": path_env()})


def _blocks(done: CliRun) -> None:
    assert done.document is not None, done.stderr
    high = [f for f in done.document["findings"] if f["severity"] == "high"]
    assert high and done.code == 1, (done.document.get("notes"), done.document["findings"])


@needs_sandbox
def test_attack_a_submodule_bump_beside_the_deletion_still_blocks(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"pyproject.toml": PYPROJECT, "src/pkg/__init__.py": KEPT + DELETED,
                          "tests/test_tlru.py": CALLER})  # fmt: skip
    _git(repo.path, "update-index", "--add", "--cacheinfo", f"160000,{SUB_A},vendor/lib")
    _git(repo.path, "commit", "-qm", "vendor lib")
    base = _git(repo.path, "rev-parse", "HEAD")
    (repo.path / "src/pkg/__init__.py").write_text(KEPT)
    _git(repo.path, "update-index", "--cacheinfo", f"160000,{SUB_B},vendor/lib")
    _git(repo.path, "commit", "-qam", "remove TLRUCache, bump lib")
    _blocks(_review(tmp_path, repo.path, base, _git(repo.path, "rev-parse", "HEAD")))


@needs_sandbox
def test_attack_a_package_link_re_pointed_at_nothing_blocks(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"pyproject.toml": PYPROJECT, "src/real/__init__.py": KEPT + DELETED,
                          "tests/test_tlru.py": CALLER})  # fmt: skip
    os.symlink("real", repo.path / "src" / "pkg")
    _git(repo.path, "add", "-A")
    _git(repo.path, "commit", "-qm", "link")
    base = _git(repo.path, "rev-parse", "HEAD")
    (repo.path / "src" / "pkg").unlink()
    os.symlink("gone", repo.path / "src" / "pkg")
    _git(repo.path, "commit", "-qam", "re-point")
    _blocks(_review(tmp_path, repo.path, base, _git(repo.path, "rev-parse", "HEAD")))


@needs_sandbox
@pytest.mark.parametrize("whole", [True, False], ids=["module-deleted", "class-deleted"])
def test_attack_deleting_the_module_a_test_imports_blocks(tmp_path: Path, whole: bool) -> None:
    """The change deletes the file its callers import (or, for contrast, only its class)."""
    caller = CALLER.replace("from pkg import TLRUCache", "from pkg.tlru import TLRUCache")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "src/pkg/__init__.py": KEPT,
                                 "src/pkg/tlru.py": "from pkg import Cache\n" + DELETED,
                                 "tests/test_tlru.py": caller})  # fmt: skip
    if whole:
        (repo.path / "src" / "pkg" / "tlru.py").unlink()
        _git(repo.path, "commit", "-qam", "delete tlru")
        head = _git(repo.path, "rev-parse", "HEAD")
    else:
        head = repo.commit("gut tlru", {"src/pkg/tlru.py": "from pkg import Cache\n"})
    _blocks(_review(tmp_path, repo.path, base, head))


@needs_sandbox
def test_a_package_link_re_pointed_at_an_equal_package_passes(tmp_path: Path) -> None:
    """For contrast: the link's package is named to mypy on each side where it is one, so a
    link moved to a package that still has the class breaks no import and blocks nothing."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"pyproject.toml": PYPROJECT, "src/real/__init__.py": KEPT + DELETED,
                          "src/real2/__init__.py": KEPT + DELETED,
                          "tests/test_tlru.py": CALLER})  # fmt: skip
    os.symlink("real", repo.path / "src" / "pkg")
    _git(repo.path, "add", "-A")
    _git(repo.path, "commit", "-qm", "link")
    base = _git(repo.path, "rev-parse", "HEAD")
    (repo.path / "src" / "pkg").unlink()
    os.symlink("real2", repo.path / "src" / "pkg")
    _git(repo.path, "commit", "-qam", "re-point")
    done = _review(tmp_path, repo.path, base, _git(repo.path, "rev-parse", "HEAD"))
    assert done.document is not None, done.stderr
    ran = {"tool": "mypy", "could_not_run": ""}
    assert ran in done.document["tools"], done.document["tools"]
    assert done.document["findings"] == [] and done.code == 0, done.document["findings"]
