"""The pipeline every mode shares refuses an unknown ``fail-on`` before any work, naming the
values that are valid and, when the value came from the settings file, where to fix it: a typo
must not turn a gate off; and its ask step asks nothing where no model is configured."""

from __future__ import annotations

from pathlib import Path

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


def test_a_run_without_a_model_asks_nothing(tmp_path: Path) -> None:
    """The ask step hands its model to the mode's ask; with none configured the ask is never
    called (so no mode's ask checks for a missing model), and nothing is said of a model."""
    from cicd_agent.job.pipeline import ask_model
    from tests.helpers.context import run_context

    argv = ["--provider", "none", "--logs", str(tmp_path)]
    ctx, _ = run_context("analyse-failure", argv, {"HOME": str(tmp_path)}, lambda given: given)
    asked: list[object] = []
    assert ask_model(ctx, asked.append) is None
    assert asked == [] and ctx.notes == []
