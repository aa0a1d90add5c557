"""Lent to deploy-gate and review, and may change with them: the deterministic checks of a diff
(secrets, workflows and their zizmor audit, the repository's own linters' reports: review; the
zizmor it runs: deploy-gate). How a finding is written is :mod:`cicd_agent.api.lent.finding_text`.
Loaded only by a mode that imports it."""

from __future__ import annotations

from cicd_agent.analysis.findings import (
    RULE_DESCRIPTIONS,
    deterministic_audit,
    diff_findings,
    fingerprint_findings,
    line_source,
    sort_findings,
)
from cicd_agent.analysis.lint_reports import LintHit, UnreadableReport, lint_findings, read_report
from cicd_agent.analysis.workflows import (
    NO_EXEMPTIONS,
    Exemptions,
    HonouredIgnore,
    base_ignore_lines,
    workflow_paths,
)
from cicd_agent.local.range_findings import security_of
from cicd_agent.local.zizmor import MISSING as ZIZMOR_MISSING
from cicd_agent.local.zizmor import ZizmorAudit, zizmor_binary

__all__ = [
    "NO_EXEMPTIONS",
    "RULE_DESCRIPTIONS",
    "ZIZMOR_MISSING",
    "Exemptions",
    "HonouredIgnore",
    "LintHit",
    "UnreadableReport",
    "ZizmorAudit",
    "base_ignore_lines",
    "deterministic_audit",
    "diff_findings",
    "fingerprint_findings",
    "line_source",
    "lint_findings",
    "read_report",
    "security_of",
    "sort_findings",
    "workflow_paths",
    "zizmor_binary",
]
