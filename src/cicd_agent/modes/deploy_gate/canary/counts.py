"""Counts and rates judged as counts: a sequential test on the canary's and the baseline's counts
given the traffic split, valid however many calls look at it.

Given how many events both tracks saw together, the canary's share of them is binomial: its
traffic share ``s`` when nothing changed, ``expit(logit(s) + theta)`` when the canary's rate is
``exp(theta)`` times the baseline's. This conditional test needs no model of the traffic itself
(its bursts and daily cycle cancel) and is the one Netflix runs on counts (Lindon et al.,
"Rapid regression detection in software deployments through sequential testing", KDD 2022).
Evidence over calls is a **mixture likelihood ratio** (a normal prior on ``theta``): an
e-process, so the confidence sequence ``{theta0 : E(theta0) < 1/alpha}`` holds at every call at
once and a rollout may look after each call without spending its error budget.

Real counts vary more than Poisson (bursts land unevenly on the two tracks within a step): each
call's counts are divided by their dispersion, estimated from the per-step Pearson residuals and
widened for their lag-1 autocorrelation, never below 1 (quasi-likelihood). Sparse counts (0 vs 1)
leave the sequence wide: they never decide.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import ConfigDict, Field
from scipy.special import expit, log_expit, logit
from scipy.stats import norm

from cicd_agent.modes.deploy_gate.canary.evidence import FloatArray, Pooled, lag_one
from cicd_agent.modes.deploy_gate.canary.steps import Steps

# The log rate ratios the sequence is computed over (a ratio of e**±3 is as far as it reports).
GRID = np.linspace(-3.0, 3.0, 401)
# The prior's spread on the log rate ratio: where the test's power is centred (a change of about
# +25 %); the sequence is valid for any choice, this only trades early power between effect sizes.
PRIOR_SD = 0.25
# Fewer steps with traffic than this and the dispersion is not estimated (taken as Poisson's).
MIN_STEPS = 8
# A canary serving less than this share of the traffic (or more than all but it) is no split to
# compare counts by: its share's logit, and the power's odds, would not be finite.
MIN_SHARE = 1e-6
_LOG_STEP = math.log(GRID[1] - GRID[0]) - math.log(PRIOR_SD * math.sqrt(2 * math.pi))
_LOG_PRIOR = norm.logpdf(GRID[None, :] - GRID[:, None], scale=PRIOR_SD) + math.log(
    GRID[1] - GRID[0]
)


class CountEvidence(Pooled):
    """One check's counts per call so far: canary events, baseline events (both divided by the
    call's dispersion) and the canary's share of the traffic that call."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True
    )

    canary: tuple[float, ...] = ()
    baseline: tuple[float, ...] = ()
    share: tuple[Annotated[float, Field(ge=MIN_SHARE, le=1 - MIN_SHARE)], ...] = ()
    dispersion: tuple[float, ...] = ()

    def log_likelihood(self) -> FloatArray:
        """The conditional binomial log likelihood of each log rate ratio on :data:`GRID`."""
        total = np.zeros_like(GRID)
        for canary, baseline, share in zip(self.canary, self.baseline, self.share, strict=True):
            shifted = logit(share) + GRID
            total += canary * log_expit(shifted) + baseline * log_expit(-shifted)
        return total

    def log_e(self, theta0: float) -> float:
        """The mixture's log e-value against one log rate ratio ``theta0`` (the prior centred
        there): what :meth:`sequences` computes at every grid point, at one point only."""
        total, at = np.zeros_like(GRID), 0.0
        for canary, baseline, share in zip(self.canary, self.baseline, self.share, strict=True):
            shifted = logit(share) + np.append(GRID, theta0)
            part = canary * log_expit(shifted) + baseline * log_expit(-shifted)
            total, at = total + part[:-1], at + float(part[-1])
        # norm.logpdf and logsumexp by hand: this runs dozens of times a call (the power).
        terms = total - 0.5 * ((GRID - theta0) / PRIOR_SD) ** 2 + _LOG_STEP
        top = float(terms.max())
        return top + math.log(float(np.exp(terms - top).sum())) - at

    def sequences(self, *alphas: float) -> tuple[tuple[float, float] | None, ...]:
        """The ``1 - alpha`` confidence sequence on the log rate ratio for each alpha (None
        without events)."""
        if sum(self.canary) + sum(self.baseline) <= 0:
            return tuple(None for _ in alphas)
        likelihood = self.log_likelihood()
        terms = likelihood[None, :] + _LOG_PRIOR  # logsumexp by hand: scipy's costs 5x here
        top = terms.max(axis=1)
        log_e = top + np.log(np.exp(terms - top[:, None]).sum(axis=1)) - likelihood
        found: list[tuple[float, float] | None] = []
        for alpha in alphas:
            inside = GRID[log_e < math.log(1.0 / alpha)]
            if inside.size == 0:  # the grid's resolution: keep the most likely value
                inside = GRID[[int(np.argmax(likelihood))]]
            found.append((float(inside.min()), float(inside.max())))
        return tuple(found)

    @property
    def estimate(self) -> float:
        """The most likely log rate ratio (on :data:`GRID`: its ends when a side has none)."""
        return float(GRID[int(np.argmax(self.log_likelihood()))])


