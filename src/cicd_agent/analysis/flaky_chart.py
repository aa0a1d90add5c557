"""The flaky report's chart (issue 66, "Seen"): the job's flaky tests as bars of the CI time
each lost, longest first, for a person to take in at a glance.

Two renderings of the same rows, both drawn here from the numbers, in the host process (no
test's code runs): a Mermaid ``xychart-beta`` block, which GitHub draws in the job summary, and
a standalone SVG file. Test names are the tests' own (a pull request can name a test anything),
so the Mermaid block holds none: its bars are labelled by rank (``#1``), the rank the summary's
table gives each test. The SVG names them as escaped text, control characters replaced, so a
name cannot become markup in either.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from cicd_agent.analysis.flaky_stats import WINDOW, FlakyStat
from cicd_agent.runner.markdown import code_block

TOP = 10
"""Tests a chart shows (the summary's table shows as many, in the same order)."""
BAR_WIDTH = 300
"""Pixels of the longest bar in the SVG."""
NAME_CHARACTERS = 40
"""Characters of a test's name the SVG shows (the start of the name, then "…")."""
_ROW, _LABEL = 24, 330


def mermaid_chart(found: Sequence[FlakyStat]) -> str:
    """A fenced Mermaid block of the CI time the first :data:`TOP` tests of ``found`` lost,
    labelled by rank; "" when no test lost any."""
    shown = list(found[:TOP])
    if not any(stat.lost_seconds for stat in shown):
        return ""
    ranks = ", ".join(f'"#{rank}"' for rank in range(1, len(shown) + 1))
    bars = ", ".join(f"{stat.lost_seconds:.0f}" for stat in shown)
    top = max(1.0, *(stat.lost_seconds for stat in shown))
    chart = "\n".join([
        "xychart-beta horizontal",
        f'    title "CI time lost to flaky tests (last {WINDOW} runs)"',
        f"    x-axis [{ranks}]",
        f'    y-axis "seconds" 0 --> {top:.0f}',
        f"    bar [{bars}]",
    ])  # fmt: skip
    return code_block(chart, "mermaid")


def svg_chart(found: Sequence[FlakyStat]) -> str:
    """An SVG image of the first :data:`TOP` tests of ``found``: per test its rank and name, a
    bar as long as its CI time lost (the longest :data:`BAR_WIDTH` pixels) and its figures."""
    shown = list(found[:TOP])
    top = max((stat.lost_seconds for stat in shown), default=0.0)
    height = _ROW * (len(shown) + 2)
    rows = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LABEL + BAR_WIDTH + 160}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="4" y="{_ROW - 6}" font-weight="bold">CI time lost to flaky tests '
        f"(last {WINDOW} runs)</text>",
    ]
    for rank, stat in enumerate(shown, 1):
        y = _ROW * (rank + 1)
        width = round(BAR_WIDTH * stat.lost_seconds / top, 1) if top else 0.0
        figures = f"{stat.lost_seconds:,.0f} s, flip rate {stat.flip_rate:.0%}"
        rows += [
            f'<text x="4" y="{y - 6}">#{rank} {_text(stat.test)}</text>',
            f'<rect x="{_LABEL}" y="{y - _ROW + 4}" width="{width}" height="{_ROW - 8}" '
            'fill="#d9534f"><title>' + _text(stat.test) + "</title></rect>",
            f'<text x="{_LABEL + width + 6}" y="{y - 6}">{figures}</text>',
        ]
    return "\n".join([*rows, "</svg>", ""])


def _text(name: str) -> str:
    """``name`` as SVG text: its start, control characters replaced, markup escaped."""
    cut = name if len(name) <= NAME_CHARACTERS else name[: NAME_CHARACTERS - 1] + "…"
    return escape("".join(c if c.isprintable() else "?" for c in cut), {'"': "&quot;"})
