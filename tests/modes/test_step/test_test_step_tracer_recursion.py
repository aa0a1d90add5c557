"""A test that runs Python to its recursion limit (tomli's suite checks its parser raises
``RecursionError``) makes our tracer raise there too, and Python turns a tracer that raises
off. A new user's tomli run (trial 10) was then blind as a whole, "the tracer's own watch
failed", on every push. That test's record no longer holds, and it is said why; the tracer is
set again for the tests after it, whose records hold."""

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
import pathlib

import pytest

import calc

COUNTER = pathlib.Path(__file__).parent / "flake.count"


def _deep(n):
    return _deep(n + 1)


def test_deep_then_sub():
    # runs to the recursion limit, as a parser's nesting check does, then the changed line
    with pytest.raises(RecursionError):
        _deep(0)
    assert calc.sub(3, 2) == 1


def test_sub():
    assert calc.sub(3, 2) == 1


def test_flake():
    seen = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(seen + 1))
    assert seen > 0
"""
PYTEST = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Attempt], StepVerdict]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("deep") / "project")
    base = repo.commit("base", {"calc.py": BASE, "tests/test_calc.py": TESTS,
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    head = repo.commit("change", {"calc.py": HEAD})
    change, unread = read_change(base, head, repo.path)
    assert unread == "" and change is not None
    attempts = run_attempts(PYTEST, 0, cwd=repo.path, trusted=True, change=change,
                            run=JobRun({"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo.path)}))  # fmt: skip
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, change=change)
    return attempts, verdict


def test_the_recursion_limit_blinds_its_own_test_not_the_run(
    ran: tuple[list[Attempt], StepVerdict],
) -> None:
    """Before: the record's ``blind`` was "the tracer's own watch failed" and no failure was
    judged by what it ran."""
    attempts, verdict = ran
    assert {name.rsplit(".", 1)[-1] for name in attempts[0].failed()} == {
        "test_deep_then_sub", "test_sub", "test_flake"}  # fmt: skip
    record = attempts[0].ran_changed
    assert record is not None and record.blind == "", record
    assert record.unseen.keys() == {"tests.test_calc.test_deep_then_sub"}, record.unseen
    assert "recursion limit" in record.unseen["tests.test_calc.test_deep_then_sub"]
    assert record.tests["tests.test_calc.test_sub"] is True  # seen after it: the tracer is back
    assert dict(verdict.likely_flaky).keys() == {"tests/test_calc.py::test_flake"}


def test_attack_a_test_that_turns_the_tracer_off_by_recursion_is_never_called_flaky(
    ran: tuple[list[Attempt], StepVerdict],
) -> None:
    """It runs the changed line after the tracer is off: what it ran is not known."""
    _, verdict = ran
    assert "tests/test_calc.py::test_deep_then_sub" not in dict(verdict.likely_flaky)
