"""The form in which a failed run's line and a green run's line count as "the same line".

Two runs of one job print the same lines with different timestamps, durations, run and job ids,
temporary paths, commit and content hashes, ports and counters. ``diff_key`` folds each of those
to a placeholder, so a line of the failed run whose key the green run also printed was not why
the run failed. The folding is deliberately narrow for words: a test name, an error message or a
file name stays as it is, because two lines that differ there are different lines.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), placeholder)
    for pattern, placeholder in (
        # ISO and common log timestamps, then bare clock times.
        (r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?", "<time>"),
        (r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b", "<time>"),
        # Temporary paths: the runner's _temp, pytest's tmp_path, mktemp and tempfile names.
        (r"(?:/home/runner/work/_temp|/tmp|/var/folders/[\w/]+?/T|[A-Z]:\\Users\\\w+\\AppData"
         r"\\Local\\Temp)[/\\][^\s'\":,)]*", "<tmp>"),
        # UUIDs, then hex hashes and addresses (7+ hex digits with at least one digit and letter).
        (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
         "<uuid>"),
        (r"\b0x[0-9a-fA-F]+\b", "<hex>"),
        (r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b", "<hex>"),
        # Durations and sizes with their unit, then any remaining number.
        (r"\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|minutes?|h|hours?"
         r"|[kKMG]i?B|bytes?)\b", "<n>"),
        (r"\d+(?:\.\d+)?", "<n>"),
    )
)  # fmt: skip
_SPACES = re.compile(r"\s+")


def diff_key(text: str) -> str:
    """``text`` with the parts that vary between runs of the same job folded to placeholders."""
    key = text.strip()
    for pattern, placeholder in _RULES:
        key = pattern.sub(placeholder, key)
    return _SPACES.sub(" ", key)
