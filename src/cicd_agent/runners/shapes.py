"""Every report shape a failed log is read with, and where a file such a log names lies. The
log reading asks only these, so it loads each runner's ``log.py`` and :mod:`.logs_only`, never
the runners themselves (:mod:`.table` loads every runner's run, sessions and step), and every
runner's shape is here, not in its row (``tests/modes/analyse_failure/test_runners.py`` finds
each ``log.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cicd_agent.runners import logs_only
from cicd_agent.runners.cargo import log as cargo_log
from cicd_agent.runners.go import log as go_log
from cicd_agent.runners.js import log as js_log
from cicd_agent.runners.maven import log as maven_log
from cicd_agent.runners.pytest import log as pytest_log
from cicd_agent.runners.shape import Place, RunnerShape

RUN_SHAPES: tuple[RunnerShape, ...] = (
    pytest_log.SHAPE,
    js_log.SHAPE,
    go_log.SHAPE,
    cargo_log.SHAPE,
    maven_log.SHAPE,
)
"""The shapes of the runners we also run, in the table's order (jest and vitest share js's)."""
PYTEST_SHAPE = pytest_log.SHAPE
"""pytest's, whose report headings the log reading matches a test's id against."""

LOG_SHAPES: tuple[RunnerShape, ...] = tuple(dict.fromkeys((*RUN_SHAPES, *logs_only.SHAPES)))
"""Each shape once: the runners' first, in their order, then those of runners only read."""


def placing(report: Sequence[tuple[int, str]], checkout: Path | None) -> Place:
    """Where a file a failed job's report (its numbered lines) names lies: the first runner's
    answer whose log shape places such names, None where none does."""
    places = [shape.places(report, checkout) for shape in LOG_SHAPES if shape.places]

    def place(file: str, line: int, changed: Sequence[str]) -> str | None:
        return next(
            (found for each in places if (found := each(file, line, changed)) is not None), None
        )

    return place
