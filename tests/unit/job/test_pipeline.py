"""The pipeline every mode shares refuses an unknown ``fail-on`` before any work, naming the
values that are valid and, when the value came from the settings file, where to fix it: a typo
must not turn a gate off."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.flags import validate_fail_on

CHOICES = ("critical", "high", "medium")


@pytest.mark.parametrize("fail_on", [None, "high", "critical"])
def test_a_valid_or_absent_fail_on_passes(fail_on: str | None) -> None:
    validate_fail_on(fail_on, CHOICES, "review")


def test_an_unknown_value_names_the_valid_ones() -> None:
    with pytest.raises(UsageError) as caught:
        validate_fail_on("hihg", CHOICES, "review")
    assert str(caught.value).startswith(
        "fail-on 'hihg' is not valid for review; use one of: critical, high, medium."
    )
    assert caught.value.hint == ""


def test_a_value_from_the_settings_file_says_where_to_fix_it() -> None:
    with pytest.raises(UsageError) as caught:
        validate_fail_on("hihg", CHOICES, "review", where=".github/cicd-agent.yml")
    assert str(caught.value).startswith(".github/cicd-agent.yml: fail-on 'hihg' is not valid")
    assert caught.value.hint == "Fix it in that file on the base branch."


def test_a_mode_without_a_policy_refuses_any_fail_on() -> None:
    with pytest.raises(UsageError, match="gen-tests has no fail-on policy") as caught:
        validate_fail_on("high", (), "gen-tests")
    assert caught.value.hint == "Remove the fail-on input."
