"""The canary phase's result: every output, the summary and the annotations are views of the one
judgement."""

from __future__ import annotations

from dataclasses import dataclass

from cicd_agent.actions.runner_io import Annotation
from cicd_agent.job.pipeline import Fixed, PlainResult
from cicd_agent.modes.deploy_gate.canary.metric import MetricResult
from cicd_agent.modes.deploy_gate.canary.steps import SampleSummary
from cicd_agent.modes.deploy_gate.canary.types import CanaryVerdict


@dataclass(kw_only=True)
class CanaryResult(PlainResult):
    """The canary verdict; every output is a view of the one judgement."""

    judgement: CanaryVerdict

    def mode_outputs(self) -> dict[str, object]:
        judgement = self.judgement
        return {
            "verdict": judgement.verdict,
            "canary_score": Fixed(judgement.canary_score, 1),
            "rollback": judgement.rollback,
            "healthy": judgement.healthy,
            "reasons": list(judgement.reasons),
            "metric_results": list(judgement.metrics),
            "canary_state": judgement.state.encode(),
            "canary_calls": judgement.state.calls,
        }

    def summary_body(self) -> str:
        reasons = "\n".join(f"- {reason}" for reason in self.judgement.reasons)
        return f"{metrics_table(self.judgement)}\n\n**Why**\n\n{reasons}"

    def annotations(self) -> list[Annotation]:
        return [
            Annotation("error" if metric.critical else "warning", metric.reason, title=metric.name)
            for metric in self.judgement.metrics
            if metric.failed
        ]

    def policy_failure(self, fail_on: str | None) -> str | None:
        if fail_on == "rollback" and self.judgement.rollback:
            return f"the canary scored {self.judgement.canary_score:.0f} and should be rolled back."
        return None


def metrics_table(judgement: CanaryVerdict) -> str:
    """One row per metric for the job summary: class, p-value, effect and both sides."""
    rows = [
        "| metric | class | change vs baseline (rollout) | canary/baseline mean | HL shift | "
        "baseline n, mean, median, p95 | canary n, mean, median, p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in judgement.metrics:
        label = f"{m.name} (critical)" if m.critical else m.name
        verdict = f"**{m.classification}**" if m.failed else m.classification
        rows.append(
            f"| {label} | {verdict} | {_interval(m)} | {_ratio(m)} | "
            f"{_number(m.hl_shift)} | {_side(m.baseline)} | {_side(m.canary)} |"
        )
    return "\n".join(rows)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _interval(metric: MetricResult) -> str:
    if metric.change_low is None or metric.change_high is None:
        return "-"
    return f"{metric.change_low:+.1%} to {metric.change_high:+.1%}"


def _ratio(metric: MetricResult) -> str:
    if metric.mean_ratio is not None:
        return f"x{metric.mean_ratio:.3f}"
    if metric.baseline.mean == 0 and metric.canary.mean:
        return "up from 0"
    return "-"


def _side(summary: SampleSummary) -> str:
    if summary.n == 0:
        return "no data"
    return ", ".join(
        [str(summary.n), _number(summary.mean), _number(summary.median), _number(summary.p95)]
    )
