"""gen-tests' summary names the suite's exit code at head, never None."""

from __future__ import annotations

import pytest

from cicd_agent.modes.gen_tests.result import GenTestsResult


@pytest.mark.parametrize(("code", "shown"), [(None, "(not run at head)"), (1, "(exit 1 at head)")])
def test_the_suite_exit_code_is_never_none(code: int | None, shown: str) -> None:
    result = GenTestsResult(mode="gen-tests", headline="h", test_command="pytest",
                            suite_exit_code=code)  # fmt: skip
    body = result.summary_body()
    assert shown in body and "exit None" not in body
