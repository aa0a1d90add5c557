"""The console script (``cicd_agent.cli.main`` with no arguments): ``--version`` and ``--help``
answered at once, everything else run as the command line it is (whose exit code it returns)."""

from __future__ import annotations

import pytest

from cicd_agent import __version__
from cicd_agent.cli import main


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


def test_version_imports_nothing_of_the_run() -> None:
    """``--version`` pays for Python's start and the package's version alone: no argparse, no
    registry, none of the run's machinery."""
    import subprocess
    import sys

    probe = (
        "import sys\nsys.argv = ['cicd-agent', '--version']\nfrom cicd_agent.cli import main\n"
        "main()\nprint(sorted(m for m in sys.modules if m.startswith('cicd_agent.') "
        "or m in ('argparse', 'typing', 'json')))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                               check=True)  # fmt: skip
    assert completed.stdout.splitlines()[-1] == "['cicd_agent.cli']"


def test_only_the_console_script_freezes_what_it_loaded(tmp_path: object) -> None:
    """The console script's process ends with its run: what it loaded before the mode starts
    is left out of the collector's passes. A run inside another program (a test, a caller of
    ``main(argv)``) keeps its collector as it was."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(str(tmp_path))
    for step in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.com"],
                 ["config", "user.name", "T"]):  # fmt: skip
        subprocess.run(["git", *step], cwd=repo, check=True)
    for text in ("a = 1\n", "a = 2\n"):
        (repo / "a.py").write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", "a.py"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "c"], cwd=repo, check=True)
    args = ["review", "--provider", "none", "--repo", str(repo), "--base", "HEAD~1", "--json"]
    frozen = {}
    for how, call in (("console", f"sys.argv = ['cicd-agent', *{args!r}]\nmain()"),
                      ("inside", f"main({args!r})")):  # fmt: skip
        probe = (f"import gc, sys\nfrom cicd_agent.cli import main\n{call}\n"
                 "print(gc.get_freeze_count() > 0)")  # fmt: skip
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              cwd=repo, check=True)  # fmt: skip
        frozen[how] = done.stdout.splitlines()[-1]
    assert frozen == {"console": "True", "inside": "False"}
