"""The modes, by name. Each entry is imported only when that mode runs, so ``--help`` stays fast."""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


class ModeEntry(NamedTuple):
    """Where a mode lives and the one line ``cicd-agent --help`` shows for it."""

    module: str
    summary: str


MODES: dict[str, ModeEntry] = {}


def load_mode(name: str) -> Any:
    """Import a mode's module and return its ``MODE`` object (a :class:`~cicd_agent.pipeline.Mode`)."""
    return importlib.import_module(MODES[name].module).MODE
