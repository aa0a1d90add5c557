"""What GitHub would make live of Markdown we are about to post, judged by GitHub's own parser.

neutralise decides what is code with markdown-it; GitHub renders with cmark-gfm, and the two read
some shapes differently (a carriage return, tabs after nested quotes), so text one calls code can
be a live paragraph to the other. The result is rendered here with ``cmarkgfm`` (safe mode,
footnotes on, as GitHub) and read as GitHub's post-processing would: a link off the allowed
prefixes, an image, raw HTML, a mention or a reference outside code makes neutralise fall back to
a form inert by construction."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from html.parser import HTMLParser
from urllib.parse import unquote

# GitHub links a mention where ``@`` follows no word character (a backtick is none: in an HTML
# block, code's backticks are text); a zero-width space after the ``@`` (what neutralise
# writes) breaks it.
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")
# ``#12``, ``GH-12``, ``owner/repo#12``: wherever the rendered text has one outside code and
# links (GitHub makes none there), whatever precedes it (a tag may end the word before it).
_ISSUE_REFERENCE = re.compile(r"(?i)(#|gh-)(\d+)")
# A path that walks out of the allowed prefix once a browser resolves it (``/../``, ``%2e``),
# or that a browser reads as another host (a backslash).
_WALKS_OUT = re.compile(r"(?i)(?:^|/)(?:\.|%2e){1,2}(?:[/?#]|$)|\\|%5c|%2f")
# An issue, pull request or discussion of the repository (``issues/12``, ``pull/12/files``,
# ``discussions/12#discussioncomment-3``): GitHub makes a link to one a cross-reference, a
# "mentioned this" in its timeline, as it does ``#12``.
NUMBERED = re.compile(r"(?i)/*(?:issues|pulls?|discussions)/+(\d+)")
# The same, anywhere in the address: a server or a reader's tool may drop what comes before it
# (``o/r/.git/issues/12``, ``pull/2/%252e%252e%252fissues/12``), so only ours may appear at all.
_NAMED = re.compile(r"(?i)(?:^|/)(?:issues|pulls?|discussions)/+(\d+)")
_CODE = frozenset({"code", "pre"})
# What cmark-gfm writes for Markdown, and our own tags (``markdown.OUR_TAGS``): any other tag
# in a text rendered with its HTML kept came from raw HTML.
_FORMATTING = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "ul",
        "ol",
        "li",
        "pre",
        "code",
        "em",
        "strong",
        "del",
        "a",
        "img",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "input",
        "details",
        "summary",
        "sub",
    }
)


def allowed_link(url: str, allowed: Sequence[str], own: Collection[int] = ()) -> bool:
    """``url`` starts with one of ``allowed`` (URL prefixes) and stays under it when resolved,
    and names no issue, pull request or discussion but those numbered in ``own`` (ours)."""
    for prefix in allowed:
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if any(int(number) not in own for number in _NAMED.findall(_unquoted(rest))):
                return False
            # another address inside ours (``pull/2?u=https://…/issues/12``) is a link of its own
            return not _WALKS_OUT.search(rest) and "://" not in rest
    return False


def _unquoted(url: str) -> str:
    """``url`` percent-decoded until nothing changes (a double encoding hides a path)."""
    for _ in range(8):
        decoded = unquote(url)
        if decoded == url:
            break
        url = decoded
    return url


class _Reader(HTMLParser):
    """Collects what is live in cmark-gfm's HTML: outside ``<code>``/``<pre>``, text is read as
    GitHub reads it for mentions and references (character references already decoded)."""

    def __init__(
        self, allowed: Sequence[str], own: Collection[int] = (), linked: Collection[int] = ()
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.own = own
        self.linked = linked
        self.code = 0
        self.link = 0
        self.live: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE:
            self.code += 1
        elif tag == "a":
            self.link += 1
            href = dict(attrs).get("href") or ""
            if not allowed_link(href, self.allowed, self.linked):
                self.live.append(f"a link to {href!r}")
        elif tag == "img":
            self.live.append("an image")

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE:
            self.code = max(self.code - 1, 0)
        elif tag == "a":
            self.link = max(self.link - 1, 0)

    def handle_comment(self, data: str) -> None:
        # Safe mode writes raw HTML (which GitHub would render, sanitised) as this comment.
        if "raw HTML omitted" in data:
            self.live.append("raw HTML")

    def handle_data(self, data: str) -> None:
        if self.code:
            return
        found = _MENTION.search(data)
        if found is not None:
            self.live.append(f"a mention ({found.group()!r})")
        if self.link:
            return
        for found in _ISSUE_REFERENCE.finditer(data):
            mark, number = found.groups()
            before = data[found.start() - 1 : found.start()]
            # ours stand alone, as markdown holds them: ``owner/repo.#12`` is another's
            joined = before != "" and not before.isspace() and before != "("
            ours = mark == "#" and not joined and int(number) in self.own
            if not ours:
                self.live.append(f"a reference ({mark + number!r})")
                return


class _PostReader(_Reader):
    """Reads a rendering that kept raw HTML: a tag other than formatting, or any comment (a
    forged marker), is live; text inside an HTML block is read like any other text."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _FORMATTING:
            self.live.append(f"a <{tag}> tag")
        super().handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.live.append("an HTML comment")


