"""The eval mode's report (``cicd-agent-eval.json``), read by
:func:`.report_files.read_mode_report` (the eval mode's, about this head), as evidence about the
change: ``regressed`` raises the risk to at least high, with a reason that names the file, the
commit and the drop. Like the build's report it only ever raises the
risk, so a forged one can add caution and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from cicd_agent.analysis.scale import RiskLevel, higher
from cicd_agent.modes.deploy_gate.report_files import read_mode_report
from cicd_agent.risk.assessment import Reason, RiskAssessment


def with_eval(
    assessment: RiskAssessment, root: Path, given: str, head: str
) -> tuple[RiskAssessment, str]:
    """``assessment`` raised by the eval report ``given`` when it says the head regressed;
    the note to add when the report is not used ("" when it is)."""
    data, shown, why = read_mode_report(root, given, head, "eval")
    if data is None:
        return assessment, why
    verdict = data.get("verdict")
    if verdict != "regressed":
        return assessment, ""
    delta = data.get("delta")
    drop = (
        f" by {abs(delta) * 100:.1f} points"
        if isinstance(delta, float) and math.isfinite(delta) and abs(delta) <= 1
        else ""
    )
    level = higher(assessment.risk_level, RiskLevel.HIGH)
    score = max(assessment.risk_score, level.lower_bound)
    reason = Reason(
        signal="eval",
        message=f"The team's evals regressed{drop} ({shown}, head {head[:12]}): the risk is at "
        f"least high ({score:.2f}).",
    )
    return replace(
        assessment, risk_level=level, risk_score=score, reasons=[*assessment.reasons, reason]
    ), ""
