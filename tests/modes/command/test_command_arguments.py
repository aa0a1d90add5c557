"""``commands``: which commands a workflow step honours. A typo must not enable nothing, and
``help`` is always answered, so naming it is refused."""

from __future__ import annotations

import argparse

import pytest

from cicd_agent.modes.command.arguments import COMMANDS, RUNNABLE, commands_argument


def test_names_are_read_case_and_space_insensitively() -> None:
    assert commands_argument(" Review , ASK,,describe ") == {"review", "ask", "describe"}


def test_every_command_but_help_can_be_named() -> None:
    assert commands_argument(",".join(RUNNABLE)) == RUNNABLE
    assert set(COMMANDS) - RUNNABLE == {"help"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("review,reveiw", "unknown command(s) reveiw; use some of ask, describe, explain-failure, "
                          "gen-tests, review"),
        ("help", "unknown command(s) help"),
        (" , ", "name at least one command"),
        ("", "name at least one command"),
    ],
)  # fmt: skip
def test_a_list_that_would_enable_less_than_asked_is_refused(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        commands_argument(text)
