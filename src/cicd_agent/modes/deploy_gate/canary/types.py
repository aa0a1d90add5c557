"""The canary phase's step types: the facts read from Prometheus and the judge's verdict (the
phase asks no model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cicd_agent.modes.deploy_gate.canary.metric import MetricResult
from cicd_agent.modes.deploy_gate.canary.state import CanaryState

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
    from cicd_agent.modes.deploy_gate.canary.metric import RateCounts
    from cicd_agent.modes.deploy_gate.canary.noise import LearntNoise


@dataclass(frozen=True)
class CanarySamples:
    """Every metric's samples per side over one window, or why the metric store could not be
    read."""

    baseline: dict[str, tuple[float, ...]]
    canary: dict[str, tuple[float, ...]]
    error: str | None = None
    previous: dict[str, tuple[float, ...]] = field(default_factory=dict)
    end: float | None = None
    counts: dict[str, RateCounts] = field(default_factory=dict)
    spans: dict[str, float] = field(default_factory=dict)
    """Seconds each metric's window covered this call (for the power statement's rates)."""
    noise: dict[str, LearntNoise] | None = None
    """What the stable's history taught of each count's noise, read before the first call
    (None on later calls: the state carries it)."""


@dataclass(frozen=True)
class CanaryFacts:
    """What the canary phase collected: the configuration it judges by, the rollout's evidence
    so far and the samples."""

    config: CanaryConfig
    samples: CanarySamples
    state: CanaryState


Verdict = Literal["promote", "continue", "rollback", "insufficient"]
"""``insufficient``: not enough traffic to judge. Even the rollout's whole call budget at this
traffic cannot detect the change a promote must rule out: never healthy, and more calls alike
will not help (the reasons name the traffic that would)."""


@dataclass(frozen=True, kw_only=True)
class CanaryVerdict:
    """The canary phase's decision. ``healthy`` is false when the judge could not see enough.

    ``data_source_error`` says why, when the metrics could not be read at all (Prometheus
    unreachable after retries, credentials refused): the verdict is then ``continue``, never
    ``promote``, and the workflow decides whether to hold or try again. ``state`` is the
    evidence so far, for the next call.
    """

    verdict: Verdict
    canary_score: float
    rollback: bool
    healthy: bool
    reasons: tuple[str, ...]
    metrics: tuple[MetricResult, ...]
    state: CanaryState
    data_source_error: str | None = None
