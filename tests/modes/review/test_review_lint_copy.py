"""The linters' sandbox leaves out the untracked files git ignores: a local review of this
repository's own checkout copied its 1.4 GB of test downloads twice to run ruff on two files."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.sandbox import Sandbox, ignored_untracked
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env


def _checkout(tmp_path: Path) -> GitRepoBuilder:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {
        ".gitignore": "downloads/\n*.log\nbuild/\n",
        "app.py": "x = 1\n",
    })  # fmt: skip
    # tracked although ignored: git add -f, as a project may commit a file of an ignored folder
    repo.write({"vendor/lib.py": "y = 2\n", "vendor/.gitignore": "*\n", "build/keep.txt": "k\n"})
    repo.git("add", "-f", "vendor/lib.py", "vendor/.gitignore", "build/keep.txt")
    repo.commit("vendor")
    repo.write({
        "downloads/big/a.bin": "a" * 100, "downloads/b.txt": "b\n", "run.log": "log\n",
        "build/out.o": "o\n", "vendor/new.py": "z = 3\n", "notes.txt": "untracked, not ignored\n",
    })  # fmt: skip
    return repo


def test_the_ignored_untracked_entries_are_listed_and_no_tracked_file_is(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)

    left = ignored_untracked(repo.path)

    assert sorted(left) == ["build/out.o", "downloads", "run.log", "vendor/new.py"]


def test_a_folder_that_is_no_checkout_leaves_nothing_out(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert ignored_untracked(tmp_path / "plain") == []


def test_the_sandboxs_copies_leave_out_what_they_are_told_and_keep_the_rest(
    tmp_path: Path,
) -> None:
    repo = _checkout(tmp_path)
    left = ignored_untracked(repo.path)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}

    with Sandbox(repo.path, environ, left_out=left) as sandbox:
        space = sandbox.workspace("lint")
        copied = {
            str(path.relative_to(space.repo)) for path in space.repo.rglob("*") if path.is_file()
        }

    assert copied == {
        ".gitignore", "app.py", "build/keep.txt", "vendor/lib.py", "vendor/.gitignore",
        "notes.txt",
    }  # fmt: skip
