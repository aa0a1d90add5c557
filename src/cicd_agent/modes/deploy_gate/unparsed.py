"""What a changed file that does not parse does to the deploy (the core's parse check,
:func:`~cicd_agent.local.syntax.parse_check`, the one review runs): the change cannot run as
written, so the risk is critical and the deploy held whatever the policy, as an added secret
holds it; each file and line is the evidence. It only ever raises the risk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.risk.assessment import Reason, RiskAssessment

SHOWN = 10
"""Files and lines a reason lists."""


def held_unparsed(assessment: RiskAssessment, found: Sequence[Finding]) -> RiskAssessment:
    """``assessment`` held at critical risk by the syntax errors ``found``, if any."""
    if not found:
        return assessment
    score = max(assessment.risk_score, RiskLevel.CRITICAL.lower_bound)
    where = ", ".join(f"{name_span(f.path)} line {f.line}" for f in found[:SHOWN])
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    reason = Reason(
        signal="syntax",
        message=f"{len(found)} changed file(s) do not parse ({where}{more}): the change cannot "
        f"run as written, so the risk is critical ({score:.2f}) and the deploy is held.",
        evidence=[f"{f.path}:{f.line}: {f.title}" for f in found[:SHOWN]],
    )
    hold = f"the change does not parse: {where}{more}"
    arithmetic = assessment.arithmetic
    if arithmetic and score > assessment.risk_score:
        arithmetic = (
            f"{arithmetic.removesuffix('.')}, raised to {score:.2f}, the lowest "
            "critical score, as the change does not parse."
        )
    return replace(
        assessment,
        risk_level=RiskLevel.CRITICAL,
        risk_score=score,
        reasons=[*assessment.reasons, reason],
        arithmetic=arithmetic,
        hold_reasons=[*assessment.hold_reasons, hold],
    )
