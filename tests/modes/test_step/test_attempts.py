"""The test step with retries, on a real pytest project: only the failed tests run again, a
test that then passes is flaky, one that keeps failing fails the step, and a retried test that
writes its own passing report is not believed."""

from __future__ import annotations

import os
import sys
from datetime import date

import pytest

from cicd_agent.modes.test_step.attempts import refused_writes, run_attempts, runner_of
from cicd_agent.modes.test_step.judge import judge_step
from tests.git_builder import GitRepoBuilder
from tests.helpers.bounded import run_bounded
from tests.helpers.job_run import JobRun

TESTS = """\
import atexit
import pathlib
import os
import sys

HERE = pathlib.Path(__file__).parent


def _count(name):
    counter = HERE / f"{name}.count"
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    return seen


def test_ok():
    assert _count("ok") >= 0


def test_flaky_once():
    assert _count("flaky") > 0  # fails on the first run only


def test_broken():
    assert False


def test_forges_its_pass():
    if _count("forger") == 2:  # on the second retry: overwrite pytest's report with a clean one
        report = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--junitxml="))
        atexit.register(pathlib.Path(report).write_text,
                        '<testsuite><testcase classname="tests.test_step" name="test_forges_its_pass"/>'
                        '<testcase classname="tests.test_step" name="test_broken"/></testsuite>')
    assert False
"""


_ENV = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
"""This session's environment, as a job's step would have it, without our own run's options."""


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory) -> list:  # type: ignore[type-arg]
    repo = GitRepoBuilder(tmp_path_factory.mktemp("step") / "project")
    repo.commit("tests", {"tests/test_step.py": TESTS, "pyproject.toml": "[project]\nname='p'\n"})
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
    return run_attempts(command, 2, cwd=repo.path, run=JobRun(_ENV), say=_SAID.append)


_SAID: list[str] = []
"""The progress lines the module's one run said."""


def test_only_the_failed_tests_run_again(attempts: list) -> None:  # type: ignore[type-arg]
    first, retry, last = attempts
    assert first.failed() == ["tests.test_step.test_flaky_once", "tests.test_step.test_broken",
                              "tests.test_step.test_forges_its_pass"]  # fmt: skip
    assert "tests.test_step.test_ok" not in retry.outcomes  # passed: not run again
    assert retry.outcomes["tests.test_step.test_flaky_once"] is True
    assert "tests.test_step.test_flaky_once" not in last.outcomes
    # each retry is a line of progress: a step of minutes is never silent between its runs
    assert _SAID == ["retry 1 of 2: running the 3 failed test(s) again",
                     "retry 2 of 2: running the 2 failed test(s) again"]  # fmt: skip


def test_attack_the_forged_pass_is_not_believed_and_the_step_fails(attempts: list) -> None:  # type: ignore[type-arg]
    found = judge_step(attempts, (), date(2026, 11, 26), code_is_proof=True, policy="pass")
    assert found.flaky == (("tests/test_step.py::test_flaky_once",
                            "failed on the first run, passed on retry 1"),)  # fmt: skip
    assert found.failing == ("tests/test_step.py::test_broken",
                             "tests/test_step.py::test_forges_its_pass")  # fmt: skip
    assert not found.passed
    assert any("retry 2 is not believed: it exited 1" in line for line in found.said)


def test_which_commands_are_retried() -> None:
    assert getattr(runner_of(["pytest", "-q"]), "name", None) == "pytest"
    assert getattr(runner_of(["/usr/bin/python3", "-m", "pytest"]), "name", None) == "pytest"
    # every other runner through its own methods of the seam (tests/modes/test_step/test_test_step_runners.py)
    assert [getattr(runner_of(command.split()), "name", None) for command in (
        "npx jest", "npx vitest run", "go test ./...", "cargo test", "mvn -B test", "make check",
    )] == ["jest", "vitest", "go test", "cargo test", "maven", None]  # fmt: skip


def test_a_failed_test_is_named_by_the_id_pytest_prints(tmp_path_factory: pytest.TempPathFactory) -> None:
    """cachetools' shape: a unittest class in ``tests/``. Its JUnit report says
    ``tests.test_keys.CacheKeysTest`` / ``test_hashkey``; pytest prints
    ``tests/test_keys.py::CacheKeysTest::test_hashkey``, the name the step gives (the history
    keys it canonically, as analyse-failure reads it)."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("ids") / "project")
    keys = ("import unittest\n\n\nclass CacheKeysTest(unittest.TestCase):\n"
            "    def test_hashkey(self):\n        self.assertEqual(1, 2)\n\n"
            "    def test_typedkey(self):\n        pass\n")  # fmt: skip
    repo.commit("tests", {"tests/__init__.py": "", "tests/test_keys.py": keys,
                          "tests/test_plain.py": "def test_plain():\n    assert False\n"})  # fmt: skip
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
    attempts = run_attempts(command, 0, cwd=repo.path, run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 26), code_is_proof=True)
    assert found.failing == ("tests/test_keys.py::CacheKeysTest::test_hashkey",
                             "tests/test_plain.py::test_plain")  # fmt: skip
    assert set(attempts[0].outcomes) == {"tests.test_keys.CacheKeysTest.test_hashkey",
                                         "tests.test_keys.CacheKeysTest.test_typedkey",
                                         "tests.test_plain.test_plain"}  # fmt: skip


def test_a_command_no_runner_reads_is_said_so_not_as_stopped_before_its_tests(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """kleur's uvu: 15 tests ran and 5 failed, in words no runner here reads. The step says its
    tests were not read, naming the runners it reads, never that none reported."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("uvu") / "project")
    script = ("print('index  \u2718 \u2718   (10 / 15)')\nprint('  Total:     15')\n"
              "print('  Passed:    10')\nraise SystemExit(1)\n")  # fmt: skip
    repo.commit("tests", {"run_tests.py": script})
    (first,) = run_attempts([sys.executable, "run_tests.py"], 2, cwd=repo.path, run=JobRun(_ENV))
    found = judge_step([first], (), date(2026, 11, 26), code_is_proof=True)
    assert not found.passed
    (said,) = found.said
    assert "before any test reported" not in said
    assert ("The step failed: it exited 1, and its command is no runner's cicd-agent reads "
            "(pytest, jest, vitest, "
            "go test, cargo test, maven, node:test, mocha, ava, uvu): its tests were neither counted "
            "nor retried") in said


