"""A diff cut at a bound is read only up to it (git stopped past the bytes the cut keeps), and
the cut text is the same as the whole diff's, cut: multi-byte characters and bytes that are not
UTF-8 at the edge included."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.local import git
from cicd_agent.local.gitrepo import GitRepo
from tests.git_builder import GitRepoBuilder

# A line of one-, two-, three- and four-byte characters and two bytes that are not UTF-8.
LINE = "a é € 😀 ".encode() + b"\xff\xfe" + b" z\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str, str]:
    builder = GitRepoBuilder(tmp_path_factory.mktemp("cut") / "repo")
    base = builder.commit("base", {"README.md": "one\n"})
    head = builder.commit("head", {"data/big.txt": LINE * 40_000, "src/app.py": "x = 1\n"})
    return GitRepo.open(builder.path), base, head


def test_a_cut_diff_is_the_whole_diffs_cut_at_every_edge(repo: tuple[GitRepo, str, str]) -> None:
    opened, base, head = repo
    paths = ["data/big.txt", "src/app.py"]
    whole = opened.diff_text(base, head, paths, sys.maxsize)
    assert len(whole) > 400_000 and "\udcff\udcfe" in whole and "😀" in whole
    for bound in (1, 2, 3, 4, 5, 1000, 1001, 1002, 1003, 65_536, 300_007, len(whole) - 1):
        assert opened.diff_text(base, head, paths, bound) == whole[:bound], bound
    assert opened.diff_text(base, head, paths, len(whole)) == whole


def test_git_is_read_up_to_the_limit_and_a_cut_read_is_no_failure(
    repo: tuple[GitRepo, str, str],
) -> None:
    opened, _, head = repo
    place = git.objects_of(opened.git_dir, opened.shared_dir)
    blob = ("cat-file", "blob", f"{head}:data/big.txt")
    cut = git.read(place, blob, 1000)
    assert cut.ok and cut.stdout == (LINE * 40_000)[:1000]
    exact = git.read(place, blob, len(LINE) * 40_000)  # all of it: git ends on its own
    assert exact.ok and exact.stdout == LINE * 40_000
    failed = git.read(place, ("cat-file", "blob", f"{head}:no/such/file"), 1000)
    assert not failed.ok and failed.stdout == b"" and b"no/such/file" in failed.stderr


def test_a_diff_git_refuses_is_still_a_usage_error(repo: tuple[GitRepo, str, str]) -> None:
    opened, base, _ = repo
    with pytest.raises(UsageError, match="git diff failed"):
        opened.diff_text(base, "0" * 40, ["src/app.py"], 1000)



def test_links_are_listed_among_the_paths_asked_only(tmp_path: Path) -> None:
    """The links a named requirement file passes through are found by listing those paths and
    their folders, never the whole tree (whose size the pull request sets): a link elsewhere
    is not listed, a named one and a linked folder are, a file is not a link."""
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.write({"notes/list": "six\n", "plain.in": "six\n"})
    for link, target in (("deps.in", "notes/list"), ("reqs", "notes"), ("other", "notes")):
        os.symlink(target, builder.path / link)
    head = builder.commit("links", {})
    repo = GitRepo.open(builder.path)
    found = repo.link_ids(head, ["deps.in", "reqs/list", "reqs", "plain.in", "missing"])
    assert sorted(found) == ["deps.in", "reqs"]
    assert all(size == len(t) for (_, size), t in zip(
        (found["deps.in"], found["reqs"]), ("notes/list", "notes"), strict=True))  # fmt: skip
    assert sorted(repo.blob_ids(head, ["plain.in", "deps.in"])) == ["deps.in", "plain.in"]
