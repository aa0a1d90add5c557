"""The command mode's own options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cicd_agent.modes.command.arguments import RUNNABLE

if TYPE_CHECKING:
    from cicd_agent.job.options import Given


@dataclass(frozen=True)
class CommandOptions:
    """What ``cicd-agent command`` was asked to do."""

    commands: frozenset[str]

    @classmethod
    def from_given(cls, given: Given) -> CommandOptions:
        chosen = given.value("commands")
        return cls(commands=chosen if isinstance(chosen, frozenset) else RUNNABLE)
