"""Text for annotations (``::error`` lines and check-run annotations), made safe where GitHub shows
it as plain text, so the Markdown neutraliser's escapes would only show. An annotation's texts are
:class:`AnnotationText`, which only :func:`annotation_text` makes:

- secrets are redacted first, as in every posted text;
- a lone surrogate is U+FFFD: a strict UTF-8 stdout raises on it, losing every later annotation and
  the exit code;
- control characters (an ANSI escape rewrites the log), line separators and bidirectional controls
  are U+FFFD;
- a title is one line, and each text is cut to GitHub's limit, said with "…": a check run's
  annotation over it is refused, and the whole check run with it.

The workflow command's own syntax is escaped when the line is written
(:func:`cicd_agent.actions.runner_io.format_command`)."""

from __future__ import annotations

import re
from typing import final

from cicd_agent.actions.bidi import BIDI_CONTROLS
from cicd_agent.actions.withheld import redacted

TITLE_MAX = 255
"""Characters in an annotation's title (the Checks API's limit)."""
MESSAGE_MAX_BYTES = 64_000
"""UTF-8 bytes in an annotation's message or details (the Checks API takes 64 KB)."""
PATH_MAX = 4096

_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_END = re.compile("\r\n|[\r\x85\u2028\u2029]")
# C0 and C1 controls but tab and line feed, DEL, and the bidirectional marks and overrides.
_UNSHOWN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_MAKER = object()


@final
class AnnotationText(str):
    """Text :func:`annotation_text` made (``mypy --strict`` rejects a plain ``str`` where an
    annotation's text goes): nothing in it can garble a terminal or the log, reorder what a
    reader sees, or make GitHub refuse it."""

    __slots__ = ()

    def __new__(cls, text: str, maker: object) -> AnnotationText:
        if maker is not _MAKER:
            raise TypeError("AnnotationText is made only by cicd_agent.actions.annotations")
        return super().__new__(cls, text)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))  # a copy is plain text again, as for markdown.Neutral


def annotation_text(
    text: str, *, one_line: bool = False, limit: int = MESSAGE_MAX_BYTES, chars: int | None = None
) -> AnnotationText:
    """``text`` as an annotation may show it: see the module's list. ``one_line`` folds every
    run of whitespace into a space (a title, a path); ``limit`` is in UTF-8 bytes and
    ``chars`` in characters."""
    shown = redacted(_SURROGATE.sub("\ufffd", text))
    shown = _UNSHOWN.sub("\ufffd", _LINE_END.sub("\n", shown))
    if one_line:
        shown = " ".join(shown.split())
    if chars is not None and len(shown) > chars:
        shown = shown[: chars - 1] + "…"
    if len(shown.encode()) > limit:
        kept = shown.encode()[: limit - len("…".encode())].decode("utf-8", errors="ignore")
        shown = kept + "…"
    return AnnotationText(shown, _MAKER)


def annotation_title(text: str) -> AnnotationText:
    """An annotation's title: one line, at most :data:`TITLE_MAX` characters."""
    return annotation_text(text, one_line=True, chars=TITLE_MAX)


def annotation_path(path: str) -> AnnotationText:
    """A file an annotation names, on one line (a name no UTF-8 writer takes shows U+FFFD)."""
    return annotation_text(path, one_line=True, chars=PATH_MAX)
