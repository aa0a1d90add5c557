"""The frozen set of real runs (tests/fixtures/logs/realruns): real projects broken by one
changed line, their own test command's console output, and what a person reads in it.

A case is scored four ways: the failure type; the failing tests (as many as the runner failed,
each named); the root-cause line (it holds the failing assertion's message); the blame (with the
change's lines given, the first responsible file is the changed file and its first line one the
change wrote).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step

SET_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "realruns"


@dataclass(frozen=True)
class RealRun:
    name: str
    tool: str
    command: str
    exit_code: int
    failure_type: str
    failing_tests: tuple[str, ...]
    root_truth: tuple[str, ...]
    changed_lines: dict[str, list[int]]
    output: str
    frame: dict[str, list[int]] = field(default_factory=dict)
    """For a log captured without its change (``changed_lines`` empty): the file and line of
    the failing test's own stack frame, which blame must name first (none: it names no file)."""
    files: dict[str, str] = field(default_factory=dict)
    """The sources the run read, as broken (realruns_b3): a checkout to lay out again."""

    def job(self) -> Job:
        node = self.tool in ("mocha", "node-test", "jest", "vitest")
        setup = noise.setup_node() if node else noise.setup_python()
        run = Step("Run tests", run=self.command, output=self.output.encode(),
                   exit_code=self.exit_code)  # fmt: skip
        return Job(f"test ({self.tool})", [noise.checkout(), setup, run])

    def scores(self, analysis: LogAnalysis) -> dict[str, bool]:
        """``type``, ``tests``, ``root`` and ``blame`` right or not."""
        found = analysis.failed_tests
        wanted = list(dict.fromkeys(self.failing_tests))  # a test's subtests or repeats: once
        # the truth names tests bare: two of one title in two suites are one of its tests
        titles = dict.fromkeys(name.rsplit(" › ", 1)[-1] for name in found)
        tests = len(titles) == len(wanted) and all(
            any(_tail(name) in got for got in found) for name in wanted
        )
        first = analysis.responsible_files[0] if analysis.responsible_files else None
        wanted_lines = self.changed_lines or self.frame
        # a frame no file holds is shown as printed, its file name in brackets: the same frame
        named = first.path.rsplit("(", 1)[-1].rstrip(")") if first and first.frame else (
            first.path if first else "")  # fmt: skip
        blame = first is not None and any(
            named.endswith(path) and bool(first.lines) and first.lines[0] in lines
            for path, lines in wanted_lines.items()
        )
        if not wanted_lines:
            blame = first is None
        return {
            "type": analysis.failure_type.value == self.failure_type,
            "tests": tests,
            "root": any(truth in analysis.root_cause for truth in self.root_truth),
            "blame": blame,
        }


def _tail(name: str) -> str:
    """The part of a test's name every runner prints: its own name, without file (node's
    ``test/x.js › suite › test``), suite or class."""
    name = name.rsplit(" › ", 1)[-1]
    return name.rsplit(".", 1)[-1].rsplit("::", 1)[-1].rsplit("/", 1)[-1]


def load(folder: Path = SET_DIR) -> list[RealRun]:
    cases = []
    for path in sorted(folder.glob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        cases.append(RealRun(
            data["name"], data["tool"], data["command"], data["exit_code"], data["failure_type"],
            tuple(data["failing_tests"]), tuple(data["root_truth"]), data["changed_lines"],
            data["output"], data.get("frame", {}), data.get("files", {}),
        ))  # fmt: skip
    return cases
