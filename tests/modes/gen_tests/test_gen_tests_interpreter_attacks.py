"""Attacks on which interpreter gen-tests' suite runs with: the test command names ``python``
by its name alone, and the job's ``PATH`` may hold a folder of the checkout (``bin``, as
``PATH=$PATH:$GITHUB_WORKSPACE/bin`` puts it). A ``python`` the pull request commits there
would be the suite's interpreter, able to report whatever it likes about the tests."""

from __future__ import annotations

import os
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env, run_gen_tests

FAKE = "#!/bin/sh\necho 'committed python' >&2\nexit 0\n"


def _project(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "shop")
    tests = "from src.shop import f\n\n\ndef test_f():\n    assert f(1) == 1\n"
    base = repo.commit("Start", {"src/shop.py": "def f(x):\n    return x\n",
                                 "tests/test_shop.py": tests, "bin/python": FAKE})  # fmt: skip
    os.chmod(repo.path / "bin" / "python", 0o755)
    repo.git("update-index", "--chmod=+x", "bin/python")
    head = repo.commit("Change", {"src/shop.py": "def f(x):\n    if x > 3:\n        return 0\n"
                                  "    return x\n"})  # fmt: skip
    return repo, base, head


def test_attack_a_python_the_pull_request_commits_on_path_is_refused(tmp_path: Path) -> None:
    """Before: the committed ``bin/python`` ran as the suite (exit 0 "at head", the change
    never imported) and the Tools line said `python -m pytest`: ran."""
    repo, base, head = _project(tmp_path)
    code, document, outputs, stderr = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"],
        tmp_path, PATH=f"{repo.path / 'bin'}{os.pathsep}{path_env()}",
    )  # fmt: skip
    error = str(document.get("error"))
    assert code == 2, stderr[-2000:]
    assert "`python`" in error and "bin/python" in error and "\n" not in error, error
    assert "tests_accepted<<" in outputs


def test_attack_a_relative_path_entry_never_runs_the_pull_requests_python(tmp_path: Path) -> None:
    """Before: the sandbox's PATH was the job's as given, so ``bin`` found the copy's
    ``bin/python``, which the host-side lookup (absolute entries only) never sees."""
    repo, base, head = _project(tmp_path)
    code, document, _, stderr = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"],
        tmp_path, PATH=f"bin{os.pathsep}{path_env()}",
    )  # fmt: skip
    assert code == 0, stderr[-2000:]
    assert "never imported" not in str(document), document  # the job's pytest ran the tests
