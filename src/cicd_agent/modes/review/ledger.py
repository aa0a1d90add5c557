"""The review's memory between runs, hidden at the end of its own summary comment.

Three lines, each an HTML comment GitHub does not render, the last one directly before the
comment's marker:

- ``cicd-agent-review-described``: the digest of the description section we placed in the
  pull request's body (so only that section is ever replaced);
- ``cicd-agent-review-findings``: the fingerprints reported on the last run, each with its
  source (``d`` deterministic, ``m`` model) and whether it was posted (``+``) or not (``-``);
- ``cicd-agent-review-ledger``: head commits already reviewed, oldest first.

Why it can be trusted: it is read only from a comment we wrote (``github.comments.is_ours``),
and only at the very end of it, where nothing but our own trailing lines can stand. The body
above quotes pull-request and model text, which could carry forged lines; those are never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

HEADS_KEPT = 50
"""Reviewed head commits remembered (older ones are dropped)."""
FINDINGS_KEPT = 300
"""Fingerprints remembered; a pull request with more reports the rest as new again."""

Source = Literal["d", "m"]

_FINGERPRINT = r"[0-9a-f]{32}"
_TAIL = re.compile(
    r"(?:<!-- cicd-agent-review-described: (?P<described>[0-9a-f]{64}) -->\s*)?"
    r"(?:<!-- cicd-agent-review-findings: (?P<findings>(?:[dm][+-]"
    + _FINGERPRINT
    + r" ?)*) -->\s*)?"
    r"<!-- cicd-agent-review-ledger: (?P<heads>[0-9a-f ]*) -->"
    r"\s*(?:<!-- cicd-agent:[\w.:/@+-]+ -->\s*)?\Z"
)
_HEAD = re.compile(r"[0-9a-f]{40,64}")


@dataclass(frozen=True)
class Known:
    """A finding reported on the last run."""

    source: Source
    posted: bool


@dataclass(frozen=True)
class Ledger:
    heads: tuple[str, ...] = ()
    findings: Mapping[str, Known] = field(default_factory=lambda: MappingProxyType({}))
    described: str = ""

    def render(self) -> str:
        """The trailing lines of the summary comment."""
        heads = [sha for sha in self.heads if _HEAD.fullmatch(sha)][-HEADS_KEPT:]
        lines = []
        if re.fullmatch(r"[0-9a-f]{64}", self.described):
            lines.append(f"<!-- cicd-agent-review-described: {self.described} -->")
        tokens = [
            f"{known.source}{'+' if known.posted else '-'}{fp}"
            for fp, known in self.findings.items()
            if re.fullmatch(_FINGERPRINT, fp)
        ][:FINDINGS_KEPT]
        if tokens:
            lines.append(f"<!-- cicd-agent-review-findings: {' '.join(tokens)} -->")
        lines.append(f"<!-- cicd-agent-review-ledger: {' '.join(heads)} -->")
        return "\n".join(lines)


def parse(comment_body: str | None) -> Ledger:
    """The ledger at the end of our summary comment (empty when there is none)."""
    if not comment_body:
        return Ledger()
    match = _TAIL.search(comment_body)
    if match is None:
        return Ledger()
    findings = {
        token[2:]: Known(source="d" if token[0] == "d" else "m", posted=token[1] == "+")
        for token in (match.group("findings") or "").split()
    }
    return Ledger(
        heads=tuple(match.group("heads").split()),
        findings=MappingProxyType(findings),
        described=match.group("described") or "",
    )


def strip(comment_body: str) -> str:
    """The comment's text without its ledger lines and marker (to rewrite only the ledger)."""
    match = _TAIL.search(comment_body)
    return comment_body[: match.start()].rstrip() if match else comment_body.rstrip()
