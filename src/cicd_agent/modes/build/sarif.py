"""The new vulnerabilities of an image as a SARIF 2.1.0 log, for code scanning.

One rule per vulnerability id (its aliases and the worst severity seen under it, as
``security-severity``, which code scanning turns into its own rating), one result per
vulnerable package, placed on the Dockerfile line whose layer brought the package (line 1 when
no line is known). ``partialFingerprints`` name the flaw and the package without its version,
so an upgrade that keeps the flaw stays the same alert. Messages are plain text: the package
names are the image's, the summaries the database's, and SARIF's ``text`` is not rendered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.build import versions
from cicd_agent.modes.build.vulns import Vulnerability

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://osv.dev/vulnerability/"
FINGERPRINT_KEY = "cicdAgentImageVulnerability/v1"
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    None: "warning",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}


def sarif_log(
    vulns: Sequence[Vulnerability], dockerfile: str, lines: Mapping[int, int]
) -> dict[str, Any]:
    """The log of ``vulns``, each on the line ``lines`` gives its layer in ``dockerfile`` (a
    path relative to the repository root)."""
    rules: dict[str, dict[str, Any]] = {}
    for vulnerability in vulns:
        rule = rules.setdefault(vulnerability.id, _rule(vulnerability))
        rule["properties"]["security-severity"] = max(
            rule["properties"]["security-severity"], _score(vulnerability), key=float
        )
    index = {rule_id: position for position, rule_id in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cicd-agent build",
                        "informationUri": "https://osv.dev",
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": "cicd-agent/build/"},
                "results": [_result(v, index[v.id], dockerfile, lines) for v in vulns],
            }
        ],
    }


def _score(vulnerability: Vulnerability) -> str:
    if vulnerability.score is not None:
        return f"{vulnerability.score:.1f}"
    if vulnerability.severity is None:
        return "0.0"
    return _SECURITY_SEVERITY[vulnerability.severity]


def _rule(vulnerability: Vulnerability) -> dict[str, Any]:
    aliases = ", ".join(vulnerability.aliases)
    text = f"{vulnerability.id}" + (f" ({aliases})" if aliases else "")
    return {
        "id": vulnerability.id,
        "name": "ImageVulnerability",
        "shortDescription": {"text": text[:1000]},
        "fullDescription": {"text": (vulnerability.summary or text)[:1000]},
        "helpUri": INFORMATION_URI + vulnerability.id,
        "properties": {
            "tags": ["security", "vulnerability", "container"],
            "precision": "high",
            "security-severity": "0.0",
        },
    }


def _result(
    vulnerability: Vulnerability, rule_index: int, dockerfile: str, lines: Mapping[int, int]
) -> dict[str, Any]:
    fix = (
        f"; fixed in {vulnerability.fixed_version}"
        if vulnerability.fixed_version
        else "; no fixed version known"
    )
    message = (
        f"{vulnerability.name} {vulnerability.version} has {vulnerability.id} "
        f"({vulnerability.severity_label}){fix}. Package: {vulnerability.package}"
    )
    place = "\x00".join(
        (vulnerability.id, versions.family(vulnerability.ecosystem), vulnerability.name)
    )
    return {
        "ruleId": vulnerability.id,
        "ruleIndex": rule_index,
        "level": _LEVELS[vulnerability.severity],
        "message": {"text": message[:2000]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(dockerfile), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(lines.get(vulnerability.layer, 1), 1)},
                }
            }
        ],
        "partialFingerprints": {
            FINGERPRINT_KEY: hashlib.sha256(place.encode("utf-8", "replace")).hexdigest()
        },
    }
