"""The secret and workflow findings of a commit range, and the risk floor they set.

Review reports every deterministic finding; deploy-gate used to run none, so a change that
added a ``ghp_`` token and a pwn-request workflow got "proceed" and a 10 % canary. Here the
same rules (:func:`~cicd_agent.analysis.findings.deterministic_findings`, the secret rule and
the zizmor workflow audit) run over a range's diff
(:func:`~cicd_agent.local.range_findings.security_findings` reads it from git), and
:func:`security_floor` turns what they find into a risk floor with reasons that name each
finding:

- an added secret: at least high, critical for a vendor-shaped token, and a hold reason (a
  deployed credential stays exposed until it is revoked, so shipping it is never routine);
- a workflow finding of high severity or more: at least high (critical for a pwn request).
"""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.severity import Severity


def is_security_finding(finding: Finding) -> bool:
    """Secrets and workflow findings: the rules that matter to a deployment."""
    return finding.rule == "secret" or finding.rule.startswith("workflow-")


def security_floor(findings: Sequence[Finding]) -> tuple[Severity | None, list[str], list[str]]:
    """(lowest risk the findings allow or None, reason lines, hold reasons).

    Only secrets and workflow findings of high severity or more count; a medium hygiene
    finding such as an unpinned action is review's business, not a deployment's.
    """
    secrets = [f for f in findings if f.rule == "secret"]
    workflows = [
        f for f in findings if f.rule.startswith("workflow-") and f.severity >= Severity.HIGH
    ]
    counted = secrets + workflows
    if not counted:
        return None, [], []
    floor = max(Severity.HIGH, *(f.severity for f in counted))
    lines = [
        f"{f.title} ({f.path}:{f.line})" if f.line else f"{f.title} ({f.path})" for f in counted
    ]
    holds = []
    if secrets:
        where = ", ".join(name_span(f"{f.path}:{f.line}") for f in secrets[:5])
        holds.append(
            f"{len(secrets)} secret(s) added ({where}): revoke and remove before deploying"
        )
    return floor, lines, holds
