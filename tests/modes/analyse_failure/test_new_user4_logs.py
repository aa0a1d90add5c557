"""What a fourth new user's logs met, on projects nobody here wrote: each log is a real run
(mocha, node:test, pytest, ruff, cargo) in tests/fixtures/logs/new_user4, read with the change
the user made beside it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from cicd_agent.analysis.log_model import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import JobLog

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user4"


def _analyse(name: str, changed_lines: Mapping[str, Collection[int]]) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                         changed_files=list(changed_lines), changed_lines=changed_lines)


def test_a_test_file_sharing_the_changed_files_name_is_not_in_the_change() -> None:
    # escape-html's change wrote index.js:52; mocha names test/index.js, which it did not touch.
    analysis = _analyse("mocha_escape_html.txt", {"index.js": [52]})
    files = {f.path: f for f in analysis.responsible_files}
    assert not files["test/index.js"].changed
    assert files["index.js"].changed and files["index.js"].lines[:1] == (52,)
