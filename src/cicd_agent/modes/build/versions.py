"""Versions read and compared by their ecosystem's own rules (univers), never as strings:
Debian's epochs and ``~`` (``1:1.0 > 9.9``, ``1.0~rc1 < 1.0``), PEP 440 for PyPI
(``2.31 == 2.31.0``), semver for npm, apk's ``-r`` revisions for Alpine.

An ecosystem is named as OSV names it: ``Debian:12``, ``Alpine:v3.18``, ``PyPI``, ``npm``; its
*family* is the part before the first colon. A version the rules cannot read is ``None``, and a
comparison with it has no answer (``None``): the caller says so rather than guess.
"""

from __future__ import annotations

from univers.versions import (
    AlpineLinuxVersion,
    DebianVersion,
    PypiVersion,
    SemverVersion,
    Version,
)

MAX_VERSION = 256
"""The longest version string read; a longer one is not a version of any ecosystem here."""

_RULES: dict[str, type[Version]] = {
    "Debian": DebianVersion,
    "Ubuntu": DebianVersion,
    "Alpine": AlpineLinuxVersion,
    "PyPI": PypiVersion,
    "npm": SemverVersion,
}

FAMILIES = frozenset(_RULES)
"""The ecosystems whose versions are compared here."""


def family(ecosystem: str) -> str:
    """``Debian:12`` → ``Debian``."""
    return ecosystem.split(":", 1)[0]


def parse(ecosystem: str, text: str) -> Version | None:
    """``text`` as a version of ``ecosystem``; None when its rules cannot read it."""
    rules = _RULES.get(family(ecosystem))
    if rules is None or not text or len(text) > MAX_VERSION:
        return None
    try:
        return rules(text)
    except (ValueError, TypeError):  # univers's InvalidVersion is a ValueError
        return None


def compare(ecosystem: str, left: str, right: str) -> int | None:
    """-1, 0 or 1 as ``left`` is lower than, equal to or higher than ``right``; None when
    either cannot be read."""
    a, b = parse(ecosystem, left), parse(ecosystem, right)
    if a is None or b is None:
        return None
    return -1 if a < b else 1 if a > b else 0