STOPS_EARLY = """\
import pathlib

COUNT = pathlib.Path(__file__).with_name("once.count")


def test_a_flaky_once():
    seen = int(COUNT.read_text()) if COUNT.exists() else 0
    COUNT.write_text(str(seen + 1))
    assert seen > 0


def test_b_always_broken():
    assert False
"""


def test_attack_a_first_run_that_stops_at_its_first_failure_hides_no_broken_test(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`pytest -x` (or `-x` in addopts; cargo test by default, go's -failfast) stopped at the
    flaky test, the broken one after it never ran, the flaky test passed on retry, and the step
    passed with `--flaky pass`. The step's runs undo the stop, so every test runs once."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("stops") / "project")
    repo.commit("tests", {"tests/test_stop.py": STOPS_EARLY,
                          "pytest.ini": "[pytest]\naddopts = -x\n"})  # fmt: skip
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:xdist"]
    attempts = run_attempts(command, 2, cwd=repo.path, run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert found.failing == ("tests/test_stop.py::test_b_always_broken",)
    assert not found.passed


def test_attack_a_stepwise_addopts_stops_the_first_run_past_maxfail(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Attack: the checkout's pytest.ini adds `--sw`, which stops the session at the flaky
    test's failure though the step adds `--maxfail=0`: the broken test after it never runs."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("stepwise") / "project")
    repo.commit("tests", {"tests/test_stop.py": STOPS_EARLY,
                          "pytest.ini": "[pytest]\naddopts = --sw\n"})  # fmt: skip
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
    attempts = run_attempts(command, 2, cwd=repo.path, run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert found.failing == ("tests/test_stop.py::test_b_always_broken",)
    assert not found.passed


def test_a_command_the_shell_cannot_find_is_said_so(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A new user's `npm tset`: the shell's exit 127 (no such command) was said as "no runner's
    cicd-agent reads", naming runners, not the typo."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("typo") / "project")
    repo.commit("readme", {"README.md": "x\n"})
    (first,) = run_attempts(["sh", "-c", "no-such-test-runner --all"], 1, cwd=repo.path,
                            run=JobRun(_ENV))  # fmt: skip
    assert first.exit_status == 127
    said = first.doubt
    assert "no such command" in said and "check its name" in said, said
    assert "no runner's cicd-agent reads" not in said


_MANY_PATHS = """
from cicd_agent.modes.test_step.attempts import refused_writes
message = (" /" + "a" * 298) * 6 + " erofs"  # JUnit keeps 2,000 characters of a message
names = [f"t{i}" for i in range(5_000)]
found = refused_writes(" /a" * 20_000 + "\\n", names, {name: message for name in names})
print(len(found), found[0][1][:8])
"""


def test_attack_failure_messages_full_of_paths_do_not_stall_the_refused_writes() -> None:
    """5,000 parametrised tests each failing with a message of paths and one refusal word:
    each path was tried against 300 characters after it for the word and every length of
    itself (17 ms a message at load 5, 90 s for the run; a 10,000-test run three minutes)."""
    done = run_bounded([sys.executable, "-c", _MANY_PATHS])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["5000", "/aaaaaaa"]


@pytest.mark.parametrize(("line", "path"), [
    ("PermissionError: [Errno 13] Permission denied: '/tmp/x'", "/tmp/x"),
    ("OSError: [Errno 30] Read-only file system: '/home/u/marker'", "/home/u/marker"),
    ("open /tmp/x: permission denied", "/tmp/x"),
    ("EROFS: read-only file system, open '/etc/x'", "/etc/x"),
    ("PermissionError: [Errno 13] Permission denied: '/home/x'", ""),  # the host's own rights
    ("open /home/x: PermissionError", ""),
])  # fmt: skip
def test_a_refused_write_is_read_with_its_path_either_side_of_the_words(
    line: str, path: str
) -> None:
    assert refused_writes(line, ["t"], {"t": line}) == ((("t", path),) if path else ())
