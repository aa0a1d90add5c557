"""Runner I/O: step outputs, job summary, annotations and masking, the way the Actions runner reads
them, through one ``RunnerIO`` built from an explicit environment mapping.

Off a runner the summary goes to a terminal (:func:`plain_text`), where the subset of Markdown
our summaries use is rendered as aligned plain text; anything else passes through unchanged."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from cicd_agent.actions.annotations import (
    AnnotationText,
    annotation_path,
    annotation_text,
    annotation_title,
)
from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.masking import worth_hiding

if TYPE_CHECKING:
    from cicd_agent.actions.markdown import Neutral

# GitHub refuses a step summary over 1 MiB; we stop short of it so the truncation note still fits.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 4096
# The runner shows at most 10 annotations of each level per step and 50 per job; results list
# theirs most severe first, and the rest are not sent.
ANNOTATIONS_PER_LEVEL = 10

AnnotationLevel = Literal["notice", "warning", "error"]


@dataclass(frozen=True, init=False)
class Annotation:
    """One annotation: a workflow command here, or a check run's
    (:class:`cicd_agent.github.models.Annotation`). Its texts are made here, and only here, into
    :class:`AnnotationText`: a pull request controls what reaches them. ``raw_details`` only a
    check run shows."""

    level: AnnotationLevel
    message: AnnotationText
    title: AnnotationText | None
    file: AnnotationText | None
    line: int | None
    end_line: int | None
    raw_details: AnnotationText | None

    def __init__(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        title: str | None = None,
        file: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        raw_details: str | None = None,
    ) -> None:
        made = {
            "level": level,
            "message": annotation_text(message),
            "title": None if title is None else annotation_title(title),
            "file": None if file is None else annotation_path(file),
            "line": line,
            "end_line": end_line,
            "raw_details": None if raw_details is None else annotation_text(raw_details),
        }
        for name, value in made.items():
            object.__setattr__(self, name, value)


def escape_data(value: str) -> str:
    """Escape a workflow-command message, as the runner's own toolkit does (`%`, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value: the message escapes plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, message: str, properties: Mapping[str, str | int | None]) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def format_output(name: str, value: str) -> str:
    """One ``$GITHUB_OUTPUT`` entry in heredoc form with a fresh random delimiter, so no value
    can close its own block and inject another output; we still check, since a value may be
    anything."""
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


class RunnerFileError(UsageError):
    """``GITHUB_OUTPUT`` or ``GITHUB_STEP_SUMMARY`` cannot be written: the step's configuration
    is wrong (exit 2), not a policy verdict or a service failure."""


def truncate_summary(markdown: str, limit: int = SUMMARY_LIMIT_BYTES) -> str:
    """Keep a summary under GitHub's 1 MiB cap, cutting at a line and saying so."""
    encoded = markdown.encode("utf-8", "replace")  # a surrogate (a byte not UTF-8) counts as one
    if len(encoded) <= limit:
        return markdown
    kept = encoded[:limit].decode("utf-8", errors="ignore")
    kept = kept[: kept.rfind("\n") + 1] if "\n" in kept else kept
    dropped = len(encoded) - len(kept.encode("utf-8", "replace"))
    note = f"> _Summary truncated: {dropped:,} bytes left out to stay under GitHub's 1 MiB limit._"
    return f"{kept}\n\n{note}\n"


