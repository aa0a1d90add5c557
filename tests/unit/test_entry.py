"""The console script's entry: ``--version`` and ``--help`` answered at once, everything else
handed to the CLI (whose exit code it returns)."""

from __future__ import annotations

import pytest

from cicd_agent import __version__
from cicd_agent.entry import main


def test_version_is_answered_without_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["cicd-agent", "--version"])
    assert main() == 0
    assert capsys.readouterr().out == f"cicd-agent {__version__}\n"


def test_a_modes_help_names_its_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["cicd-agent", "review", "--help"])
    assert main() == 0
    assert "--report-on" in capsys.readouterr().out


def test_anything_else_is_the_clis_run_and_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["cicd-agent", "no-such-mode"])
    for written in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):  # nothing of the test run's own
        monkeypatch.delenv(written, raising=False)
    assert main() == 2
    assert "no-such-mode" in "".join(capsys.readouterr())
