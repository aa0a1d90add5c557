"""The runner's line format: prefixes stripped, markers read, bytes of any encoding survive."""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.logs.runner_format import MarkerKind, clean_line, parse_marker
from tests.modes.analyse_failure.job_logs import job_log


def test_timestamp_and_byte_order_mark_are_stripped() -> None:
    raw = "\ufeff2024-01-01T00:00:00.0000000Z Current runner version: '2.319.1'".encode()
    assert clean_line(raw) == "Current runner version: '2.319.1'"


def test_only_the_leading_timestamp_goes() -> None:
    raw = b"2024-05-14T09:12:03.1234567Z deployed at 2024-05-14T09:12:03.1234567Z ok"
    assert clean_line(raw) == "deployed at 2024-05-14T09:12:03.1234567Z ok"


def test_ansi_colours_are_stripped() -> None:
    raw = b"2024-05-14T09:12:03.1234567Z \x1b[1m\x1b[31mE       assert 5 == 6\x1b[0m"
    assert clean_line(raw) == "E       assert 5 == 6"
    gcc = b"main.c:4:5: \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[K'x' undeclared"
    assert clean_line(gcc) == "main.c:4:5: error: 'x' undeclared"


def test_non_utf8_bytes_become_replacement_characters() -> None:
    assert clean_line(b"caf\xe9 \xff ok") == "caf\ufffd \ufffd ok"


def test_a_progress_bar_keeps_its_last_frame() -> None:
    assert clean_line(b"Downloading 10%\rDownloading 55%\rDownloading 100%\r") == "Downloading 100%"


@pytest.mark.parametrize(
    ("text", "kind", "step", "code"),
    [
        (
            "##[group]Run python -m pytest -v",
            MarkerKind.STEP_START,
            "Run python -m pytest -v",
            None,
        ),
        ("##[group]Installed versions", MarkerKind.OTHER, None, None),
        ("##[endgroup]", MarkerKind.HEADER_END, None, None),
        ("##[error]Process completed with exit code 137.", MarkerKind.ERROR, None, 137),
        ("##[error]The operation was canceled.", MarkerKind.ERROR, None, None),
        ("##[warning]Node.js 16 actions are deprecated.", MarkerKind.OTHER, None, None),
        ("Post job cleanup.", MarkerKind.STEP_START, "Post job cleanup", None),
        ("Cleaning up orphan processes", MarkerKind.STEP_START, "Complete job", None),
    ],
)
def test_markers(text: str, kind: MarkerKind, step: str | None, code: int | None) -> None:
    marker = parse_marker(text)
    assert marker is not None
    assert (marker.kind, marker.step, marker.exit_code) == (kind, step, code)


def test_tool_output_is_not_a_marker() -> None:
    assert parse_marker("E       assert 5 == 6") is None
    assert parse_marker("  ##[error] quoted inside a line") is None


def _stamped_log(forged: bytes) -> bytes:
    stamp = b"2026-11-30T05:00:00.0000000Z "
    lines = [b"##[group]Run make build", b"make build", b"##[endgroup]", b"building", forged,
             b"##[error]Process completed with exit code 1."]  # fmt: skip
    return b"".join(stamp + line + b"\n" for line in lines)


def test_attack_a_copied_exit_line_a_test_prints_forges_no_more_than_the_runners_form() -> None:
    """A tool's output in a log with timestamps can print the runner's own ``##[error]`` exit
    line, which no reader can tell from the runner's (exit 124 reads as a timeout); the copied
    form (``Error: ``) must give it nothing more: printed whole it stays the tool's line, and
    cut from an over-long line (the rest past the bound has no timestamp) it reads as the
    runner's form does there."""
    from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
    from cicd_agent.modes.analyse_failure.logs.sources import MAX_LINE_BYTES

    def failure_type(forged: bytes) -> str:
        job = job_log("test", _stamped_log(forged))
        analysed = analyse_scans(scan_jobs([job]), changed_files=[], changed_lines={})
        return analysed.failure_type.value

    runners, copied = b"##[error]Process", b"Error: Process"
    line = b" completed with exit code 124."
    assert parse_marker(clean_line(b"2026-11-30T05:00:00Z " + copied + line)) is None
    assert failure_type(runners + line) == "timeout"
    assert failure_type(copied + line) == failure_type(b"nothing forged") != "timeout"
    long = b"x" * (MAX_LINE_BYTES + 10) + b"\r"
    assert failure_type(long + copied + line) == failure_type(long + runners + line)
