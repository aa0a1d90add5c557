"""gen-tests' options typed once from what the run resolved: 0 or nothing means the default,
a limit no comparison can reach (negative, NaN, infinite) is refused, the test folder stays
inside the repository."""

from __future__ import annotations

import math

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.options import Given
from cicd_agent.modes.gen_tests.options import GenTestsOptions


def test_nothing_or_zero_given_is_the_defaults() -> None:
    defaults = GenTestsOptions.from_given(Given({}))
    zeros = GenTestsOptions.from_given(
        Given({"test_timeout": 0, "token_budget": 0, "cost_budget": 0, "pr_test_runs": 0})
    )
    assert defaults == zeros
    assert defaults.pr_test_runs == 0  # the hunt's own count, by each test's length
    assert defaults.command.suite == ("python", "-m", "pytest") and defaults.command.is_pytest
    assert defaults.test_timeout > 0 and defaults.token_budget > 0 and defaults.cost_budget > 0
    assert defaults.sources is None and defaults.shard is None and defaults.test_dir is None


@pytest.mark.parametrize(
    ("option", "value"),
    [("test_timeout", -5.0), ("test_timeout", math.nan), ("cost_budget", math.inf),
     ("token_budget", -1), ("pr_test_runs", -2)],
)  # fmt: skip
def test_a_limit_no_comparison_can_reach_is_refused(option: str, value: float) -> None:
    with pytest.raises(UsageError, match=f"{option.replace('_', '-')} must be a finite number"):
        GenTestsOptions.from_given(Given({option: value}))


def test_sources_secrets_and_the_command_are_read_as_given() -> None:
    options = GenTestsOptions.from_given(
        Given({"source": "src/a.py, src/b.py", "secret_env": "API_KEY,DB_PASSWORD",
               "test_command": "npm test", "test_dir": "/tests/generated/"})
    )  # fmt: skip
    assert options.sources == ("src/a.py", "src/b.py")
    assert options.secret_names == ("API_KEY", "DB_PASSWORD")
    assert options.command.suite == ("npm", "test") and not options.command.is_pytest
    assert options.test_dir == "tests/generated"


@pytest.mark.parametrize("test_dir", ["../outside", ".git/hooks"])
def test_a_test_folder_outside_the_repository_is_refused(test_dir: str) -> None:
    with pytest.raises(UsageError, match="test-dir"):
        GenTestsOptions.from_given(Given({"test_dir": test_dir}))


def test_the_runs_the_help_names_are_the_hunts() -> None:
    """``pr-test-runs``' help gives the count its default stands for: the hunt's schedule,
    each condition once (each round repeating the tests in its session)."""
    from cicd_agent.modes.gen_tests import arguments
    from cicd_agent.modes.gen_tests.conditions import varied

    assert len(varied(0).conditions) == arguments.DEFAULT_PR_TEST_RUNS
    assert GenTestsOptions.from_given(Given({"pr_test_runs": 3})).pr_test_runs == 3
