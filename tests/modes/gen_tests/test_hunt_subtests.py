"""The flaky hunt on tests with subtests (pytest 9's own ``subtests`` fixture and unittest's
``subTest``), in the real sandbox: each run of a test is one run, however many subtests it
holds, and a subtest failing every run makes a failing test, never a flaky one.

Before: pytest 9 reports each subtest as a report of its own under the test's id, and the
hunt's plugin counted each report as a run. A unittest test whose subtests all passed counted
4 passes in its one run, and one whose subtests failed every run (its own report passing, as
pytest writes it for unittest) counted 2 passes and 2 failures in 1 run: flaky (on
more-itertools, two such tests were named flaky, 1 of 1,100 runs passed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cicd_agent.modes.gen_tests.conditions import Condition, Schedule
from cicd_agent.modes.gen_tests.rerun_counts import ReliableTests, Reruns
from cicd_agent.modes.gen_tests.reruns import TestRuns
from cicd_agent.runners.pytest.runner import PLUGIN
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

SUBTESTS = """\
import unittest


class Cases(unittest.TestCase):
    def test_each_passes(self):
        for number in range(3):
            with self.subTest(number=number):
                self.assertEqual(number, number)

    def test_two_fail(self):
        for number in range(3):
            with self.subTest(number=number):
                self.assertEqual(number, 0)


def test_fixture_passes(subtests):
    for number in range(3):
        with subtests.test(number=number):
            assert number == number


def test_fixture_fails(subtests):
    for number in range(3):
        with subtests.test(number=number):
            assert number == 0
"""
FILE = "tests/test_subtests.py"
PASSES, FAILS = f"{FILE}::Cases::test_each_passes", f"{FILE}::Cases::test_two_fail"
FIXTURE_PASSES, FIXTURE_FAILS = f"{FILE}::test_fixture_passes", f"{FILE}::test_fixture_fails"


@pytest.fixture(scope="module")
def hunted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reruns]:
    """Two rounds of the file's tests: one run each, then 3 runs each in one session (pytest's
    own test functions and unittest's TestCase methods alike)."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("subtests") / "project")
    repo.commit("tests", {FILE: SUBTESTS, "pyproject.toml": "[project]\nname='p'\n"})
    with Sandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        runs = TestRuns(sandbox, ["python", "-m", "pytest", "-q", *PLUGIN],
                        timeout=120)  # fmt: skip
        schedule = Schedule((Condition("alone", files=False),), repeats=3)
        yield runs.judge(ReliableTests((PASSES, FAILS, FIXTURE_PASSES, FIXTURE_FAILS), runs=2),
                         schedule=schedule, said=_SAID.append)  # fmt: skip


_SAID: list[str] = []
"""The hunt's progress lines."""


@needs_sandbox
def test_a_test_with_subtests_is_one_run_each_time_it_runs(hunted: Reruns) -> None:
    counts = {test: (c.passed, c.failed, c.verdict) for test, c in hunted.tests.items()}
    assert counts == {
        PASSES: (4, 0, "stable"),
        FAILS: (0, 4, "failing"),
        FIXTURE_PASSES: (4, 0, "stable"),
        FIXTURE_FAILS: (0, 4, "failing"),
    }, (counts, hunted.stopped)
    # its progress line says "up to": a deadline may cut a repeated round short
    assert [line for line in _SAID if "round 2" in line] == [
        "reruns: round 2, 4 test(s), up to 3 runs each"]
