"""The eval mode's step types: what collect measured (each side's outcomes), and what analyse
made of them (the paired comparison and the verdict decide turns into the result)."""

from __future__ import annotations

from dataclasses import dataclass

from cicd_agent.modes.eval.judge import Outcome, Pairs
from cicd_agent.modes.eval.stats import Paired, Verdict


@dataclass(frozen=True)
class Sides:
    """Both sides' outcomes, case by case, and how complete the asking was."""

    head: str
    """The head commit ("" when results files were read outside a checkout of it)."""
    base: tuple[Outcome, ...]
    heads: tuple[Outcome, ...]
    source: str
    stopped: str = ""
    """Why asking stopped early (the cost cap), "" when it finished."""
    unanswered: int = 0
    asked: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Judged:
    """The cases paired, the test's figures and the verdict with its reasons."""

    pairs: Pairs
    comparison: Paired
    verdict: Verdict
    failed_must_pass: tuple[str, ...] = ()
