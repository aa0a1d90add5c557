"""The canary judge's evidence: how sure one window (and a rollout so far) is about a change.

Real metrics break what a rank test on raw samples assumes. Neighbouring samples are correlated,
both sides follow the same daily cycle, and bursts give heavy tails. So each comparison works on
**paired log ratios**: the canary's sample at a time step over the baseline's at the same step
(both groups see the same traffic then, so the cycle cancels), on a log scale (a regression
multiplies; bursts shrink). Their centre is a 10 % trimmed mean with a winsorised standard error
(Yuen's), so a few bursts cannot carry the verdict, and that error is widened by the lag-1
autocorrelation of the ratios (the effective sample size ``n (1 - r) / (1 + r)``), so correlated
samples are not counted as independent ones.

A window's evidence is an estimate, its standard error, its weight (its effective sample size)
and degrees of freedom; a rollout's evidence is the weighted pool of its windows' (windows never
overlap: the state records where the last one ended). A rollout has a budget of calls and each
call spends an equal share of the error budget: by the union bound a whole rollout falsely fails
a metric with probability at most ``alpha``, however the calls depend on one another. A
comparison **fails** when it is significantly worse and its estimate lies beyond the allowance,
**passes** when the whole interval lies within the allowance, and is **thin** otherwise: thin
evidence never promotes.

Beside the interval the reader is shown the Hodges-Lehmann shift (:func:`hodges_lehmann_shift`),
which no verdict rests on.
"""

from __future__ import annotations

import math
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import stdtrit

FloatArray = npt.NDArray[np.float64]
TRIM = 0.1
# The log-ratio floor, as a share of the pair's typical level: keeps zeros finite, and makes a
# change far below the metric's usual level count for little.
FLOOR_SHARE = 0.05
# A pooled standard error is never taken below this (a perfectly flat rollout), so an interval
# always has a width.
MIN_SE = 1e-6
# Lag-1 autocorrelation is capped here: beyond, a window holds about one independent sample.
MAX_RHO = 0.9

# Above this many canary x baseline pairs, each side is thinned first (4 M doubles = 32 MB).
_PAIRWISE_LIMIT = 4_000_000

CheckOutcome = Literal["fail", "pass", "thin"]
Bounds = tuple[float | None, float | None]


class Pooled(BaseModel):
    """Evidence that pools over calls by adding, field by field, what each call gathered."""

    def plus(self, other: Self) -> Self:
        fields = type(self).model_fields
        return type(self)(**{name: getattr(self, name) + getattr(other, name) for name in fields})


class Evidence(Pooled):
    """Pooled evidence about one quantity over windows: the sum of their weights, of weight x
    estimate, of weight² x squared standard error, and of degrees of freedom. A window weighs its
    effective sample size, never one over its own estimated variance: a window that happens to
    look flat (or is made to) would otherwise outweigh every other, one lucky window deciding
    the rollout. The empty evidence has weight 0."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    weight: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    weighted_sum: float = Field(default=0.0, allow_inf_nan=False)
    variance_sum: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    dof: float = Field(default=0.0, ge=0, allow_inf_nan=False)

    @property
    def estimate(self) -> float | None:
        return self.weighted_sum / self.weight if self.weight > 0 else None

    def interval(self, alpha: float) -> tuple[float, float] | None:
        """One-sided ``1 - alpha`` bounds (each side) of the pooled estimate; None when empty."""
        estimate = self.estimate
        if estimate is None or self.dof < 1:
            return None
        se = max(math.sqrt(self.variance_sum) / self.weight, MIN_SE)
        half = float(stdtrit(self.dof, 1.0 - alpha)) * se  # Student's t quantile, cheaply
        return estimate - half, estimate + half


def robust_evidence(values: FloatArray) -> Evidence:
    """Yuen's trimmed mean of ``values`` with its winsorised standard error, widened for lag-1
    autocorrelation; empty evidence for fewer than four values."""
    n = values.size
    if n < 4:
        return Evidence()
    ordered = np.sort(values)
    cut = int(TRIM * n)
    kept = n - 2 * cut
    centre = float(np.mean(ordered[cut : n - cut]))
    winsorised = np.clip(values, ordered[cut], ordered[n - 1 - cut])
    spread = float(np.std(winsorised, ddof=1))
    rho = lag_one(winsorised)
    inflation = (1 + rho) / (1 - rho)
    se = spread / ((1 - 2 * cut / n) * math.sqrt(n)) * math.sqrt(inflation)
    dof = max(1.0, (kept - 1) / inflation)
    weight = n / inflation
    return Evidence(
        weight=weight, weighted_sum=weight * centre, variance_sum=(weight * se) ** 2, dof=dof
    )


def lag_one(values: FloatArray) -> float:
    """Lag-1 autocorrelation with the small-sample bias of the estimate added back (Marriott and
    Pope: about ``-(1 + 4 rho) / n`` with an estimated mean), clipped to [0, MAX_RHO]: negative
    correlation is not credited, and a short window's estimate would otherwise understate it."""
    centred = values - np.mean(values)
    energy = float(centred @ centred)
    if energy <= 0:
        return 0.0
    rho = float(centred[1:] @ centred[:-1]) / energy
    rho += (1 + 4 * max(rho, 0.0)) / values.size
    return min(max(rho, 0.0), MAX_RHO)


