"""The linters' sandbox leaves out the untracked files git ignores: a local review of this
repository's own checkout copied its 1.4 GB of test downloads twice to run ruff on two files."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.sandbox import Sandbox, ignored_untracked
from cicd_agent.sandbox.workspace import copy_repository
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


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


@needs_sandbox
def test_a_checkout_inside_a_folder_left_out_is_still_hidden_from_the_runs(
    tmp_path: Path,
) -> None:
    """A second checkout (``actions/checkout`` with ``path:``) keeps its credential header in its
    own ``.git``; the copy finds every ``.git`` to hide it where the checkout is bound back, and
    a folder left out of the copy is searched for one all the same."""
    repo = _checkout(tmp_path)
    other = GitRepoBuilder(repo.path / "downloads" / "other")
    other.git("config", "http.extraheader", "AUTHORIZATION: basic c2VjcmV0")
    config = repo.path / "downloads" / "other" / ".git" / "config"
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    spy = ["sh", "-c", f"cat {config} || echo unreadable"]

    with Sandbox(repo.path, environ, left_out=ignored_untracked(repo.path)) as sandbox:
        result = sandbox.run(spy, sandbox.workspace("spy"), timeout=60)

    assert "extraheader" not in result.output, result.output


def test_attack_an_ignored_link_to_a_tracked_file_or_folder_leaves_neither_out(
    tmp_path: Path,
) -> None:
    """An ignored untracked link (a build step's ``latest.log -> app.py``, ``out.log -> src``)
    is left out itself, never what it points at: the linters would miss the tracked files."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {".gitignore": "*.log\n", "app.py": "x = 1\n", "src/mod.py": "y = 2\n"})
    (repo.path / "latest.log").symlink_to("app.py")
    (repo.path / "out.log").symlink_to("src", target_is_directory=True)
    left = ignored_untracked(repo.path)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}

    with Sandbox(repo.path, environ, left_out=left) as sandbox:
        space = sandbox.workspace("lint")
        copied = {str(path.relative_to(space.repo)) for path in space.repo.rglob("*")}

    assert sorted(left) == ["latest.log", "out.log"]
    assert copied == {".gitignore", "app.py", "src", "src/mod.py"}


def test_an_ignored_install_is_linked_and_searched_for_checkouts_once(tmp_path: Path) -> None:
    """``node_modules/`` and ``.venv/`` are ignored in most projects: the copy links them and
    searches them for a nested ``.git`` as it always did, not a second time as left out (a
    ``node_modules`` holds a hundred thousand files)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {".gitignore": "node_modules/\n", "app.js": "x = 1\n"})
    GitRepoBuilder(repo.path / "node_modules" / "pkg")
    left = ignored_untracked(repo.path)

    found = copy_repository(repo.path, tmp_path / "copy", left_out=left)

    assert left == ["node_modules"]
    assert (tmp_path / "copy" / "node_modules" / "pkg").is_symlink()
    assert sorted(map(str, found)) == [
        str(repo.path / ".git"), str(repo.path / "node_modules" / "pkg" / ".git"),
    ]  # fmt: skip
