"""The command mode's own options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from cicd_agent.modes.command.arguments import RUNNABLE


@dataclass(frozen=True)
class CommandOptions:
    """What ``cicd-agent command`` was asked to do."""

    commands: frozenset[str]

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CommandOptions:
        chosen = args.commands
        return cls(commands=chosen if isinstance(chosen, frozenset) else RUNNABLE)
