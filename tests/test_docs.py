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


# Options the runner supplies itself (event, workspace) or that only make sense on a terminal.
NOT_ACTION_INPUTS = {"event", "event-name", "repo", "json", "help"}


def test_every_cli_option_is_an_action_input() -> None:
    import argparse

    import yaml

    from cicd_agent.cli import build_parser
    from cicd_agent.modes import MODES

    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    missing: dict[str, list[str]] = {}
    for name in MODES:
        parser, _ = build_parser(name)
        sub = next(
            a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
        ).choices[name]
        options = {
            max(action.option_strings, key=len).lstrip("-")
            for action in sub._actions
            if action.option_strings
        }
        absent = sorted(options - inputs - NOT_ACTION_INPUTS)
        if absent:
            missing[name] = absent
    assert missing == {}
