"""Red team (Markdown injection): the failed step's name is the first line of its ``run:``,
which the pull request writes. ``pytest -q | tee log.txt`` is an ordinary line, and its ``|``
ended the code span's table cell: what followed became live HTML and a team mention in the job
summary and in the failure comment posted on the pull request."""

from __future__ import annotations

from pathlib import Path

from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, render
from tests.helpers.cli import run_cli

OUTPUT = (
    b"FAILED tests/test_a.py::test_x - AssertionError: boom\n"
    b"========================= 1 failed in 0.05s =========================\n"
)
HOSTILE = "pytest -q | <img src=https://evil.example/p.png> @octo-org/admins"


def test_a_pipe_in_the_failed_steps_name_does_not_open_the_table_cell(tmp_path: Path) -> None:
    job = Job("test | <b>job</b>", [noise.checkout(), Step("Test", run=HOSTILE, output=OUTPUT,
                                                             exit_code=1)])  # fmt: skip
    log = tmp_path / "job.txt"
    log.write_bytes(render(job)[0])
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path, {})
    assert done.code == 0, done.stderr
    rows = [line for line in done.summary.splitlines() if line.startswith("| ") and "Run " in line]
    assert len(rows) == 1, done.summary
    # a GitHub table splits a row at every | that is not escaped, code spans included
    cells = [cell for cell in rows[0].replace("\\|", "").split("|")]
    assert len(cells) == 6, rows[0]  # four cells between the outer bars
    # Shown, as text: the summary is neutralised as a whole last, and a code span in a table
    # cell holding ``\|`` is one the code finder cannot place, so it is escaped like prose.
    assert "Run pytest -q \\| &lt;img" in rows[0]
