"""Which lines of a step are a test's own: its output, its message, its stack, its verdict.

Text inside a test's lines is evidence about that test, never the runner's verdict on the run:
a failing test whose message reads ``No space left on device`` is a failing test, not a full
disk. Each runner's report shape is one module here (``SHAPE``) and one line in ``RUNNERS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.modes.analyse_failure.logs.runners import (
    cargo_test,
    go_test,
    jest,
    junit,
    node_test,
    numbered,
    pytest,
    unittest,
)
from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

RUNNERS: tuple[RunnerShape, ...] = (
    pytest.SHAPE,
    unittest.SHAPE,
    jest.SHAPE,
    node_test.SHAPE,
    numbered.SHAPE,
    go_test.SHAPE,
    cargo_test.SHAPE,
    junit.SHAPE,
)

Span = tuple[int, int]
"""First and last line number of a test's lines, both included."""


def _runner_lines(text: str) -> bool:
    """The GitHub runner's own lines (its verdicts after a step's output) are no test's."""
    return text.startswith("##[")


def _spans(shape: RunnerShape, lines: Sequence[tuple[int, str]]) -> list[Span]:
    spans: list[Span] = []
    start: int | None = None
    last_end = lines[0][0] - 1 if lines else 0
    previous = last_end
    for number, text in lines:
        if shape.ends is not None and shape.ends.search(text):
            if start is not None:
                spans.append((start, previous))
            start, last_end = None, number
        elif shape.output_first is not None and shape.output_first.search(text):
            opened = start if start is not None else last_end + 1
            spans.append((min(opened, number), number))
            start, last_end = number + 1, number
        elif shape.opens.search(text):
            if start is not None and start < number:
                spans.append((start, number - 1))
            start = number
        previous = number
    if start is not None:
        # An unclosed report runs to the step's end, but not over the runner's closing lines.
        ends = [number for number, text in lines if number >= start and not _runner_lines(text)]
        if ends:
            spans.append((start, ends[-1]))
    return spans


def spans_of_tests(lines: Sequence[tuple[int, str]]) -> list[Span]:
    """Every runner's test spans in ``lines`` (``(number, cleaned text)``, in order), merged."""
    found = sorted(span for shape in RUNNERS for span in _spans(shape, lines))
    merged: list[Span] = []
    for first, last in found:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def inside(spans: Sequence[Span], line: int) -> bool:
    """Whether ``line`` is one of a test's lines."""
    return any(first <= line <= last for first, last in spans)
