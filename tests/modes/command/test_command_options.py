"""The command mode's options: the commands a comment may run, every runnable one when the
workflow names none."""

from __future__ import annotations

from cicd_agent.job.options import Given
from cicd_agent.modes.command.options import RUNNABLE, CommandOptions


def test_without_a_choice_every_runnable_command_is_allowed() -> None:
    assert CommandOptions.from_given(Given({})).commands == RUNNABLE
    assert {"ask", "review", "describe", "gen-tests", "explain-failure"} <= RUNNABLE


def test_the_workflows_choice_is_kept() -> None:
    chosen = frozenset({"ask"})
    assert CommandOptions.from_given(Given({"commands": chosen})).commands == chosen
