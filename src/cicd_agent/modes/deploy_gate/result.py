"""deploy-gate's result: the decision, the risk and the signals, and how each is rendered.

Outputs, job summary and ``--json`` are views of this one object. The summary shows the
decision first, then the signals with their weights and scores, then the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cicd_agent.actions.markdown import Reference
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.job.pipeline import Fixed, PlainResult
from cicd_agent.modes.deploy_gate.dora import FourKeys
from cicd_agent.modes.deploy_gate.policy import (
    BuildStrategy,
    Decision,
    Recommendation,
    Strategy,
    TestScope,
)
from cicd_agent.modes.deploy_gate.safety import SIGNALS, Signal
from cicd_agent.modes.deploy_gate.types import DeployOpinion
from cicd_agent.risk.assessment import Reason, RiskFeatures

MAX_SUMMARY_EVIDENCE = 4


@dataclass(kw_only=True)
class DeployResult(PlainResult):
    """The deploy phase's verdict: the policy's decision (the fields of :class:`Decision`), the
    risk it was made at, the signals and the routing."""

    recommendation: Recommendation
    strategy: Strategy
    canary_percentage: int
    requires_approval: bool
    approval_reasons: list[str]
    hold_reasons: list[str]

    phase: str = "deploy"
    base: str | None
    head: str
    range_note: str = ""
    environment: str | None = None
    risk_level: RiskLevel
    risk_score: float
    risk_quantile: float | None = None
    """Share of the repository's recent past commits ranked below the change (None: priors)."""
    risk_identity: str = ""
    risk_arithmetic: str = ""
    """How the reasons' points make the deterministic risk (:class:`RiskAssessment`)."""
    deterministic_level: RiskLevel
    safety_score: float | None
    signals: list[Signal]
    test_scope: TestScope
    test_paths: list[str]
    test_reason: str
    build_strategy: BuildStrategy
    build_reason: str
    change_types: list[ChangeType]
    reasons: list[Reason]
    features: RiskFeatures
    four_keys: FourKeys | None = None
    files_changed: int
    change_window: str
    advice: DeployOpinion | None = None
    """What the model added (already cleaned by the ask step): shown, never steering the verdict."""
    audit_file: str = ""
    """Where publish appended the audit record (empty as decided and when it could not)."""

    POSTED: ClassVar[frozenset[str]] = frozenset({"audit_file"})

    def mode_outputs(self) -> dict[str, object]:
        return {
            "risk_level": self.risk_level.value,
            "risk_score": Fixed(self.risk_score, 4),
            "recommendation": self.recommendation.value,
            "strategy": self.strategy.value,
            "canary_percentage": self.canary_percentage,
            "requires_approval": self.requires_approval,
            "safety_score": None if self.safety_score is None else Fixed(self.safety_score, 2),
            "test_scope": self.test_scope.value,
            "test_paths": self.test_paths,
            "build_strategy": self.build_strategy.value,
            "change_types": [kind.value for kind in self.change_types],
            "reasons": self.reasons,
            "missing_signals": [signal.name.value for signal in self.signals if signal.missing],
            "audit_file": self.audit_file,
            "dora": self.four_keys,
        }

    def policy_failure(self, fail_on: str | None) -> str | None:
        if fail_on == "hold" and self.recommendation is Recommendation.HOLD:
            return "the deploy is held: " + "; ".join(self.hold_reasons)
        level = {level.value: level for level in RiskLevel}.get(fail_on or "")
        if level is not None and self.risk_level.rank >= level.rank:
            return f"the change is {self.risk_level.value} risk ({self.risk_score:.2f})"
        return None

    def gate_value(self) -> str | None:
        return "hold" if self.recommendation is Recommendation.HOLD else None

    def references(self) -> tuple[Reference, ...]:
        return tuple(Reference(number) for signal in self.signals for number in signal.pulls)

    def annotations(self) -> list[Annotation]:
        if self.recommendation is Recommendation.HOLD:
            return [Annotation("error", self.headline, title="cicd-agent deploy-gate")]
        if self.requires_approval:
            return [Annotation("warning", self.headline, title="cicd-agent deploy-gate")]
        return []

    def summary_body(self) -> str:
        lines = [
            "| decision | value |",
            "|---|---|",
            f"| recommendation | **{self.recommendation.value}** |",
            f"| strategy | {self.strategy.value}"
            + (f" ({self.canary_percentage}% first)" if self.strategy is Strategy.CANARY else "")
            + " |",
            f"| requires approval | {'yes' if self.requires_approval else 'no'} |",
            f"| risk | {self.risk_level.value} ({self.risk_score:.2f})"
            + (
                f", raised by the model from {self.deterministic_level.value}"
                if self.risk_level is not self.deterministic_level
                else ""
            )
            + " |",
            *(
                [f"| rank in history | riskier than {self.risk_quantile:.0%} of recent commits |"]
                if self.risk_quantile is not None
                else []
            ),
            f"| author identity | {_in_cell(self.risk_identity or 'none')} |",
            f"| safety score | {_score(self.safety_score)} |",
            # the reasons name changed files (the pull request's) only in name spans; GFM splits
            # a table cell on a `|` even inside a span
            f"| tests to run | {self.test_scope.value}: {_in_cell(self.test_reason)} |",
            f"| build | {self.build_strategy.value}: {_in_cell(self.build_reason)} |",
            f"| change | `{(self.base or 'empty tree')[:12]}..{self.head[:12]}`, "
            f"{self.files_changed:,} file(s): "
            f"{', '.join(kind.value for kind in self.change_types) or 'nothing'} |",
            f"| window | {self.change_window} |",
            "",
        ]
        if self.hold_reasons:
            lines += ["**Held because**", ""] + [f"- {r}" for r in self.hold_reasons] + [""]
        if self.approval_reasons:
            lines += ["**Approval needed because**", ""]
            lines += [f"- {reason}" for reason in self.approval_reasons] + [""]
        lines += ["**CI signals**", "", "| signal | weight | used | score | detail |"]
        lines.append("|---|---|---|---|---|")
        for signal in self.signals:
            lines.append(
                f"| {SIGNALS[signal.name][0]} | {signal.weight:g} | "
                f"{signal.effective_weight:g}% | {_score(signal.score)} | {_cell(signal.detail)} |"
            )
        lines += ["", "**Reasons**", ""]
        if self.risk_arithmetic:
            lines += [self.risk_arithmetic, ""]
        for reason in self.reasons:
            evidence = ", ".join(name_span(item) for item in reason.evidence[:MAX_SUMMARY_EVIDENCE])
            points = f" (+{reason.points:.3f})" if reason.points else ""
            lines.append(
                f"- {reason.message}{points}" + (f" Evidence: {evidence}" if evidence else "")
            )
        if self.advice is not None:
            lines += ["", f"**Model** (confidence {self.advice.confidence:.2f})", ""]
            for title, items in (
                ("Risk factors", self.advice.risk_factors),
                ("Check before deploying", self.advice.pre_deploy_checks),
                ("Watch after deploying", self.advice.monitoring_focus),
            ):
                if items:
                    lines.append(f"- {title}: " + "; ".join(items))
        if self.four_keys is not None:
            lines += ["", "**DORA's four keys**", "", *self.four_keys.rows()]
        if self.audit_file:
            lines += ["", f"Audit record appended to `{self.audit_file}`."]
        return "\n".join(lines)


def headline_for(decision: Decision, level: RiskLevel, score: float, holds: list[str]) -> str:
    """One plain sentence with the verdict."""
    risk = f"{level.value} risk ({score:.2f})"
    if decision.recommendation is Recommendation.HOLD:
        return f"Hold: {'; '.join(holds)}. Change is {risk}."
    how = {
        Strategy.NONE: "with nothing to roll out (only CI, tests, documentation or comments "
        "changed)",
        Strategy.DIRECT: "directly",
        Strategy.ROLLING: "as a rolling update",
        Strategy.CANARY: f"as a canary starting at {decision.canary_percentage}%",
        Strategy.BLUE_GREEN: "blue/green",
    }[decision.strategy]
    tail = "; a human must approve first." if decision.requires_approval else "."
    return f"Proceed {how}: {risk}{tail}"


def _score(score: float | None) -> str:
    return "missing" if score is None else f"{score:.1f}"


def _in_cell(text: str) -> str:
    """Our own sentence, its code spans kept, on one line of a table cell."""
    return " ".join(text.replace("|", "\\|").split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")
