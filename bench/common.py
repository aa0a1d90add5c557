"""Shared measuring helpers: interleaved runs against a reference, median with min–max.

Every figure is a ratio against a reference measured in the same process, in alternation, so
a noisy or slow machine moves both sides alike.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Figure:
    """One benchmark figure: median and range over runs, with its target when there is one."""

    name: str
    unit: str
    median: float
    low: float
    high: float
    runs: int
    target: str = ""
    met: bool | None = None

    def row(self) -> str:
        verdict = "" if self.met is None else ("met" if self.met else "**missed**")
        return (
            f"| {self.name} | {self.median:.3g} {self.unit} | {self.low:.3g}–{self.high:.3g} | "
            f"{self.runs} | {self.target} | {verdict} |"
        )


def figure(
    name: str,
    unit: str,
    values: Sequence[float],
    target: str = "",
    met: Callable[[float], bool] | None = None,
) -> Figure:
    median = statistics.median(values)
    return Figure(
        name,
        unit,
        median,
        min(values),
        max(values),
        len(values),
        target,
        None if met is None else met(median),
    )


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


def print_table(title: str, figures: Sequence[Figure]) -> str:
    lines = [
        f"### {title}",
        "",
        "| figure | median | min–max | runs | target | |",
        "|---|---|---|---|---|---|",
        *(f.row() for f in figures),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def dump(figures: Sequence[Figure]) -> str:
    return json.dumps([asdict(f) for f in figures])


__all__ = [
    "ROOT",
    "VENV_BIN",
    "Figure",
    "child_peak_rss_mb",
    "dump",
    "figure",
    "print_table",
    "resource",
    "wall_time",
]
