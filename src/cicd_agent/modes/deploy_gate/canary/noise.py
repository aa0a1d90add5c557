"""The noise the judge learns before its first call: how much more a metric's counts vary than
counting explains, read from the stable's own history in the same store.

A call's counts are divided by their dispersion (:func:`.counts.dispersion`), which one call
estimates from its own few steps (a dozen, three dozen): noisy, floored at 1, and blind to the
bursts a later call will meet. The stable's history (by default the hour before the rollout)
holds hundreds of steps of the same series. Dealt as an A/A split (each step against the next,
so the daily cycle cancels as it does between two tracks), it gives the dispersion an unchanged
release would show, from many more steps than any call has.

How the judge uses it (:func:`applied`): a call whose own dispersion is consistent with the
history's (within the 99th percentile of their F ratio) is divided by the two pooled, each
weighed by its degrees of freedom, which narrows a call that happened to look bursty; a call
significantly burstier than the history is divided by its own, which widens it. The power
statement projects the rollout's budget with the learnt dispersion too. Where there is no
history (a new metric, a store with short retention, a history that could not be read),
nothing is learnt and the judge says so and uses the call's own, as it did before it learnt
anything.

Counts only (counts, rates, latencies judged on their tail counts): a gauge's spread is
estimated by each call's own paired log ratios.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import f as f_distribution

from cicd_agent.modes.deploy_gate.canary.counts import MIN_STEPS, CountEvidence, dispersion
from cicd_agent.modes.deploy_gate.canary.steps import Samples, paired

MIN_HISTORY = 4 * MIN_STEPS
"""Steps of history with events, at least, before the noise counts as learnt: half of them are
each side of the A/A split, so the learnt dispersion rests on twice a short call's steps."""
MAX_HISTORY = 2_880
"""Steps of history read at most (two days of minutes, a day of 30-s steps): the read is one
query per series, bounded like every read, and this keeps it to a few hundred kilobytes."""
MAX_DISPERSION = 1e6
BURSTIER = 0.99
"""How surely a call must be burstier than its history before its own dispersion is used."""


class LearntNoise(BaseModel):
    """What the judge learnt of one metric's noise before its first call: ``dispersion`` None
    when it learnt nothing (``steps`` says how many steps of history it had, ``read`` whether
    the history could be read at all)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True
    )

    dispersion: float | None = Field(default=None, ge=1.0, le=MAX_DISPERSION)
    steps: int = Field(default=0, ge=0, le=MAX_HISTORY)
    read: bool = True

    @property
    def said(self) -> str:
        """The label the metric's reason carries: what was learnt, from what, or why nothing."""
        if self.dispersion is not None:
            return (
                f"noise learnt from {self.steps} steps of the stable's history (dispersion "
                f"{self.dispersion:.3g})"
            )
        if not self.read:
            return "the judge did not learn the noise (the stable's history could not be read)"
        return (
            f"the judge did not learn the noise ({self.steps} steps of the stable's history "
            f"with events, {MIN_HISTORY} needed): each call's own dispersion is used"
        )


UNREAD = LearntNoise(read=False)


def learn(events: Samples, traffic: Samples | None = None) -> LearntNoise:
    """The dispersion of the stable's history: its steps (events, and the traffic they were
    counted in, for a rate or a latency's tail) dealt each against the next as an A/A split,
    the last :data:`MAX_HISTORY` usable steps at most."""
    sides = (events,) if traffic is None else (events, traffic)
    steps = paired(*sides)
    counted, served = steps.sides[0][-MAX_HISTORY:], None
    if traffic is not None:
        served = steps.sides[1][-MAX_HISTORY:]
    with_events = int((counted > 0).sum())
    if with_events < MIN_HISTORY:
        return LearntNoise(steps=with_events)
    pairs = counted.size // 2
    first, second = counted[: 2 * pairs : 2], counted[1 : 2 * pairs : 2]
    if served is None:
        shares = first * 0 + 0.5
    else:
        total = served[: 2 * pairs : 2] + served[1 : 2 * pairs : 2]
        shares = (served[1 : 2 * pairs : 2] / (total + (total <= 0))).clip(1e-9, 1 - 1e-9)
    found = min(dispersion(first, second, shares), MAX_DISPERSION)
    return LearntNoise(dispersion=found, steps=with_events)


def applied(own: float, steps: int, noise: LearntNoise | None) -> float:
    """The dispersion a call's counts are divided by: the call's ``own`` (from ``steps``
    steps) pooled with the learnt one, each weighed by its degrees of freedom, unless the call
    is significantly burstier (then its own); the learnt one when the call has too few steps
    to estimate from; the call's own when nothing was learnt."""
    if noise is None or noise.dispersion is None:
        return own
    if steps < MIN_STEPS:
        return noise.dispersion
    learnt_df, own_df = max(noise.steps // 2 - 1, 1), steps - 1
    limit = float(f_distribution.ppf(BURSTIER, own_df, learnt_df))
    if own > noise.dispersion * limit:
        return own
    return (learnt_df * noise.dispersion + own_df * own) / (learnt_df + own_df)


def relearnt(window: CountEvidence, steps: int, noise: LearntNoise | None) -> CountEvidence:
    """One call's counts divided by the dispersion :func:`applied` chooses instead of their
    own (``window`` as :func:`.counts.window_counts` gave it: one call, or none)."""
    if noise is None or noise.dispersion is None or len(window.dispersion) != 1:
        return window
    own = window.dispersion[0]
    chosen = applied(own, steps, noise)
    return window.model_copy(
        update={
            "canary": (window.canary[0] * own / chosen,),
            "baseline": (window.baseline[0] * own / chosen,),
            "dispersion": (chosen,),
        }
    )
