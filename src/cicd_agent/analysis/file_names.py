"""File names with control characters: the pull request chose every name in the checkout.

``calc/evil\\n[run]\\nplugins = x.py`` is a valid Linux file name, and written into a line-based
file (coverage's configuration, a prompt) it becomes lines of that file. Such names are left out
wherever a name is written, and shown only as :func:`escaped` gives them, on one line."""

from __future__ import annotations

import unicodedata

_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp", "Cs"})
"""Unicode categories of control characters and line and paragraph separators, and surrogates
(bytes of a name that are not UTF-8, as ``os.fsdecode`` keeps them: no UTF-8 file can hold one)."""
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional overrides and isolates: a name that reads differently from what it is."""


def _unsafe(character: str) -> bool:
    return unicodedata.category(character) in _LINE_BREAKING or character in _BIDI


def folded(name: str) -> str:
    """``name`` as a file system that ignores case and Unicode normalization sees it (macOS,
    Windows): there ``BIN/go``, ``ſbin/go`` (long s) or a decomposed ``é`` is the file opened
    as ``bin/go`` or a composed ``é``. Git's own ``icase`` pathspecs fold ASCII letters only."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def has_control_characters(name: str) -> bool:
    """Whether ``name`` holds a control character, a line separator or a bidi override."""
    return any(_unsafe(character) for character in name)


def name_span(name: str, limit: int = 300) -> str:
    """``name`` escaped, as inline code that no backtick in it can close: a name is Markdown
    otherwise (``x` @org/team <img src=x> `.bin`` pings and posts HTML)."""
    # Here, not at the top: only a name rendered into Markdown needs the Markdown parser.
    from cicd_agent.actions.markdown import code_span

    return code_span(escaped(name), limit)


def escaped(name: str) -> str:
    """``name`` on one line with every such character written as a Python escape
    (``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``); backslashes are doubled first, so the escape is
    unambiguous."""
    out = name.replace("\\", "\\\\")
    return "".join(
        character.encode("unicode_escape").decode("ascii") if _unsafe(character) else character
        for character in out
    )
