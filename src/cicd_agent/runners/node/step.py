"""The JavaScript runners the test step reads and retries and nothing else asks for: node's own,
mocha, AVA and uvu (one module each). Each gives its step run's command and reads its outcomes;
AVA and uvu are read from what they print, the others from the report they write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.runners.node import ava, mocha, node_test, uvu
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.runners.step_outcomes import StepOutcomes

Command = Callable[[Sequence[str], Path, Sequence[str] | None], list[str] | None]
Outcomes = Callable[[Path, str, Path], StepOutcomes]
Says = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class NodeStep(PlainStep):
    name: str
    command: Command
    outcomes: Outcomes
    declined: Says
    """Why a run of it is run once as written, naming what to drop ("" when it is read)."""
    step_captures: bool = False

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        return self.command(command, folder, failed)

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        return self.outcomes(folder, output, root)


STEPS = (
    NodeStep("node:test", node_test.step_command, node_test.step_outcomes, node_test.declined),
    NodeStep("mocha", mocha.step_command, mocha.step_outcomes, mocha.declined),
    NodeStep("ava", ava.step_command, ava.step_outcomes, ava.declined, step_captures=True),
    NodeStep("uvu", uvu.step_command, uvu.step_outcomes, uvu.declined, step_captures=True),
)
