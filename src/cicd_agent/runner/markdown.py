"""Markdown for text we do not control (log lines, job names, PR text, the model's words).

The one place untrusted text is made safe to post. A model steered by a pull request can write
``@team`` mentions, HTML (``<img>``, ``<details>``), links and images to any host, or our own
hidden ``<!-- cicd-agent:`` markers (which find and trust our comments on the next run), or
``owner/repo#12`` cross-references (a "mentioned this" in another repository's issue). Every
mode passes what a model wrote through :func:`neutralise` before it reaches a result, so the
review body, inline comments, summary comment, check run, job summary and Slack all show it as
plain text. Code spans and blocks get a backtick fence longer than any run inside them.
"""

from __future__ import annotations

import re

from cicd_agent.runner.code_regions import code_regions, open_fence_closer

_BACKTICKS = re.compile(r"`+")
# A ``]`` followed by ``(``, ``[`` or ``:`` closes a link, image or reference definition;
# escaped, none of those can form, and plain brackets ("[REDACTED]") read as they were. One
# already escaped (an odd run of backslashes before it) is left: escaping twice would undo it.
_LINK_CLOSE = re.compile(r"(?<!\\)((?:\\\\)*)\](?=[(\[:])")
# Passes of neutralise before it gives up on keeping code verbatim (see there).
_PASSES = 6
# The most of one text neutralise reads: GitHub's limit for a comment body, so nothing a reader
# could be shown is lost. The CommonMark parse costs ~10-30 µs a character on hostile shapes
# (tables, emphasis runs, HTML blocks), up to six passes: a reply of megabytes would stall a mode.
NEUTRALISE_LIMIT = 65_536
_PROSE = str.maketrans({"<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "|": "\\|"})
ZWSP = "\u200b"
_MENTION = re.compile(r"@(?=[\w-])")
# ``owner/repo#12``: a cross-reference, shown in that timeline ("mentioned this").
_CROSS_REFERENCE = re.compile(r"(?<=[\w.-]/)([\w.-]+)#(?=\d)")
_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>()\[\]]*|\bwww\.")
_COMMENT = re.compile(r"<!--")


def code_fence(text: str, *, minimum: int = 3) -> str:
    """A run of backticks longer than any inside ``text`` (and at least ``minimum``), so the
    code span or block it opens cannot be closed from inside."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(minimum, longest + 1)


def code_span(text: str, limit: int = 300) -> str:
    """``text`` on one line as inline code (cut to ``limit`` characters)."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    fence = code_fence(flat, minimum=1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}" if flat else "(none)"


def code_block(text: str, language: str = "text") -> str:
    """``text`` as a fenced block that nothing inside can close."""
    fence = code_fence(text)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _unlink(url: str, allowed: tuple[str, ...]) -> str:
    """A URL into our own repository stays a link; any other stops being one (GitHub only
    autolinks ``scheme://`` and ``www.``, so a zero-width space after the colon is enough)."""
    if any(url.startswith(prefix) for prefix in allowed):
        return url
    if url.lower() == "www.":
        return f"www{ZWSP}."
    scheme, _, rest = url.partition("://")
    return f"{scheme}:{ZWSP}//{rest}"


def _plain(text: str, allowed: tuple[str, ...]) -> str:
    text = _URL.sub(lambda m: _unlink(m.group(0), allowed), text)
    text = _LINK_CLOSE.sub(r"\1\\]", text.replace("<", "&lt;"))
    return _CROSS_REFERENCE.sub(rf"\1#{ZWSP}", _MENTION.sub("@" + ZWSP, text))


def neutralise(text: str, *, allowed_links: tuple[str, ...] = ()) -> str:
    """Model-written Markdown made inert: no mentions, HTML, images, links to hosts outside
    ``allowed_links`` (URL prefixes, e.g. the repository's), and none of our hidden markers.

    Line breaks and code survive: inside code spans and blocks GitHub renders nothing, so only
    comment openers are broken there; a block the model left open is closed, so it cannot
    swallow what we write after it. Text over :data:`NEUTRALISE_LIMIT` is cut there, and the
    cut is said.
    """
    cut = len(text) - NEUTRALISE_LIMIT
    if cut > 0:
        text = text[:NEUTRALISE_LIMIT]
    shown = _COMMENT.sub(f"<!{ZWSP}--", text)
    # Escaping prose changes how GitHub pairs what is left (an HTML block made text no longer
    # ends a paragraph, so a backtick in it opens a span), so the output is read again until
    # it reads as it was written: then what it keeps verbatim is code to GitHub too. Each pass
    # only escapes more; one that never settles is made prose whole.
    for _ in range(_PASSES):
        again = _escape_prose(shown, allowed_links)
        if again == shown:
            break
        shown = again
    else:
        shown = _plain(shown, allowed_links)
    closer = open_fence_closer(shown)
    if closer is not None:
        shown = shown.rstrip("\n") + "\n" + closer
    return shown if cut <= 0 else f"{shown}\n\n… ({cut:,} more characters cut)"


def _escape_prose(text: str, allowed: tuple[str, ...]) -> str:
    """One pass: what the parser reads as code is kept, the rest made inert (idempotent on
    what it already escaped)."""
    out: list[str] = []
    last = 0
    for start, end in code_regions(text):
        out.append(_plain(text[last:start], allowed))
        out.append(text[start:end])
        last = end
    out.append(_plain(text[last:], allowed))
    return "".join(out)


def prose(text: str) -> str:
    """Untrusted prose on one line: no HTML, links, images, table breaks, mentions or markers."""
    flat = _URL.sub(lambda m: _unlink(m.group(0), ()), text.translate(_PROSE))
    flat = _CROSS_REFERENCE.sub(rf"\1#{ZWSP}", _MENTION.sub("@" + ZWSP, flat))
    return " ".join(flat.split())
