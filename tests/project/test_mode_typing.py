"""The registry is typed: mypy --strict rejects a mode whose steps drift from the protocol (a
publish that takes another result or returns one, an analyse that takes the run)."""

from __future__ import annotations

import pytest

from tests.helpers.typing_toys import TOY_GROUP, ToyReport

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


TOYS = {
    "toy_good": ("Counted", "None", "Told"),
    "toy_drifted": ("Other", "None", "Told"),
    "toy_returning": ("Counted", "Counted", "Told"),
    "toy_holding_the_run": ("Counted", "None", "RunContext[Opts]"),
}
"""Toy mode modules: the result type each one's publish takes, what it returns (``None``, or
the result), and what its analyse takes (what it is told, or the run)."""


def toy_modules() -> dict[str, str]:
    """The source of each toy mode module, for the one mypy run of ``conftest.toy_mypy``."""
    modules = {}
    for name, (result, returned, analysed) in TOYS.items():
        value = "None" if returned == "None" else "result"
        source = MODE.replace("PUBLISHED", result).replace("RETURNED", returned)
        source = source.replace("ANALYSED", analysed)
        modules[name] = source.replace("RETURN_VALUE", value)
    return modules


@pytest.mark.slow
@TOY_GROUP
def test_a_mode_whose_publish_or_analyse_drifts_is_rejected(toy_mypy: ToyReport) -> None:
    report = toy_mypy.report
    assert toy_mypy.strays() == [], report
    assert toy_mypy.errors("toy_good") == [], report
    drifting = ("toy_drifted", "toy_returning", "toy_holding_the_run")
    for module in drifting:  # each toy that drifts is rejected, not just one of them
        assert toy_mypy.errors(module), report
    drifted = "\n".join(toy_mypy.errors(*drifting))
    assert 'Argument 1 to "run_mode" has incompatible type "Toy"' in drifted, report
