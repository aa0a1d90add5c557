"""The fix judge's in-run check inside pytest, loaded as the verifier loads it (``-p`` by module
name, in pytest's own process: importing it here would claim this process's profiler): a test
whose body really ran is seen to run, and a conftest that makes pytest's runner a no-op is seen
replacing it, and the test's body never entered."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from cicd_agent.runners.pytest import in_run
from tests.helpers.check_stream import streamed
from tests.helpers.gen_tests import PROJECT_PYTHON

PLUGIN = "in_run_check"
"""Its file in the package's boot folder, alone on ``PYTHONPATH`` (the verifier's copy is a folder
of its own too), run by the projects' own interpreter: no package of ours is imported first."""
BOOT = str(Path(in_run.__file__).parent)
MODULE = "cicd_agent.runners.pytest.in_run.in_run_check"
"""The module whose file the runs load by its bare name."""


def test_the_file_the_runs_load_is_the_package_s_in_run_check() -> None:
    """Loaded by its bare name from the boot folder, the in-run check is this module's own file, not
    a copy elsewhere (found without running it: importing it would claim this process)."""
    spec = importlib.util.find_spec(MODULE)
    assert spec is not None and spec.origin == os.path.join(BOOT, f"{PLUGIN}.py")


def _environ() -> dict[str, str]:
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": BOOT}
    environ.pop("PYTEST_ADDOPTS", None)
    return environ


FAILING = "def test_add():\n    assert 1 + 1 == 3\n"


def _checked(
    project: Path, _records: Path, *options: str
) -> tuple[int, list[dict[str, Any]]]:
    environ = _environ()
    argv = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", PLUGIN, "-p", "no:cacheprovider",
            *options, "."]  # fmt: skip
    done, records = streamed(lambda _fd: argv, project, environ)
    return done.returncode, [record for record in records if "failed" not in record]


def test_a_failure_reaches_the_judge_as_pytest_reports_it(tmp_path: Path) -> None:
    """The stream holds each failure as pytest reported it, before any report file is written:
    a JUnit report rewritten at exit cannot take it back."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(FAILING)
    environ = _environ()
    argv = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", PLUGIN, "-p", "no:cacheprovider", "."]
    done, records = streamed(lambda _fd: argv, tmp_path / "project", environ)
    assert done.returncode == 1
    assert {"failed": "test_calc.py::test_add", "when": "call"} in records


def test_a_test_that_ran_is_checked_running(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(FAILING)
    code, records = _checked(tmp_path / "project", tmp_path / "records")
    assert code == 1
    loaded, collected, call = records
    assert loaded["loaded"] is True and loaded["origins"]["pytest"].endswith("pytest/__init__.py")
    assert collected["changed"] == []
    assert (call["test"], call["ran"], call["changed"]) == ("test_calc.py::test_add", True, [])


def test_a_no_op_runner_is_caught_though_pytest_reports_a_pass(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(FAILING)
    (tmp_path / "project" / "conftest.py").write_text(
        "import _pytest.python\n\n_pytest.python.Function.runtest = lambda self: None\n"
    )
    code, records = _checked(tmp_path / "project", tmp_path / "records")
    assert code == 0  # pytest's own word: passed
    _, collected, call = records
    assert collected["changed"] == ["_pytest.python.Function.runtest replaced"]
    assert (call["ran"], call["changed"]) == (False, ["_pytest.python.Function.runtest replaced"])


def test_the_guard_knows_a_patched_file_with_no_changed_function_lines(tmp_path: Path) -> None:
    """A file the patch writes outside any function (a comment, a data file) is the patch's all
    the same, by its path and by its device and inode: a base that reads it as it is imported
    could pass on any patch. Importing the guard's module sets nothing (only ``install`` does)."""
    from cicd_agent.runners.pytest.in_run.in_run_check_guard import _lines_of

    patched, other, link = tmp_path / "notes.txt", tmp_path / "other.txt", tmp_path / "alias"
    patched.write_text("fixed\n")
    other.write_text("x\n")
    os.link(patched, link)
    found = os.stat(patched)
    lines_of = _lines_of({str(patched): frozenset(), (found.st_dev, found.st_ino): frozenset()}, {})
    assert lines_of(str(patched), True) == frozenset()
    assert lines_of(str(link), True) == frozenset()  # another name of the same file
    assert lines_of(str(other), True) is None
    assert lines_of(str(tmp_path / "missing"), True) is None


