"""The one place a metric's series become numbers the judge may compute with.

A store answers what it answers: NaN (Prometheus writes it for 0/0 and stale samples), ±Inf,
values too large to sum (``1e308`` a step), values too small to divide by (``5e-324``), and
sides of different lengths. Every statistic the judge runs (pairing, windows, counts, power,
evidence) takes its numbers from here, so none of them meets such a value:

- :func:`paired` lines any number of series up step by step (the last ``n`` values of each,
  ``n`` the shortest) and keeps only the steps where **every** side has a usable value, so a
  rate's events and traffic share one mask and stay in step;
- :func:`usable` keeps one side's usable values (a summary, an objective);
- :func:`elasticity_of` bounds the one other number read from the store (a latency's tail
  elasticity, from its histogram);
- a usable value is finite and at most :data:`LIMIT` in size (beyond it no metric is credible
  and sums could overflow); a size below :data:`TINY` reads as 0 (no quotient of it overflows).

What is left out is counted (``dropped``), so the verdict can say what it did not see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Samples = Sequence[float] | npt.NDArray[np.floating[Any]]
"""Samples as they come: plain sequences (from a store) or numpy arrays (simulations, benches)."""

LIMIT = 1e15
"""The largest size of a usable value: 10¹⁵ requests a step is beyond any service, and 10⁵
points of it sum, square and multiply without overflowing a float."""
TINY = 1e-12
"""Sizes below this read as 0: a count or a ratio that small is none, and dividing by it would
overflow."""


ELASTICITY = (0.01, 100.0)
"""The range a latency's tail elasticity (read from the store's histogram) is taken within: the
count test's changes are the metric's times it, and beyond these no bucket layout is credible."""


def elasticity_of(value: float) -> float:
    """A tail elasticity the count test can scale by: within :data:`ELASTICITY`, 1 when it is
    no number."""
    return min(max(value, ELASTICITY[0]), ELASTICITY[1]) if math.isfinite(value) else 1.0


@dataclass(frozen=True)
class Steps:
    """Series paired by step: every side has the same number of values, each usable;
    ``dropped`` steps were left out because some side's value was not."""

    sides: tuple[FloatArray, ...]
    dropped: int = 0

    @property
    def size(self) -> int:
        return int(self.sides[0].size) if self.sides else 0


def _read(values: Samples) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return np.where(np.abs(array) < TINY, 0.0, array)


def _good(array: FloatArray) -> npt.NDArray[np.bool_]:
    return np.isfinite(array) & (np.abs(array) <= LIMIT)


def paired(*series: Samples) -> Steps:
    """The series paired by position from their ends, only the steps usable on every side."""
    arrays = [_read(one) for one in series]
    n = min((array.size for array in arrays), default=0)
    arrays = [array[array.size - n :] for array in arrays]
    keep = np.ones(n, dtype=bool)
    for array in arrays:
        keep &= _good(array)
    return Steps(tuple(array[keep] for array in arrays), int(n - keep.sum()))


def usable(values: Samples) -> tuple[FloatArray, int]:
    """One side's usable values, and how many were left out."""
    array = _read(values)
    kept = array[_good(array)]
    return kept, int(array.size - kept.size)


@dataclass(frozen=True, kw_only=True)
class SampleSummary:
    """What one side looked like, so a reader can check the judge's call by eye."""

    n: int
    mean: float | None
    median: float | None
    p95: float | None
    dropped: int = 0  # non-finite values (NaN from 0/0, ±Inf) left out of the test


def summarise(values: FloatArray, dropped: int = 0) -> SampleSummary:
    """n, mean, median and 95th percentile of finite samples (None for an empty side)."""
    if values.size == 0:
        return SampleSummary(n=0, mean=None, median=None, p95=None, dropped=dropped)
    return SampleSummary(
        n=int(values.size),
        mean=float(np.mean(values)),
        median=float(np.median(values)),
        p95=float(np.percentile(values, 95)),
        dropped=dropped,
    )
