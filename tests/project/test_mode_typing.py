"""The registry is typed: mypy --strict rejects a mode whose steps drift from the protocol (a
publish that takes another result or returns one, an analyse that takes the run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from mypy import api

from tests.harness.payloads import REPO_ROOT

SRC = REPO_ROOT / "src"

MODE = """
from __future__ import annotations

import argparse
from collections.abc import Mapping

from cicd_agent.job.context import RunContext
from cicd_agent.runner.errors import ExitCode
from cicd_agent.job.pipeline import Mode, Told, run_mode
from cicd_agent.job.result import ModeResult


class Opts:
    pass


class Counted(ModeResult):
    count: int = 0


class Other(ModeResult):
    label: str = ""


class Toy:
    name = "toy"
    help = "a toy mode"
    fail_on_choices: tuple[str, ...] = ()
    fail_closed_outputs: Mapping[str, str] = {}

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...
    def collect(self, ctx: RunContext[Opts]) -> list[str]: return []
    def told(self, ctx: RunContext[Opts], facts: list[str]) -> Told: return Told.of(ctx)
    def analyse(self, told: ANALYSED, facts: list[str]) -> int: return len(facts)
    def ask(self, ctx: RunContext[Opts], facts: list[str], verdict: int) -> None: return None
    def decide(self, told: Told, verdict: int, opinion: None) -> Counted:
        return Counted(mode="toy", headline="", count=verdict)
    def publish(
        self, ctx: RunContext[Opts], facts: list[str], verdict: int, result: PUBLISHED
    ) -> RETURNED:
        return RETURN_VALUE
    def failure_outputs(self, ctx: RunContext[Opts]) -> dict[str, str]: return {}
    def run(self, ctx: RunContext[Opts]) -> tuple[ModeResult, ExitCode]:
        return run_mode(self, ctx)


def load() -> Mode:
    return Toy()
"""


def _mypy(tmp_path: Path, published: dict[str, tuple[str, str, str]]) -> tuple[str, int]:
    """Check one toy mode module per ``published`` name (the result type its publish takes,
    what it returns: ``None``, or the result, and what its analyse takes) in a single mypy run:
    the package's own modules are analysed once for all of them (27 s, against 38 s for a run
    per module)."""
    modules = []
    for name, (result, returned, analysed) in published.items():
        module = tmp_path / f"{name}.py"
        value = "None" if returned == "None" else "result"
        source = MODE.replace("PUBLISHED", result).replace("RETURNED", returned)
        source = source.replace("ANALYSED", analysed)
        module.write_text(source.replace("RETURN_VALUE", value))
        modules.append(str(module))
    os.environ["MYPYPATH"] = str(SRC)
    limit = sys.getrecursionlimit()  # mypy raises it for the whole process: later tests need ours
    try:
        out, err, status = api.run(
            ["--strict", "--no-incremental", "--follow-imports=silent", *modules]
        )
    finally:
        del os.environ["MYPYPATH"]
        sys.setrecursionlimit(limit)
    return out + err, status


@pytest.mark.slow
def test_a_mode_whose_publish_or_analyse_drifts_is_rejected(tmp_path: Path) -> None:
    report, status = _mypy(
        tmp_path,
        {
            "toy_good": ("Counted", "None", "Told"),
            "toy_drifted": ("Other", "None", "Told"),
            "toy_returning": ("Counted", "Counted", "Told"),
            "toy_holding_the_run": ("Counted", "None", "RunContext[Opts]"),
        },
    )
    assert status == 1, report
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert errors, report
    bad = tuple(str(tmp_path / f"{name}.py") for name in ("toy_drifted", "toy_returning",
                                                           "toy_holding_the_run"))  # fmt: skip
    assert all(line.startswith(bad) for line in errors), report
    for module in bad:  # each toy that drifts is rejected, not just one of them
        assert any(line.startswith(module) for line in errors), report
    assert 'Argument 1 to "run_mode" has incompatible type "Toy"' in report, report