def window_counts(steps: Steps) -> tuple[CountEvidence, str | None]:
    """One call's counts (negatives read as 0), divided by their dispersion, and why they are
    no evidence when they are not (None otherwise, or when there is simply nothing counted).

    ``steps`` pairs the baseline's and the canary's events, and then, for a rate, each track's
    requests (its denominator); without them the two tracks are taken to serve equal traffic
    (equal baseline and canary groups).
    """
    base, cand = (np.maximum(side, 0.0) for side in steps.sides[:2])
    if len(steps.sides) == 4:
        base_traffic, cand_traffic = (np.maximum(side, 0.0) for side in steps.sides[2:])
    else:
        base_traffic, cand_traffic = np.ones_like(base), np.ones_like(cand)
    served = (base_traffic + cand_traffic) > 0
    base, cand = base[served], cand[served]
    base_traffic, cand_traffic = base_traffic[served], cand_traffic[served]
    if base.size == 0 or float(base_traffic.sum()) <= 0 or float(cand_traffic.sum()) <= 0:
        return CountEvidence(), None
    share = float(cand_traffic.sum() / (base_traffic.sum() + cand_traffic.sum()))
    if not MIN_SHARE <= share <= 1 - MIN_SHARE:
        return CountEvidence(), (
            f"the traffic split (the canary serves {share:.6%} of it) is too lopsided to "
            "compare the counts by"
        )
    phi = dispersion(base, cand, cand_traffic / (base_traffic + cand_traffic))
    counted = CountEvidence(
        canary=(float(cand.sum()) / phi,),
        baseline=(float(base.sum()) / phi,),
        share=(share,),
        dispersion=(phi,),
    )
    return counted, None


def dispersion(base: FloatArray, cand: FloatArray, shares: FloatArray) -> float:
    """How much more the canary's share of each step's events varies than binomial counting
    explains (at this call's own rate ratio), widened for lag-1 autocorrelation; at least 1."""
    events = base + cand
    seen = events > 0
    if int(seen.sum()) < MIN_STEPS or float(base.sum()) <= 0 or float(cand.sum()) <= 0:
        return 1.0
    events, cand, shares = events[seen], cand[seen], np.clip(shares[seen], 1e-9, 1 - 1e-9)
    # The call's log rate ratio: the canary's share of the events against its share of traffic.
    theta = float(logit(cand.sum() / events.sum()) - logit(np.average(shares, weights=events)))
    expected = np.clip(expit(logit(shares) + theta), 1e-9, 1 - 1e-9)
    residuals = (cand - events * expected) / np.sqrt(events * expected * (1.0 - expected))
    phi = float(residuals @ residuals) / (residuals.size - 1)
    rho = lag_one(residuals)
    return float(max(1.0, phi * (1 + rho) / (1 - rho)))
