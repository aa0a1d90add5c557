"""What a rollout can see at the traffic it has: the judge's power, stated before it is asked.

A test that cannot tell +30 % from noise and says "no regression seen" has promoted on evidence
it lacks (Kayenta does so). So with every call, for each metric judged against its baseline, the
rollout's evidence so far is projected to the rollout's whole call budget at the traffic seen per
call, and two figures are read off the very test the judge runs:

- **detectable**: the smallest change rolled back with probability at least :data:`POWER`
  (80 %) by the end of the budget. It is found on the test itself: a change is counted as
  detected when, with the estimate :data:`Z_POWER` standard errors short of it, the strict
  interval (the false-rollback budget) still excludes no change and the estimate lies beyond the
  allowance, which is the judge's own rule for a rollback, while the loose interval still holds
  the change a promote must rule out (below it a promote is allowed, and may come first: so at
  any traffic nothing much below that change is called detectable).
- **rule-out**: the change a promote can rule out when nothing changed (the loose interval's
  bound at no change): above the change a promote must rule out, no release can be promoted.

When the detectable change is beyond the change a promote must rule out, the metric cannot be
settled at this traffic: the verdict becomes ``insufficient`` ("not enough traffic to judge"),
never healthy, with the figures and the traffic multiple that would do (a longer window per call
or pooled replicas; each multiplies the counts alike).

Counts (rates, counts, latencies judged on their tail counts) are projected by the sequential
count test on expected counts (dispersion-divided, as the test sees them); gauges by the pooled
standard error, which shrinks with the square root of the samples. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import stdtrit
from scipy.stats import norm

from cicd_agent.modes.deploy_gate.canary.counts import GRID, MIN_STEPS, CountEvidence, dispersion
from cicd_agent.modes.deploy_gate.canary.evidence import Evidence

POWER = 0.8
Z_POWER = float(norm.ppf(POWER))
# The largest change (log units) the projection searches: the count test's grid ends there.
_LARGEST = float(GRID[-1]) - 0.05
# The largest traffic multiple a remedy names; beyond it the metric cannot be judged this way.
MAX_MULTIPLE = 1000.0


@dataclass(frozen=True, kw_only=True)
class Power:
    """One metric's power over the rollout's budget, as relative changes of the metric (the
    worse direction): ``detectable`` None when nothing is detectable (no events at all),
    ``multiple`` the traffic per call that would make ``detectable`` reach the change a promote
    must rule out (None: already does, or beyond :data:`MAX_MULTIPLE`)."""

    detectable: float | None
    rule_out: float | None
    enough: bool
    multiple: float | None = None


Detects = Callable[[float, float], bool]
"""Whether a change (log units) is detected at a traffic multiple."""
RuleOut = Callable[[float], float]
"""The bound (log units) a promote reaches at no change, at a traffic multiple."""


@lru_cache(maxsize=64)
def null_dispersion(steps: int) -> float:
    """The dispersion the count test divides a call of ``steps`` steps by when the counts are
    exactly Poisson (its estimate is floored at 1 and widened for autocorrelation, so it is
    above 1 on average): the harmonic mean over seeded draws, which is what a future call's
    evidence is divided by on average."""
    rng = np.random.default_rng(steps)
    shares = np.full(steps, 0.5)
    draws = rng.poisson(50.0, (400, 2, steps)).astype(float)
    found = [dispersion(base, cand, shares) for base, cand in draws]
    return float(1.0 / np.mean(1.0 / np.asarray(found)))


def count_power(
    evidence: CountEvidence,
    budget: int,
    alphas: tuple[float, float],
    bounds: tuple[float, float],
    elasticity: float = 1.0,
    *,
    steps: int = MIN_STEPS,
    lower: bool = False,
    learnt: float | None = None,
) -> Power:
    """The count test's power over ``budget`` calls like the mean call so far (each of
    ``steps`` steps, its counts divided by the larger of its own dispersion and the dispersion
    the test finds on Poisson counts). ``alphas``: the false-rollback and let-through budgets;
    ``bounds``: the allowance and the change a promote must rule out, in log units of the
    metric (carried to the counts by ``elasticity``).

    The mean call is the mean of what each call gives the test (its counts over its own
    dispersion), not the mean counts over the mean dispersion: one burst-ridden call (a
    dispersion of hundreds on a public tweet-count series) adds next to nothing to the sequence,
    and averaging its dispersion into every projected call cut the re-stated power so far that
    rollouts the first call called detectable stopped as ``insufficient``
    (research/deploy/canary_power.md). ``learnt``: the dispersion learnt from the stable's
    history (:mod:`.noise`), which later calls are divided by, in place of what a call of
    Poisson counts would show."""
    calls = len(evidence.baseline)
    floor = null_dispersion(max(steps, MIN_STEPS)) if learnt is None else learnt
    raw = [b * d for b, d in zip(evidence.baseline, evidence.dispersion, strict=True)]
    divided = [r / max(d, floor) for r, d in zip(raw, evidence.dispersion, strict=True)]
    base = sum(divided) / calls if calls else 0.0
    share = sum(evidence.share) / calls if calls else 0.5
    if base <= 0:
        return Power(detectable=None, rule_out=None, enough=False)
    expected = base * share / (1.0 - share)  # the canary's events per call at no change
    allowed = bounds[0] * elasticity

    def projected(theta: float, multiple: float) -> CountEvidence:
        """``budget`` calls like the mean one: the likelihood only sums the calls' counts."""
        b, c = base * multiple * budget, expected * multiple * budget * math.exp(theta)
        return CountEvidence(canary=(c,), baseline=(b,), share=(share,), dispersion=(1.0,))

    def detects(theta: float, multiple: float) -> bool:
        counts = theta * elasticity
        b, c = base * multiple * budget, expected * multiple * budget * math.exp(counts)
        short = counts - Z_POWER * math.sqrt(1.0 / b + 1.0 / c)
        if short <= allowed:
            return False
        # Rolled back: the strict sequence excludes no change. Not promoted first: the loose
        # one keeps the change a promote must rule out (a change below it may be promoted).
        evidence, unacceptable = projected(short, multiple), bounds[1] * elasticity
        kept = short >= unacceptable or evidence.log_e(unacceptable) < math.log(1 / alphas[1])
        return kept and evidence.log_e(0.0) >= math.log(1 / alphas[0])

    def rule_out(multiple: float) -> float:
        """The loose sequence's upper end at no change: the first change it excludes."""
        evidence, level = projected(0.0, multiple), math.log(1 / alphas[1])
        if evidence.log_e(_LARGEST) < level:
            return _LARGEST / elasticity
        low, high = 0.0, _LARGEST
        while high - low > 1e-3:
            middle = (low + high) / 2
            low, high = (middle, high) if evidence.log_e(middle) < level else (low, middle)
        return high / elasticity

    def excludes(multiple: float) -> bool:
        """Whether the loose sequence at no change excludes the change a promote must rule out
        (one evaluation where :func:`rule_out` bisects)."""
        level = math.log(1 / alphas[1])
        return projected(0.0, multiple).log_e(bounds[1] * elasticity) >= level

    return _power(detects, rule_out, excludes, bounds[1], lower)


