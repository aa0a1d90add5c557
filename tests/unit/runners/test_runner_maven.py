"""JUnit through Maven behind the seam: where the job's Maven repository does not hold the
project's plugins offline (this machine's, and any job that did not prepare one), the run
"could not run" and says what to install; never a pass, never a silent skip. The console
reader is checked on surefire's own line format."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.runners.base import Selection
from cicd_agent.runners.lookups import running
from cicd_agent.runners.maven.runner import OFFLINE_FIX, MavenJUnit, read_console
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>m</groupId><artifactId>m</artifactId><version>1</version>
<dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId>
<version>4.13.2</version><scope>test</scope></dependency></dependencies></project>
"""
TEST = ("package m;\nimport org.junit.Test;\nimport static org.junit.Assert.*;\npublic class "
        "CalcTest { @Test public void adds() { assertEquals(3, Calc.add(1, 2)); } }\n")  # fmt: skip
CALC = "package m;\npublic class Calc { public static int add(int a, int b) { return a + b; } }\n"


@needs_sandbox
@needs("mvn")
def test_without_the_projects_plugins_offline_maven_could_not_run(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("start", {"pom.xml": POM, "src/main/java/m/Calc.java": CALC,
                          "src/test/java/m/CalcTest.java": TEST})  # fmt: skip
    with PytestSandbox(repo.path, {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}) as sandbox:
        report = MavenJUnit().run(sandbox, sandbox.workspace("mvn"),
                                  Selection(("src/test/java/m/CalcTest.java",)), timeout=300)  # fmt: skip
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
