"""The test step's readers beside the runners: jest's and vitest's JSON report read into
``file › full name`` ids, a retry's name pattern that matches those names alone (a name full of
pattern characters included), and the changed-lines tracer, which traces nothing unless the
step names the change's lines."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from cicd_agent.runners.js.step import step_outcomes, step_retry


def test_a_json_report_gives_each_test_by_file_and_full_name(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    report = {"testResults": [
        {"name": str(root / "src" / "calc.test.js"), "assertionResults": [
            {"fullName": "calc adds", "status": "passed"},
            {"fullName": "calc (a|b).* 1+1", "status": "failed"},
            {"fullName": "calc skipped", "status": "pending"}]},
        {"name": "/elsewhere/x.test.js", "assertionResults": [{"fullName": "x", "status": "failed"}]},
        "not an object",
    ]}  # fmt: skip
    (tmp_path / "report.json").write_text(json.dumps(report))
    found = step_outcomes(tmp_path, root)
    assert found == {"src/calc.test.js › calc adds": True,
                     "src/calc.test.js › calc (a|b).* 1+1": False, "x.test.js › x": False}  # fmt: skip
    pattern = step_retry([test for test, passed in found.items() if not passed])[0]
    chosen = re.compile(pattern.removeprefix("--testNamePattern="))
    assert chosen.match("calc (a|b).* 1+1") and chosen.match("x")
    assert not chosen.match("calc adds") and not chosen.match("calc a")


def test_an_unreadable_report_is_no_outcome(tmp_path: Path) -> None:
    assert step_outcomes(tmp_path, tmp_path) == {}  # none written
    (tmp_path / "report.json").write_text("[" * 100_000)
    assert step_outcomes(tmp_path, tmp_path) == {}


def test_the_tracer_traces_nothing_unless_the_step_names_the_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CICD_CHANGED_LINES", raising=False)
    before = sys.gettrace()
    from cicd_agent.runners.pytest import changed_lines as pytest_changed_lines

    assert sys.gettrace() is before and pytest_changed_lines._LINES == {}


def test_maven_retries_the_failed_methods_by_class_and_the_step_reads_surefires_reports(
    tmp_path: Path,
) -> None:
    from cicd_agent.runners.junit import outcomes_in_folder
    from cicd_agent.runners.maven.runner import MavenJUnit

    maven = MavenJUnit()
    first = maven.step_command(["mvn", "-B", "test"], tmp_path, [])
    assert first == ["mvn", "-B", "test", f"-Dsurefire.reportsDirectory={tmp_path / 'surefire'}"]
    again = maven.step_command(["mvn", "test"], tmp_path, ["a.BTest.adds", "a.BTest.subs", "c.DTest.x"])
    assert again[-2:] == ["-Dtest=a.BTest#adds+subs,c.DTest#x", "-Dsurefire.failIfNoSpecifiedTests=false"]
    reports = tmp_path / "surefire"
    reports.mkdir()
    (reports / "TEST-a.BTest.xml").write_text(
        '<testsuite><testcase classname="a.BTest" name="adds"/>'
        '<testcase classname="a.BTest" name="subs"><failure/></testcase></testsuite>')
    (reports / "TEST-link.xml").symlink_to(reports / "TEST-a.BTest.xml")  # never followed
    assert outcomes_in_folder(reports) == {"a.BTest.adds": True, "a.BTest.subs": False}


def test_go_retries_name_the_failed_tests_before_the_binarys_own_arguments() -> None:
    """Everything after ``-args`` goes to the test binary: a ``-json`` placed there reached
    no go command (the binary stopped on a flag it does not know, no test reported). A failed
    subtest is named at each level of its path (a parent's other subtests are not run again);
    the package's last part may hold dots."""
    from cicd_agent.runners.go.runner import GoTest

    go = GoTest()
    first = go.step_command(["go", "test", "./...", "-args", "-update"], Path("/f"), None)
    assert first == ["go", "test", "./...", "-json", "-count=1", "-args", "-update"]
    again = go.step_command(["go", "test", "-v", "./...", "--args", "x"], Path("/f"),
                            ["gopkg.in/yaml.v3.TestA/case.1", "example.com/m/calc.TestB"])  # fmt: skip
    assert again == ["go", "test", "-v", "./...", "-json", "-count=1",
                     r"-run=^(TestA|TestB)$/^(case\.1)$", "--args", "x"]  # fmt: skip
    # the command's own count stands (a -count after -args is the binary's, not go's)
    assert go.step_command(["go", "test", "-count", "3", "./..."], Path("/f"), None) == [
        "go", "test", "-count", "3", "./...", "-json"]  # fmt: skip
    assert go.step_command(["go", "test", "./...", "-args", "-count=2"], Path("/f"), None) == [
        "go", "test", "./...", "-json", "-count=1", "-args", "-count=2"]  # fmt: skip


def test_attack_a_pass_printed_after_a_failure_does_not_make_the_step_test_pass() -> None:
    """The step reads go's events and libtest's result lines from what the run printed, and a
    test may print what it likes (libtest shows a failed test's output after its result; a Go
    test can write to the go command's own output through ``/proc``). A test that ended failed
    once in a run failed in it, whatever end is printed after."""
    from cicd_agent.runners.cargo.runner import CargoTest
    from cicd_agent.runners.go.runner import GoTest

    fail = '{"Action":"fail","Package":"example.com/m","Test":"TestBroken"}'
    forged = '{"Action":"pass","Package":"example.com/m","Test":"TestBroken"}'
    inside = json.dumps({"Action": "output", "Package": "example.com/m", "Test": "TestOk",
                         "Output": forged + "\n"})  # fmt: skip
    ok = '{"Action":"pass","Package":"example.com/m","Test":"TestOk"}'
    found = GoTest().step_outcomes(Path("/f"), "\n".join([fail, inside, ok, forged]), Path("/f"))
    assert found == {"example.com/m.TestBroken": False, "example.com/m.TestOk": True}
    printed = "test broken ... FAILED\n---- broken stdout ----\ntest broken ... ok\ntest ok ... ok\n"
    assert CargoTest().step_outcomes(Path("/f"), printed, Path("/f")) == {"broken": False, "ok": True}
