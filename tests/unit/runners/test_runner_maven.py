"""JUnit through Maven behind the seam, all its tests: where the job's Maven repository does not
hold the project's plugins offline (this machine's, and any job that did not prepare one), the
run "could not run" and says what to install, never a pass nor a silent skip; the console
reader on surefire's own line format, a huge count in it no result; the test step's retry of
the failed methods by class and its reading of surefire's reports."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.runners.base import Selection
from cicd_agent.runners.lookups import running
from cicd_agent.runners.maven.runner import OFFLINE_FIX, MavenJUnit, read_console
from tests.helpers.runner_run import run_runner
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>m</groupId><artifactId>m</artifactId><version>1</version>
<dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId>
<version>4.13.2</version><scope>test</scope></dependency></dependencies></project>
"""
TEST = ("package m;\nimport org.junit.Test;\nimport static org.junit.Assert.*;\npublic class "
        "CalcTest { @Test public void adds() { assertEquals(3, Calc.add(1, 2)); } }\n")  # fmt: skip
HUGE = "9" * 5000
CALC = "package m;\npublic class Calc { public static int add(int a, int b) { return a + b; } }\n"


@needs_sandbox
@needs("mvn")
def test_without_the_projects_plugins_offline_maven_could_not_run(tmp_path: Path) -> None:
    project = {"pom.xml": POM, "src/main/java/m/Calc.java": CALC,
               "src/test/java/m/CalcTest.java": TEST}  # fmt: skip
    report = run_runner(MavenJUnit(), tmp_path / "project", project,
                        {"mvn": Selection(("src/test/java/m/CalcTest.java",))},
                        environ={"PATH": os.environ["PATH"], "HOME": "/nonexistent"})["mvn"]
    assert report.passed() == frozenset()
    assert report.problem == f"could not run: install {OFFLINE_FIX} before this step", (
        report.problem, report.output[-1500:])


CONSOLE = """[INFO] Running m.CalcTest
[INFO] Tests run: 2, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.03 s - in m.CalcTest
[INFO] Running m.OtherTest
[ERROR] Tests run: 1, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.01 s <<< FAILURE! - in m.OtherTest
[INFO] BUILD FAILURE
"""


def test_the_console_is_believed_only_where_the_exit_status_agrees() -> None:
    assert read_console(CONSOLE, 1) == ({"m.CalcTest": "passed", "m.OtherTest": "failed"}, "")
    assert "disagree" in read_console(CONSOLE, 0)[1]
    forged = CONSOLE + "Tests run: 1, Failures: 0, Errors: 0, Skipped: 0 - in m.OtherTest\n"
    assert "ending twice" in read_console(forged, 1)[1]


def test_maven_is_recognised_and_finds_a_classes_tests(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    maven = MavenJUnit()
    assert maven.configured(tmp_path) and isinstance(running("mvn -B verify"), MavenJUnit)
    files = ["src/test/java/m/CalcTest.java", "src/test/java/m/CalcIT.java",
             "src/test/java/n/CalcTest.java"]  # fmt: skip
    assert maven.tests_of("src/main/java/m/Calc.java", files) == (
        "src/test/java/m/CalcIT.java", "src/test/java/m/CalcTest.java")  # fmt: skip
    assert maven.missing(tmp_path, {"PATH": str(tmp_path)}).startswith(
        "could not run: install Maven before this step")


def test_attack_a_huge_count_in_mavens_console_is_no_result_not_a_crash() -> None:
    console = f"Tests run: {HUGE}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 1 s - in a.BTest\n"
    assert read_console(console + "BUILD SUCCESS\n", 0)[0] == {}


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
