"""The workflow audit of one change: bounded parsing, zizmor, our rules, one list of findings.

A file the bounded loader refuses (an attacker could hide an injection behind an alias bomb) is not
handed on but reported as not audited. zizmor's findings are kept only where their primary location
spans an added line; our own rules (``ours``) take no ignore comment; a zizmor finding an honoured
ignore comment names is listed apart.

A file not audited is high when the bounded parser refused it or zizmor timed out (shapes built
to evade the audit), medium when zizmor could not read it: visible either way, never a silent
pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from cicd_agent.analysis.bounded_yaml import YamlLimitError, compose
from cicd_agent.analysis.diff import Diff, FileDiff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.auditor import TIMED_OUT, WorkflowAuditor
from cicd_agent.analysis.workflows.ignores import (
    Exemptions,
    HonouredIgnore,
    honoured,
    ignore_comments,
)
from cicd_agent.analysis.workflows.ours import pwn_request, unread_injections
from cicd_agent.analysis.workflows.paths import WORKFLOW, safe_relative
from cicd_agent.analysis.workflows.zizmor_map import location_lines, mapped


@dataclass(frozen=True)
class WorkflowAudit:
    """The audit's findings, and the ones left out by an ignore comment the run honours."""

    findings: list[Finding]
    ignored: list[HonouredIgnore]


def audit_workflows(
    diff: Diff, texts: Mapping[str, str], audit: WorkflowAuditor, exemptions: Exemptions
) -> WorkflowAudit:
    """Findings on the lines ``diff`` adds to the workflow files in ``texts`` (head versions); a
    zizmor finding an ignore comment exempts under ``exemptions`` is listed apart. Never raises
    for a file's content: a file not parsed within limits, or a zizmor that cannot run, is a
    finding."""
    found: list[Finding] = []
    audited: dict[str, str] = {}
    added_by_path: dict[str, set[int]] = {}
    roots: dict[str, yaml.Node] = {}
    for changed in diff.files:
        text = texts.get(changed.path)
        if text is None or changed.status == "deleted" or not safe_relative(changed.path):
            continue
        added = _added(changed)
        if not added:
            continue
        try:
            root = compose(text)
        except YamlLimitError as error:
            found.append(
                _not_audited(changed.path, min(added), f"its YAML was not parsed: {error}")
            )
            continue
        except yaml.YAMLError:
            continue  # not YAML at all: GitHub refuses the file itself
        if not isinstance(root, yaml.MappingNode):
            continue
        added_by_path[changed.path] = added
        audited[changed.path] = text
        roots[changed.path] = root
        if WORKFLOW.match(changed.path):
            found.extend(pwn_request(changed.path, root, text.splitlines(), added))
    if not audited:
        return WorkflowAudit(found, [])
    results, refused = audit(audited)
    for path, reason in sorted(refused.items()):
        severe = reason.startswith(TIMED_OUT)
        found.append(
            _not_audited(
                path,
                min(added_by_path[path]),
                reason,
                Severity.HIGH if severe else Severity.MEDIUM,
            )
        )
        found.extend(unread_injections(path, roots[path], audited[path], added_by_path[path]))
    # A step shared through a YAML anchor is reported once per alias, and a line with two
    # expressions once per expression; one comment is enough, the most severe one.
    kept: dict[tuple[str, str, int | None], Finding] = {}
    comments = {
        path: exemptions.trusted(path, audited[path], ignore_comments(audited[path], roots[path]))
        for path in audited
    }
    ignored: dict[tuple[str, str, int | None], HonouredIgnore] = {}
    for result in results:
        finding = mapped(result, added_by_path, audited)
        if finding is None:
            continue
        key = (finding.rule, finding.path, finding.line)
        exempt = _exempt(result, finding, comments, added_by_path, exemptions)
        if exempt is not None:
            ignored.setdefault(key, exempt)
        elif key not in kept or finding.severity > kept[key].severity:
            kept[key] = finding
    return WorkflowAudit(found + list(kept.values()), list(ignored.values()))


def _exempt(
    result: Mapping[str, object],
    finding: Finding,
    comments: Mapping[str, Mapping[int, frozenset[str]]],
    added: Mapping[str, set[int]],
    exemptions: Exemptions,
) -> HonouredIgnore | None:
    """The honoured ignore comment that leaves ``finding`` (zizmor's ``result``) out, if any."""
    ident = str(result.get("ident", ""))
    marked, enclosing = location_lines(result, finding.path)
    line = honoured(
        ident,
        marked=marked,
        enclosing=enclosing,
        comments=comments[finding.path],
        added=added[finding.path],
        exemptions=exemptions,
    )
    if line is None:
        return None
    return HonouredIgnore(
        path=finding.path,
        comment_line=line,
        audit=ident,
        finding_line=finding.line,
        severity=finding.severity.label,
        title=finding.title,
        why=exemptions.why,
    )


def _added(changed: FileDiff) -> set[int]:
    return {number for number, _ in changed.added_lines()}


def _not_audited(path: str, line: int, reason: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        rule="workflow-not-audited",
        severity=severity,
        category="security",
        path=path,
        line=line,
        title="Workflow file could not be audited",
        body=(
            f"This workflow change was not audited: {reason}. A workflow that cannot be "
            "audited could hide a script injection; review it by hand before merging."
        ),
    )
