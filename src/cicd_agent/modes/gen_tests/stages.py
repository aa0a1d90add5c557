"""The gate's stages in order (each a key of the funnel the summary shows), and its verdict on
one candidate: where it stopped, why, and what it gained."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cicd_agent.modes.gen_tests.contract_check import Contract
from cicd_agent.modes.gen_tests.coverage_gaps import Arc


class Stage(StrEnum):
    """Gate stages in order; the value is the funnel key of those that passed it."""

    PARSED = "parsed"
    IMPORTS = "imports"
    ASSERTION = "assertion"
    PASS = "pass"  # noqa: S105 - a stage name
    SAME_COPY = "same_copy"
    PASS_X5 = "pass_x5"  # noqa: S105 - a stage name
    REPEAT = "repeat"
    SUITE = "suite"
    COVERAGE = "coverage_gain"
    DEPENDS = "depends"


FUNNEL_KEYS = ("generated", *(stage.value for stage in Stage), "accepted")


FUNNEL_LABELS = {key: key.replace("_", " ") for key in FUNNEL_KEYS} | {"pass_x5": "pass ×5"}


@dataclass(frozen=True)
class Verdict:
    """Where a candidate stopped (None: it passed every stage) and what it gained."""

    stopped_at: Stage | None
    reason: str
    feedback: str = ""
    gained_lines: frozenset[int] = frozenset()
    gained_arcs: frozenset[Arc] = frozenset()
    executed_lines: frozenset[int] = frozenset()
    executed_arcs: frozenset[Arc] = frozenset()
    runs: int = 0
    possible_bug: str = ""
    """The failing assertion of a candidate that ran the segment's missing lines and failed on
    an assertion alone twice, in fresh processes, where the code's contract states what it
    asserted: the code may be wrong, not the test (never kept either way; the summary shows it
    for a person to judge)."""
    contracts: tuple[Contract, ...] = ()
    """Where the head's contract states what a possible bug asserted (:mod:`.contract_check`):
    decide names one, the first the change did not write."""

    @property
    def accepted(self) -> bool:
        return self.stopped_at is None
