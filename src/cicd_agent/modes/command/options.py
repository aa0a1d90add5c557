"""The command mode's own options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from cicd_agent.modes.command.parse import COMMANDS

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


@dataclass(frozen=True)
class CommandOptions:
    """What ``cicd-agent command`` was asked to do."""

    commands: frozenset[str]

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CommandOptions:
        chosen = args.commands
        return cls(commands=chosen if isinstance(chosen, frozenset) else RUNNABLE)
