"""The runners' report shapes: each runner folder's ``log.py`` and each module of
``runners/logs_only``, all of them in ``LOG_SHAPES``, and what each reads from a report (a
test's lines, its verdict, its parent, its message)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from cicd_agent import runners
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.runner_reports import (
    failing_tests,
    inside,
    spans_of_tests,
)
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.modes.analyse_failure.logs.test_messages import with_message
from cicd_agent.runners import logs_only
from cicd_agent.runners.go import log as go_log
from cicd_agent.runners.logs_only import node_test
from cicd_agent.runners.maven import log as junit
from cicd_agent.runners.shape import RunnerShape
from cicd_agent.runners.shapes import LOG_SHAPES
from tests.corpus.runner_log import write_layout
from tests.harness.payloads import REPO_ROOT
from tests.modes.analyse_failure.realruns import RealRun


def test_every_shape_module_is_read_once() -> None:
    folders = [m.name for m in pkgutil.iter_modules(runners.__path__) if m.ispkg]
    logs = [f"cicd_agent.runners.{name}.log" for name in folders
            if (Path(runners.__path__[0]) / name / "log.py").is_file()]
    logs += [f"cicd_agent.runners.logs_only.{m.name}" for m in pkgutil.iter_modules(logs_only.__path__)]
    shapes = {importlib.import_module(name).SHAPE for name in logs}
    assert all(isinstance(shape, RunnerShape) for shape in shapes)
    assert shapes == set(LOG_SHAPES) and len({s.name for s in LOG_SHAPES}) == len(LOG_SHAPES)
    assert go_log.SHAPE in shapes and node_test.SHAPE in shapes


def test_reading_a_log_loads_no_runners_run() -> None:
    """The log reading stands on the shapes alone: the table (every runner's run, sessions and
    step) is never loaded by it."""
    check = ("import sys, cicd_agent.modes.analyse_failure.logs as logs, "
             "cicd_agent.modes.analyse_failure.logs.analyse\n"
             "print(sorted(m for m in sys.modules if m in {'cicd_agent.runners.table', "
             "'cicd_agent.runners.lookups', 'cicd_agent.runners.pytest.runner'}))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")})  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout


def test_a_pytest_tests_lines_run_from_its_header_to_the_next_section() -> None:
    lines = list(enumerate([
        "tests/test_calc.py F.", "", "=== FAILURES ===", "____ test_sub ____",
        "E   AssertionError: No space left on device", "--- Captured stdout call ---",
        "Killed", "=== short test summary info ===",
        "FAILED tests/test_calc.py::test_sub - AssertionError: No space left on device",
        "=== 1 failed, 1 passed in 0.01s ===", "##[error]Process completed with exit code 1.",
    ], start=1))  # fmt: skip
    spans = spans_of_tests(lines)
    assert [inside(spans, n) for n in (1, 3, 4, 5, 7, 8, 9, 10, 11)] == [
        False, False, True, True, True, False, True, False, False,
    ]


def test_a_surefire_class_summary_is_not_a_second_failure_and_the_message_is_the_assertion() -> None:
    report = [
        "[INFO] Running org.x.ConverterTest",
        "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.02 s <<< "
        "FAILURE! -- in org.x.ConverterTest",
        "[ERROR] org.x.ConverterTest.parses -- Time elapsed: 0.01 s <<< FAILURE!",
        "org.opentest4j.AssertionFailedError: expected: <4> but was: <2>",
        "\tat org.x.Converter.apply(Converter.java:64)",
        "[ERROR] Failures: ",
    ]
    assert failing_tests(report) == ("org.x.ConverterTest.parses",)
    numbered = list(enumerate(report, start=1))
    assert with_message(report[2], 3, numbered).endswith(
        "- org.opentest4j.AssertionFailedError: expected: <4> but was: <2>"
    )


JUNIT_CONSOLE = (Path(__file__).parents[2] / "fixtures/logs/junit_console.txt").read_text()
"""The JUnit console launcher (Debian's junit5 5.9.2, ``java -jar
junit-platform-console-standalone.jar -cp out --select-class org.x.ConverterTest``) on a
two-test class whose ``Converter.apply`` returns half the length: its real output, colours
kept, the scratch folder shown as the runner's checkout."""


def test_the_junit_console_launchers_failure_is_read_like_pytests(tmp_path: Path) -> None:
    """It was ``unknown`` with no responsible file."""
    changed = {"src/org/x/Converter.java": [8]}
    run = RealRun("junit", "junit-console", "java -jar junit-platform-console-standalone.jar",
                  1, "test_failure", ("parses",), ("expected",), changed, JUNIT_CONSOLE)  # fmt: skip
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([run.job()], tmp_path, "zip_steps"))),
        changed_files=list(changed), changed_lines=changed,
    )  # fmt: skip
    assert analysis.failure_type.value == "test_failure"
    assert "parses() ✘ expected: <4> but was: <2>" in analysis.root_cause
    assert analysis.failed_tests == ("ConverterTest.parses",)
    first = analysis.responsible_files[0]
    assert (first.path, first.lines[0]) == ("src/org/x/Converter.java", 8)
    # no checkout given and not in the change: the test's frame is shown as the frame
    assert any(f.path == "org.x.ConverterTest.parses (ConverterTest.java)" and f.frame
               and 10 in f.lines for f in analysis.responsible_files)  # fmt: skip


