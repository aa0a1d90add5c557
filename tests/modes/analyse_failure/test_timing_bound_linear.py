"""A failed run's log is shaped by the pull request: the unittest comparison pattern was
searched from every digit of a long run, so a line of 20,000 digits cost 20 s of CPU in
analyse-failure's flaky check (quadratic: 200,000 digits about half an hour). The run is given
15 s of CPU in a subprocess (``run_bounded``); it takes a fraction of one now."""

from __future__ import annotations

import sys

import pytest

from cicd_agent.modes.analyse_failure.logs.flaky import timing_miss
from tests.helpers.bounded import run_bounded

_SCRIPT = """
from cicd_agent.modes.analyse_failure.logs.flaky import timing_miss
line = "E   " + "1" * 200_000 + " elapsed"
print(timing_miss(["FAILED tests/test_x.py::test_timeout - AssertionError", line]))
"""


def test_a_line_of_digits_does_not_stall_the_timing_check() -> None:
    done = run_bounded([sys.executable, "-c", _SCRIPT])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "None"


@pytest.mark.parametrize(
    ("line", "got", "bound"),
    [
        ("AssertionError: 0.021 not less than 0.001", 0.021, 0.001),
        ("AssertionError: -0.5 not greater than or equal to 1e-3", -0.5, 0.001),
    ],
)
def test_unittest_comparisons_still_give_both_numbers(line: str, got: float, bound: float) -> None:
    miss = timing_miss(["FAIL: test_latency (tests.test_api.T)", line])
    assert miss is not None
    assert (miss.got, miss.bound) == (got, bound)
