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


def test_the_readme_names_the_options_that_are_not_action_inputs() -> None:
    """The README's "every option is also an action input" must name its exceptions."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("Every option is also an action input")
    sentence = readme[start : readme.index(";", start)]
    for option in sorted(NOT_ACTION_INPUTS - {"help"}):
        assert f"`--{option}`" in sentence, option


def test_an_input_whose_cli_states_a_default_shows_it_in_the_inputs_table() -> None:
    """An input left empty in action.yml takes the CLI's default: the table must show it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "tools/readme_tables.py")
    assert spec is not None and spec.loader is not None
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("<!-- BEGIN inputs -->") : readme.index("<!-- END inputs -->")]
    shown = {
        cells[1].strip("` "): cells[3].strip()
        for cells in (row.split("|") for row in block.splitlines()[3:])
        if len(cells) > 4
    }
    for name in tables.cli_defaults():
        if name in shown:
            assert shown[name], f"{name}: the CLI states a default, the README shows none"
