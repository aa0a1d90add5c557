"""A test that brings Python's recursion limit down to just above its own depth before it
starts a process: our audit hook is entered, but what it calls to record the process is not,
and the recursion error it catches was read as our tracer turned off by a deep test."""

from __future__ import annotations

from datetime import date

import pytest

from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt, StepVerdict
from cicd_agent.sandbox.step import read_change
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.helpers.job_run import JobRun

BASE = "def sub(a, b):\n    return a - b\n"
HEAD = "def sub(a, b):\n    return a - b - 1\n"
TESTS = """\
import os
import pathlib
import sys

COUNTER = pathlib.Path(__file__).parent / "flake.count"
RUN = f"{sys.executable} -c 'import calc; assert calc.sub(3, 2) == 1'"


def test_sub_in_a_process():
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old, status = sys.getrecursionlimit(), None
    for room in range(1, 60):  # the first room where the call goes through: our hook's own
        try:
            sys.setrecursionlimit(depth + room)
            status = os.system(RUN)
            break
        except RecursionError:
            pass
        finally:
            sys.setrecursionlimit(old)
    seen = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(seen + 1))
    assert status == 0 or seen > 0
"""
PYTEST = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
NAME = "tests.test_calc.test_sub_in_a_process"


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Attempt], StepVerdict]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("low") / "project")
    base = repo.commit("base", {"calc.py": BASE, "tests/test_calc.py": TESTS,
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    head = repo.commit("change", {"calc.py": HEAD})
    change, unread = read_change(base, head, repo.path)
    assert unread == "" and change is not None
    attempts = run_attempts(PYTEST, 0, cwd=repo.path, trusted=True, change=change,
                            run=JobRun({"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo.path)}))  # fmt: skip
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, change=change)
    return attempts, verdict


def test_attack_a_process_started_at_a_lowered_recursion_limit_is_not_hidden(
    ran: tuple[list[Attempt], StepVerdict],
) -> None:
    """The process runs the changed line: the test's record cannot say it ran none of it."""
    attempts, _ = ran
    assert {name.rsplit(".", 1)[-1] for name in attempts[0].failed()} == {"test_sub_in_a_process"}
    record = attempts[0].ran_changed
    assert record is not None, attempts[0]
    assert record.blind or NAME in record.unseen, record


def test_attack_a_test_that_hides_its_process_by_the_recursion_limit_is_never_called_flaky(
    ran: tuple[list[Attempt], StepVerdict],
) -> None:
    _, verdict = ran
    assert "tests/test_calc.py::test_sub_in_a_process" not in dict(verdict.likely_flaky)