SWAPPED = """\
import sys


def test_a(request):
    sys.modules[__name__].test_b.__code__ = (lambda: None).__code__
    next(item for item in request.session.items if item.name == "test_c").obj = lambda: None


def test_b():
    assert 1 + 1 == 3


def test_c():
    assert 1 + 1 == 3
"""


def test_attack_a_test_that_swaps_a_later_tests_code_is_caught(tmp_path: Path) -> None:
    """A test (or the code under test it calls) that puts other code in a later failing test's
    place (its function's ``__code__``, or its item's ``obj``): pytest reports a pass and the
    new code runs, but the test's own code, as collection found it, never does, and the swap
    is written down; the judge refuses the run."""
    from cicd_agent.runners.pytest.in_run_records import in_run_problem
    from cicd_agent.runners.table import (
        RUNNERS,  # first: in_run_records -> evidence -> runners -> in_run_records
    )

    assert RUNNERS
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(SWAPPED)
    code, records = _checked(tmp_path / "project", tmp_path / "records", "-p", "no:randomly")
    assert code == 0  # pytest's own word: all passed
    for name in ("test_b", "test_c"):
        call = next(record for record in records if record.get("test") == f"test_calc.py::{name}")
        assert call["ran"] is False
        assert call["changed"] == [
            f"the code of the test test_calc.py::{name} replaced after it was collected"]
        said = in_run_problem([records], tmp_path / "project", [], [f"test_calc.{name}"], [])
        assert said.startswith("not verified: pytest's runner changed"), said


SILENCING = """\
import atexit, json, os


def rebinds():
    real = json.dumps

    def dumps(record, *args, **kwargs):
        return real({"pid": record["pid"]} if "failed" in record else record, *args, **kwargs)

    json.dumps = dumps
    os.write = lambda fd, data: len(data) if b"failed" in data else real_write(fd, data)
    return 1


real_write = os.write


def moves_the_stream():
    named = int(os.environ[os.environ["CICD_FIX_CHECK_STREAM"]])
    os.dup2(os.open(os.devnull, os.O_WRONLY), named)
    atexit.register(lambda: os._exit(0))
    return 1


def test_b():
    assert rebinds() == 2


def test_c():
    assert moves_the_stream() == 2
"""


def test_attack_code_under_test_that_rebinds_or_moves_the_in_run_check_writer_hides_no_failure(
    tmp_path: Path,
) -> None:
    """Code under test that rebinds ``json.dumps`` and ``os.write`` to drop the in-run check's
    failure records, or moves the fd its variable names onto ``/dev/null`` and exits 0: the
    in-run check calls what it took as it loaded, through its own copy of the pipe's end, so each
    failure reaches the judge as pytest reported it."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(SILENCING)
    environ = _environ()
    argv = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", PLUGIN, "-p", "no:cacheprovider",
            "-p", "no:randomly", "."]  # fmt: skip
    done, records = streamed(lambda _fd: argv, tmp_path / "project", environ)
    assert done.returncode == 0  # the process's own word: forced at exit
    assert [record["failed"] for record in records if "failed" in record] == [
        "test_calc.py::test_b", "test_calc.py::test_c"]


PRE_EMPTED = """\
import json, os
import pytest


class Quiet(pytest.Function):
    def runtest(self):
        return None


def test_a(request):
    item = next(item for item in request.session.items if item.name == "test_b")
    item.__class__ = Quiet
    fd = int(os.environ[os.environ["CICD_FIX_CHECK_STREAM"]])
    forged = {"pid": os.getpid(), "test": item.nodeid, "function": True, "ran": True, "changed": []}
    os.write(fd, ("\\n" + json.dumps(forged) + "\\n").encode())


def test_b():
    assert 1 + 1 == 3
