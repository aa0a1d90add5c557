"""The secret and workflow findings of a commit range, read from the repository: the half of
the security floor (deploy-gate's gate, review's risk) that runs git
(:func:`~cicd_agent.analysis.findings.security_floor` keeps the pure half)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.analysis.diff import Diff, parse_diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.findings import deterministic_audit, diff_findings, is_security_finding
from cicd_agent.analysis.workflows import NO_EXEMPTIONS, workflow_paths
from cicd_agent.analysis.workflows.auditor import WorkflowAuditor
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.zizmor import audit_each_if_needed

MAX_DIFF_BYTES = 20_000_000
"""Most diff text scanned (a range's whole diff); cut at a line boundary, never mid-line."""


def security_findings(
    repo_dir: Path, base: str | None, head: str, *, max_bytes: int = MAX_DIFF_BYTES
) -> list[Finding]:
    """Secret and workflow findings of ``base..head`` (base None: everything ``head`` has)."""
    checkout = GitCheckout(repo_dir)
    text = checkout.git.diff_text(base, head, ["."], max_bytes + 1)
    if len(text) > max_bytes:
        text = text[: text.rfind("\n", 0, max_bytes) + 1]
    diff = parse_diff(text)
    texts = checkout.read_texts(head, workflow_paths(diff))
    return security_of(diff, texts, diff_findings(diff))


def security_of(
    diff: Diff,
    texts: Mapping[str, str],
    found: Sequence[Finding],
    audit: WorkflowAuditor = audit_each_if_needed,
) -> list[Finding]:
    """The secret and workflow findings of ``diff`` (no ignore comment honoured), ``found``
    being its :func:`~cicd_agent.analysis.findings.diff_findings`, read once by the caller;
    ``texts``: the head's workflow files; ``audit``: the caller's, when it reads zizmor's
    results again."""
    audited, _ = deterministic_audit(diff, texts, audit, NO_EXEMPTIONS, found=found)
    return [f for f in audited if is_security_finding(f)]
