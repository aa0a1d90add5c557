"""command's analyse step: for ``ask``, what the deterministic review knows (the floor).

Review's reading of the change and its deterministic checks ran at the pinned head (nothing
of earlier reviews is read, nothing is published); without a model, or when it fails, the
reply says what they know (the model's answer is :mod:`.ask`).
"""

from __future__ import annotations

from cicd_agent.modes.command.types import CommandFacts, CommandVerdict
from cicd_agent.runner.markdown import code_span, prose

FINDINGS_SHOWN = 5


def analyse(facts: CommandFacts) -> CommandVerdict:
    """The deterministic answer, when review's facts were read (``ask``)."""
    return CommandVerdict(facts, floor_answer(facts) if facts.review is not None else "")


def floor_answer(facts: CommandFacts) -> str:
    """What the deterministic review knows, for ``ask`` without a (working) model."""
    review = facts.review
    assert review is not None
    diff = review.diff
    known = f"{len(diff.files)} file(s) changed (+{diff.added} −{diff.removed})"
    lines = [f"What the deterministic review knows: {known}, risk {review.risk_level}."]
    if facts.findings:
        lines += ["", "Findings of the deterministic checks:", ""]
        for finding in facts.findings[:FINDINGS_SHOWN]:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            lines.append(
                f"- **{finding.severity.label}** · {prose(finding.title)} — {code_span(where)}"
            )
        if len(facts.findings) > FINDINGS_SHOWN:
            lines.append(f"- … and {len(facts.findings) - FINDINGS_SHOWN} more")
    else:
        lines.append("The deterministic checks found nothing.")
    return "\n".join(lines)
