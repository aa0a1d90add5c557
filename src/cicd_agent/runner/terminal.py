"""The job summary as a terminal shows it: plain text, bold only where the terminal has colour.

The summary is Markdown for GitHub's job-summary page. Run locally, the same text goes to a
terminal, where ``###``, ``**``, pipe tables and ``<details>`` tags are noise. This renders the
small subset of Markdown our summaries use (headings, emphasis, code spans and fences, pipe
tables, lists, links, backslash escapes and the ``details``/``summary``/``sub`` tags) as
aligned plain text. It is not a Markdown parser: anything else passes through unchanged.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import TextIO

BOLD, RESET = "\033[1m", "\033[0m"
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"(?<!\\)`([^`\n]+)`")
# What the neutraliser escapes in prose (``\[Errno 111\]``): a backslash before ASCII punctuation.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# The neutraliser's zero-width space (``http:\u200b//``, ``@\u200bname``) only stops GitHub from
# linking; in a terminal it is invisible and breaks a URL or name copied from it.
_ZWSP = "\u200b"
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_SUMMARY_TAG = re.compile(r"<details>\s*<summary>(.*?)</summary>", re.IGNORECASE)
_TAG = re.compile(r"</?(?:details|summary|sub|sup|b|i|br|code|p)\b[^>]*>", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org) or the
    terminal is ``dumb``."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def plain_text(markdown: str, *, colour: bool = False) -> str:
    """``markdown`` as a terminal should show it."""
    out: list[str] = []
    lines = iter(markdown.splitlines())
    table: list[list[str]] = []
    for line in lines:
        if table and not line.lstrip().startswith("|"):
            out += _table(table, colour)
            table = []
        stripped = line.strip()
        if stripped.startswith("```"):
            out += ["  " + code for code in _fenced(lines)]
        elif stripped.startswith("|"):
            if not _TABLE_RULE.match(stripped):
                table.append(_cells(stripped))
        else:
            out.append(_inline(line, colour))
    if table:
        out += _table(table, colour)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if text else ""


def _fenced(lines: Iterator[str]) -> list[str]:
    """The lines of a code fence up to its closing fence, verbatim."""
    code = []
    for line in lines:
        if line.strip().startswith("```"):
            break
        code.append(line)
    return code


def _cells(row: str) -> list[str]:
    inner = row.strip().removeprefix("|")
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _table(rows: list[list[str]], colour: bool) -> list[str]:
    shown = [[_inline(cell, False) for cell in row] for row in rows]
    columns = max(len(row) for row in shown)
    widths = [
        max((len(row[i]) for row in shown if i < len(row)), default=0) for i in range(columns)
    ]
    rendered = []
    for number, row in enumerate(shown):
        text = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        rendered.append(f"{BOLD}{text}{RESET}" if colour and number == 0 and text else text)
    return [line for line in rendered if line.strip()]


def _inline(line: str, colour: bool) -> str:
    line = _SUMMARY_TAG.sub(lambda m: f"{m.group(1)}:", line)
    line = _TAG.sub("", line)
    heading = _HEADING.match(line)
    if heading:
        line = heading.group(1)
        line = f"{BOLD}{line}{RESET}" if colour else line
    line = _STRONG.sub(lambda m: f"{BOLD}{m.group(1)}{RESET}" if colour else m.group(1), line)
    line = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", line)
    pieces = _CODE.split(line)  # prose, code, prose, …: escapes mean nothing inside code
    pieces[::2] = [_ESCAPE.sub(r"\1", piece) for piece in pieces[::2]]
    return html.unescape("".join(pieces)).replace(_ZWSP, "")
