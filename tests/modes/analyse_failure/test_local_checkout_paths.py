"""analyse-failure run on this machine (``--repo ../project``) reads a tool's absolute paths under
that checkout as the repository's files: a new user's eslint run printed
``/work/…/p-js/index.js``, the file their change wrote, and the failure was said to be "in a file
the change did not touch". The log is theirs (tests/fixtures/logs/new_user11), its checkout's
folder written as ``{checkout}``; the checkout is a real folder. The log's path is compared as
text, never followed: a path that leaves the checkout stays a file the change did not touch."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.modes.analyse_failure.job_logs import job_log

LOG = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11" / "js-eslint-run.txt"
CHANGED = {"index.js": [206, 207, 208]}


def _analyse(named: str, checkout: Path) -> LogAnalysis:
    data = LOG.read_text(encoding="utf-8").replace("{checkout}", named).encode()
    return analyse_scans(
        scan_jobs([job_log("lint", data)]),
        changed_files=list(CHANGED),
        changed_lines=CHANGED,
        checkout=checkout,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "p-js"
    folder.mkdir()
    (folder / "index.js").write_text("'use strict'\n" * 210)
    return folder


def test_an_absolute_path_under_the_checkout_is_the_changes_file(checkout: Path) -> None:
    analysis = _analyse(checkout.as_posix(), checkout)
    lint = [g for g in analysis.failures if "unused" in g.line or "===" in g.line]
    assert lint, analysis.failures
    assert not any(group.untouched for group in lint), lint
    assert analysis.responsible_files[0].path == "index.js"


def test_the_checkout_named_through_a_link_is_still_the_checkout(
    checkout: Path, tmp_path: Path
) -> None:
    """--repo given as a link (or with dots) and the tool printing the real folder: the
    checkout's folder is resolved; the log's path never is (that would follow its text on
    this machine)."""
    link = tmp_path / "link"
    link.symlink_to(checkout)
    for given in (link, tmp_path / "link" / ".." / "p-js"):
        analysis = _analyse(checkout.as_posix(), given)
        assert analysis.failures and not any(g.untouched for g in analysis.failures), given


@pytest.mark.parametrize(
    "outside",
    ["{root}/../elsewhere", "{root}-copy", "{root}/sub/../../elsewhere"],
    ids=["dots out of it", "a sibling folder sharing its name", "dots out through a folder"],
)
def test_attack_a_path_leaving_the_checkout_is_not_the_changes_file(
    checkout: Path, outside: str
) -> None:
    analysis = _analyse(outside.format(root=checkout.as_posix()), checkout)
    assert analysis.failures
    assert all(group.untouched for group in analysis.failures), analysis.failures