def paired_power(
    evidence: Evidence,
    calls: int,
    budget: int,
    alphas: tuple[float, float],
    bounds: tuple[float, float],
    *,
    lower: bool = False,
) -> Power:
    """Paired log ratios' power over ``budget`` calls like the ``calls`` so far: the standard
    error shrinks with the square root of the samples, the rule is the judge's (estimate beyond
    the allowance, strict interval excluding no change; each look spends ``alpha / budget``)."""
    if evidence.dof < 1 or evidence.weight <= 0:
        return Power(detectable=None, rule_out=None, enough=False)
    se_now = math.sqrt(evidence.variance_sum) / evidence.weight
    stretch = budget / max(calls, 1)
    dof = evidence.dof * stretch
    # stdtrit is Student's t quantile without scipy.stats' per-call overhead (a judge call
    # runs this for every metric).
    strict_t, loose_t = (float(stdtrit(dof, 1.0 - a / budget)) for a in alphas)

    def se(multiple: float) -> float:
        return max(se_now / math.sqrt(stretch * multiple), 1e-9)

    def detects(theta: float, multiple: float) -> bool:
        short, error = theta - Z_POWER * se(multiple), se(multiple)
        rolled_back = short > bounds[0] and short > strict_t * error
        return rolled_back and short + loose_t * error >= bounds[1]  # and not promoted first

    def rule_out(multiple: float) -> float:
        return loose_t * se(multiple)

    return _power(
        detects, rule_out, lambda multiple: rule_out(multiple) < bounds[1], bounds[1], lower
    )


