"""The GitHub runner's log format: line prefixes to strip and the markers that delimit steps.

Every line the runner stores starts with an ISO timestamp (``2024-01-01T00:00:00.0000000Z ``),
the first line of a file with a UTF-8 byte-order mark. Tools' colours survive as ANSI escape
sequences. The runner writes its own lines as ``##[group]``/``##[endgroup]`` (a step's header:
the command it runs, its shell and env), ``##[error]``/``##[warning]`` (annotations and its own
verdicts such as ``Process completed with exit code 1.``), and plain lines that open the post
steps (``Post job cleanup.``) and the job's last step (``Cleaning up orphan processes``). A log
copied from the run's page has no timestamps and shows ``##[error]`` as ``Error: ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from cicd_agent.runners.shapes import LOG_SHAPES

TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_EXIT_CODE = re.compile(r"Process completed with exit code (-?\d{1,12})(?!\d)")
"""A printed exit code of more digits names none (``int`` throws past 4,300)."""
_COPIED_EXIT = re.compile(r"Error: (Process completed with exit code -?\d{1,12}\.)")
"""The runner's exit line as the page shows it, and a log copied from the page holds it."""

STEP_RUN_PREFIX = "##[group]Run "
POST_STEPS_LINE = "Post job cleanup."
COMPLETE_JOB_LINE = "Cleaning up orphan processes"
_EVENTS = [shape.events for shape in LOG_SHAPES if shape.events]
"""The runners' readers of a report printed as JSON events (:attr:`RunnerShape.events`)."""
# Literals that, found anywhere in a line, make it worth a look as a runner marker: the markers
# :func:`parse_marker` gives a meaning, not every ``##[`` (the runner's own sections and
# warnings are OTHER and read as nothing: a long job holds them by the hundred thousand).
MARKER_NEEDLES = (
    STEP_RUN_PREFIX,
    "##[endgroup]",
    "##[error]",
    POST_STEPS_LINE,
    COMPLETE_JOB_LINE,
)


def clean_line(raw: bytes) -> str:
    """One raw log line as the reader saw it in the browser: no timestamp, no colours, no CR.

    Bytes that are not UTF-8 become U+FFFD rather than failing: logs carry whatever tools print.
    A carriage return inside a line is a progress bar redrawing itself; its last frame stays.
    The runner's exit line copied from its page is given back in the runner's own form.
    """
    text, stamped = TIMESTAMP.subn("", raw.decode("utf-8", errors="replace"), count=1)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        frames = [frame for frame in text.split("\r") if frame.strip()]
        text = frames[-1] if frames else ""
    if not stamped and (copied := _COPIED_EXIT.fullmatch(text)):
        # The page shows the runner's ``##[error]`` lines as ``Error: ``, without timestamps.
        # Only a whole line is the runner's, as its own form must open a line; in a log with
        # timestamps every line is as stored, so there this text is a tool's own output.
        text = "##[error]" + copied.group(1)
    if text.startswith("{"):  # a runner's JSON event (RunnerShape.events): the line it carries
        text = next((line for read in _EVENTS if (line := read(text)) is not None), text)
    return text


class MarkerKind(Enum):
    """What a runner line means for the reader's idea of steps."""

    STEP_START = "step_start"
    HEADER_END = "header_end"
    ERROR = "error"
    OTHER = "other"


@dataclass(frozen=True)
class Marker:
    """A runner line: its kind, the step name it opens, the exit code it reports."""

    kind: MarkerKind
    step: str | None = None
    exit_code: int | None = None


def parse_marker(text: str) -> Marker | None:
    """The runner marker in a cleaned line, or None for a tool's own output.

    Only a whole-job log needs STEP_START: a per-step file of the run-logs zip is one step.
    """
    if text.startswith("##["):
        if text.startswith(STEP_RUN_PREFIX):
            return Marker(MarkerKind.STEP_START, step=text[len("##[group]") :].strip())
        if text.startswith("##[endgroup]"):
            return Marker(MarkerKind.HEADER_END)
        if text.startswith("##[error]"):
            code = _EXIT_CODE.match(text, len("##[error]"))
            return Marker(MarkerKind.ERROR, exit_code=int(code.group(1)) if code else None)
        return Marker(MarkerKind.OTHER)
    stripped = text.strip()
    if stripped == POST_STEPS_LINE:
        return Marker(MarkerKind.STEP_START, step="Post job cleanup")
    if stripped == COMPLETE_JOB_LINE:
        return Marker(MarkerKind.STEP_START, step="Complete job")
    return None
