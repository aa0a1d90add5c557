"""Text that git calls binary for a stray NUL byte: read as text, so a pull request cannot
choose which of its files no rule reads."""

from __future__ import annotations

NUL_TEXT_LIMIT = 1 << 20
"""Bytes of a file git called binary that are read to tell whether it is text with a NUL."""


def is_text_with_nul(data: bytes) -> bool:
    """UTF-8 text but for a few NUL bytes (at most one in ten; UTF-16 has one in two): what
    git calls binary although every line is readable and may run. With no attribute deciding,
    one NUL in a file's first 8,000 bytes makes git print "Binary files differ", so a pull
    request could choose which of its files (a script, a migration, a key file) no rule reads."""
    nul = data.count(0)
    if not nul or nul * 10 > len(data):
        return False
    try:
        text = data.replace(b"\0", b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f\v" for ch in text)