class RunnerIO:
    """Writes what a step hands back to the runner. ``commands``: stdout, or stderr when stdout
    carries only a JSON document (the runner reads both). Off a runner a terminal gets the
    summary and the annotations it does not already say; outputs are left to ``--json``."""

    def __init__(self, environ: Mapping[str, str], *, commands: TextIO, human: TextIO) -> None:
        self._output_path = _path_or_none(environ.get("GITHUB_OUTPUT"))
        self._summary_path = _path_or_none(environ.get("GITHUB_STEP_SUMMARY"))
        self._commands = commands
        self._human = human
        self._masked: set[str] = set()
        # Runner files that failed once: later writes skip them, so the one error path that
        # reports the failure does not fail again on the same file.
        self._broken: set[str] = set()
        self._colour = wants_colour(human, environ)
        self._shown = ""  # what a terminal has been shown, so nothing is said twice
        self._annotation_counts: dict[AnnotationLevel, int] = {}

    @property
    def in_runner(self) -> bool:
        return self._output_path is not None

    def mask(self, secret: str | None) -> None:
        """Register a secret with the runner so it is starred out of every later log line; not
        one too short to be a secret (``x`` would star out every x in the log)."""
        if not secret or secret in self._masked or not worth_hiding(secret):
            return
        self._masked.add(secret)
        if not self.in_runner:
            return
        # Multi-line secrets (private keys) must be masked line by line to be caught.
        for line in secret.splitlines():
            if line.strip():
                self._emit(format_command("add-mask", line, {}))

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write step outputs; outside a runner there is nowhere to write them (``--json``
        prints them)."""
        if self._output_path is None:
            return
        self._append(
            "GITHUB_OUTPUT",
            self._output_path,
            "".join(format_output(name, value) for name, value in outputs.items()),
        )

    def write_summary(self, markdown: Neutral) -> None:
        """Append the job summary (neutral Markdown); outside a runner it is printed as plain
        text. A summary cut to GitHub's limit is neutralised again (a cut can open a span)."""
        text = truncate_summary(markdown)
        if text != markdown:
            # cmark-gfm: only for a cut summary
            from cicd_agent.actions.markdown import posted, references_in

            text = posted(text, limit=len(text), references=references_in(markdown))
        if self._summary_path is None:
            self._say(self._unsaid(plain_text(text, colour=self._colour)))
            return
        self._append(
            "GITHUB_STEP_SUMMARY", self._summary_path, text if text.endswith("\n") else text + "\n"
        )

    def _append(self, variable: str, path: Path, text: str) -> None:
        """Append to a runner file; the first failure is a :class:`RunnerFileError` naming the
        variable, the path and the reason, and the file is skipped from then on."""
        if variable in self._broken:
            return
        try:
            # errors="replace": a byte that was not UTF-8 (kept as a surrogate) must not cost
            # the step its outputs
            with path.open("a", encoding="utf-8", errors="replace") as handle:
                handle.write(text)
        except OSError as exc:
            self._broken.add(variable)
            reason = exc.strerror or type(exc).__name__
            raise RunnerFileError(
                f"Cannot write {variable} ({path}): {reason}.",
                hint=f"The runner sets {variable}; do not override it in the step's env.",
            ) from exc

    def annotate(self, annotation: Annotation) -> None:
        """Emit one annotation; past the runner's per-level cap it is not sent."""
        count = self._annotation_counts.get(annotation.level, 0)
        if count >= ANNOTATIONS_PER_LEVEL:
            return
        self._annotation_counts[annotation.level] = count + 1
        if not self.in_runner:
            if plain_text(annotation.message).strip() in self._shown:
                return  # the summary already said it (a hold, a headline)
            where = f"{annotation.file}:{annotation.line or 1}: " if annotation.file else ""
            level = f"\033[1m{annotation.level}\033[0m" if self._colour else annotation.level
            self._say(f"{where}{level}: {plain_text(annotation.message).strip()}\n")
            return
        properties: dict[str, str | int | None] = {
            "title": annotation.title,
            "file": annotation.file,
            "line": annotation.line,
            "endLine": annotation.end_line,
        }
        self._emit(format_command(annotation.level, annotation.message, properties))

    def info(self, message: str) -> None:
        """A progress line of our own words for the log."""
        self._human.write(f"{message}\n")

    def show_untrusted(self, text: str) -> None:
        """Print text that may hold attacker-written lines: on a runner, command processing is
        paused around it with a one-time token, so an ``::add-mask::`` line in it stays text."""
        if not self.in_runner:
            self._say(plain_text(text, colour=self._colour))
            return
        token = secrets.token_hex(16)
        self._human.flush()
        self._emit(f"::stop-commands::{token}")
        self._commands.write(text if text.endswith("\n") else text + "\n")
        self._emit(f"::{token}::")

    def _unsaid(self, text: str) -> str:
        """``text`` without the paragraphs the terminal has already been shown (a dry run's
        review body repeats the summary's headline)."""
        kept = [
            p.strip("\n") for p in text.split("\n\n") if p.strip() and p.strip() not in self._shown
        ]
        if not kept:
            return ""
        return ("\n" if self._shown else "") + "\n\n".join(kept) + "\n"

    def _say(self, text: str) -> None:
        self._human.write(text)
        self._shown += text

    def _emit(self, line: str) -> None:
        self._commands.write(line + "\n")
        self._commands.flush()


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


