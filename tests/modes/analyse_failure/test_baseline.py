"""Lines a green run printed too did not make this run fail: they are dropped, compared with
what varies between runs folded, in a set bounded by the lines read."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
from tests.modes.analyse_failure.job_logs import job_log


def test_lines_of_the_green_run_are_dropped_whatever_varies_between_runs() -> None:
    baseline = BaselineIndex(["DeprecationWarning: pkg_resources is deprecated (took 1.23s)"])
    failed = [
        "DeprecationWarning: pkg_resources is deprecated (took 4.56s)",
        "E       assert 5 == 6",
    ]
    assert [line for line in failed if line not in baseline] == ["E       assert 5 == 6"]


def test_the_index_stops_at_its_bound_and_ignores_blank_lines() -> None:
    index = BaselineIndex(["one", "", "two", "three"], max_lines=3)
    assert len(index) == 2
    assert "two" in index and "three" not in index
    assert not index.add("four")
    assert 42 not in index


def test_a_green_jobs_log_is_read_without_the_runners_prefixes() -> None:
    log = (
        b"2026-01-01T00:00:01.0000000Z ##[group]Run pip install\n"
        b"2026-01-01T00:00:02.0000000Z WARNING: Retrying after connection broken\n"
    )
    index = BaselineIndex.from_jobs([job_log("test", log)])
    assert "WARNING: Retrying after connection broken" in index