"""


def test_attack_a_record_written_before_the_in_run_checks_own_takes_nothing_back(tmp_path: Path) -> None:
    """Code under test that gives a later failing test a runner that never runs it (its
    item's class) and writes that test's record first, "ran", through the stream's fd: the
    in-run check's own record says its function never ran, and the judge and the seam's reader
    believe a test ran only where every record of it says so."""
    from cicd_agent.runners.pytest.in_run_records import in_run_problem
    from cicd_agent.runners.pytest.report import UNSEEN, parse_evidence

    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text(PRE_EMPTED)
    code, records = _checked(tmp_path / "project", tmp_path / "records", "-p", "no:randomly")
    assert code == 0  # pytest's own word: both passed
    said = [record["ran"] for record in records if record.get("test") == "test_calc.py::test_b"]
    assert said == [True, False]  # the forged one first
    problem = in_run_problem([records], tmp_path / "project", [], ["test_calc.test_b"], [])
    assert "without its own function running" in problem, problem
    pipe = [json.dumps({"pid": 7, **record}).encode() for record in records]
    pipe.append(json.dumps({"tests": {"test_calc.py::test_b": "passed"}, "exitstatus": 0}).encode())
    evidence = parse_evidence(b"\n".join(pipe), 0, tmp_path / "project")
    assert evidence.outcomes is not None
    assert evidence.outcomes.tests["test_calc.py::test_b"] == UNSEEN


def test_attack_a_pytest_whose_collection_record_was_lost_is_not_believed(tmp_path: Path) -> None:
    """The record of what a pytest collected (the hooks that run and report a test, 3.7 KB
    with this project's plugins) grows past what a pipe writes whole (4 KB) with longer paths
    or more plugins: a writer of the code under test racing it on the same pipe can then tear
    it into lines that are no record (the tear is left out here: the record is dropped). A
    process that ran tests without that record says nothing about its hooks, so neither the
    judge nor the seam's reader believes it."""
    from cicd_agent.runners.pytest.in_run_records import in_run_problem
    from cicd_agent.runners.pytest.report import parse_evidence

    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_calc.py").write_text("def test_b():\n    assert 1 + 1 == 2\n")
    code, records = _checked(tmp_path / "project", tmp_path / "records")
    assert code == 0
    assert in_run_problem([records], tmp_path / "project", [], ["test_calc.test_b"], []) == ""
    torn = [record for record in records if "collected" not in record]
    said = in_run_problem([torn], tmp_path / "project", [], ["test_calc.test_b"], [])
    assert said == ("not verified: a pytest that ran tests never said what it collected "
                    "(its record was lost)")  # fmt: skip
    pipe = [json.dumps({"pid": 7, **record}).encode() for record in torn]
    pipe.append(json.dumps({"tests": {"test_calc.py::test_b": "passed"}, "exitstatus": 0}).encode())
    evidence = parse_evidence(b"\n".join(pipe), 0, tmp_path / "project")
    assert evidence.problem == said.removeprefix("not verified: ")


def test_attack_an_origin_that_walks_out_of_the_jobs_install_is_the_checkouts(
    tmp_path: Path,
) -> None:
    """Attack on the in-run check's origin check: pytest imported through a path that enters the
    job's ``.venv`` and leaves it again (``<copy>/.venv/../pytest/__init__.py``, a search
    path written so) is the checkout's ``pytest`` folder, not the job's install."""
    from cicd_agent.runners.pytest.report import runner_changed  # the seam that reads it

    repo = tmp_path / "copy"
    walked = {"origins": {"pytest": f"{repo}/.venv/../pytest/__init__.py"}}
    assert "imported from the checkout" in runner_changed([walked], repo, (), (".venv",))
    kept = {"origins": {"pytest": f"{repo}/.venv/lib/site-packages/pytest/__init__.py"}}
    assert runner_changed([kept], repo, (), (".venv",)) == ""
    hook = {"hooks": [["pytest_runtest_call", f"{repo}/.venv/../conftest.py"]]}
    assert "which the patch writes" in runner_changed([hook], repo, ("conftest.py",), (".venv",))
