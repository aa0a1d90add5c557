"""The quarantined tests at a commit, read without naming the mode whose section keeps them:
the section the shipped schema gives a ``quarantine`` key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cicd_agent import plugins
from cicd_agent.actions.errors import UsageError
from cicd_agent.job.repo_config import CONFIG_PATH, QuarantineEntry, quarantine_at
from cicd_agent.plugins import ModePlugin, installed_modes, plugin_sections
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


def test_a_mode_of_another_distribution_keeps_a_quarantine_the_test_step_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mode another distribution ships may keep a quarantine as ours does: its section's
    ``quarantine`` is read beside ours, and a test either lists is excused once."""
    package = tmp_path / "site" / "cicd_agent_flakes"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "arguments.py").write_text(
        "FAIL_ON_CHOICES = ('none',)\nOPTIONS = ()\nKEEPS_QUARANTINE = True\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    flakes = ModePlugin("flakes", "cicd_agent_flakes", "keeps flaky tests apart", "options:build")
    monkeypatch.setattr(plugins._INSTALLED, "_modes", {**installed_modes(), "flakes": flakes})
    sections = plugin_sections()
    assert "quarantine" in sections["flakes"]

    builder = GitRepoBuilder(tmp_path / "repo")
    theirs = (
        "flakes:\n  quarantine:\n"
        "  - test: tests/test_db.py::test_pool\n    owner: '@dba'\n    expires: 2026-12-01\n"
        "  - test: tests/test_api.py::test_retry\n    owner: '@other'\n    expires: 2026-12-02\n"
    )
    base = builder.commit("base", {CONFIG_PATH: KEPT + theirs})

    assert quarantine_at(builder.path, base, DAY, sections) == (
        QuarantineEntry("tests/test_api.py::test_retry", "octo", date(2026, 12, 31)),
        QuarantineEntry("tests/test_db.py::test_pool", "dba", date(2026, 12, 1)),
    )
    assert quarantine_at(builder.path, base, DAY) != quarantine_at(builder.path, base, DAY, sections)
