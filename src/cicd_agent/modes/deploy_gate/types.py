"""deploy-gate's step types: the deploy phase's facts, the verdict (the deterministic verdict) and
the model's answer, whose schema is the opinion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from cicd_agent.analysis.changes import ChangeSet
    from cicd_agent.modes.deploy_gate.dora import FourKeys
    from cicd_agent.modes.deploy_gate.options import DeployOptions
    from cicd_agent.modes.deploy_gate.policy import Decision, Routing
    from cicd_agent.modes.deploy_gate.safety import CoverageReport, JUnitCounts, PullReview, Signal
    from cicd_agent.modes.deploy_gate.windows import ChangeWindow
    from cicd_agent.risk.assessment import RiskAssessment


@dataclass(frozen=True)
class DiffExcerpt:
    """What of the change a model may be shown: the riskiest text files (at most
    :data:`.collect.MAX_PROMPT_FILES`; no lockfile, generated, binary file or submodule) and their
    unified diff, which the prompt cuts to the model's budget."""

    paths: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DeployFacts:
    """What the deploy phase collected (frozen: the later steps read it, none changes it)."""

    options: DeployOptions
    change: ChangeSet
    assessment: RiskAssessment
    routing: Routing
    tests: JUnitCounts | None
    coverage_head: CoverageReport | None
    coverage_base: CoverageReport | None
    coverage_reason: str
    """Why the coverage reports given are not used (they describe another tree), else ""."""
    pulls: list[PullReview] | None
    pulls_reason: str
    conclusions: list[str | None] | None
    conclusions_reason: str
    window: ChangeWindow
    inputs: dict[str, Any] = field(default_factory=dict)
    """What the verdict saw (range, options, report digests): the audit record's inputs."""
    four_keys: FourKeys | None = None
    """DORA's four keys over the environment's recent deployments, each with its evidence."""
    excerpt: DiffExcerpt | None = None
    """The diff a model is shown; read only for a run that asks one."""


@dataclass(frozen=True)
class DeployVerdict:
    """The deterministic verdict: the policy's decision, the safety score and the signals."""

    facts: DeployFacts
    decision: Decision
    safety: float | None
    signals: list[Signal]


class DeployOpinion(BaseModel):
    """The model's answer (strict schema): it may raise the risk, never lower the deterministic
    verdict."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    risk_factors: list[str]
    risk_level: Literal["low", "medium", "high", "critical"]
    pre_deploy_checks: list[str]
    monitoring_focus: list[str]
    confidence: float
