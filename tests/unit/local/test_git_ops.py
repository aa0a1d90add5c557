"""The named git operations, on a real repository: what each reads, and that a name the
change chose (``-x``) is looked up, never taken as an option."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local import git, git_ops
from tests.git_builder import GitRepoBuilder

PATCH = "--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n def one(): return 1\n+def two(): return 2\n"


def _repo(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    first = repo.commit("first", {"app.py": "def one(): return 1\n"})
    second = repo.commit("second", {"app.py": "def one(): return 1\ndef two(): return 2\n"})
    return repo, first, second


def test_reads_between_commits(tmp_path: Path) -> None:
    repo, first, second = _repo(tmp_path)
    place = git.in_checkout(repo.path)
    read = git_ops.blobs(place, first, ["missing.py", "app.py"], timeout=30)
    assert read == {"app.py": b"def one(): return 1\n"}
    found = git_ops.resolve_commit(place, "HEAD~1", timeout=30)
    assert found.stdout.decode().strip() == first
    assert not git_ops.resolve_commit(place, "--output=x", timeout=30).ok  # a name, no option
    assert not (repo.path / "x").exists()
    assert git_ops.log(place, "app.py", count=5, timeout=30).stdout.decode().count("\n") == 2
    blamed = git_ops.blame(place, "app.py", 2, 2, timeout=30).stdout.decode()
    assert blamed.startswith(second[:7]) and "def two" in blamed
    hits = git_ops.grep(place, "def t", regex=False, path=None, timeout=30).stdout.decode()
    assert hits == "HEAD:app.py:2:def two(): return 2\n"


def test_reads_the_files_of_a_commit_in_one_process(tmp_path: Path) -> None:
    """A folder's answer (its listing) is skipped, never read as the next path's bytes."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("first", {"lib/x.py": "", "app.py": "one\n", "lib/y.py": "two\n"})
    place = git.in_checkout(repo.path)
    asked = ["lib", "lib/x.py", "gone", "app.py", "lib/y.py"]
    read = git_ops.blobs(place, "HEAD", asked, timeout=30)
    assert read == {"lib/x.py": b"", "app.py": b"one\n", "lib/y.py": b"two\n"}
    assert git_ops.blobs(place, "no-such-ref", ["app.py"], timeout=30) == {}


def test_reads_the_index_and_the_working_tree(tmp_path: Path) -> None:
    repo, _, _ = _repo(tmp_path)
    place = git.in_checkout(repo.path, contents=True)
    staged = git_ops.index_entries(place, stages=True, timeout=30).stdout
    assert staged.startswith(b"100644 ") and staged.endswith(b"\tapp.py\0")
    assert git_ops.index_entries(place, stages=False, timeout=30).stdout == b"H app.py\0"
    assert git_ops.differs_from_head(place, timeout=30).returncode == 0
    (repo.path / "app.py").write_text("changed\n")
    assert git_ops.differs_from_head(place, timeout=30).returncode == 1


def test_reads_a_patch_without_applying_it() -> None:
    numstat = git_ops.read_patch(PATCH.encode(), ["--numstat", "-z"], timeout=30)
    assert numstat.stdout == b"1\t0\tapp.py\0"
    argv, env = git_ops.sandboxed_apply(Path("/tmp/fix.diff"))
    assert argv[-3:] == ["apply", "--", "/tmp/fix.diff"] and env
