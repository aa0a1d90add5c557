"""The description as Markdown, and its one marked section in a pull request's body.

The body is the author's. We own exactly one section of it, between a start and an end marker,
and nothing else: the text before and after it stays byte for byte what the author wrote.
Markers alone prove nothing (the author, or a template, can write the same HTML comments), so
a section counts as ours only when

- its start marker carries the SHA-256 of the pull request's number and of the exact text
  between the markers (so an edited or copied section no longer matches), and
- that digest is one we recorded ourselves when we placed it (in the review's summary comment,
  which the pull request cannot write), so a section the author forged with a correct digest
  is still theirs.

Only such a section is replaced; otherwise ours is appended after the author's text. A section
of ours the author edited is theirs from then on, and a fresh one is appended.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cicd_agent.analysis.description import ChangeFacts, FileChange
from cicd_agent.analysis.file_names import escaped
from cicd_agent.runner.markdown import ZWSP, code_span, prose

START = re.compile(r"<!-- cicd-agent:describe:start ([0-9a-f]{64}) -->")
END = "<!-- cicd-agent:describe:end -->"
FILES_SHOWN = 60
"""Files listed per group; the rest are counted."""


@dataclass(frozen=True)
class ModelText:
    """The model's what, why and per-group notes, already redacted and neutralised."""

    what: str = ""
    why: str = ""
    notes: Mapping[str, str] | None = None


def render(
    facts: ChangeFacts,
    *,
    risk_level: str,
    risk_reasons: Sequence[str],
    model: ModelText | None = None,
) -> str:
    """The description's Markdown (without markers)."""
    lines = ["### What this pull request changes", ""]
    if model is not None and (model.what or model.why):
        if model.what:
            lines += [f"**What:** {model.what}", ""]
        if model.why:
            lines += [f"**Why:** {model.why}", ""]
    lines.append(
        f"{facts.files} file(s) changed, +{facts.added} −{facts.removed} line(s)"
        + (
            f"; {facts.left_out} more left out by the repository's path settings"
            if facts.left_out
            else ""
        )
        + "."
    )
    reasons = "; ".join(prose(r) for r in risk_reasons[:3])
    lines += ["", f"**Risk: {risk_level}**" + (f" — {reasons}" if reasons else ""), ""]
    if facts.groups:
        lines += ["| group | files | lines |", "|---|---|---|"]
        lines += [f"| {g.title} | {len(g.files)} | +{g.added} −{g.removed} |" for g in facts.groups]
        lines.append("")
    notes = (model.notes or {}) if model is not None else {}
    for group in facts.groups:
        lines += [f"<details><summary>{group.title} ({len(group.files)})</summary>", ""]
        if notes.get(group.name):
            lines += [notes[group.name], ""]
        lines += [_file_line(f) for f in group.files[:FILES_SHOWN]]
        if len(group.files) > FILES_SHOWN:
            lines.append(f"- … and {len(group.files) - FILES_SHOWN} more")
        lines += ["", "</details>", ""]
    lines.append(
        "_Written by cicd-agent from the diff"
        + (
            " and a model's reading of it"
            if model is not None and (model.what or model.why)
            else ""
        )
        + "; the risk level is the review's own. Edit above or below this section: "
        "it is replaced on the next run, your text never is._"
    )
    # Nothing inside may look like a marker: paths and model text are attacker-chosen.
    return "\n".join(lines).replace("<!--", f"<{ZWSP}!--")


def _file_line(change: FileChange) -> str:
    status = change.status
    if change.old_path:
        status = f"renamed from {code_span(escaped(change.old_path))}"
    counts = change.note or f"+{change.added} −{change.removed}"
    line = f"- {code_span(escaped(change.path))} ({status}, {counts})"
    if change.functions:
        line += ": " + ", ".join(code_span(escaped(name), 80) for name in change.functions)
        if change.more_functions:
            line += f" and {change.more_functions} more"
    return line


def digest(number: int, content: str) -> str:
    """The digest a start marker carries: the number and the section's text (line ends as
    ``\\n``: GitHub's editor may store the body with ``\\r\\n``)."""
    normal = content.replace("\r\n", "\n")
    return hashlib.sha256(f"cicd-agent describe #{number}\n{normal}".encode()).hexdigest()


def section(number: int, content: str) -> str:
    """``content`` between our markers."""
    return f"<!-- cicd-agent:describe:start {digest(number, content)} -->\n{content}\n{END}"


@dataclass(frozen=True)
class Placed:
    """The new body, the digest to record, and whether an earlier section was replaced."""

    body: str
    digest: str
    replaced: bool


def place(body: str, number: int, content: str, placed: Collection[str]) -> Placed:
    """``body`` with our section for ``content``: replacing the section we placed before
    (``placed`` holds the digests we recorded), else appended after the author's text."""
    new = section(number, content)
    span = find_ours(body, number, placed)
    if span is not None:
        start, end = span
        return Placed(body[:start] + new + body[end:], digest(number, content), True)
    joined = f"{body}\n\n{new}" if body.strip() else new
    return Placed(joined, digest(number, content), False)


def find_ours(body: str, number: int, placed: Collection[str]) -> tuple[int, int] | None:
    """Where the section we placed lies in ``body`` (start, end), or None."""
    for match in START.finditer(body):
        recorded = match.group(1)
        if recorded not in placed:
            continue
        end = body.find(END, match.end())
        if end < 0:
            continue
        inner = body[match.end() : end]
        inner = inner.removeprefix("\r\n").removeprefix("\n")
        inner = inner.removesuffix("\n").removesuffix("\r")
        if digest(number, inner) == recorded:
            return match.start(), end + len(END)
    return None
