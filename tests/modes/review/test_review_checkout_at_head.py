"""review checks the checkout's files: on a checkout of another commit than the reviewed head,
a new user's Go change that does not build passed ("risk low. Incomplete: go vet could not
run", exit 0; go-shellquote's ``var origLen string = buf.Len()``), while the same mistake in
Python was blocked (its parse reads git). One rule for every language: review refuses, exit 2,
naming the commit to check out; a merge of the head (actions/checkout's default) is the head's
checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env

QUOTE_GO = """package shellquote

import "bytes"

func quote(word string, buf *bytes.Buffer) {
	origLen := buf.Len()
	_ = origLen
}
"""
BROKEN = {
    "go": {"go.mod": "module shellquote\n\ngo 1.19\n", "quote.go": QUOTE_GO},
    "python": {"base.py": "def bump(n):\n    return n + 1\n"},
}
HEADS = {
    "go": {"quote.go": QUOTE_GO.replace("origLen := buf.Len()", "var origLen string = buf.Len()")},
    "python": {"base.py": "def bump(n)\n    return n + 1\n"},
}


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})


@pytest.mark.parametrize("language", ["go", "python"])
def test_a_checkout_of_another_commit_is_refused_in_every_language(
    tmp_path: Path, language: str
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", BROKEN[language])
    head = repo.commit("typeerr", HEADS[language])
    repo.git("checkout", "-q", base)
    done = _review(tmp_path, repo, base, head)
    assert done.code == 2, (done.code, done.stdout, done.stderr)
    assert f"(its HEAD is {base[:12]}) is not the reviewed head {head[:12]}" in done.stderr
    assert f"git checkout {head[:12]}" in done.stderr, done.stderr


def test_a_merge_of_the_head_is_its_checkout(tmp_path: Path) -> None:
    """actions/checkout's default for a pull request: a merge whose second parent is the
    head, reviewed as the head (the broken line is found)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", BROKEN["python"])
    head = repo.commit("syntax", HEADS["python"])
    repo.git("checkout", "-q", "-b", "trunk", base)
    repo.commit("trunk moves on", {"NOTES.txt": "on trunk\n"})
    repo.git("merge", "-q", "--no-edit", head)
    done = _review(tmp_path, repo, base, head)
    assert done.code == 1, (done.code, done.stderr)
    assert [f for f in (done.document or {})["findings"] if f["path"] == "base.py"], done.stdout
