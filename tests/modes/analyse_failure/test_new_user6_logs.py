"""What a sixth new user's logs met: pytimeparse's pytest run that stopped at a SyntaxError
while collecting (tests/fixtures/logs/new_user6, its folders written as a runner's)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user6"


def test_a_traceback_line_of_a_syntax_error_is_no_failure_of_its_own() -> None:
    # pytest's E block opens on the traceback's `File "…", line 118` and ends on the
    # SyntaxError: the File line was listed as a third distinct failure
    data = (LOGS / "py-syntax.log").read_bytes()
    analysis = analyse_scans(scan_jobs([job_log("test", data)]),
                             changed_files=[], changed_lines={})  # fmt: skip
    lines = [g.line for g in analysis.failures]
    assert not [line for line in lines if "File " in line], lines
    assert lines[0] == "E   SyntaxError: invalid syntax", lines
