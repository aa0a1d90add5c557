"""The paired test of base against head, case by case: pure arithmetic on pass rates.

Each case was sampled on both sides; its difference ``d = head - base`` (pass rates in [0, 1])
is the unit of evidence, as in Miller's "Adding Error Bars to Evals" (arXiv:2411.00640): the
cases are the clusters, so the standard error of the mean difference is the spread of the
per-case differences over the square root of their count, and samples of one case never count
as independent evidence. With one pass/fail sample a case the p-value is the exact McNemar test
(the discordant cases, a binomial at one half).

The standard library's ``NormalDist`` gives the normal quantiles: importing ``scipy.stats``
costs about 1.6 s here, for two numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)
"""1.96: the 95 % interval's half-width in standard errors."""
Z80 = NormalDist().inv_cdf(0.80)
"""0.84: the extra standard errors a drop needs to be caught four times in five."""

PASSED, REGRESSED, INSUFFICIENT = "passed", "regressed", "insufficient"


@dataclass(frozen=True)
class Paired:
    """The paired comparison of the cases both sides have (rates in [0, 1])."""

    cases: int
    base_rate: float
    head_rate: float
    delta: float
    standard_error: float
    low: float
    high: float
    p_value: float
    mde80: float
    """The smallest drop the suite catches 80 % of the time, however the drop is spread."""
    test: str
    """How the p-value was found: ``paired z`` or ``exact McNemar``."""


def mcnemar(base: Sequence[bool], head: Sequence[bool]) -> float:
    """The exact two-sided McNemar p-value of one pass/fail sample a case: of the cases that
    changed, how unlikely so lopsided a split is when a change either way is a coin toss."""
    worse = sum(1 for was, now in zip(base, head, strict=True) if was and not now)
    better = sum(1 for was, now in zip(base, head, strict=True) if now and not was)
    changed = worse + better
    if changed == 0:
        return 1.0
    tail = sum(math.comb(changed, k) for k in range(min(worse, better) + 1))
    return min(1.0, 2 * tail / float(2**changed))


def detectable_drop(spread: float, cases: int) -> float:
    """The drop δ caught 80 % of the time: δ = (z95 + z80) · SE(δ), where a case's difference
    has the observed spread plus, at worst, the spread the drop itself brings (δ of the cases
    falling from pass to fail adds δ(1 - δ)). Solved for δ: a quadratic.

    The worst case is taken on purpose: a suite whose two sides answer identically (no spread
    observed) still cannot see a 10-point drop on 20 cases, since 2 cases flipping is no
    evidence, and the figure must say so."""
    if cases == 0:
        return 1.0
    k = (Z95 + Z80) ** 2 / cases
    # δ² = k (s² + δ - δ²)  ⇔  (1 + k) δ² - k δ - k s² = 0
    a, b, c = 1 + k, -k, -k * spread**2
    return min(1.0, (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a))


def paired(base: Sequence[float], head: Sequence[float], *, binary: bool = False) -> Paired:
    """The paired comparison of per-case pass rates ``base[i]`` and ``head[i]``; ``binary``:
    one pass/fail sample a case, so the p-value is McNemar's."""
    n = len(base)
    if n != len(head):
        raise ValueError("both sides need a rate for every case")
    if n == 0:
        return Paired(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, "none")
    diffs = [h - b for b, h in zip(base, head, strict=True)]
    mean = sum(diffs) / n
    spread = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
    se = spread / math.sqrt(n)
    if binary:
        p_value = mcnemar([b >= 1 for b in base], [h >= 1 for h in head])
        test = "exact McNemar"
    else:
        p_value = 2 * (1 - NormalDist().cdf(abs(mean) / se)) if se > 0 else float(mean == 0)
        test = "paired z"
    return Paired(
        cases=n,
        base_rate=sum(base) / n,
        head_rate=sum(head) / n,
        delta=mean,
        standard_error=se,
        low=mean - Z95 * se,
        high=mean + Z95 * se,
        p_value=p_value,
        mde80=detectable_drop(spread, n),
        test=test,
    )


@dataclass(frozen=True)
class Limits:
    """The gate's settings, as fractions: ``max_drop`` and ``max_detectable`` in [0, 1]."""

    max_drop: float = 0.02
    max_detectable: float = 0.10
    min_pass_rate: float | None = None


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reasons: tuple[str, ...]
    """Every rule that decided it, in plain words, with its figures."""


def points(rate: float) -> str:
    return f"{rate * 100:.1f} points"


def decide(
    comparison: Paired,
    limits: Limits,
    *,
    failed_must_pass: Sequence[str] = (),
    stopped: str = "",
    unsure: str = "",
) -> Verdict:
    """``insufficient`` when the run was ``stopped`` before it finished; else ``regressed`` when
    the interval lies wholly below zero, the test agrees and the drop is at least ``max_drop``,
    or the head is under ``min_pass_rate`` or failed a must-pass case; else ``insufficient``
    when the suite could not see a drop of ``max_detectable``, or there is a reason to be
    ``unsure`` of a pass (requests that got no answer); else ``passed``."""
    if stopped:  # what was asked is a part chosen by the order of asking, not a sample
        return Verdict(INSUFFICIENT, (stopped,))
    regressed: list[str] = []
    shown = comparison.cases and comparison.high < 0 and comparison.p_value < 0.05
    if shown and -comparison.delta >= limits.max_drop:
        regressed.append(
            f"the head passes {points(-comparison.delta)} fewer (95 % interval "
            f"{points(comparison.low)} to {points(comparison.high)}, p = "
            f"{comparison.p_value:.3g}, {comparison.test})"
        )
    minimum = limits.min_pass_rate
    if minimum is not None and comparison.cases and comparison.head_rate < minimum:
        regressed.append(
            f"the head's pass rate {comparison.head_rate:.1%} is under min-pass-rate {minimum:.0%}"
        )
    if failed_must_pass:
        regressed.append(f"must-pass cases failed on the head: {', '.join(failed_must_pass)}")
    if regressed:
        return Verdict(REGRESSED, tuple(regressed))
    if unsure:
        return Verdict(INSUFFICIENT, (unsure,))
    if comparison.mde80 > limits.max_detectable:
        return Verdict(
            INSUFFICIENT,
            (
                f"with {comparison.cases} cases the smallest drop caught 80 % of the time is "
                f"{points(comparison.mde80)}, over max-detectable "
                f"{points(limits.max_detectable)}: add cases or repeats",
            ),
        )
    return Verdict(
        PASSED,
        (
            f"no drop of {points(limits.max_drop)} or more is shown (delta "
            f"{points(comparison.delta)}, 95 % interval {points(comparison.low)} to "
            f"{points(comparison.high)}); drops of {points(comparison.mde80)} or more are "
            "caught 80 % of the time",
        ),
    )
