"""The build mode's report, read by :func:`.report_files.read_build_report`, as evidence
about the image this change makes: new critical vulnerabilities raise the risk to at least high,
and each fact used is a reason that names the file and the commit it is about. The report only
ever raises the risk, so a forged one can add caution and nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.analysis.scale import RiskLevel, higher
from cicd_agent.modes.deploy_gate.report_files import BuildEvidence
from cicd_agent.risk.assessment import Reason, RiskAssessment

SHOWN = 10
"""Vulnerability ids a reason lists."""


def raised(assessment: RiskAssessment, evidence: BuildEvidence) -> RiskAssessment:
    """``assessment`` with the build's evidence: a new critical vulnerability raises the level
    to at least high; the rest are reasons that raise nothing."""
    where = f"{evidence.file}, head {evidence.head[:12]}"
    reasons = list(assessment.reasons)
    level, score = assessment.risk_level, assessment.risk_score
    if evidence.new_critical:
        level = higher(level, RiskLevel.HIGH)
        score = max(score, level.lower_bound)
        reasons.append(
            Reason(
                signal="build",
                message=f"The image brings {len(evidence.new_critical)} new critical "
                f"vulnerabilities ({where}): the risk is at least high ({score:.2f}).",
                evidence=list(evidence.new_critical[:SHOWN]),
            )
        )
    if evidence.new_high:
        reasons.append(
            Reason(
                signal="build",
                message=f"The image brings {len(evidence.new_high)} new high vulnerabilities "
                f"({where}).",
                evidence=list(evidence.new_high[:SHOWN]),
            )
        )
    if evidence.size_delta is not None and evidence.image_size is not None:
        reasons.append(
            Reason(
                signal="build",
                message=f"The image is {evidence.image_size:,} bytes, {evidence.size_delta:+,} "
                f"against the base ({where}).",
            )
        )
    return replace(assessment, risk_level=level, risk_score=score, reasons=reasons)
