"""The table of runner report shapes: one module per runner, each one line in ``RUNNERS``, and
what each reads from a report (a test's lines, its verdict, its parent, its message)."""

from __future__ import annotations

import pkgutil

from cicd_agent.modes.analyse_failure.logs import runners
from cicd_agent.modes.analyse_failure.logs.runners import (
    RUNNERS,
    failing_tests,
    inside,
    spans_of_tests,
    with_message,
)
from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape


def test_every_runner_module_is_one_line_of_the_table() -> None:
    modules = {m.name for m in pkgutil.iter_modules(runners.__path__)} - {"shape"}
    shapes = {getattr(runners, name).SHAPE for name in modules}
    assert all(isinstance(shape, RunnerShape) for shape in shapes)
    assert shapes == set(RUNNERS) and len({s.name for s in RUNNERS}) == len(RUNNERS)


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
