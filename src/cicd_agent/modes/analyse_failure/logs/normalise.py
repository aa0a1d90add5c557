"""The form in which a failed run's line and a green run's line count as "the same line".

Two runs of one job print the same lines with different timestamps, durations, run and job ids,
temporary paths, commit and content hashes, ports and counters. ``diff_key`` folds each of those
(digits to ``0`` and runs of them to one, so a timestamp, a duration and a counter fold whatever
their width), so a line of the failed run whose key the green run also printed was not why the
run failed. The folding is deliberately narrow for words: a test name, an error message or a
file name stays as it is, because two lines that differ there are different lines.
"""

from __future__ import annotations

import re

_TMP = re.compile(
    r"(?:/home/runner/work/_temp|/tmp|/var/folders/[\w/]+?/T|[A-Z]:\\Users\\\w+\\AppData"
    r"\\Local\\Temp)[/\\][^\s'\":,)]*"
)
_TMP_HINT = re.compile(r"/tmp|_temp|/var/folders|\\Temp")  # noqa: S108 (matched, not used)
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
# After digits are folded to 0: hex hashes, UUIDs and addresses (7+ hex characters, one a 0),
# then runs of zeros (numbers of any width: 1.23 s and 12.3 s meet as 0.0 s).
_HEX = re.compile(
    rb"\b(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|0x[0-9a-fA-F]+"
    rb"|(?=[a-f]*0)[0a-f]{7,64})\b"
)
_NUMBER = re.compile(rb"00+")
_HEX_HINT = re.compile(rb"[a-f]0|0[a-fx]")
_TIME = re.compile(rb"0-0-0[T ]0:0(?::0(?:[.,]0)?)?(?:Z|[+-]0(?::0)?)?|\b0:0:0(?:[.,]0)?\b")
_SPACES = re.compile(rb"\s+")


def diff_key(text: str) -> str:
    """``text`` with the parts that vary between runs of the same job folded to placeholders."""
    key = text.strip()
    if _TMP_HINT.search(key):
        key = _TMP.sub("<tmp>", key)
    folded = key.encode("utf-8", errors="replace").translate(_DIGITS)
    if _HEX_HINT.search(folded):
        folded = _HEX.sub(b"<hex>", folded)
    folded = _NUMBER.sub(b"0", folded)
    if b"0:0" in folded:
        folded = _TIME.sub(b"<time>", folded)
    return _SPACES.sub(b" ", folded).decode("utf-8", errors="replace")
