"""The README and the pages under docs/ cannot drift from action.yml or from the CLI, and every
page is reachable from the README with no broken link."""

from __future__ import annotations

import subprocess
import sys

from cicd_agent.actions.errors import ExitCode
from tests.harness.payloads import REPO_ROOT

ROOT = REPO_ROOT


def docs_text() -> str:
    """The README and every page under docs/, as one text."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def test_readme_tables_match_action_yml() -> None:
    completed = subprocess.run(
        [sys.executable, "tools/readme_tables.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


LONGEST_LINE = 400
"""Characters on one line of prose a person reads: past this, a line is a wall (security.md had
one of 8,810). Code blocks are left out: a command is as long as it is."""


def long_lines(text: str) -> list[int]:
    """The numbers of the lines of ``text`` over :data:`LONGEST_LINE`, outside code blocks."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and len(line) > LONGEST_LINE:
            found.append(number)
    return found


def test_no_line_a_person_reads_is_a_wall() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
    long = {
        str(path.relative_to(ROOT)): lines
        for path in pages
        if (lines := long_lines(path.read_text(encoding="utf-8")))
    }
    assert long == {}


def test_the_line_check_leaves_code_blocks_out() -> None:
    wall = "x" * (LONGEST_LINE + 1)
    assert long_lines(f"short\n{wall}\n```\n{wall}\n```\n~~~\n{wall}\n~~~\n") == [2]


def test_every_exit_code_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in readme


# Options the runner supplies itself (event, workspace) or that only make sense on a terminal,
# and the ones a workflow no longer sets (RETIRED_INPUTS says why; deploy-time re-judges a past
# moment, by hand).
CLI_ONLY = {"event", "event-name", "repo", "json", "help", "debug", "deploy-time",
            "canary-release", "image"}  # fmt: skip


def _settings() -> set[str]:
    from cicd_agent.job.repo_config import settings_by_section

    return {key for keys in settings_by_section().values() for key in keys}


def test_every_cli_option_is_an_action_input_or_a_setting() -> None:
    """The action takes a handful of inputs; every other option has one documented
    place, the settings file, unless it is the command line's alone."""
    import yaml

    from cicd_agent.plugins import declared_options, installed_modes

    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    missing: dict[str, list[str]] = {}
    for name in installed_modes():
        options = {option.name for option in declared_options(name)}
        absent = sorted(options - inputs - _settings() - CLI_ONLY)
        if absent:
            missing[name] = absent
    assert missing == {}


def _cli_options() -> set[str]:
    from cicd_agent.plugins import declared_options, installed_modes

    return {option.name for name in installed_modes() for option in declared_options(name)}


def test_the_readme_names_exactly_the_options_that_are_not_inputs_and_back() -> None:
    """ "Every option is also an action input" was false for four options; the README now names
    the exceptions each way, and they must be the real ones."""
    import re

    import yaml

    readme = docs_text()
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    options = _cli_options()
    said = re.search(r"Every option except (.+?) is also an action input or a setting", readme,
                     re.DOTALL)  # fmt: skip
    assert said is not None
    assert set(re.findall(r"`--([\w-]+)`", said.group(1))) == options - inputs - _settings()
    said = re.search(r"Every input except (.+?) is also a command-line flag", readme, re.DOTALL)
    assert said is not None
    assert set(re.findall(r"`([\w-]+)`", said.group(1))) == inputs - options


