"""Markdown for text we do not control (log lines, job names, PR text, the model's words): the one
place untrusted text is made safe to post.

A model steered by a pull request can write ``@team`` mentions, HTML, links and images to any host,
our hidden ``<!-- cicd-agent:`` markers (trusted on the next run), or ``#12``/``owner/repo#12``
references (a "mentioned this" in that issue's timeline). Posters take only :class:`Neutral` text,
which only this module makes; our own references are :class:`Reference` values made from a number.
Secrets are redacted first, whoever built the text.

Code is found by a CommonMark parser; GitHub renders with cmark-gfm, so the result is read again
as GitHub renders it (:mod:`cicd_agent.actions.rendered`) and, where the two disagree, falls back
to text inert to both."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import final
from urllib.parse import unquote

from cicd_agent.actions.bidi import shown_bidi
from cicd_agent.actions.code_regions import code_regions, open_fence_closer
from cicd_agent.actions.rendered import (
    NUMBERED,
    allowed_link,
    code_texts,
    live_in_post,
    live_on_github,
    shown_text,
)
from cicd_agent.actions.withheld import redacted

_BACKTICKS = re.compile(r"`+")
# A ``]`` followed by ``(``, ``[`` or ``:`` closes a link, image or reference definition;
# escaped, none of those can form, and plain brackets ("[REDACTED]") read as they were. One
# already escaped (an odd run of backslashes before it) is left: escaping twice would undo it.
_LINK_CLOSE = re.compile(r"(?<!\\)((?:\\\\)*)\](?=[(\[:])")
# Passes of neutralise before it gives up on keeping code verbatim (see there).
_PASSES = 6
# The most of one text neutralise reads: GitHub's limit for a comment body, so nothing a reader
# could be shown is lost. The CommonMark parse is slow per character on hostile shapes (tables,
# emphasis runs, HTML blocks), up to six passes: a reply of megabytes would stall a mode.
NEUTRALISE_LIMIT = 65_536
# Prose escapes backslashes first (``\\[`` would otherwise become a backslash and a live
# bracket) and backticks (one would pair with a code span written after it on the same line).
_PROSE = str.maketrans(
    {"\\": "\\\\", "`": "\\`", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "|": "\\|"}
)
ZWSP = "\u200b"
_MENTION = re.compile(r"@(?=[\w-])")
# ``#12``, ``GH-12`` (an issue of this repository) and ``owner/repo#12`` (another's): each a
# reference, shown in that issue's timeline ("mentioned this"). GitHub finds them in the
# rendered text, where emphasis or a tag ends a word anywhere (``_#12_``, ``a*GH-12*``): so
# every ``#`` or ``GH-`` before a digit in prose is broken, whatever comes before it.
_ISSUE_REFERENCE = re.compile(r"(?i)(#|gh-)(?=\d)")
# No ``\b``: GFM autolinks after ``_`` too (``_https://…_``), which is a word character.
_URL = re.compile(r"(?i)(?<![a-z0-9])(?:(?:https?|ftp)://[^\s<>()\[\]]*|www\.)")
# A character reference that could spell ``@`` or ``#`` (``&#64;``, ``&commat;``) once rendered,
# after the checks for mentions: ``\&`` is a literal ampersand. One already escaped (an odd run
# of backslashes before it) is left, as for ``_LINK_CLOSE``.
# ``&lt;``, ``&gt;`` and ``&amp;`` (ours among them) render as text and stay.
_REFERENCE = r"&(?=#|(?!(?:lt|gt|amp);)[A-Za-z][A-Za-z0-9]*;)"
_CHARACTER_REFERENCE = re.compile(r"(?<!\\)((?:\\\\)*)" + _REFERENCE)
_REFERENCE_IN_PROSE = re.compile(_REFERENCE)
_COMMENT = re.compile(r"<!--")
OUR_TAGS = ("<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>", "<br>")
"""The HTML our renderings write (collapsed sections, small print); :func:`posted` keeps it."""
# Each tag is held as one character of the last private-use plane while the text is
# neutralised; the same characters in the text itself are replaced first, so none is forged.
_HOLD = {tag: chr(0x10FF00 + n) for n, tag in enumerate(OUR_TAGS)}
_HELD = re.compile("[\U0010ff00-\U0010ff2f]")
# A lone surrogate: a byte that was not UTF-8 (text read with ``surrogateescape``) or a JSON
# escape such as ``\ud800`` (a hand-off file). No UTF-8 writer takes one, GitHub's parser
# included. NUL GitHub's API refuses in a body; the other C0 controls (but tab, line feed and
# carriage return), DEL and the C1 controls no browser shows, and an escape rewrites a terminal
# that reads the log. Each is shown as U+FFFD, as a reader decoding the bytes would show it.
# A line git reads as a trailer (``token: value``, whitespace allowed before the colon) and
# the other line breaks a commit message is shown with.
_TRAILER = re.compile(r"(?m)^([ \t]*[A-Za-z0-9][A-Za-z0-9-]*)(?=[ \t]*:)")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x85\x0b\x0c]")
MAX_COMMIT_TITLE = 120
"""Past this a title is cut (GitHub shows the first 72 characters and folds the rest)."""
MADE_BY = "Made by cicd-agent."
_REFUSED = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A link of ours into the repository (``[run 12](https://github.com/o/r/actions/runs/12)``):
# its ``](URL)`` is held as a numbered mark while the text is neutralised, as the tags are.
_LINK_TAIL = re.compile(r"\]\((https?://[^\s()<>]+)\)")
_LINK_MARK, _LINK_END = "\U0010ff10", "\U0010ff11"
_DIGITS = str.maketrans("0123456789", "".join(chr(0x10FF20 + n) for n in range(10)))
_HELD_LINK = re.compile(f"{_LINK_MARK}([\U0010ff20-\U0010ff29]+){_LINK_END}")
# A hidden line of ours: no ``>`` inside, so nothing can end the comment early.
_HIDDEN = re.compile(r"<!-- cicd-agent[\w-]*:[\w.:/@+ -]* -->")
# One of our references (``#12``) is held as a numbered mark too, while the text is neutralised.
_REFERENCE_MARK, _REFERENCE_END = "\U0010ff12", "\U0010ff13"
_HELD_REFERENCE = re.compile(f"{_REFERENCE_MARK}([\U0010ff20-\U0010ff29]+){_REFERENCE_END}")
# Ours stand alone (after a space, ``(`` or at the start): after anything else GitHub may read
# the ``#12`` as another repository's (``o/repo.#12``, ``sheetsee.js#12``).
_OWN_REFERENCE = re.compile(r"(?<![^\s(])#(\d+)(?!\d)")


# Only this module makes :class:`Neutral` text: its constructor asks for this object.
_MAKER = object()


@final
@dataclass(frozen=True, slots=True)
class Reference:
    """Our own reference to an issue or pull request of this repository, made from its number
    alone (``str()`` is ``#12``). Untrusted text cannot make one: :func:`posted` keeps ``#12``
    a reference only when it is handed ``Reference(12)``, and breaks every other ``#12``,
    ``GH-12`` and ``owner/repo#12`` (a pull request or a model would otherwise put a
    "mentioned this" into the timeline of any issue it names)."""

    number: int

    def __post_init__(self) -> None:
        if type(self.number) is not int or self.number < 1:
            raise ValueError(f"an issue or pull request number, not {self.number!r}")

    def __str__(self) -> str:
        return f"#{self.number}"


@final
class Neutral(str):
    """Text the neutraliser wrote, the only text a poster takes (``mypy --strict`` rejects a
    plain ``str``). Every way of changing it (strip, split and join, slice, ``+``, an
    f-string) gives a plain ``str`` again, which must pass :func:`posted` once more: so
    flattening, cutting and table cells cannot happen after neutralising, where they would
    turn code that was kept verbatim into live prose."""

    references: frozenset[Reference]
    """Our references kept live in it: a cut of it (:func:`fitted`) keeps them too."""

    def __new__(
        cls, text: str, maker: object, references: frozenset[Reference] = frozenset()
    ) -> Neutral:
        if maker is not _MAKER:
            raise TypeError("Neutral text is made only by cicd_agent.actions.markdown")
        made = super().__new__(cls, text)
        made.references = references
        return made

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        # A copy (``copy.deepcopy`` of a result) is plain text again: it never reaches a poster
        # unchecked, since only the neutraliser's output is typed Neutral.
        return (str, (str(self),))


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


def _unlink(url: str, allowed: tuple[str, ...], own: frozenset[int]) -> str:
    """A URL into our own repository stays a link, but one to an issue, pull request or
    discussion not in ``own`` (a link to one is a cross-reference); any other stops being one
    (GitHub only autolinks ``scheme://`` and ``www.``, so a zero-width space after the colon is
    enough)."""
    if allowed_link(url, allowed, own):
        return url
    if url.lower() == "www.":
        return f"www{ZWSP}."
    # every address in it: ``[^\s]*`` runs on into a second (``…#https://…``), which GitHub links
    return url.replace("://", f":{ZWSP}//")


def _unreferenced(text: str, allowed: tuple[str, ...], own: frozenset[int]) -> str:
    """``text`` with every ``#12`` and ``GH-12`` broken by a zero-width space, but in a link
    into the repository (a ``#L3`` or ``#12-notes`` fragment): GitHub finds no reference in a
    link's text."""
    kept = [m.span() for m in _URL.finditer(text) if allowed_link(m.group(0), allowed, own)]
    return _between(text, kept, lambda part: _ISSUE_REFERENCE.sub(rf"\1{ZWSP}", part))


def _between(text: str, kept: Iterable[tuple[int, int]], change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to what lies between the ``kept`` spans (in order),
    which stay as they are."""
    out: list[str] = []
    last = 0
    for start, end in kept:
        out += [change(text[last:start]), text[start:end]]
        last = end
    return "".join(out) + change(text[last:])


def _plain(text: str, allowed: tuple[str, ...], own: frozenset[int]) -> str:
    text = _URL.sub(lambda m: _unlink(m.group(0), allowed, own), _unreferenced(text, allowed, own))
    text = _CHARACTER_REFERENCE.sub(r"\1\\&", text)
    text = _LINK_CLOSE.sub(r"\1\\]", text.replace("<", "&lt;"))
    return _MENTION.sub("@" + ZWSP, text)


def neutralise(text: str, *, allowed_links: tuple[str, ...] = ()) -> Neutral:
    """Model-written Markdown made inert: no mentions, HTML, images, links off ``allowed_links``,
    or hidden markers of ours. Code survives verbatim (only comment openers are broken there),
    and a block left open is closed so it cannot swallow what follows. Text over
    :data:`NEUTRALISE_LIMIT` is cut, and says so."""
    shown = _neutral_text(redacted(text), allowed_links, NEUTRALISE_LIMIT)
    return Neutral(_unshown(shown), _MAKER)


def posted(
    markdown: str,
    *,
    allowed_links: tuple[str, ...] = (),
    references: Collection[Reference] = (),
    limit: int = NEUTRALISE_LIMIT,
) -> Neutral:
    """A whole text as we post it, neutralised last, after every flattening, cut and table cell.

    Our own tags (:data:`OUR_TAGS`) and links into the repository stay live, held while
    neutralising as characters nobody else may write. If the tags change how the text around them
    reads (GitHub parses no Markdown inside an HTML block), the text is judged as GitHub renders
    it (:func:`live_in_post`) and, if anything is live, the tags are shown as text too. ``#12``
    stays a reference only for a ``Reference(12)`` in ``references``."""
    # Our renderings end lines, cells and list items at "\n" only; GitHub also at a lone "\r",
    # where untrusted text would leave its cell or list item: here it reads as they were built.
    text = _HELD.sub("\ufffd", _REFUSED.sub("\ufffd", redacted(markdown)))
    text = text.replace("\r\n", "\n").replace("\r", " ")
    own = frozenset(references)
    numbers = frozenset(reference.number for reference in own)

    def hold_reference(found: re.Match[str]) -> str:
        if int(found.group(1)) not in numbers:
            return found.group(0)
        return _REFERENCE_MARK + found.group(1).translate(_DIGITS) + _REFERENCE_END

    text = _OWN_REFERENCE.sub(hold_reference, text) if numbers else text
    links: list[str] = []

    def hold(found: re.Match[str]) -> str:
        if not allowed_link(found.group(1), allowed_links, numbers):
            return found.group(0)
        links.append(found.group(0))
        return _LINK_MARK + str(len(links) - 1).translate(_DIGITS) + _LINK_END

    held = _LINK_TAIL.sub(hold, text)
    for tag, mark in _HOLD.items():
        held = held.replace(tag, mark)
    neutral = _neutral_text(held, allowed_links, limit, numbers)

    def put_back(part: str) -> str:
        for tag, mark in _HOLD.items():
            part = part.replace(mark, tag)
        return _HELD_LINK.sub(lambda found: links[_number(found.group(1))], part)

    shown = put_back(neutral)
    # What neutralise kept verbatim it kept as code: put back, a tag (ours, or one the text
    # wrote) may open an HTML block, in which GitHub parses no Markdown, or a link's address
    # may pair a backtick, and code would be raw HTML or prose. So the code must read as it did.
    before = code_texts(neutral)
    kept = before is not None and code_texts(shown) == [put_back(code) for code in before]
    if not kept or live_in_post(shown, allowed_links, linked=numbers):
        shown = _neutral_text(text, allowed_links, limit, numbers)
    shown = _HELD_REFERENCE.sub(lambda found: f"#{_number(found.group(1))}", shown)
    unshown = _unshown(shown)
    return Neutral(shown, _MAKER, own) if unshown == shown else Neutral(unshown, _MAKER)


def _unshown(shown: str) -> str:
    """``shown``, or, if GitHub would show a secret in it that redaction of the text as written
    could not see (split by backslash escapes or emphasis GitHub drops, ``ghp\\_…``, or every
    character percent-encoded in an address, which a browser decodes), what it shows,
    redacted, as one code block (inert by construction)."""
    visible = shown_text(shown).replace(ZWSP, "")
    for seen in dict.fromkeys((visible, unquote(visible))):
        withheld = redacted(seen)
        if withheld != seen:
            # the markers it shows stay broken: our comments are found by them in the raw text
            return code_block(_COMMENT.sub(f"<!{ZWSP}--", _REFUSED.sub("\ufffd", withheld)))
    return shown


def linked(url: str) -> Reference | None:
    """The issue or pull request a URL GitHub answered us with points to (the review we
    posted, the comment a command answers), as our own :class:`Reference`: :func:`posted`
    keeps our link to it a link. Only for URLs GitHub gave us, never ones a text holds."""
    path = url.split("://", 1)[-1].split("/", 3)[-1]
    found = NUMBERED.match(path)
    return Reference(int(found.group(1))) if found and int(found.group(1)) > 0 else None


def references_in(text: str) -> frozenset[Reference]:
    """The references :func:`posted` kept live in ``text`` (none in a plain ``str``)."""
    return text.references if isinstance(text, Neutral) else frozenset()


def _number(marks: str) -> int:
    return int("".join(str(ord(mark) - 0x10FF20) for mark in marks))


def with_hidden(text: Neutral, *lines: str) -> Neutral:
    """``text`` followed by hidden lines of ours (a comment's marker, review's ledger), each one
    HTML comment in the one shape we write: nothing can be hidden in it or shown from it."""
    for line in lines:
        if not _HIDDEN.fullmatch(line):
            raise ValueError(f"not one of our hidden lines: {line[:60]!r}")
    if not lines:
        return text
    return Neutral(text.rstrip() + "\n\n" + "\n".join(lines), _MAKER, references_in(text))


def fitted(text: Neutral, room: int, note: str, *, allowed_links: tuple[str, ...] = ()) -> Neutral:
    """``text`` within ``room`` characters: cut, ``note`` appended, and neutralised again (a
    cut can leave a code span or block open, or split an escape)."""
    if len(text) <= room:
        return text
    keep = room - len(note)
    for _ in range(_PASSES):
        shown = posted(
            text[: max(keep, 0)] + note, allowed_links=allowed_links, references=references_in(text)
        )
        if len(shown) <= room:
            return shown
        keep -= len(shown) - room
    return posted(note.strip()[:room])


def _neutral_text(
    text: str, allowed_links: tuple[str, ...], limit: int, own: frozenset[int] = frozenset()
) -> str:
    """``text`` made inert (``own``: the numbers of the issues and pull requests our own
    links may still point to); a bidirectional control, code or not, shows as its code point."""
    text = _REFUSED.sub("\ufffd", shown_bidi(text))
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    # A lone carriage return ends a line for both parsers, but not for the code's line table.
    text = _COMMENT.sub(f"<!{ZWSP}--", text.replace("\r\n", "\n").replace("\r", "\n"))
    shown = _inert(text, allowed_links, own)
    return shown if cut <= 0 else f"{shown}\n\n… ({cut:,} more characters cut)"


def _inert(text: str, allowed_links: tuple[str, ...], own: frozenset[int]) -> str:
    """``text`` with its code kept, if GitHub's parser finds nothing live in that; else all of
    it escaped as prose, if that is inert; else one code block (inert by construction)."""
    kept = _closed(_code_kept(text, allowed_links, own))
    if not live_on_github(kept, allowed_links, linked=own):
        return kept
    escaped = _closed(_plain(text, allowed_links, own))
    if not live_on_github(escaped, allowed_links, linked=own):
        return escaped
    return code_block(text)


def _closed(shown: str) -> str:
    """``shown`` with a code block it leaves open closed, so it cannot swallow what follows."""
    closer = open_fence_closer(shown)
    return shown if closer is None else shown.rstrip("\n") + "\n" + closer


def _code_kept(text: str, allowed_links: tuple[str, ...], own: frozenset[int]) -> str:
    shown = text
    # Escaping prose changes how GitHub pairs what is left (an HTML block made text no longer
    # ends a paragraph, so a backtick in it opens a span), so the output is read again until
    # it reads as it was written: then what it keeps verbatim is code to GitHub too. Each pass
    # only escapes more; one that never settles is made prose whole.
    for _ in range(_PASSES):
        again = _escape_prose(shown, allowed_links, own)
        if again == shown:
            break
        shown = again
    else:
        shown = _plain(shown, allowed_links, own)
    return shown


def _escape_prose(text: str, allowed: tuple[str, ...], own: frozenset[int]) -> str:
    """One pass: what the parser reads as code is kept, the rest made inert (idempotent on
    what it already escaped)."""
    return _between(text, code_regions(text), lambda part: _plain(part, allowed, own))


def unreferenced(text: str) -> str:
    """Plain text GitHub reads for references but not as Markdown (a commit message): every
    ``#12``, ``GH-12``, mention and address broken, nothing else changed. A name from the pull
    request (``fixes #1.py``) in a commit we push would otherwise close or mention that issue."""
    text = _URL.sub(lambda m: _unlink(m.group(0), (), frozenset()), redacted(text))
    text = _REFUSED.sub("\ufffd", shown_bidi(text))
    return _ISSUE_REFERENCE.sub(rf"\1{ZWSP}", _MENTION.sub("@" + ZWSP, text))


def commit_message(title: str, body: str = "") -> Neutral:
    """A commit message of ``title`` and ``body`` (the repository's words), then
    ``Made by cicd-agent.``, with no live reference. Git and GitHub read ``Token: value`` lines
    of the last paragraph as trailers, so a name holding ``Signed-off-by:`` would sign off in our
    name: that paragraph is ours, and no body line reads as a trailer. The title is one line: a
    break in it would end it where the name chose."""
    line = unreferenced(" ".join(title.split()))
    if len(line) > MAX_COMMIT_TITLE:
        line = line[: MAX_COMMIT_TITLE - 1].rstrip() + "\u2026"
    text = _TRAILER.sub(rf"\1{ZWSP}", unreferenced(_LINE_BREAK.sub("\n", body)).strip())
    return Neutral(f"{line}\n\n{text}".rstrip() + f"\n\n{MADE_BY}", _MAKER)


def prose(text: str) -> str:
    """Untrusted prose on one line: no HTML, links, images, table breaks, mentions or markers."""
    flat = _URL.sub(lambda m: _unlink(m.group(0), (), frozenset()), text.translate(_PROSE))
    flat = _REFERENCE_IN_PROSE.sub(r"\\&", flat)
    return " ".join(unreferenced(flat).split())
