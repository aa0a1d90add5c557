"""The frozen runner set (tests/fixtures/logs/runners): real failing output of the test runners
and linters teams use, wrapped as a GitHub Actions job and scored the same way everywhere.

Each case holds one real tool's output on a small failing project
(``research/failure/runner_set_build.py`` ran the tool), the failure type a person would give it and
the lines of that output that name the failure. The analysis is right on a case when it gives that
type and its root-cause line is one of those lines (or holds one, or a prefix of one that pytest's
summary cut short).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step

SET_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "runners"
MIN_ROOT = 8
"""Characters a root-cause line needs before it can count as naming a truth line."""


@dataclass(frozen=True)
class RunnerCase:
    name: str
    tool: str
    command: str
    exit_code: int
    failure_type: str
    truth: tuple[str, ...]
    output: str

    def job(self) -> Job:
        """The output as the run step of a job: checkout and toolchain set-up before it."""
        setup = noise.setup_node() if self._node else noise.setup_python()
        run = Step("Run " + self.tool, run=self.command, output=self.output.encode(),
                   exit_code=self.exit_code)  # fmt: skip
        return Job(f"test ({self.tool})", [noise.checkout(), setup, run])

    @property
    def _node(self) -> bool:
        return self.command.startswith("npx ")

    def root_right(self, analysis: LogAnalysis) -> bool:
        root = analysis.root_cause.strip()
        if len(root) < MIN_ROOT:
            return False
        return any(line in root or root in line for line in self.truth)

    def type_right(self, analysis: LogAnalysis) -> bool:
        return analysis.failure_type.value == self.failure_type


def load(folder: Path = SET_DIR) -> list[RunnerCase]:
    cases = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        cases.append(
            RunnerCase(
                data["name"],
                data["tool"],
                data["command"],
                data["exit_code"],
                data["failure_type"],
                tuple(data["truth"]),
                data["output"],
            )
        )
    return cases
