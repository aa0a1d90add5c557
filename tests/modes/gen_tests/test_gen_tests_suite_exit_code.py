"""gen-tests' summary names the suite's exit code at head, never None, and only a suite that ran."""

from __future__ import annotations

import pytest

from cicd_agent.modes.gen_tests.decide_runners import runner_commands
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.runner_gaps import RunnerChange, RunnerGaps
from cicd_agent.runners.go.runner import GoTest


@pytest.mark.parametrize(("code", "shown"), [(None, "(not run at head)"), (1, "(exit 1 at head)")])
def test_the_suite_exit_code_is_never_none(code: int | None, shown: str) -> None:
    result = GenTestsResult(mode="gen-tests", headline="h", test_command="pytest",
                            suite_exit_code=code)  # fmt: skip
    body = result.summary_body()
    assert shown in body and "exit None" not in body


def test_a_change_of_go_tests_alone_names_no_pytest_command() -> None:
    # A new user's change added Go tests and no source: no suite ran, and the summary said
    # "Test command: python -m pytest (not run at head)", the default of a project with no
    # Python. Only a suite that ran is named.
    go = GoTest()
    change = RunnerChange(go, {}, ("calc/order_test.go",), go, go, None)
    result = GenTestsResult(mode="gen-tests", headline="h", test_command="python -m pytest")
    runner_commands(result, [RunnerGaps(change, None, None)], python=False)
    assert result.test_command == ""
    assert "Test command" not in result.summary_body()
    python = GenTestsResult(mode="gen-tests", headline="h", test_command="python -m pytest")
    runner_commands(python, [RunnerGaps(change, None, None)], python=True)
    assert python.test_command == "python -m pytest"
