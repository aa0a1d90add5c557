"""The base's copy of the files a change touches, as ``put_back`` makes it for the base check:
a pull request controls every entry of the head (a submodule's checked-out tree, links, their
targets), and none of them may reach the base's view, nor lead a write or a removal outside
the copy. And where the base check cannot run, an error no added line explains still blocks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cicd_agent.analysis.severity import Severity
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.review.lint.base_errors import put_back
from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from cicd_agent.modes.review.lint.callers import linked_packages
from tests.git_builder import GitRepoBuilder

SUB_A = "1" * 40
SUB_B = "2" * 40


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def _gitlink(repo: GitRepoBuilder, commit: str, path: str = "vendor/lib") -> str:
    _git(repo.path, "update-index", "--add", "--cacheinfo", f"160000,{commit},{path}")
    _git(repo.path, "commit", "-qm", f"{path} at {commit[:4]}")
    return _git(repo.path, "rev-parse", "HEAD")


def test_attack_the_heads_submodule_tree_never_reaches_the_base_view(tmp_path: Path) -> None:
    """The bumped submodule's checked-out files are the pull request's (it could plant there the
    errors it brings, so that they read as the base's): the base's view has the folder empty,
    as git leaves a submodule it did not check out."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"a.py": "a = 1\n"})
    base = _gitlink(repo, SUB_A)
    head = _gitlink(repo, SUB_B)
    checkout = GitCheckout(repo.path)
    diff = checkout.diff(base, head, three_dot=False)
    copy = tmp_path / "copy"
    (copy / "vendor" / "lib" / "pkg").mkdir(parents=True)
    (copy / "vendor" / "lib" / "pkg" / "planted.py").write_text("x: int = 'planted'\n")
    put_back(checkout, base, diff, copy)
    assert (copy / "vendor" / "lib").is_dir()
    assert list((copy / "vendor" / "lib").iterdir()) == []


def test_a_submodule_the_change_adds_is_gone_from_the_base_view(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"a.py": "a = 1\n"})
    head = _gitlink(repo, SUB_A)
    checkout = GitCheckout(repo.path)
    diff = checkout.diff(base, head, three_dot=False)
    copy = tmp_path / "copy"
    (copy / "vendor" / "lib").mkdir(parents=True)
    (copy / "vendor" / "lib" / "m.py").write_text("m = 1\n")
    put_back(checkout, base, diff, copy)
    assert not (copy / "vendor" / "lib").exists()


def test_attack_a_link_made_where_a_submodule_was_is_taken_away_never_followed(
    tmp_path: Path,
) -> None:
    """The change replaces the folder holding a submodule with a link out of the checkout:
    taking the head's entries away removes the link itself, never what it leads to."""
    outside = tmp_path / "outside"
    (outside / "lib").mkdir(parents=True)
    (outside / "lib" / "keep.txt").write_text("mine\n")
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"a.py": "a = 1\n"})
    base = _gitlink(repo, SUB_A)
    _git(repo.path, "rm", "-q", "--cached", "vendor/lib")
    os.symlink(outside, repo.path / "vendor")
    _git(repo.path, "add", "vendor")
    _git(repo.path, "commit", "-qm", "vendor is a link")
    head = _git(repo.path, "rev-parse", "HEAD")
    checkout = GitCheckout(repo.path)
    diff = checkout.diff(base, head, three_dot=False)
    copy = tmp_path / "copy"
    copy.mkdir()
    os.symlink(outside, copy / "vendor")
    put_back(checkout, base, diff, copy)
    assert (outside / "lib" / "keep.txt").read_text() == "mine\n"
    assert not (copy / "vendor").is_symlink()
    assert (copy / "vendor" / "lib").is_dir()


def test_a_link_the_change_re_points_is_put_back_as_the_link_it_was(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"src/real/__init__.py": "x = 1\n"})
    os.symlink("real", repo.path / "src" / "pkg")
    _git(repo.path, "add", "-A")
    _git(repo.path, "commit", "-qm", "link")
    base = _git(repo.path, "rev-parse", "HEAD")
    (repo.path / "src" / "pkg").unlink()
    os.symlink("/etc", repo.path / "src" / "pkg")
    _git(repo.path, "commit", "-qam", "re-point")
    head = _git(repo.path, "rev-parse", "HEAD")
    checkout = GitCheckout(repo.path)
    diff = checkout.diff(base, head, three_dot=False)
    copy = tmp_path / "copy"
    (copy / "src").mkdir(parents=True)
    os.symlink("/etc", copy / "src" / "pkg")
    put_back(checkout, base, diff, copy)
    assert os.readlink(copy / "src" / "pkg") == "real"
    # the plan's modules: the link is a package at the base, and not one the tree holds at the
    # head (its target is outside, never looked at)
    assert linked_packages(checkout, base, diff) == ["src/pkg/__init__.py"]
    assert linked_packages(checkout, head, diff) == []


def test_attack_a_link_climbing_out_of_the_tree_is_no_package(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"a.py": "a = 1\n"})
    os.symlink("../../etc", repo.path / "pkg")
    _git(repo.path, "add", "-A")
    _git(repo.path, "commit", "-qm", "link out")
    head = _git(repo.path, "rev-parse", "HEAD")
    checkout = GitCheckout(repo.path)
    assert linked_packages(checkout, head, checkout.diff(base, head, three_dot=False)) == []


def test_an_error_no_added_line_explains_blocks_where_the_base_could_not_be_checked() -> None:
    """The pull request can make the base check fail (a path the base's copy refuses, a checker
    that times out on its files): an error that may be new then blocks, saying the base could
    not be checked, rather than pass as a note."""
    error = BuildError("tests/test_tlru.py", 3, "attr-defined",
                       'Module "pkg" has no attribute "TLRUCache"')  # fmt: skip
    [found], unexplained, _ = build_findings("mypy", [error], {}, str, removed={}, checked=False)
    assert (found.severity, found.path, unexplained) == (Severity.HIGH, "tests/test_tlru.py", 0)
    assert "could not run mypy on the base" in found.body, found.body
    assert "not at the base" not in found.body