BOLD, RESET = "\033[1m", "\033[0m"
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"(?<![\\`])(`+)(?!`)(.+?)(?<!`)\1(?!`)")
"""A code span: a run of backticks, its text, the same run again (two fence a text holding one:
``code_span``)."""
# What the neutraliser escapes in prose (``\[Errno 111\]``): a backslash before ASCII punctuation.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# The neutraliser's zero-width space (``http:\u200b//``, ``@\u200bname``) only stops GitHub from
# linking; in a terminal it is invisible and breaks a URL or name copied from it.
_ZWSP = "\u200b"
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_SUMMARY_TAG = re.compile(r"<details>\s*<summary>(.*?)</summary>", re.IGNORECASE)
_TAG = re.compile(r"</?(?:details|summary|sub|sup|b|i|br|code|p)\b[^>]*>", re.IGNORECASE)
_FENCE = re.compile(r"^(?P<ticks>`{3,})(?P<language>[\w+-]*)")
_ALERT = re.compile(r"^>\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*> ?(.*)$")
CHART_LINE = "  (a chart, left out here: the job summary shows it)"
"""What a terminal shows for a Mermaid chart's source, which only GitHub draws."""
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org) or the
    terminal is ``dumb``."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def plain_text(markdown: str, *, colour: bool = False) -> str:
    out: list[str] = []
    lines = iter(markdown.splitlines())
    table: list[list[str]] = []
    alert: str | None = None
    """In a GitHub alert: its label, until its first line of text says it ("" after)."""
    for line in lines:
        if table and not line.lstrip().startswith("|"):
            out += _table(table, colour)
            table = []
        stripped = line.strip()
        quoted = _QUOTED.match(line)
        if (fence := _FENCE.match(stripped)) is not None:  # verbatim, up to its closing fence
            code = list(_fenced(lines, fence["ticks"]))
            if fence["language"].lower() == "mermaid":  # chart source: no terminal draws it
                out.append(CHART_LINE)
            else:
                out += ["  " + text for text in code]
        elif (kind := _ALERT.match(stripped)) is not None:  # GitHub's ``> [!WARNING]`` box
            alert = f"{kind[1].capitalize()}: "
        elif alert is not None and quoted is not None:
            if quoted[1].strip():
                out.append(_inline(alert + quoted[1], colour))
                alert = ""
        elif stripped.startswith("|"):
            if not _TABLE_RULE.match(stripped):
                table.append(_cells(stripped))
        else:
            out.append(_inline(line, colour))
        if quoted is None:
            alert = None
    if table:
        out += _table(table, colour)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if text else ""


def _fenced(lines: Iterator[str], ticks: str) -> Iterator[str]:
    """The lines of a fenced block up to its closing fence: a line of as many backticks or
    more, and nothing else (a shorter run inside is the block's text)."""
    for code in lines:
        if code.strip().startswith(ticks) and not code.strip().strip("`"):
            return
        yield code


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
    pieces, start = [], 0  # prose, code, prose, …: escapes and entities mean nothing in code
    for span in _CODE.finditer(line):
        pieces.append(html.unescape(_ESCAPE.sub(r"\1", line[start : span.start()])))
        code = span[2]  # one space each side pads a text that starts or ends with a backtick
        pieces.append(code[1:-1] if code[:1] == code[-1:] == " " and code.strip() else code)
        start = span.end()
    pieces.append(html.unescape(_ESCAPE.sub(r"\1", line[start:])))
    return "".join(pieces).replace(_ZWSP, "")
