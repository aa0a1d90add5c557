"""command's analyse step: for ``ask``, what the deterministic review knows (the deterministic
verdict).

Review's reading of the change and its deterministic checks ran at the pinned head (nothing
of earlier reviews is read, nothing is published); without a model, or when it fails, the
reply says what they know (the model's answer is :mod:`.ask`).
"""

from __future__ import annotations

from cicd_agent.actions.markdown import code_span, prose
from cicd_agent.modes.command.types import CommandFacts, CommandVerdict

FINDINGS_SHOWN = 5


def analyse(facts: CommandFacts) -> CommandVerdict:
    """What the deterministic review knows, for ``ask`` without a (working) model: when
    review's facts were read (``ask``), else nothing."""
    review = facts.review
    if review is None:
        return CommandVerdict(facts)
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
    return CommandVerdict(facts, "\n".join(lines))
