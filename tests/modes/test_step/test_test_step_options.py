"""The test step's options: the command from the flag's words or the input's line, the ranges
checked before anything runs, and the flaky window the same as the history's."""

from __future__ import annotations

import argparse

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.flaky_stats import WINDOW
from cicd_agent.job.options import Given
from cicd_agent.modes.test_step import arguments
from cicd_agent.modes.test_step.options import TestStepOptions


def test_the_window_is_the_historys() -> None:
    assert arguments.WINDOW == WINDOW


def test_the_input_is_split_as_a_shell_would_and_an_empty_one_is_refused() -> None:
    assert arguments.command_line('python -m pytest -k "not slow"') == [
        "python", "-m", "pytest", "-k", "not slow",
    ]  # fmt: skip
    for bad in ("", "   ", "pytest 'unclosed"):
        with pytest.raises(argparse.ArgumentTypeError):
            arguments.command_line(bad)


def test_ranges_are_checked() -> None:
    assert arguments.retries("5") == 5
    with pytest.raises(argparse.ArgumentTypeError):
        arguments.retries("6")
    with pytest.raises(argparse.ArgumentTypeError):
        arguments.stable_runs("0")


def test_options_need_a_command() -> None:
    with pytest.raises(UsageError, match="needs the test command"):
        TestStepOptions.from_given(Given({}))
    given = Given({"command": ["pytest"], "retries": 0, "flaky": "pass", "issues": True})
    assert TestStepOptions.from_given(given) == TestStepOptions(("pytest",), 0, "pass", True, 10)


def test_the_result_says_the_command_as_typed_and_its_outputs() -> None:
    from cicd_agent.modes.test_step.result import decide
    from cicd_agent.modes.test_step.types import StepVerdict

    verdict = StepVerdict(False, ("t.test_a",), (("t.test_b", "passed on retry 1"),))
    result = decide(verdict, ["go", "test", "./..."])
    assert result.mode_outputs() == {"step_result": "failed", "failed_tests": ["t.test_a"],
                                     "passed_on_retry": ["t.test_b"]}  # fmt: skip
    assert "Test command: `go test ./...`" in result.summary_body()
    assert result.headline == ("The test step failed: 1 test(s) failed on every run; 1 test(s) "
                               "failed, then passed on retry (flaky, not excused).")


def test_what_the_step_says_reads_as_paragraphs_after_the_list() -> None:
    """Each sentence of the verdict is a paragraph of its own after the list of tests: written
    on the line after the last item, Markdown read it as that item's continuation, and two
    sentences as one."""
    from cicd_agent.modes.test_step.result import decide
    from cicd_agent.modes.test_step.types import StepVerdict

    said = ("No event says who wrote this code.", "Nothing was excused.")
    verdict = StepVerdict(False, flaky=(("t.test_b", "passed on retry 1"),), said=said)
    body = decide(verdict, ["pytest"]).summary_body()

    assert "- flaky: `t.test_b`: passed on retry 1\n\nNo event says who wrote this code.\n\n" \
           "Nothing was excused." in body  # fmt: skip
