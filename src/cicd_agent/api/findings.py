"""The API's findings facet: the deterministic checks of a diff (secrets, workflows and their
zizmor audit, the repository's own linters' reports) and how a finding is written for a
reader (its heading, its markers, the body a comment shows). Loaded only by a mode that
imports it."""

from __future__ import annotations

from cicd_agent.analysis.finding_text import (
    CLAIM_LABEL,
    MARKER,
    annotation_heading,
    body_item,
    heading,
    marked,
    origin,
    shown_body,
)
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
    "CLAIM_LABEL",
    "MARKER",
    "NO_EXEMPTIONS",
    "RULE_DESCRIPTIONS",
    "ZIZMOR_MISSING",
    "Exemptions",
    "HonouredIgnore",
    "LintHit",
    "UnreadableReport",
    "ZizmorAudit",
    "annotation_heading",
    "base_ignore_lines",
    "body_item",
    "deterministic_audit",
    "diff_findings",
    "fingerprint_findings",
    "heading",
    "line_source",
    "lint_findings",
    "marked",
    "origin",
    "read_report",
    "security_of",
    "shown_body",
    "sort_findings",
    "workflow_paths",
    "zizmor_binary",
]
