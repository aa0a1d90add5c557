"""Findings as a SARIF 2.1.0 log, for ``github/codeql-action/upload-sarif`` and code scanning.

What GitHub reads, and so what this writes: one run whose ``tool.driver`` names the tool and
lists each rule once (with ``security-severity`` on security rules, which code scanning turns
into its own severity), results with a ``ruleId``, a ``level``, a message, one physical
location relative to the repository root, and a ``partialFingerprints`` entry so the same
finding on a later commit is recognised as the same alert instead of a new one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cicd_agent import __version__ as VERSION
from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import CLAIM_LABEL
from cicd_agent.analysis.findings import RULE_DESCRIPTIONS
from cicd_agent.analysis.severity import Severity
from cicd_agent.local.checkout_files import write_output
from cicd_agent.modes.review.result import LEVELS

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/cicd-agent/cicd-agent"
FINGERPRINT_KEY = "cicdAgentFinding/v2"
"""v2: the flagged content, not the title (v1), so code scanning starts new alert ids once."""

# GitHub maps security-severity to its labels: >= 9.0 critical, >= 7.0 high, >= 4.0 medium.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}


def _level(severity: Severity) -> str:
    level = LEVELS[severity]
    return "note" if level == "notice" else level


def rule_id(finding: Finding) -> str:
    """``cicd-agent/secret`` for our own rules, ``cicd-agent/model/security`` for the model's,
    ``cicd-agent/claim/secret`` for a claim of the pull request's own run (never our rule)."""
    if finding.source == "model":
        return f"cicd-agent/model/{finding.category}"
    if finding.source == "claim":
        return f"cicd-agent/claim/{finding.rule}"
    return f"cicd-agent/{finding.rule}"


def sarif_log(findings: Sequence[Finding]) -> dict[str, Any]:
    """The SARIF document for ``findings`` (one run)."""
    rules: dict[str, dict[str, Any]] = {}
    worst: dict[str, Severity] = {}
    for finding in findings:
        key = rule_id(finding)
        worst[key] = max(worst.get(key, finding.severity), finding.severity)
        rules.setdefault(key, _rule(key, finding))
    for key, rule in rules.items():
        rule["defaultConfiguration"] = {"level": _level(worst[key])}
        if "security" in rule["properties"]["tags"]:
            rule["properties"]["security-severity"] = _SECURITY_SEVERITY[worst[key]]
    index = {key: position for position, key in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cicd-agent",
                        "version": VERSION,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": "cicd-agent/review/"},
                "results": [_result(f, index[rule_id(f)]) for f in findings],
            }
        ],
    }


def write_sarif(path: Path, findings: Sequence[Finding], checkout: Path) -> Path:
    """Write the log to ``path`` (parents created; never through a link in ``checkout``)
    and return the path."""
    text = json.dumps(sarif_log(findings), indent=2) + "\n"
    try:
        return write_output(checkout, path, text.encode("utf-8", errors="replace"))
    except OSError as exc:
        raise UsageError(
            f"The SARIF file could not be written to {path}: {exc.strerror or exc}."
        ) from exc


def _rule(key: str, finding: Finding) -> dict[str, Any]:
    last = key.rsplit("/", maxsplit=1)[-1]
    name = "".join(part.capitalize() for part in last.replace("-", " ").split()) or "Finding"
    description = (
        f"Model-reported {finding.category} issue"
        if finding.source == "model"
        else f"{CLAIM_LABEL}{finding.title}"
        if finding.source == "claim"
        else RULE_DESCRIPTIONS.get(finding.rule, finding.title)
    )
    return {
        "id": key,
        # a claim's rule is never named as ours ("Secret"), nor its message worded as ours
        "name": f"Claimed{name}" if finding.source == "claim" else name,
        "shortDescription": {"text": description},
        "helpUri": INFORMATION_URI,
        "properties": {
            "tags": [finding.category],
            "precision": "high" if finding.source == "deterministic" else "medium",
        },
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    start = finding.start_line if finding.start_line and finding.line else finding.line
    region: dict[str, int] = {"startLine": max(start or 1, 1)}
    if finding.line and start and finding.line > start:
        region["endLine"] = finding.line
    text = f"{finding.title}. {finding.body}".strip()
    return {
        "ruleId": rule_id(finding),
        "ruleIndex": rule_index,
        "level": _level(finding.severity),
        "message": {"text": f"{CLAIM_LABEL}{text}" if finding.source == "claim" else text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(finding.path, safe="/"),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.label,
            "source": finding.source,
            "confidence": finding.confidence,
        },
    }
