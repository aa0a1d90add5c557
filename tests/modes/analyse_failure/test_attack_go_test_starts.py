"""Attacks on reading a go test's report from its start (``=== RUN``) to its ``--- FAIL``.

Every line of a go log is a test's to print: ``fmt.Println`` writes straight to the output, so a
test can print another test's ``=== RUN``/``=== CONT``/``=== NAME`` line, a ``--- FAIL`` line,
or a draw, to give another failed test its evidence or to take a test's own lines away. Each
attack is a log as ``go test`` (plain and ``-v``) prints it; the broken ones are marked open.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.logs.flaky import own_evidence
from cicd_agent.modes.analyse_failure.logs.test_blocks import blocks
from tests.modes.analyse_failure.job_logs import step_cli

FORGED_DRAW = "    order_test.go:9: n := rand.Intn(10) drew 7"
"""A draw line printed by another test under TestOrder's name."""
OWN_DRAW = "    rand_test.go:9: n := rand.Intn(10) drew 7"
"""TestRandom's own draw, as its t.Log prints it."""


def _evidence(log: str, tests: list[str]) -> dict[str, tuple[str, ...]]:
    return own_evidence(log.splitlines(), tests, test_failure=True)


PLAIN_FORGED_START = f"""\
=== RUN   TestOrder
{FORGED_DRAW}
--- FAIL: TestOrder (0.00s)
    order_test.go:12: fixture changed: [1.0.0 1.1.0 1.2.0]
FAIL
FAIL\texample.com/version\t0.012s
"""
"""Plain ``go test``: TestEvil ran before TestOrder and passed, so go printed nothing of its
own; its ``fmt.Println`` lines (a ``=== RUN   TestOrder`` and a draw) sit right above
TestOrder's ``--- FAIL``, which failed by order."""


def test_a_forged_start_above_a_plain_fail_gives_no_draw() -> None:
    found = _evidence(PLAIN_FORGED_START, ["TestOrder"])
    assert found["TestOrder"] == (), found


def test_a_forged_start_above_a_plain_fail_through_the_cli(tmp_path: Path) -> None:
    """The same plain log through analyse-failure: TestOrder is listed as likely flaky."""
    done, document = step_cli(tmp_path, "go test ./...", PLAIN_FORGED_START.encode())
    assert done.code == 0, done.stdout
    flaky = {item["name"] for item in document["flaky_tests"]}
    assert not [name for name in flaky if "TestOrder" in name], flaky


PARALLEL_FORGED_NAME = f"""\
=== RUN   TestOrder
=== PAUSE TestOrder
=== RUN   TestEvil
=== PAUSE TestEvil
=== CONT  TestOrder
    order_test.go:12: fixture changed: [1.0.0 1.1.0 1.2.0]
=== CONT  TestEvil
=== NAME  TestOrder
{FORGED_DRAW}
--- FAIL: TestOrder (0.00s)
--- PASS: TestEvil (0.00s)
FAIL
"""
"""``go test -v`` with parallel tests: TestEvil prints ``=== NAME  TestOrder`` and a draw while
TestOrder, failed by order, is closing."""


def test_a_parallel_tests_forged_name_line_gives_no_draw() -> None:
    found = _evidence(PARALLEL_FORGED_NAME, ["TestOrder"])
    assert found["TestOrder"] == (), found


OLD_GO_PARALLEL = f"""\
=== CONT  TestRandom
=== CONT  TestOrder
{OWN_DRAW}
    order_test.go:12: fixture changed: [1.0.0 1.1.0 1.2.0]
--- FAIL: TestOrder (0.00s)
--- FAIL: TestRandom (0.00s)
FAIL
"""
"""Two parallel tests' lines interleaved under the last ``=== CONT`` (TestRandom's draw printed
by ``fmt.Println``, which go marks with no ``=== NAME``)."""


def test_interleaved_parallel_lines_give_no_draw_to_the_other_test() -> None:
    found = _evidence(OLD_GO_PARALLEL, ["TestRandom", "TestOrder"])
    assert found["TestOrder"] == (), found


FORGED_FAIL_REPORT = f"""\
=== RUN   TestEvil
=== RUN   TestOrder
{FORGED_DRAW}
--- FAIL: TestOrder (0.00s)
    evil_test.go:3: boom
--- FAIL: TestEvil (0.00s)
=== RUN   TestOrder
    order_test.go:12: fixture changed: [1.0.0 1.1.0 1.2.0]
--- FAIL: TestOrder (0.00s)
FAIL
"""
"""``go test -v``: TestEvil prints a whole forged report of TestOrder (start, draw, FAIL);
TestOrder's own report follows, with no draw."""


