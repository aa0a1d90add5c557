"""The modes, by name. Each entry is imported only when that mode runs, so ``--help`` stays fast."""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


class ModeEntry(NamedTuple):
    """Where a mode lives and the one line ``cicd-agent --help`` shows for it."""

    module: str
    summary: str


MODES: dict[str, ModeEntry] = {
    "review": ModeEntry(
        "cicd_agent.modes.review.mode",
        "review a pull request: inline comments, check run, SARIF, merge gate",
    ),
    "gen-tests": ModeEntry(
        "cicd_agent.modes.gen_tests.mode",
        "write tests for a change's uncovered lines; keep those that pass a strict gate",
    ),
    "analyse-failure": ModeEntry(
        "cicd_agent.modes.analyse_failure.mode",
        "find the error in a failed run's logs, say why it failed and whether it is flaky",
    ),
    "deploy-gate": ModeEntry(
        "cicd_agent.modes.deploy_gate.mode",
        "score change risk, choose a rollout strategy, proceed or hold",
    ),
}


def load_mode(name: str) -> Any:
    """Import a mode's module and return its ``MODE`` object (a :class:`~cicd_agent.pipeline.Mode`)."""
    return importlib.import_module(MODES[name].module).MODE
