"""The streaming reader: steps from the runner's markers, hits with true line numbers, bounds."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_agent.modes.analyse_failure.logs.reader import (
    MAX_HITS_PER_STEP,
    MAX_LINE_BYTES,
    MAX_STEPS,
    JobScan,
    JobScanner,
)
from cicd_agent.modes.analyse_failure.logs.signatures import Matcher
from tests.corpus.runner_log import Job, Step, render

MATCHER = Matcher()
PYTEST_OUTPUT = b"""============================= test session starts ==============================
collected 3 items

tests/test_calc.py ..F                                                   [100%]

=================================== FAILURES ===================================
___________________________________ test_add ___________________________________

    def test_add():
>       assert add(2, 3) == 6
E       assert 5 == 6

tests/test_calc.py:5: AssertionError
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_add - assert 5 == 6
========================= 1 failed, 2 passed in 0.02s ==========================
"""


def _log(*steps: Step) -> bytes:
    return render(Job("test", list(steps)))[0]


def _scan(data: bytes, chunk: int | None = None) -> JobScan:
    scanner = JobScanner(MATCHER)
    size = chunk or len(data)
    scanner.scan_part((data[i : i + size] for i in range(0, len(data), size)), None)
    return scanner.finish("test")


def _line_of(data: bytes, text: bytes) -> int:
    return next(n for n, line in enumerate(data.split(b"\n"), 1) if line.endswith(text))


def test_steps_come_from_the_markers_and_the_failed_one_is_known() -> None:
    data = _log(
        Step("Checkout", uses="actions/checkout@v4", output=b"Syncing repository\n"),
        Step("Run tests", run="pytest", output=PYTEST_OUTPUT, exit_code=1),
    )
    scan = _scan(data)
    names = [step.name for step in scan.steps]
    assert names == [
        "",
        "Run actions/checkout@v4",
        "Run pytest",
        "Post job cleanup",
        "Complete job",
    ]
    failed = [step for step in scan.steps if step.failed]
    assert [step.name for step in failed] == ["Run pytest"]
    assert failed[0].exit_code == 1
    hit_lines = {hit.text: hit.line for hit in failed[0].hits}
    summary = "FAILED tests/test_calc.py::test_add - assert 5 == 6"
    assert hit_lines[summary] == _line_of(data, summary.encode())


def test_the_echoed_command_is_not_mistaken_for_output() -> None:
    script = "echo 'error: this is only the command'\nexit 3"
    data = _log(Step("Run", run=script, output=b"doing things\n", exit_code=3))
    step = next(step for step in _scan(data).steps if step.failed)
    assert all("only the command" not in hit.text for hit in step.hits)
    assert step.header_end > step.start_line


def test_chunk_boundaries_change_nothing() -> None:
    data = _log(Step("Run tests", run="pytest", output=PYTEST_OUTPUT * 40, exit_code=1))
    whole, pieces = _scan(data), _scan(data, chunk=7)

    def summary(scan: JobScan) -> list[tuple[str, int, list[tuple[int, str]], list[int]]]:
        return [
            (s.name, s.end_line, [(h.line, h.text) for h in s.hits], s.error_lines)
            for s in scan.steps
        ]

    assert summary(whole) == summary(pieces)
    assert whole.steps[1].tail == pieces.steps[1].tail


def test_the_tail_of_a_failed_step_ends_at_its_last_line_with_true_numbers() -> None:
    data = _log(Step("Run tests", run="pytest", output=PYTEST_OUTPUT, exit_code=1))
    step = next(step for step in _scan(data).steps if step.failed)
    last_number, last_text = step.tail[-1]
    assert last_text == "##[error]Process completed with exit code 1."
    assert last_number == _line_of(data, last_text.encode())


def test_hits_are_bounded_but_counted() -> None:
    errors = b"".join(
        b"src/m.c:%d:1: error: expected ';'\n" % i for i in range(5 * MAX_HITS_PER_STEP)
    )
    data = _log(Step("Build", run="make", output=errors, exit_code=2))
    step = next(step for step in _scan(data).steps if step.failed)
    assert len(step.hits) == MAX_HITS_PER_STEP
    assert step.signature_counts["gcc.error"] == 5 * MAX_HITS_PER_STEP
    assert step.hits[0].text == "src/m.c:0:1: error: expected ';'"  # the earliest are kept


def test_a_line_without_end_does_not_grow_memory() -> None:
    data = b"x" * (3 * MAX_LINE_BYTES) + b"\nerror: at last\n"
    scan = _scan(data, chunk=1 << 20)
    assert any(hit.text == "error: at last" for hit in scan.steps[-1].hits)


def test_a_log_with_thousands_of_steps_keeps_a_bounded_list() -> None:
    steps = [Step(f"s{i}", run=f"echo {i}", output=b"ok\n") for i in range(3 * MAX_STEPS)]
    steps.append(Step("last", run="false", output=b"error: broke\n", exit_code=1))
    scan = _scan(_log(*steps))
    assert len(scan.steps) <= 2 * MAX_STEPS + 1
    assert [step.name for step in scan.steps if step.failed] == ["Run false"]


def test_line_numbers_stay_true_across_big_buffers() -> None:
    filler = b"".join(b"tests/test_x.py::test_%d PASSED\n" % i for i in range(20_000))
    data = _log(Step("Run tests", run="pytest", output=filler + PYTEST_OUTPUT, exit_code=1))
    step = next(step for step in _scan(data, chunk=1 << 18).steps if step.failed)
    summary = "FAILED tests/test_calc.py::test_add - assert 5 == 6"
    assert {hit.text: hit.line for hit in step.hits}[summary] == _line_of(data, summary.encode())


def test_a_line_over_the_limit_is_never_cut_inside_a_token() -> None:
    """A line longer than the reader keeps was cut at the buffer's end, inside a
    token; the token's tail started the next line, no longer token-shaped, and leaked."""
    from cicd_agent.analysis.redact import Redactor

    token = "ghp_" + "Kq8Vx2Lm9Rt4Wz7Nb3Yc6Pd1Fg5Hj0Ts8Ua2Xe"
    for blob in (b"filler ", b"x"):  # with delimiters, and one 2 MiB word
        padding = blob * ((2 * MAX_LINE_BYTES - 20) // len(blob))
        data = padding + token.encode() + b" error: boom\nerror: second\n"
        scan = _scan(data, chunk=MAX_LINE_BYTES)
        texts = [hit.text for step in scan.steps for hit in step.hits]
        texts += [text for step in scan.steps for _, text in step.tail]
        assert any("error: second" in text for text in texts)
        redactor = Redactor()
        for text in texts:
            out = redactor.redact(text)
            assert not any(token[i : i + 12] in out for i in range(len(token) - 11)), out[-200:]


def test_runner_sections_are_passed_over_without_a_closer_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long job repeats the runner's own sections (``##[group]Operating System``…
    ``##[endgroup]``, ``##[warning]``) by the hundred thousand: none of their lines is decoded
    or matched, and the steps, hits and line numbers are those of the job without them."""
    sections = b"".join(
        b"##[group]Runner Image\nImage: ubuntu-22.04\n##[endgroup]\n##[warning]Node 16 is old\n"
        for _ in range(50)
    )
    plain = _log(Step("Run tests", run="pytest", output=PYTEST_OUTPUT, exit_code=1))
    busy = _log(Step("Run tests", run="pytest", output=sections + PYTEST_OUTPUT, exit_code=1))
    looked: list[int] = []
    original = JobScanner._candidate

    def candidate(self: JobScanner, view: Any, start: int, end: int, number: int) -> None:
        looked.append(number)
        original(self, view, start, end, number)

    monkeypatch.setattr(JobScanner, "_candidate", candidate)
    quiet = _scan(plain)
    seen = len(looked)
    scan = _scan(busy)
    assert len(looked) - seen == seen  # the same lines, 200 section lines later
    shift = sections.count(b"\n")
    failed = next(step for step in scan.steps if step.failed)
    before = next(step for step in quiet.steps if step.failed)
    assert [(h.line - shift, h.text) for h in failed.hits] == [
        (h.line, h.text) for h in before.hits
    ]
