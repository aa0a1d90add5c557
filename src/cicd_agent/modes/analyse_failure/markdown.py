"""Markdown for text we do not control (log lines, job names, the model's words).

A log line can hold backticks, HTML, ``@mentions`` or link syntax. Code spans and blocks get a
backtick fence longer than any run inside them, and prose is neutralised (no links, images,
HTML or pings), so a log cannot restyle or ping anyone through our comment.
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")
_PROSE = str.maketrans({"<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "|": "\\|"})


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code_span(text: str, limit: int = 300) -> str:
    """``text`` on one line as inline code (cut to ``limit`` characters)."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    fence = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}" if flat else "(none)"


def code_block(text: str, language: str = "text") -> str:
    """``text`` as a fenced block that nothing inside can close."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def prose(text: str) -> str:
    """Untrusted prose shown as text: no HTML, links, images, table breaks or mentions."""
    return " ".join(text.translate(_PROSE).replace("@", "@\u200b").split())
