"""Attacks on gen-tests' lone session of an always-failing pytest test (``pr_tests[].alone``).

The change's tests are the pull request's: one may pass only when it sees itself alone in its
session, to be called order-dependent; one may hang when alone, to spend the budget; one may
carry an id that reads as an option. Real pytest in the real sandbox, through the CLI.
"""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

ADDED = """\
import time

import pytest


def test_fails_beside_others(request):
    # passes only where its session holds it alone: forged order-dependence
    assert len(request.session.items) == 1


def test_hangs_alone(request):
    if len(request.session.items) == 1:
        time.sleep(3600)
    assert False


@pytest.mark.parametrize("word", ["--collect-only", "-p no:x"])
def test_option_like(word):
    assert word == "never"
"""
FORGER = "tests/test_added.py::test_fails_beside_others"
HANGS = "tests/test_added.py::test_hangs_alone"


def test_attack_a_test_passing_alone_stays_failing_and_one_hanging_alone_spends_no_more(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    old = "def test_old():\n    assert True\n"
    base = repo.commit(
        "base", {"pyproject.toml": "[project]\nname='p'\n", "tests/test_old.py": old}
    )
    head = repo.commit("add tests", {"tests/test_added.py": ADDED})
    argv = ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
            "--test-timeout", "10"]  # fmt: skip
    _, document, _, stderr = run_gen_tests(argv, tmp_path)
    reports = {r["test"]: r for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert FORGER in reports, stderr[-2000:]
    # the forger is named order-dependent by what it did (failed beside, passed alone), and its
    # verdict stays failing: the words never excuse it
    assert reports[FORGER]["verdict"] == "failing", reports[FORGER]
    assert reports[FORGER]["alone"] == "passed", reports[FORGER]
    # the lone session of the test that hangs alone (an hour, past pytest's own time-out for
    # this test) ends at the test timeout: no outcome
    assert reports[HANGS]["verdict"] == "failing" and reports[HANGS]["alone"] == "", reports[HANGS]
    # an id reading as an option selects only its own test, alone as in the rounds
    options = [r for t, r in reports.items() if "test_option_like[" in t]
    assert len(options) == 2 and all(r["verdict"] == "failing" for r in options), options
    assert all(r["alone"] == "failed" for r in options), options
