"""The quarantined tests at a commit, read without naming the mode whose section keeps them:
the section the shipped schema gives a ``quarantine`` key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.repo_config import CONFIG_PATH, QuarantineEntry, quarantine_at
from tests.git_builder import GitRepoBuilder

DAY = date(2026, 11, 26)
KEPT = (
    "analyse-failure:\n  quarantine:\n"
    "  - test: tests/test_api.py::test_retry\n    owner: '@octo'\n    expires: 2026-12-31\n"
)


def test_the_quarantine_comes_from_the_section_that_keeps_it_at_that_commit(
    tmp_path: Path,
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {CONFIG_PATH: "review:\n  fail-on: high\n" + KEPT})
    head = builder.commit("head", {CONFIG_PATH: "review:\n  fail-on: high\n"})

    assert quarantine_at(builder.path, base, DAY) == (
        QuarantineEntry("tests/test_api.py::test_retry", "octo", date(2026, 12, 31)),
    )
    assert quarantine_at(builder.path, head, DAY) == ()
    assert quarantine_at(builder.path, None, DAY) == (), "no trusted commit: nothing excused"


def test_a_bad_file_is_refused_as_a_run_of_that_mode_would_refuse_it(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {CONFIG_PATH: KEPT + "review:\n  fail-onn: high\n"})

    with pytest.raises(UsageError, match=r"unknown setting review\.fail-onn"):
        quarantine_at(builder.path, base, DAY)
