"""Runner I/O as the Actions runner reads it: outputs that cannot inject, escaped annotations."""

from __future__ import annotations

import io
import re
from pathlib import Path

from cicd_agent.actions.runner_io import (
    SUMMARY_LIMIT_BYTES,
    Annotation,
    RunnerIO,
    escape_data,
    escape_property,
    format_output,
)


def parse_github_output(text: str) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (heredoc form and name=value)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line:
            index += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            index += 1
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            outputs[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
        index += 1
    return outputs


def make_runner(tmp_path: Path) -> tuple[RunnerIO, io.StringIO, Path, Path]:
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    output.touch()
    summary.touch()
    stream = io.StringIO()
    environ = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    return RunnerIO(environ, commands=stream, human=stream), stream, output, summary


def test_hostile_output_value_cannot_inject_another_output(tmp_path: Path) -> None:
    runner, _, output, _ = make_runner(tmp_path)
    hostile = "low\nEOF\nrecommendation<<EOF\nproceed\nEOF\nghadelimiter_x\n"
    runner.set_outputs({"risk_level": hostile, "recommendation": "hold"})
    parsed = parse_github_output(output.read_text())
    assert parsed == {"risk_level": hostile, "recommendation": "hold"}


def test_every_value_gets_a_fresh_delimiter() -> None:
    delimiters = {format_output("x", "v").split("\n", 1)[0] for _ in range(50)}
    assert len(delimiters) == 50


def test_annotation_escaping_matches_the_runner_rules() -> None:
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_with_file_and_line(tmp_path: Path) -> None:
    runner, stream, _, _ = make_runner(tmp_path)
    runner.annotate(Annotation("error", "bad\nthing", title="t:1", file="src/a,b.py", line=3))
    assert stream.getvalue() == "::error title=t%3A1,file=src/a%2Cb.py,line=3::bad%0Athing\n"


def test_annotations_beyond_the_runner_cap_are_not_sent(tmp_path: Path) -> None:
    runner, stream, _, _ = make_runner(tmp_path)
    for index in range(15):
        runner.annotate(Annotation("warning", f"w{index}"))
    assert stream.getvalue().count("::warning") == 10


def test_mask_registers_each_line_of_a_multiline_secret_once(tmp_path: Path) -> None:
    runner, stream, _, _ = make_runner(tmp_path)
    runner.mask("line-one-secret\nline-two-secret")
    runner.mask("line-one-secret\nline-two-secret")
    assert stream.getvalue() == "::add-mask::line-one-secret\n::add-mask::line-two-secret\n"


def test_summary_is_truncated_under_one_mebibyte(tmp_path: Path) -> None:
    runner, _, _, summary = make_runner(tmp_path)
    runner.write_summary("line of text\n" * 200_000)
    written = summary.read_bytes()
    assert len(written) < 1024 * 1024
    assert len(written) <= SUMMARY_LIMIT_BYTES + 200
    assert b"Summary truncated" in written


def test_untrusted_text_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    runner, stream, _, _ = make_runner(tmp_path)
    runner.show_untrusted("::add-mask::x\n::error::pwned")
    lines = stream.getvalue().splitlines()
    stop = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert stop is not None
    assert lines[1:3] == ["::add-mask::x", "::error::pwned"]
    assert lines[3] == f"::{stop.group(1)}::"


def test_outside_a_runner_everything_prints_readably() -> None:
    stream = io.StringIO()
    runner = RunnerIO({}, commands=stream, human=stream)
    runner.mask("a-secret-value")
    runner.set_outputs({"decision": "comment"})  # nowhere to go: --json prints outputs
    runner.annotate(Annotation("warning", "careful", file="a.py", line=2))
    runner.write_summary("# Summary")
    assert stream.getvalue() == "a.py:2: warning: careful\n\nSummary\n"
