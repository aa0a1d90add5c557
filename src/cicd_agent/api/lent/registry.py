"""Lent to command, and may change with it: the registry of installed modes as a mode that
runs another reads it (that mode's entry, and its options declared as data, ``ModeArguments``
being their shape for type checkers alone). The command line reads the same registry
(:mod:`cicd_agent.plugins`, its unpromised part)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.job.flags import declared_by, options_of
from cicd_agent.plugins import plugin

if TYPE_CHECKING:
    from cicd_agent.job.flags import ModeArguments

__all__ = ["ModeArguments", "declared_by", "options_of", "plugin"]
