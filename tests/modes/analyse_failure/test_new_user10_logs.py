"""What a tenth new user's logs met: tomli's pytest run under ``-q``, whose summary line pytest
cut to ``AssertionErro...`` above a report whose ``E`` block holds a blank ``E`` line
(tests/fixtures/logs/new_user10, taken from the trial's logs)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.log_model import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import JobLog

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user10"


def _analysed(name: str) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                         changed_files=[], changed_lines={})  # fmt: skip


def test_a_cut_summary_takes_the_first_line_of_its_tests_whole_e_block() -> None:
    """pytest's ``E`` block of a ``Lists differ`` failure holds a blank ``E`` line: the block
    goes on past it, and the cut summary takes the block's first line (before: "AssertionErro -
    First list contains 1 additional elements.", the cut word and a line from mid-block)."""
    analysis = _analysed("py-failed-run.log")
    assert analysis.root_cause == (
        "FAILED tests/test_cache.py::TestParseCache::test_starts_empty - "
        "AssertionError: Lists differ: [{'t': {'x': 1}}] != []"
    ), analysis.root_cause
