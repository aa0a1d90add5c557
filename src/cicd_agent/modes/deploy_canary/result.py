"""The canary phase's result: every output, the summary and the annotations are views of the one
judgement. Kept apart from ``deploy_canary`` so registering the phase's options imports no scipy."""

from __future__ import annotations

from cicd_agent.analysis.canary import CanaryJudgement
from cicd_agent.result import Fixed, ModeResult
from cicd_agent.runner import Annotation


class CanaryResult(ModeResult):
    """The canary verdict; every output is a view of the one judgement."""

    judgement: CanaryJudgement

    def mode_outputs(self) -> dict[str, object]:
        judgement = self.judgement
        return {
            "verdict": judgement.verdict,
            "canary_score": Fixed(judgement.canary_score, 1),
            "rollback": judgement.rollback,
            "healthy": judgement.healthy,
            "reasons": list(judgement.reasons),
            "metric_results": list(judgement.metrics),
        }

    def summary_body(self) -> str:
        reasons = "\n".join(f"- {reason}" for reason in self.judgement.reasons)
        return f"{self.judgement.markdown_table()}\n\n**Why**\n\n{reasons}"

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
