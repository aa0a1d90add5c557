"""zizmor's JSON findings turned into ours: only changed lines, our severity scale.

Severity mapping (zizmor severity → ours): High → high, Medium → medium, Low, Informational
and Unknown → low; a Low-confidence finding drops one step (never below low). Hygiene audits
(pinning, default permissions, persisted credentials, naming) are capped at medium: worth a
comment, not a blocked merge. A template injection then goes through
:func:`~cicd_agent.analysis.workflows.writers.writers_only`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.workflows.writers import writers_only
from cicd_agent.severity import Severity

_ZIZMOR_SEVERITY = {
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.LOW,
    "unknown": Severity.LOW,
}
_HYGIENE = frozenset({
    "unpinned-uses", "unpinned-images", "unpinned-tools", "artipacked",
    "excessive-permissions", "undocumented-permissions", "stale-action-refs",
    "anonymous-definition", "concurrency-limits", "superfluous-actions", "misfeature",
    "ref-version-mismatch", "archived-uses", "dependabot-cooldown", "use-trusted-publishing",
    "secrets-outside-env",
})  # fmt: skip
"""Audits about hardening rather than an exploitable flaw this change makes: capped at medium."""


@dataclass(frozen=True)
class _Span:
    path: str
    first: int  # 1-based, inclusive
    last: int
    offsets: tuple[int, int] | None = None
    """Byte offsets of what the location marks (for template-injection: the expression)."""

    def expression(self, text: str) -> str:
        if self.offsets is None:
            return ""
        start, end = self.offsets
        return text.encode("utf-8")[start:end].decode("utf-8", "replace")

    def template(self, text: str) -> str:
        """What the ``${{ }}`` around the marked expression holds, or "" when it is not in one
        (zizmor marks the context inside a template: ``github.event`` of ``toJSON(github.event)``)."""
        if self.offsets is None:
            return ""
        start, end = self.offsets
        data = text.encode("utf-8")
        opened = data.rfind(b"${{", 0, start + 1)
        closed = data.find(b"}}", end)
        if opened == -1 or closed == -1 or data.find(b"}}", opened, start) != -1:
            return ""
        return data[opened + 3 : closed].decode("utf-8", "replace")


def _primary_spans(result: Mapping[str, object]) -> Iterator[_Span]:
    locations = result.get("locations")
    for location in locations if isinstance(locations, list) else []:
        try:
            symbolic, concrete = location["symbolic"], location["concrete"]["location"]
            if symbolic["kind"] != "Primary":
                continue
            path = str(symbolic["key"]["Local"]["verbatim_path"])
            start, end = concrete["start_point"], concrete["end_point"]
            first, last = int(start["row"]) + 1, int(end["row"]) + 1
            # A span that ends at column 0 ends before that line (a block's last newline).
            if int(end["column"]) == 0 and last > first:
                last -= 1
            span = concrete.get("offset_span") or {}
            offsets = (int(span["start"]), int(span["end"])) if span else None
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        yield _Span(PurePosixPath(path).as_posix().removeprefix("./"), first, last, offsets)


def location_lines(result: Mapping[str, object], path: str) -> tuple[set[int], set[int]]:
    """The lines (1-based) of ``result``'s locations in ``path``: those it marks (primary and
    related), and those of its hidden locations (the enclosing block zizmor also searches for
    an ignore comment)."""
    marked: set[int] = set()
    enclosing: set[int] = set()
    locations = result.get("locations")
    for location in locations if isinstance(locations, list) else []:
        try:
            symbolic, concrete = location["symbolic"], location["concrete"]["location"]
            where = str(symbolic["key"]["Local"]["verbatim_path"])
            first = int(concrete["start_point"]["row"]) + 1
            last = int(concrete["end_point"]["row"]) + 1
            kind = symbolic["kind"]
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if PurePosixPath(where).as_posix().removeprefix("./") != path:
            continue
        (enclosing if kind == "Hidden" else marked).update(range(first, last + 1))
    return marked, enclosing


def mapped(
    result: Mapping[str, object], added: Mapping[str, set[int]], texts: Mapping[str, str]
) -> Finding | None:
    """Our finding for one zizmor result, or None when no primary location is a changed line
    (``added``: path → the lines the change added)."""
    for span in _primary_spans(result):
        changed = added.get(span.path)
        if changed is None:
            continue
        lines = sorted(n for n in changed if span.first <= n <= span.last)
        if lines:
            finding = _finding(result, span, lines[0])
            if finding.rule == "workflow-template-injection":
                text = texts.get(span.path, "")
                return writers_only(finding, span.expression(text), span.template(text))
            return finding
    return None


def _finding(result: Mapping[str, object], span: _Span, line: int) -> Finding:
    ident = str(result.get("ident", "unknown"))
    determinations = result.get("determinations")
    judged = determinations if isinstance(determinations, dict) else {}
    severity = _ZIZMOR_SEVERITY.get(str(judged.get("severity", "")).lower(), Severity.LOW)
    if str(judged.get("confidence", "")).lower() == "low" and severity > Severity.LOW:
        severity = Severity(severity - 1)
    if ident in _HYGIENE:
        severity = min(severity, Severity.MEDIUM)
    desc = str(result.get("desc", ident))
    url = str(result.get("url", ""))
    locations = result.get("locations")
    notes = [
        str(location["symbolic"].get("annotation", ""))
        for location in (locations if isinstance(locations, list) else [])
        if isinstance(location, dict) and isinstance(location.get("symbolic"), dict)
    ]
    detail = "; ".join(dict.fromkeys(note for note in notes if note))
    return Finding(
        rule=f"workflow-{ident}",
        severity=severity,
        category="security",
        path=span.path,
        line=line,
        start_line=span.first if span.first < line else None,
        title=f"Workflow: {desc}",
        body=(
            f"zizmor's `{ident}` audit flags this change: {detail or desc}."
            + (f" See {url}" if url.startswith("https://docs.zizmor.sh/") else "")
        ),
    )
