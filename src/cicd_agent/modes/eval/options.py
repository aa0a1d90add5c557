"""The eval mode's options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

MAX_REPEATS = 20


def points(given: Given, name: str, default: float) -> float:
    value = given.number(name.replace("-", "_"))
    value = default if value is None else value
    if not 0 <= value <= 100:
        raise UsageError(f"--{name} {value:g} is not a number of points from 0 to 100.")
    return value / 100


@dataclass(frozen=True)
class EvalOptions:
    """What ``cicd-agent eval`` was asked to do."""

    base: str | None
    head: str | None
    config: str
    repeats: int
    max_drop: float
    max_detectable: float
    min_pass_rate: float | None
    must_pass: tuple[str, ...]
    max_cost: float | None
    cache_dir: Path | None
    base_results: Path | None
    head_results: Path | None
    results_format: str | None

    @classmethod
    def from_given(cls, given: Given) -> EvalOptions:
        repeats = given.whole("repeats") or 3
        if repeats > MAX_REPEATS:
            raise UsageError(f"--repeats {repeats} is over {MAX_REPEATS}.")
        minimum = given.number("min_pass_rate")
        if minimum is not None and not 0 <= minimum <= 1:
            raise UsageError(f"--min-pass-rate {minimum:g} is not a share from 0 to 1.")
        cost = given.number("max_cost")
        if cost is not None and cost <= 0:
            raise UsageError(f"--max-cost {cost:g} is not a positive number of dollars.")
        results = (given.path("base_results"), given.path("head_results"))
        kind = given.text("results_format")
        if (results[0] is None) != (results[1] is None) or (results[0] is not None) != bool(kind):
            raise UsageError(
                "results files need all three of --base-results, --head-results and "
                "--results-format.",
                hint="Give the three together, or none to run the config.",
            )
        return cls(
            base=given.text("base") or None,
            head=given.text("head") or None,
            config=given.text("config") or "promptfooconfig.yaml",
            repeats=repeats,
            max_drop=points(given, "max-drop", 2),
            max_detectable=points(given, "max-detectable", 10),
            min_pass_rate=minimum,
            must_pass=tuple(
                name.strip() for name in (given.text("must_pass") or "").split(",") if name.strip()
            ),
            max_cost=cost,
            cache_dir=given.path("cache_dir"),
            base_results=results[0],
            head_results=results[1],
            results_format=kind or None,
        )