def log_ratios(reference: FloatArray, canary: FloatArray) -> FloatArray:
    """log((canary + f) / (reference + f)) per time step, pairing the two by position (the same
    step when both were read over the same window); ``f`` is ``FLOOR_SHARE`` of the mean level.

    Steps where both sides are at zero (or below) are left out: a ratio of nothing to nothing
    says nothing about a relative change, and counting it as "no change" would let a regression
    of a mostly idle metric through on silence.
    """
    n = min(reference.size, canary.size)
    reference = np.maximum(reference[-n:], 0)
    canary = np.maximum(canary[-n:], 0)
    level = float(np.mean(np.concatenate([reference, canary]))) if n else 0.0
    floor = FLOOR_SHARE * level if level > 0 else 1.0
    seen = (reference > 0) | (canary > 0)
    return np.log(canary[seen] + floor) - np.log(reference[seen] + floor)


def settle(
    estimate: float,
    strict: tuple[float, float],
    loose: tuple[float, float],
    allowed: Bounds,
    ruled_out: Bounds,
    *,
    neutral: float | None = 0.0,
) -> CheckOutcome:
    """Fail when the estimate lies beyond an ``allowed`` bound and the ``strict`` interval (at
    the false-rollback budget) excludes ``neutral`` on that side (no neutral: the bound itself);
    pass when the ``loose`` interval (at the let-through budget) lies wholly within the
    ``ruled_out`` bounds (a missing bound is no limit); thin otherwise. Paired log ratios and
    the sequential count test are both settled so.

    With a neutral value this is Kayenta's rule (significantly worse, and by more than allowed):
    demanding the whole interval beyond the allowance would let a regression twice the
    allowance through for many windows.
    """
    (low, high), (pass_low, pass_high) = allowed, ruled_out
    if high is not None and estimate > high and strict[0] > (high if neutral is None else neutral):
        return "fail"
    if low is not None and estimate < low and strict[1] < (low if neutral is None else neutral):
        return "fail"
    if (pass_high is None or loose[1] < pass_high) and (pass_low is None or loose[0] > pass_low):
        return "pass"
    return "thin"


def hodges_lehmann_shift(
    canary: FloatArray, baseline: FloatArray, *, pairwise_limit: int = _PAIRWISE_LIMIT
) -> float:
    """How far the canary's samples sit from the baseline's, in the metric's unit: the median of
    all pairwise differences canary[i] - baseline[j]. For the reader only, so beyond
    ``pairwise_limit`` pairs each side is first thinned to evenly spaced order statistics (the
    same quantiles, fewer of them): memory stays bounded (Prometheus allows 11,000 points a
    series: 121 M pairs) at the cost of exactness finer than the samples' own spread
    (``bench/bench_canary.py`` times it)."""
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
