"""How a finding reads on GitHub (its heading, and the hidden fingerprint marker ending an inline
comment), written and read back in this one module, so a change to the format cannot leave a
reader (review's dismissals, command's threads) behind."""

from __future__ import annotations

import re

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import SEVERITY_NAMES

MARKER = re.compile(r"<!-- cicd-agent-finding: ([0-9a-f]{32}) -->\s*\Z")
"""The marker at the end of an inline comment; group 1 is the finding's fingerprint."""
_HEADING = re.compile(rf"\*\*({'|'.join(SEVERITY_NAMES)})\*\*")
_OUR_MARKERS = "<!-- cicd-agent"


_ORIGINS = {"deterministic": "", "model": " (model)", "claim": " (the pull request's claim)"}
CLAIM_LABEL = "Claimed by the pull request's own run: "
"""Before a text of the pull request's own run that stands where ours would (the hand-off's
summary, a claim's SARIF message and rule description)."""


def origin(finding: Finding) -> str:
    """Who says so, after the severity: nothing for this run's own checks, ``(model)``, or
    ``(the pull request's claim)`` for what the pull request's own run handed over."""
    return _ORIGINS[finding.source]


def heading(finding: Finding) -> str:
    """``**high** · Title`` — the first line of every rendering of a finding."""
    return f"**{finding.severity.label}**{origin(finding)} · {finding.title}"


def shown_body(finding: Finding) -> str:
    """A finding's body as Markdown under its heading. A claim's is quoted: it is the pull
    request's Markdown, and a line of it in our heading's shape (``- **critical** · …``)
    would otherwise read as one more finding of ours below the labelled one."""
    body = finding.body.strip()
    if finding.source != "claim" or not body:
        return body
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines())


def annotation_heading(finding: Finding) -> str:
    """``high: Title``; a claim of the pull request's own run says so here too."""
    claimed = origin(finding) if finding.source == "claim" else ""
    return f"{finding.severity.label}{claimed}: {finding.title}"


def marker(fingerprint: str) -> str:
    """The hidden line that ends an inline comment about the finding ``fingerprint``."""
    return f"<!-- cicd-agent-finding: {fingerprint} -->"


def marked(body: str, fingerprint: str) -> str:
    return f"{body}\n\n{marker(fingerprint)}"


def reads_as_finding(body: str) -> bool:
    """Whether ``body`` reads as one of our findings: it starts with a heading or carries one
    of our markers. Text only: whoever wrote it must be checked apart (anyone can paste one)."""
    return _OUR_MARKERS in body or _HEADING.match(body) is not None


def body_item(comment: str, path: str, line: int) -> str:
    """An inline comment moved into the review body: its heading, where, then the rest."""
    title, _, rest = comment.partition("\n")
    where = name_span(f"{path}:{line}")
    return f"- {title} — {where}\n  {rest.strip().replace(chr(10), chr(10) + '  ')}"
