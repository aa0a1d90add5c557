"""The Hodges-Lehmann shift: a robust estimate of how far the canary's samples sit from the
baseline's, in the metric's unit (the median of every pairwise difference).

The canary judge (:mod:`cicd_agent.modes.deploy_gate.canary.judge`) reports it beside its interval; it
lives apart because finding that median without forming every difference is an algorithm of
its own (bisection over sorted samples), with its own bench (``bench/bench_canary.py``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Above this many canaryxbaseline pairs the Hodges-Lehmann median is found by bisection over
# sorted samples instead of materialising every difference (4 M doubles = 32 MB).
_PAIRWISE_LIMIT = 4_000_000


def hodges_lehmann_shift(
    canary: FloatArray, baseline: FloatArray, *, pairwise_limit: int = _PAIRWISE_LIMIT
) -> float:
    """Median of all pairwise differences canary[i] - baseline[j]: a robust estimate of the shift.

    Up to ``pairwise_limit`` pairs, every difference is formed; beyond, the median is found by
    bisection on the value, counting differences below a candidate with ``searchsorted``, so
    memory stays linear in the samples (Prometheus allows 11,000 points a series: 121 M pairs).
    """
    if canary.size == 0 or baseline.size == 0:
        raise ValueError("the Hodges-Lehmann shift needs samples on both sides")
    if canary.size * baseline.size <= pairwise_limit:
        return float(np.median(np.subtract.outer(canary, baseline)))
    ordered = _SortedDifferences(np.sort(canary), np.sort(baseline))
    total = canary.size * baseline.size
    if total % 2:
        return ordered.kth(total // 2)
    return (ordered.kth(total // 2 - 1) + ordered.kth(total // 2)) / 2


class _SortedDifferences:
    """Order statistics of {c - b} over sorted samples, without forming the n·m differences."""

    _MAX_STEPS = 128  # the bracket is then 2**-128 of the data's range: far below float precision

    def __init__(self, canary: FloatArray, baseline: FloatArray) -> None:
        self.canary = canary
        self.baseline = baseline
        # Once the bracket holds this few differences, they are listed and sorted directly.
        self.enumerate_below = max(canary.size, baseline.size)

    def _first_at_or_above(self, value: float) -> npt.NDArray[np.intp]:
        """Per canary sample i, the first j with b[j] >= c[i] - value, i.e. c[i] - b[j] <= value."""
        return np.searchsorted(self.baseline, self.canary - value, side="left")

    def at_most(self, value: float) -> int:
        return int(self.baseline.size * self.canary.size - np.sum(self._first_at_or_above(value)))

    def kth(self, k: int) -> float:
        """The k-th smallest difference (0-based)."""
        low = float(self.canary[0] - self.baseline[-1])
        high = float(self.canary[-1] - self.baseline[0])
        low_count, high_count = self.at_most(low), self.canary.size * self.baseline.size
        if low_count > k:
            return low
        for _ in range(self._MAX_STEPS):
            if high_count - low_count <= self.enumerate_below:
                return self._kth_in_bracket(low, high, k - low_count)
            middle = low + (high - low) / 2
            if middle in (low, high):
                break
            middle_count = self.at_most(middle)
            if middle_count > k:
                high, high_count = middle, middle_count
            else:
                low, low_count = middle, middle_count
        # The bracket is as narrow as floats allow and still holds many tied differences: they
        # are all the k-th, so return one of them rather than the bracket's bound.
        return self._largest_in_bracket(low, high)

    def _largest_in_bracket(self, low: float, high: float) -> float:
        """The largest difference in (low, high]: per canary sample, the nearest baseline one."""
        start = self._first_at_or_above(high)
        inside = start < self._first_at_or_above(low)
        return float(np.max(self.canary[inside] - self.baseline[start[inside]]))

    def _kth_in_bracket(self, low: float, high: float, rank: int) -> float:
        """The rank-th smallest of the differences in (low, high], listed explicitly."""
        start = self._first_at_or_above(high)
        stop = self._first_at_or_above(low)
        lengths = stop - start
        rows = np.repeat(np.arange(self.canary.size), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        differences = self.canary[rows] - self.baseline[start[rows] + offsets]
        return float(np.partition(differences, rank)[rank])
