"""The Hodges-Lehmann shift: a robust estimate of how far the canary's samples sit from the
baseline's, in the metric's unit (the median of every pairwise difference).

The canary judge (:mod:`cicd_agent.modes.deploy_gate.canary.judge`) reports it beside its
interval, for the reader only: no verdict rests on it. So beyond a few million pairs each side is
first thinned to evenly spaced order statistics (the same quantiles, fewer of them), which keeps
memory bounded (Prometheus allows 11,000 points a series: 121 M pairs) at the cost of exactness
finer than the samples' own spread (``bench/bench_canary.py`` times it).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Above this many canary x baseline pairs, each side is thinned first (4 M doubles = 32 MB).
_PAIRWISE_LIMIT = 4_000_000


def hodges_lehmann_shift(
    canary: FloatArray, baseline: FloatArray, *, pairwise_limit: int = _PAIRWISE_LIMIT
) -> float:
    """Median of all pairwise differences canary[i] - baseline[j] (of the thinned sides beyond
    ``pairwise_limit`` pairs)."""
    if canary.size == 0 or baseline.size == 0:
        raise ValueError("the Hodges-Lehmann shift needs samples on both sides")
    if canary.size * baseline.size > pairwise_limit:
        keep = max(2, math.isqrt(pairwise_limit))
        canary, baseline = (_thinned(side, keep) for side in (canary, baseline))
    return float(np.median(np.subtract.outer(canary, baseline)))


def _thinned(values: FloatArray, keep: int) -> FloatArray:
    """``keep`` evenly spaced order statistics of ``values`` (all of them when fewer)."""
    ordered = np.sort(values)
    if ordered.size <= keep:
        return ordered
    return ordered[np.linspace(0, ordered.size - 1, keep).round().astype(np.intp)]