def test_a_forged_whole_report_of_another_test_gives_no_draw() -> None:
    found = _evidence(FORGED_FAIL_REPORT, ["TestEvil", "TestOrder"])
    assert found["TestOrder"] == (), found
    assert found["TestEvil"] == (), found


SUBTEST_AFTER_DRAW = f"""\
=== RUN   TestRandom
{OWN_DRAW}
=== RUN   TestRandom/sub
--- FAIL: TestRandom (0.00s)
    --- PASS: TestRandom/sub (0.00s)
FAIL
"""
"""``go test -v``: TestRandom draws, logs it, then runs a subtest that passes; go prints the
subtest's start between the draw and TestRandom's ``--- FAIL``."""


@pytest.mark.xfail(
    strict=True, reason="open: a test's own subtest start hides the test's own lines before it"
)
def test_a_passing_subtest_does_not_hide_its_parents_draw() -> None:
    found = _evidence(SUBTEST_AFTER_DRAW, ["TestRandom"])
    assert found["TestRandom"], found


FOREIGN_START_INSIDE = f"""\
=== RUN   TestRandom
{OWN_DRAW}
=== RUN   TestOther
--- FAIL: TestRandom (0.00s)
FAIL
"""
"""``go test -v``: TestRandom's own output (the code it tests prints it) holds a
``=== RUN   TestOther`` line after its draw."""


@pytest.mark.xfail(
    strict=True, reason="open: a printed === RUN line inside a test's output hides its draw"
)
def test_a_printed_start_line_does_not_hide_a_tests_own_draw() -> None:
    found = _evidence(FOREIGN_START_INSIDE, ["TestRandom"])
    assert found["TestRandom"], found


SUBTEST_DRAW = f"""\
=== RUN   TestX
=== RUN   TestX/case
{OWN_DRAW}
--- FAIL: TestX (0.00s)
    --- FAIL: TestX/case (0.00s)
FAIL
"""
"""``go test -v`` prints a parent's ``--- FAIL`` above its subtests' ones."""


@pytest.mark.xfail(
    strict=True,
    reason="open: a go -v test's lines above its FAIL are not read (a test can print another's "
    "start line over its own draw, so they are no one's for sure): a real draw there is missed",
)
def test_a_subtests_draw_is_the_subtests() -> None:
    found = _evidence(SUBTEST_DRAW, ["TestX/case"])
    assert found["TestX/case"], found


PARALLEL_WITH_NAMES = f"""\
=== RUN   TestRandom
=== PAUSE TestRandom
=== RUN   TestOrder
=== PAUSE TestOrder
=== CONT  TestRandom
=== CONT  TestOrder
    order_test.go:12: fixture changed: [1.0.0 1.1.0 1.2.0]
=== NAME  TestRandom
{OWN_DRAW}
--- FAIL: TestOrder (0.00s)
--- FAIL: TestRandom (0.00s)
FAIL
"""
"""Go 1.20's ``-v`` output of two parallel tests: ``=== NAME`` marks whose line follows."""


@pytest.mark.xfail(
    strict=True,
    reason="open: a go -v test's lines above its FAIL are not read (a test can print another's "
    "start line over its own draw, so they are no one's for sure): a real draw there is missed",
)
def test_parallel_tests_marked_by_name_keep_their_own_lines() -> None:
    found = _evidence(PARALLEL_WITH_NAMES, ["TestRandom", "TestOrder"])
    assert found["TestOrder"] == (), found
    assert found["TestRandom"], found


@pytest.mark.parametrize("shape", ["starts", "pairs"])
def test_many_start_lines_do_not_stall(shape: str) -> None:
    """160,000 lines of ``=== RUN`` (then as many ``--- FAIL``), or of start and FAIL pairs:
    each header looks back at most a report's length, so the split stays linear."""
    count = 80_000
    if shape == "starts":
        log = ["=== RUN   TestA"] * count + ["--- FAIL: TestA (0.00s)"] * count
    else:
        log = [line for i in range(count) for line in (f"=== RUN   T{i}", f"--- FAIL: T{i}")]
    began = time.monotonic()
    found = blocks(log)
    assert len(found) == count
    assert time.monotonic() - began < 10, "the split stalled"
