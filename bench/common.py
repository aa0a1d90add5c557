"""Shared measuring helpers: interleaved runs against a reference, median with min–max.

Every timing figure is a ratio against a reference measured in the same process, in
alternation, where a reference exists, so a noisy or slow machine moves both sides alike.

Every bench script reports its results as :class:`Figure` objects; with ``--json`` it prints
them as one JSON list on the last line of stdout (:func:`emit`), which is how ``bench/run.py``
collects them into one table and ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
TIKTOKEN_CACHE = ROOT / ".harness" / "tiktoken"


@dataclass(frozen=True)
class Figure:
    """One benchmark figure: median and range over runs, with its target when there is one.

    ``runs`` counts repetitions for timings, and reference inputs for deterministic counts
    (token figures do not change between runs, so their spread is across inputs instead).
    ``note`` says how the figure was measured; ``obstacle`` says what stands in the way of the
    target, and is shown only when the target is missed.
    """

    name: str
    unit: str
    median: float
    low: float
    high: float
    runs: int
    target: str = ""
    met: bool | None = None
    note: str = ""
    obstacle: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "**missed**")

    def row(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"| {self.name} | {number(self.median)}{unit} | "
            f"{number(self.low)}–{number(self.high)} | {self.runs} | {self.target} | "
            f"{self.verdict} |"
        )


def number(value: float) -> str:
    """A figure's value, readable at any scale (thousands separated, 3 significant digits)."""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100 or value == int(value):
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def figure(
    name: str,
    unit: str,
    values: Sequence[float],
    target: str = "",
    met: Callable[[float], bool] | bool | None = None,
    note: str = "",
    obstacle: str = "",
) -> Figure:
    """A figure from its run values; ``met`` is a test of the median, or a verdict given."""
    median = statistics.median(values)
    verdict = met(median) if callable(met) else met
    return Figure(
        name, unit, median, min(values), max(values), len(values), target, verdict, note, obstacle
    )


class PromptRow(Protocol):
    """One reference change a token bench measured: the prompt it sent, the whole-diff prompt
    it is compared with, and the share of added lines the model saw."""

    @property
    def sent_tokens(self) -> int: ...
    @property
    def naive_tokens(self) -> int: ...
    @property
    def lines_shown(self) -> float: ...


def prompt_share_figures(
    mode: str,
    unit: str,
    rows: Sequence[PromptRow],
    per_row: Sequence[float],
    target: float,
    how: str,
    obstacle: str,
    shown_note: str,
) -> list[Figure]:
    """A mode's prompt against the whole-diff prompt, per ``unit`` (``per_row``, in %) and
    summed, met at ``target`` % only with every added line shown (equal recall); and that
    recall proxy itself."""
    recall = min(row.lines_shown for row in rows) * 100
    sent = sum(row.sent_tokens for row in rows)
    naive = sum(row.naive_tokens for row in rows)
    wanted = f"≤ {target:g} % at equal recall"
    return [
        figure(f"{mode}: prompt tokens / whole-diff prompt, per {unit}", "%", per_row, wanted,
               lambda v: v <= target and recall >= 100, how, obstacle),
        figure(f"{mode}: prompt tokens / whole-diff prompt, all {unit}s summed", "%",
               [100 * sent / naive], wanted, lambda v: v <= target and recall >= 100,
               f"{sent:,} sent vs {naive:,} naive", obstacle),
        figure(f"{mode}: added lines shown to the model (recall proxy)", "%",
               [row.lines_shown * 100 for row in rows], "naive: 100 %", note=shown_note),
    ]  # fmt: skip


def use_tiktoken_cache() -> str | None:
    """Point tiktoken at the repository's offline encoding cache when it exists.

    Without it tiktoken tries to download its encoding files, fails offline, and token counts
    fall back to an over-estimate; with it they are exact. Returns the folder in use.
    """
    if TIKTOKEN_CACHE.is_dir():
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(TIKTOKEN_CACHE))
    return os.environ.get("TIKTOKEN_CACHE_DIR")


def tokenizer_note(encoding: str, exact: bool) -> str:
    """How token figures were counted, for the figure's note."""
    if exact:
        return f"counted with tiktoken {encoding}"
    return f"tiktoken {encoding} unavailable: conservative estimate (over-counts)"


def wall_time(command: Sequence[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def child_peak_rss_mb(command: Sequence[str], **kwargs: object) -> tuple[float, float]:
    """Run ``command`` in a fresh interpreter wrapper and return (seconds, peak RSS in MB)."""
    probe = (
        "import resource, subprocess, sys, time, json;"
        "s=time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(json.dumps([time.perf_counter()-s,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )  # type: ignore[call-overload]
    seconds, rss = json.loads(out.stdout.strip().splitlines()[-1])
    return float(seconds), float(rss)


TABLE_HEADER = "| figure | median | min–max | runs | target | |\n|---|---|---|---|---|---|"


def print_table(title: str, figures: Sequence[Figure]) -> str:
    lines = [f"### {title}", "", TABLE_HEADER, *(f.row() for f in figures)]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def dump(figures: Sequence[Figure]) -> str:
    """The figures as one line of JSON."""
    return json.dumps([asdict(f) for f in figures], ensure_ascii=False)


def emit(figures: Sequence[Figure]) -> None:
    """Print the figures for ``bench/run.py``: one JSON list, the last line of stdout."""
    sys.stdout.write(dump(figures) + "\n")
    sys.stdout.flush()


def timed_main(
    doc: str, title: str, measure: Callable[[int, int], list[Figure]], runs: int, inner: int
) -> None:
    """The command line of a bench that times ``runs`` runs of ``inner`` alternated timings:
    ``--runs``, ``--inner`` (defaults given) and ``--json``; the table, or the figures for
    ``bench/run.py``. ``doc``'s first paragraph is the help."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--inner", type=int, default=inner)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure(args.runs, args.inner)
    if args.json:
        emit(figures)
    else:
        print_table(title, figures)


def load(stdout: str) -> list[Figure]:
    """The figures a bench script emitted: the JSON list on the last non-empty line."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the bench printed nothing")
    known = {f.name for f in fields(Figure)}
    return [
        Figure(**{k: v for k, v in item.items() if k in known}) for item in json.loads(lines[-1])
    ]


__all__ = [
    "ROOT",
    "TABLE_HEADER",
    "TIKTOKEN_CACHE",
    "VENV_BIN",
    "Figure",
    "PromptRow",
    "child_peak_rss_mb",
    "dump",
    "emit",
    "figure",
    "load",
    "number",
    "print_table",
    "prompt_share_figures",
    "timed_main",
    "tokenizer_note",
    "use_tiktoken_cache",
    "wall_time",
]
