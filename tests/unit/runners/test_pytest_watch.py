"""pytest's watch on a failed step's own command (the fix judge's, through ``SESSIONS.watch``):
the variables a judged run gets, and what its records and report say, in the order the judge
reads them (the guard first)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.pytest.watch import PytestWatch
from cicd_agent.runners.table import SESSIONS

PASSED = b"""<?xml version="1.0"?><testsuite><testcase classname="tests.test_calc"
name="test_add" file="tests/test_calc.py"/></testsuite>"""


def _records(*records: dict[str, object]) -> bytes:
    return b"\n".join(json.dumps({"pid": 7, **record}).encode() for record in records)


def _seen(watch: PytestWatch, stream: bytes, folder: Path, repo: Path) -> tuple[str, bool, str]:
    seen = watch.seen(stream, folder, repo, patched=(), failed_tests=("tests/test_calc.py::test_add",),
                      test_files=(), script="python -m pytest", installed=())  # fmt: skip
    return seen.guarded, seen.loaded, seen.problem


def test_the_registry_hands_out_pytest_s_watch_installed_under_a_fresh_name(tmp_path: Path) -> None:
    first, second = SESSIONS.watch(tmp_path), SESSIONS.watch(tmp_path)
    assert isinstance(first, PytestWatch)
    assert first.module != second.module
    assert (tmp_path / "fix-boot" / f"{first.module}.py").is_file()


def test_a_judged_run_loads_the_check_and_writes_its_report_into_our_folder(tmp_path: Path) -> None:
    watch = SESSIONS.watch(tmp_path)
    changed = PatchedLines.of(tmp_path / "repo", [("calc.py", "x = 1\n", "x = 2\n")])
    options = watch.environment({"PYTEST_ADDOPTS": "-q"}, "FD", ("t.py::test_a",), (), changed,
                                folder=tmp_path / "tests")  # fmt: skip
    words = shlex.split(options["PYTEST_ADDOPTS"])
    assert words[:2] == ["-p", watch.module]
    assert words[-2:] == ["-q", f"--junitxml={tmp_path / 'tests' / 'report.xml'}"]
    assert options["PYTHONPATH"] == str(tmp_path / "fix-boot")


def test_the_guard_s_reason_comes_first_and_alone(tmp_path: Path) -> None:
    stream = _records({"loaded": True},
                      {"import_guard": {"file": str(tmp_path / "calc.py"), "line": 3}})  # fmt: skip
    guarded, loaded, problem = _seen(SESSIONS.watch(tmp_path), stream, tmp_path, tmp_path)
    assert guarded.startswith("not verified: line 3 of calc.py, which the patch changes, ran")
    assert loaded
    assert problem == ""


def test_no_report_is_no_evidence_and_a_run_without_the_check_is_unloaded(tmp_path: Path) -> None:
    guarded, loaded, problem = _seen(SESSIONS.watch(tmp_path), b"", tmp_path, tmp_path)
    assert (guarded, loaded) == ("", False)
    assert problem.startswith("not verified: the run gave no per-test evidence (no test report")


def test_a_report_showing_the_test_is_not_enough_without_the_check_s_records(
    tmp_path: Path,
) -> None:
    (tmp_path / "report.xml").write_bytes(PASSED)
    watch = SESSIONS.watch(tmp_path)
    assert watch.passing(tmp_path) == 1
    _guarded, _loaded, problem = _seen(watch, b"", tmp_path, tmp_path)
    assert problem == ("not verified: pytest never loaded the fix step's in-run check (its runs "
                       "went unseen)")  # fmt: skip