SUREFIRE = """\
[INFO] Running org.apache.commons.cli.ConverterTests
[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! \
-- in org.apache.commons.cli.ConverterTests
[ERROR] org.apache.commons.cli.ConverterTests.numberTests -- Time elapsed: 0.01 s <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <3> but was: <2>
\tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:151)
\tat org.apache.commons.cli.helper.Numbers.parse(Numbers.java:12)
\tat org.apache.commons.cli.Converter.apply(Converter.java:64)
\tat org.apache.commons.cli.ConverterTests.numberTests(ConverterTests.java:88)
[ERROR] Failures:\x20
[ERROR]   ConverterTests.numberTests:88 expected: <3> but was: <2>
[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0
[INFO] BUILD FAILURE
"""


def test_jvm_frames_are_named_by_their_repository_paths(tmp_path: Path) -> None:
    """commons-cli's change to ``Converter.apply``: the frame names ``Converter.java:64``, the
    repository holds it under Maven's ``src/main/java`` by its package. Before: the responsible
    file was ``Converter.java``, a path where no annotation or blame lands. The test's frame is
    found in the checkout (``src/test/java``), and a frame no file holds is shown as the frame."""
    changed = {"src/main/java/org/apache/commons/cli/Converter.java": [64]}
    checkout = tmp_path / "checkout"
    test_file = checkout / "src/test/java/org/apache/commons/cli/ConverterTests.java"
    test_file.parent.mkdir(parents=True)
    test_file.write_text("class ConverterTests {}\n")
    main_copy = checkout / "src/main/java/org/apache/commons/cli/Converter.java"
    main_copy.parent.mkdir(parents=True)
    main_copy.write_text("class Converter {}\n")
    run = RealRun("surefire", "maven", "mvn -B test", 1, "test_failure", ("numberTests",),
                  ("expected",), changed, SUREFIRE)  # fmt: skip
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([run.job()], tmp_path, "zip_steps"))),
        changed_files=list(changed), changed_lines=changed, checkout=checkout,
    )  # fmt: skip
    files = {f.path: f for f in analysis.responsible_files}
    first = analysis.responsible_files[0]
    assert (first.path, first.lines[0], first.changed) == (
        "src/main/java/org/apache/commons/cli/Converter.java", 64, True)  # fmt: skip
    assert 88 in files["src/test/java/org/apache/commons/cli/ConverterTests.java"].lines
    frame = files["org.apache.commons.cli.helper.Numbers.parse (Numbers.java)"]
    assert frame.frame and not frame.changed
    assert not any(path.endswith((" Converter.java", "/Numbers.java")) or path == "Converter.java"
                   for path in files)  # fmt: skip


def test_what_a_gradle_test_printed_is_that_tests_own() -> None:
    """Gradle heads a test's output with ``STANDARD_OUT``: a full-disk line a test printed
    there is the test's, and the build's own lines before and after it are nobody's."""
    lines = list(enumerate([
        "> Task :test", "", "CalcTest > testSub() STANDARD_OUT", "    No space left on device",
        "", "CalcTest > testSub() FAILED",
        "    org.opentest4j.AssertionFailedError: expected: <1> but was: <2>", "",
        "2 tests completed, 1 failed", "BUILD FAILED in 3s",
    ], start=1))  # fmt: skip
    assert junit.SHAPE in LOG_SHAPES
    spans = spans_of_tests(lines)
    assert [inside(spans, n) for n in (1, 4, 7, 10)] == [False, True, True, False]


def test_a_go_test_failing_only_by_its_subtest_is_read_as_that_subtest() -> None:
    # ``go test`` prints a failed subtest's verdict one level under its parent's, named after it
    report = [
        "--- FAIL: TestAdd (0.00s)",
        "    --- FAIL: TestAdd/negative (0.00s)",
        "        calc_test.go:14: Add(-1, -2) = 3, want -3",
        "FAIL",
        "FAIL\texample.com/calc\t0.002s",
    ]
    assert failing_tests(report) == ("TestAdd/negative",)
    numbered = list(enumerate(report, start=1))
    assert with_message(report[0], 1, numbered) == (
        "--- FAIL: TestAdd/negative (0.00s) - calc_test.go:14: Add(-1, -2) = 3, want -3"
    )