class _CodeReader(HTMLParser):
    """Collects the text of each outermost ``<code>``/``<pre>`` element, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE:
            if not self.depth:
                self.texts.append("")
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


class _TextReader(HTMLParser):
    """Collects what a reader of the rendering sees: its text (character references decoded,
    code included) and the address of each link and image, one a line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.parts.append(f"\n{value}\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(markdown: str) -> str:
    """The text GitHub shows of ``markdown`` (raw HTML kept), with every link's and image's
    address: what Markdown drops (a backslash escape, emphasis inside a word, a character
    reference) no longer splits it, so a secret written through them reads whole here."""
    reader = _TextReader()
    return "".join(reader.parts) if _read(reader, markdown) else markdown  # as written


def _read(reader: HTMLParser, markdown: str) -> bool:
    """Feed ``reader`` what GitHub renders of ``markdown`` with raw HTML kept; False when the
    standard parser cannot read it (it asserts on some raw declarations, ``<![a``)."""
    try:
        reader.feed(_html(markdown, unsafe=True))
        reader.close()
    except AssertionError:
        return False
    return True


def _html(markdown: str, *, unsafe: bool = False) -> str:
    """``markdown`` rendered as GitHub renders it (the one place this module renders), raw HTML
    kept when ``unsafe``. cmark-gfm is imported here, on the first text checked: a run that
    posts nothing never loads it."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # GitHub renders footnotes (``[^1]: text`` may interrupt a paragraph): without them a
    # footnote reads as the text of a code span here, and as prose on GitHub.
    options = Options.CMARK_OPT_FOOTNOTES | (Options.CMARK_OPT_UNSAFE if unsafe else 0)
    html: str = cmarkgfm.github_flavored_markdown_to_html(markdown, options=options)
    return html


def code_texts(markdown: str) -> list[str] | None:
    """The text of each code span and block GitHub renders in ``markdown`` (raw HTML kept), in
    order; None when the HTML cannot be read."""
    reader = _CodeReader()
    return reader.texts if _read(reader, markdown) else None


def live_on_github(
    markdown: str,
    allowed: Sequence[str] = (),
    own: Collection[int] = (),
    *,
    linked: Collection[int] = (),
) -> list[str]:
    """What GitHub would make live in ``markdown``, one phrase each (empty: nothing); ``own``:
    the numbers of our own references (``#12``), which are meant to be live; ``linked``: those
    of the issues and pull requests our links into the repository may point to."""
    reader = _Reader(allowed, own, linked)
    reader.feed(_html(markdown))
    reader.close()
    return reader.live


def live_in_post(
    markdown: str,
    allowed: Sequence[str] = (),
    own: Collection[int] = (),
    *,
    linked: Collection[int] = (),
) -> list[str]:
    """What GitHub would make live in ``markdown`` that keeps some HTML of ours: rendered with
    raw HTML kept, so what an HTML block holds is read too (safe mode hides it in one
    comment); ``own`` and ``linked`` as for :func:`live_on_github`."""
    reader = _PostReader(allowed, own, linked)
    if not _read(reader, markdown):
        return [*reader.live, "raw HTML the reader cannot parse"]
    return reader.live
