"""A failed run's log is the pull request's text: a line of one test id with ``::`` between
every few characters (up to the 1 MiB a log line keeps) must not stall the readers of pytest's
ids, which tried each ``::`` as the end of the file's part and read the rest again each time."""

from __future__ import annotations

import sys

import pytest

from tests.helpers.bounded import run_bounded

_READ = """
from cicd_agent.modes.analyse_failure.logs.flaky import offline_evidence, timing_miss
from cicd_agent.modes.analyse_failure.logs.mixed import failed_tests
from cicd_agent.modes.analyse_failure.logs.pytest_reports import pytest_reports
token = "a::" * 70_000
lines = [f"FAILED {token} x", f"{token} x", "FAILED t.py::test_a - AssertionError: 1 != 0"]
print({READER}, "read")
"""


@pytest.mark.parametrize("reader", [
    "pytest_reports(list(enumerate(lines)))",
    "failed_tests(list(enumerate(lines)), None)",
    "offline_evidence(lines, test_failure=True)",
    "timing_miss(lines)",
])  # fmt: skip
def test_attack_a_test_id_of_many_colons_does_not_stall_the_log_readers(reader: str) -> None:
    """Each reader of 210,000 characters of ``a::`` took minutes of CPU (24,000: 3.5 s at
    load 5), a 1 MiB line hours."""
    done = run_bounded([sys.executable, "-c", _READ.replace("{READER}", reader)])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rstrip().endswith("read")
