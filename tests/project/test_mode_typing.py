"""A mode's wiring is typed: mypy --strict rejects one whose publish takes another result than
decide returns, and a review whose analyse runs before its checkers."""

from __future__ import annotations

import pytest

from tests.helpers.typing_toys import TOY_GROUP, ToyReport

MODE = """
from __future__ import annotations

from dataclasses import dataclass

from cicd_agent.job.context import RunContext
from cicd_agent.job.pipeline import PlainResult, begin, finish
from cicd_agent.actions.errors import ExitCode


class Opts:
    pass


@dataclass(kw_only=True)
class Counted(PlainResult):
    count: int = 0


@dataclass(kw_only=True)
class Other(PlainResult):
    label: str = ""


def collect(ctx: RunContext[Opts]) -> list[str]: return []
def decide(verdict: int) -> Counted:
    return Counted(mode="toy", headline="", count=verdict)
def publish(ctx: RunContext[Opts], facts: list[str], result: PUBLISHED) -> None: ...


def run(ctx: RunContext[Opts]) -> tuple[Counted, ExitCode]:
    begin(ctx)
    facts = collect(ctx)
    result = decide(len(facts))
    return finish(ctx, result, lambda decided: publish(ctx, facts, decided))
"""


TOYS = {"toy_good": "Counted", "toy_drifted": "Other"}
"""Toy mode modules: the result type each one's publish takes."""


REVIEW = """
from __future__ import annotations

from cicd_agent.job.context import RunContext
from cicd_agent.modes.review.checkers import lint
from cicd_agent.modes.review.collect import collect
from cicd_agent.modes.review.decide import analyse
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.types import ReviewVerdict


def verdict(ctx: RunContext[ReviewOptions]) -> ReviewVerdict:
    return analyse(FACTS, describe=False)
"""

REVIEW_TOYS = {
    "toy_review_linted": "lint(ctx, collect(ctx))",
    "toy_review_early": "collect(ctx)",
}
"""Toy review wirings: what each hands analyse."""


def toy_modules() -> dict[str, str]:
    """The source of each toy mode module, for the one mypy run of ``conftest.toy_mypy``."""
    modes = {name: MODE.replace("PUBLISHED", result) for name, result in TOYS.items()}
    reviews = {name: REVIEW.replace("FACTS", facts) for name, facts in REVIEW_TOYS.items()}
    return {**modes, **reviews}


@pytest.mark.slow
@TOY_GROUP
def test_a_mode_whose_publish_drifts_is_rejected(toy_mypy: ToyReport) -> None:
    """``finish`` hands publish the very result decide made: a publish that takes another
    result type does not type-check. (That publish returns nothing and analyse and decide take
    no run is read from the steps' annotations and source, ``test_step_types_frozen.py`` and
    ``test_mode_steps.py``.)"""
    report = toy_mypy.report
    assert toy_mypy.strays() == [], report
    assert toy_mypy.errors("toy_good") == [], report
    drifted = "\n".join(toy_mypy.errors("toy_drifted"))
    assert 'Argument 3 to "publish" has incompatible type "Counted"' in drifted, report


@pytest.mark.slow
@TOY_GROUP
def test_review_analyses_only_what_its_checkers_return(toy_mypy: ToyReport) -> None:
    """analyse keeps the linters' and the workflow audit's findings: facts straight from
    collect, before the checkers ran, do not type-check, so no wiring can call it too early
    and lose those findings in silence."""
    report = toy_mypy.report
    assert toy_mypy.errors("toy_review_linted") == [], report
    early = "\n".join(toy_mypy.errors("toy_review_early"))
    assert 'Argument 1 to "analyse" has incompatible type "ReviewFacts"' in early, report