def bounds_of(allowed: float, unacceptable: float, lower: bool) -> tuple[float, float]:
    """The allowance and the change a promote must rule out as log ratios in the worse
    direction (positive), at most the count test's grid's end (a fall of 100 % or more, a rise
    beyond e³ times, is beyond any grid)."""
    if not lower:
        return min(math.log1p(allowed), _LARGEST), min(math.log1p(unacceptable), _LARGEST)
    return tuple(-math.log1p(-c) if c < 1 else _LARGEST for c in (allowed, unacceptable))  # type: ignore[return-value]


def _power(
    detects: Detects,
    rule_out: RuleOut,
    excludes: Callable[[float], bool],
    unacceptable: float,
    lower: bool,
) -> Power:
    """The smallest detectable change (bisection: detection grows with the change), the rule-out
    bound, and the traffic multiple that brings the detectable change to ``unacceptable``; as
    relative changes, falls when the worse direction is ``lower``."""

    def relative(theta: float) -> float:
        return -math.expm1(-theta) if lower else math.expm1(theta)

    def smallest(multiple: float) -> float | None:
        if not detects(_LARGEST, multiple):
            return None
        low, high = 0.0, _LARGEST
        while high - low > 1e-3:
            middle = (low + high) / 2
            low, high = (low, middle) if detects(middle, multiple) else (middle, high)
        return high

    detectable = smallest(1.0)
    bound = rule_out(1.0)
    enough = detectable is not None and detectable <= unacceptable and bound < unacceptable
    multiple = None
    if not enough and _settles(detects, excludes, unacceptable, MAX_MULTIPLE):
        low, high = 1.0, MAX_MULTIPLE
        while high / low > 1.05:
            middle = math.sqrt(low * high)
            low, high = (
                (low, middle)
                if _settles(detects, excludes, unacceptable, middle)
                else (middle, high)
            )
        multiple = high
    return Power(
        detectable=None if detectable is None else relative(detectable),
        rule_out=relative(bound),
        enough=enough,
        multiple=multiple,
    )


def _settles(
    detects: Detects, excludes: Callable[[float], bool], unacceptable: float, multiple: float
) -> bool:
    return detects(unacceptable, multiple) and excludes(multiple)


def traffic_seen(
    kind: str, events: float, traffic: float | None, samples: int, span: float | None
) -> str:
    """The traffic this call saw, as the statement gives it: requests a second a side and the
    share of them the test counts (errors, or requests slower than the baseline's quantile
    bucket), events a side a call, or samples a call for a gauge."""
    per_second = traffic is not None and span is not None and span > 0
    if kind in ("rate", "latency") and traffic is not None and traffic > 0:
        what = "errors" if kind == "rate" else "requests slower than the baseline's quantile"
        rate = f"{traffic / span:.3g} requests/s a side and " if per_second else ""  # type: ignore[operator]
        return f"at {rate}{events / traffic:.2%} {what} ({events:.0f} a side this call)"
    if kind == "count":
        return f"at {events:.0f} events a side this call"
    return f"at {samples} samples a side this call"


def power_statement(
    power: Power, *, budget: int, unacceptable: float, lower: bool, seen: str, span: float | None
) -> str:
    """What the rollout can see, in one sentence with its figures and, when it cannot settle the
    metric, the remedy: the multiple of traffic per call, as a longer window or pooled replicas."""
    sign = "-" if lower else "+"
    asked = f"{sign}{unacceptable:.0%}"
    if power.detectable is None:
        return (
            f"{seen}, no change can be detected over the rollout's {budget} calls: nothing to "
            f"count yet, so the {asked} a promote must rule out cannot be ruled out"
        )
    can = (
        f"{seen}, the rollout's {budget} calls can detect {sign}{power.detectable:.0%} "
        f"({POWER:.0%} of the time) and rule out {sign}{power.rule_out:.0%}"
    )
    if power.enough:
        return f"{can}; a promote must rule out {asked}"
    remedy = "no longer window or pooling within x1000 would do: widen the allowance"
    if power.multiple is not None:
        longer = (
            f"lengthen each call's window to {power.multiple * span / 60:.3g} minutes"
            if span
            else f"lengthen each call's window x{power.multiple:.1f}"
        )
        remedy = f"{longer} or judge {math.ceil(power.multiple)} pooled replicas"
    return f"{can}, not the {asked} a promote must rule out: {remedy}"
