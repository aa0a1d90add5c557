"""The description's one marked section in a pull request's body, which the author otherwise owns
byte for byte.

Markers prove nothing (the author or a template can write them), so a section is ours only when
its start marker carries the SHA-256 of the pull request's number and the exact text between the
markers, and that digest is one we recorded in the review's summary comment, which the pull
request cannot write. Only such a section is replaced; otherwise, or once the author edited it,
ours is appended."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass

START = re.compile(r"<!-- cicd-agent:describe:start ([0-9a-f]{64}) -->")
END = "<!-- cicd-agent:describe:end -->"


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
