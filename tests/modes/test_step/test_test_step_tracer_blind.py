"""Where our tracer cannot see a changed line run, no failure is called likely flaky: a test
that runs the change in a child process, a test that turns the tracer off and back on, a
shared fixture whose server process runs the change, and a coverage tool whose tracer replaces
ours (pytest-cov). A failure that ran nothing changed, in plain sight, is still named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
import subprocess
import sys
import threading

import calc

COUNTER = pathlib.Path(__file__).parent / "flake.count"


def test_sub():
    assert calc.sub(3, 2) == 1


def test_sub_in_child():
    # the changed line runs in a child process, on the test's failing path
    out = subprocess.run([sys.executable, "-c", "import calc; print(calc.sub(3, 2))"],
                         capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "1"


def test_sub_untraced():
    # notices the tracer, turns it off around the changed line, puts it back
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        result = calc.sub(3, 2)
    finally:
        sys.settrace(tracer)
    assert result == 1


def test_sub_in_thread():
    found = []
    worker = threading.Thread(target=lambda: found.append(calc.sub(3, 2)))
    worker.start()
    worker.join()
    assert found == [1]


def test_flake():
    seen = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(seen + 1))
    assert seen > 0
"""
SERVER = """\
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def answer():
    # a shared fixture's process runs the change and serves the module's tests
    out = subprocess.run([sys.executable, "-c", "import calc; print(calc.sub(3, 2))"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip()


def test_first(answer):
    assert answer == "1"


def test_second(answer):
    assert answer == "1"
"""
PYTEST = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
NAMES = ("test_sub", "test_sub_in_child", "test_sub_untraced", "test_sub_in_thread", "test_flake")


def _judge(attempts: list[Attempt], change: object) -> StepVerdict:
    return judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True,
                      change=change)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("blind") / "project")
    base = repo.commit("base", {"calc.py": BASE, "tests/test_calc.py": TESTS,
                                "tests/test_server.py": SERVER,
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    head = repo.commit("change", {"calc.py": HEAD})
    change, unread = read_change(base, head, repo.path)
    assert unread == "" and change is not None
    return repo.path, change


def _run(project: tuple[Path, object], *args: str) -> tuple[list[Attempt], StepVerdict]:
    root, change = project
    attempts = run_attempts([*PYTEST, *args], 0, cwd=root, trusted=True, change=change,  # type: ignore[arg-type]
                            run=JobRun({"PATH": "/usr/bin:/bin",
                                        "PYTHONPATH": str(root)}))  # fmt: skip
    return attempts, _judge(attempts, change)


@pytest.fixture(scope="module")
def plain(project: tuple[Path, object]) -> tuple[list[Attempt], StepVerdict]:
    return _run(project, "tests/test_calc.py")


def test_attack_the_change_run_in_a_child_process_or_untraced_is_never_called_flaky(
    plain: tuple[list[Attempt], StepVerdict],
) -> None:
    attempts, verdict = plain
    failed = {name.rsplit(".", 1)[-1] for name in attempts[0].failed()}
    assert failed == set(NAMES)  # every test failed on the first run: each one a candidate
    assert dict(verdict.likely_flaky).keys() == {"tests/test_calc.py::test_flake"}
    record = attempts[0].ran_changed
    assert record is not None and record.blind == ""
    assert "started a process" in record.unseen["tests.test_calc.test_sub_in_child"]
    assert "tracer" in record.unseen["tests.test_calc.test_sub_untraced"]
    # a thread the test starts is traced (threading hands it our tracer): seen, ran the change
    assert record.tests["tests.test_calc.test_sub_in_thread"] is True
    assert record.unseen.keys() == {"tests.test_calc.test_sub_in_child",
                                    "tests.test_calc.test_sub_untraced"}
    said = " ".join(verdict.said)
    assert "2 failure(s) could not be judged by what they ran" in said


def test_attack_a_shared_fixtures_process_blinds_the_whole_run(
    project: tuple[Path, object],
) -> None:
    attempts, verdict = _run(project, "tests/test_server.py")
    assert len(attempts[0].failed()) == 2 and verdict.likely_flaky == ()
    assert attempts[0].ran_changed is not None
    assert "outside a test's own call" in attempts[0].ran_changed.blind
    assert "outside a test's own call" in verdict.said[-1]


def test_a_coverage_tool_that_replaces_our_tracer_leaves_no_label(
    project: tuple[Path, object],
) -> None:
    """pytest-cov puts coverage's tracer in place of ours before any test: nothing the tests
    ran is seen, so none is called flaky for running nothing changed."""
    attempts, verdict = _run(project, "tests/test_calc.py", "--cov=.", "--cov-report=")
    assert "tests.test_calc.test_sub" in attempts[0].failed() and verdict.likely_flaky == ()
    assert "another tracer replaced ours" in verdict.said[-1]
