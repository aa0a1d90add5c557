"""The command mode's command-line options, declared as data: importable without the mode
(:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

import argparse

from cicd_agent.plugins import Option, OptionGroup

FAIL_ON_CHOICES: tuple[str, ...] = ()
COMMANDS = ("review", "describe", "ask", "gen-tests", "explain-failure", "help")
"""Every command, in the order the help lists them."""
RUNNABLE = frozenset(c for c in COMMANDS if c != "help")


def commands_argument(text: str) -> frozenset[str]:
    """``review, ask`` → the set; an unknown name is refused (a typo must not enable nothing)."""
    chosen = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = sorted(chosen - RUNNABLE)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown command(s) {', '.join(unknown)}; use some of {', '.join(sorted(RUNNABLE))}"
        )
    if not chosen:
        raise argparse.ArgumentTypeError("name at least one command")
    return chosen


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "command options",
        Option(
            "commands",
            "commands this step honours, comma-separated (default: all of "
            f"{', '.join(c for c in COMMANDS if c != 'help')})",
            kind=commands_argument,
            action_input=True,
        ),
    ),
)
