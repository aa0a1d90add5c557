"""Annotations (``::error`` workflow commands and check-run annotations) show only text the
annotation neutraliser made: what a pull request controls (a log line, a file name, a
finding's title) cannot issue a workflow command, garble a terminal or the log, reorder what
a reader sees, or make GitHub refuse the check run."""

from __future__ import annotations

import io
import json
import re

import pytest

from cicd_agent.actions.annotations import (
    MESSAGE_MAX_BYTES,
    TITLE_MAX,
    AnnotationText,
    annotation_text,
)
from cicd_agent.actions.runner_io import Annotation, RunnerIO
from cicd_agent.github.models import Annotation as CheckAnnotation

HOSTILE = [
    "x\n::add-mask::ghp_token\n::error::pwned",
    "%0A::error file=a.py::pwned%0D%0A::stop-commands::t",
    "a::b,c=d,title=forged",
    "x\r::warning::pwned",
    "x\u2028::error::pwned\x85::notice::y",
    "\x1b[2J\x1b]0;pwned\x07 \u202eevil.exe\u202c",
]
# The runner's own unescaping (actions/runner ActionCommand): data %0D, %0A and %25;
# properties also %3A and %2C.
_UNESCAPE = {"%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ",", "%25": "%"}


def _runner_reads(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow-command line as the runner parses it: command, properties, message."""
    found = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert found is not None, line

    def unescape(text: str) -> str:
        return re.sub("%0D|%0A|%3A|%2C|%25", lambda m: _UNESCAPE[m.group()], text)

    pairs = (item.split("=", 1) for item in (found.group(2) or "").split(",") if item)
    return found.group(1), {k: unescape(v) for k, v in pairs}, unescape(found.group(3))


def _runner(stream: io.TextIOBase, tmp: object) -> RunnerIO:
    return RunnerIO({"GITHUB_OUTPUT": f"{tmp}/out"}, commands=stream, human=stream)  # type: ignore[arg-type]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_workflow_command_in_a_path_title_or_message_stays_in_its_annotation(
    hostile: str, tmp_path: object
) -> None:
    """Pinning: a newline, ``::``, ``%0A``, a lone carriage return or a Unicode line end in any
    part of an annotation: one line reaches the runner, which reads back exactly the
    neutralised texts (no control character, no bidirectional override)."""
    stream = io.StringIO()
    _runner(stream, tmp_path).annotate(
        Annotation("error", hostile, title=hostile, file=hostile, line=3)
    )
    [line] = stream.getvalue().splitlines()
    command, properties, message = _runner_reads(line)
    assert command == "error"
    assert set(properties) == {"title", "file", "line"}
    assert message == annotation_text(hostile)
    assert properties["title"] == " ".join(annotation_text(hostile).split())
    for text in (message, properties["title"], properties["file"]):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", text)


def test_a_name_that_is_not_utf8_costs_no_annotation_and_no_step(tmp_path: object) -> None:
    """Red team: a file named with a byte that is not UTF-8 (git gives it as a lone surrogate)
    in an annotation raised UnicodeEncodeError on the runner's UTF-8 stdout: the step crashed
    after its summary, with every later annotation lost."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    runner = _runner(stream, tmp_path)
    runner.annotate(Annotation("warning", "see src/\udcff.py", file="src/\udcff.py", line=1))
    runner.annotate(Annotation("error", "after it"))
    lines = raw.getvalue().decode("utf-8").splitlines()
    assert lines == ["::warning file=src/\ufffd.py,line=1::see src/\ufffd.py", "::error::after it"]


def test_outside_a_runner_an_escape_sequence_does_not_reach_the_terminal() -> None:
    """Red team: a log line's ``ESC ] 0 ;`` retitles the developer's terminal, ``ESC [2J``
    clears it (the root cause is shown as an annotation when run locally)."""
    stream = io.StringIO()
    RunnerIO({}, commands=stream, human=stream).annotate(Annotation("error", HOSTILE[-1]))
    assert "\x1b" not in stream.getvalue() and "\u202e" not in stream.getvalue()


def test_a_check_run_annotation_stays_within_githubs_limits() -> None:
    """Red team: the Checks API refuses an annotation whose title is over 255 characters or
    whose message is over 64 KB, and a lone surrogate in its JSON: the whole check run with
    it. A pull request controls the titles (a workflow's job names, a linter's message)."""
    made = CheckAnnotation(
        "src/\udcff.py", 1, 1, "warning", "é" * 70_000, title="t" * 400, raw_details="\udc80"
    )
    payload = made.payload()
    assert len(payload["title"]) <= TITLE_MAX and payload["title"].endswith("…")
    assert len(payload["message"].encode()) <= MESSAGE_MAX_BYTES
    assert payload["message"].endswith("…")
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # no surrogate left
    assert payload["path"] == "src/\ufffd.py"


def test_annotation_text_is_made_only_by_the_neutraliser() -> None:
    with pytest.raises(TypeError, match=r"only by cicd_agent\.actions\.annotations"):
        AnnotationText("x", object())
    made = Annotation("notice", "plain words", title="a title", file="a.py")
    assert all(isinstance(t, AnnotationText) for t in (made.message, made.title, made.file))
    assert annotation_text("line one\r\nline two") == "line one\nline two"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_check_run_annotation_is_the_runners_annotation_under_the_checks_apis_names(
    hostile: str,
) -> None:
    """One type makes an annotation's texts: a check run's annotation is the runner's, so a
    fix to how either shows what a pull request wrote cannot miss the other."""
    check = CheckAnnotation(hostile, 3, 4, "failure", hostile, title=hostile, raw_details=hostile)
    runner = Annotation(
        "error", hostile, title=hostile, file=hostile, line=3, end_line=4, raw_details=hostile
    )
    assert isinstance(check, Annotation)
    assert (check.level, check.message, check.title, check.file, check.raw_details) == (
        runner.level, runner.message, runner.title, runner.file, runner.raw_details
    )  # fmt: skip
    assert check.payload() == {
        "path": runner.file,
        "start_line": 3,
        "end_line": 4,
        "annotation_level": "failure",
        "message": runner.message,
        "title": runner.title,
        "raw_details": runner.raw_details,
    }
