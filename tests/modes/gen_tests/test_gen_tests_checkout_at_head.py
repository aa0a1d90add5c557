"""gen-tests measures the checkout's files: run on a checkout of another commit than the head, it
measured that commit's coverage and answered for the change (a new user, on master with
`--head go-newfn`: "every changed line ran in its tests (100.00%)", exit 0, where the head adds
five uncovered lines)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox


def test_a_checkout_of_another_commit_is_refused_naming_the_head(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", base], check=True)
    argv = ["--repo", str(repo), "--base", base, "--head", head, "--provider", "none"]
    code, _, outputs, stderr = run_gen_tests(argv, tmp_path)
    assert code == 2, stderr
    assert f"is not the head {head[:12]}" in stderr, stderr
    assert f"git checkout {head[:12]}" in stderr, stderr
    assert f"not the head {head[:12]}" in outputs  # the error output is written too


@needs_sandbox
def test_a_merge_of_the_head_is_its_checkout(tmp_path: Path) -> None:
    """actions/checkout's default for a pull request: a merge commit whose second parent is
    the head."""
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "checkout", "-q", "-b", "trunk", base], check=True)
    (repo / "NOTES.txt").write_text("on trunk\n")
    subprocess.run([*git, "add", "NOTES.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "trunk moves on"], check=True)
    subprocess.run([*git, "merge", "-q", "--no-edit", head], check=True)
    argv = ["--repo", str(repo), "--base", base, "--head", head, "--provider", "none"]
    code, document, _, stderr = run_gen_tests(argv, tmp_path)
    assert code == 0, stderr
    assert document["segments"], stderr
