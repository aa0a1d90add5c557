"""The README cannot drift from action.yml or from the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cicd_agent.errors import ExitCode

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tables_match_action_yml() -> None:
    completed = subprocess.run(
        [sys.executable, "tools/readme_tables.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


def test_every_exit_code_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in readme
