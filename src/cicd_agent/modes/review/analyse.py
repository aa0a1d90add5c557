"""The analyse step: review's deterministic verdict, which no model answer can lower.

Every deterministic finding over the whole pull request (secrets, workflow audits, the
repository's own linters), kept where the repository's path settings leave a file in (secrets
everywhere), and the diff's facts for ``describe``, read once for the model's prompt and for
the description.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.api import ToolRun
from cicd_agent.api.description import describe_diff
from cicd_agent.api.findings import (
    ZizmorAudit,
    audit_each_if_needed,
    deterministic_audit,
    sort_findings,
)
from cicd_agent.modes.review.types import HandoffFacts, ReviewFacts, ReviewVerdict

if TYPE_CHECKING:
    from cicd_agent.api import Finding
    from cicd_agent.api.findings import HonouredIgnore, WorkflowAuditor


def audit(
    facts: ReviewFacts, auditor: WorkflowAuditor = audit_each_if_needed
) -> tuple[list[Finding], list[HonouredIgnore]]:
    """The deterministic findings this run keeps, most severe first, and the workflow
    findings an ignore comment left out (``auditor`` runs zizmor)."""
    audited, ignored = deterministic_audit(
        facts.diff, facts.workflow_texts, auditor, facts.exemptions, found=facts.diff_findings
    )
    return sort_findings(f for f in [*audited, *facts.linted] if facts.keeps(f)), ignored


def analyse(facts: ReviewFacts, *, describe: bool) -> ReviewVerdict:
    """The verdict of a review; ``describe`` also reads the diff's facts for the description."""
    zizmor = ZizmorAudit()
    found, ignored = audit(facts, zizmor)
    return ReviewVerdict(
        facts,
        found,
        [i for i in ignored if i.path not in facts.left_out],
        describe_diff(facts.diff, facts.left_out) if describe else None,
        (ToolRun(tool="zizmor", could_not_run=zizmor.could_not_run),)
        if zizmor.ran is not None
        else (),
    )


def analyse_handoff(facts: HandoffFacts) -> ReviewVerdict:
    """The hand-off phase's deterministic verdict: the checks run again on the pull request's own
    diff, with the result file's claims joined to what they found."""
    found, _ = audit(facts.review)
    return ReviewVerdict(facts.review, facts.with_claims(found))
