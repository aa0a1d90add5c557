"""Every place that lists this project's modes agrees with the entry points it registers
(``pyproject.toml``'s ``cicd_agent.modes``): the registry's order, the settings schema's
sections, the action's ``mode`` input and its per-mode install step. The README's modes table
has its own test (``test_readme_modes.py``)."""

from __future__ import annotations

import re
import tomllib

from cicd_agent.job.repo_config import settings_by_section
from cicd_agent.plugins import own_modes
from tests.harness.payloads import REPO_ROOT


def _registered() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(project["project"]["entry-points"]["cicd_agent.modes"])


def test_every_list_of_modes_is_the_registered_one() -> None:
    registered = _registered()
    assert list(own_modes()) == registered  # --help's order is the order they are registered in
    assert sorted(settings_by_section()) == sorted(registered)
    action = (REPO_ROOT / "action.yml").read_text(encoding="utf-8")
    described = re.search(r'Which mode to run: ([^."]+)', action)
    assert described is not None
    assert re.split(r", | or ", described[1]) == registered
    for case in re.findall(r'case "\$INPUT_MODE" in (.*?) esac', action):
        named = set(re.findall(r"([a-z][\w-]*) ?[|)]", case))
        assert named <= set(registered), named - set(registered)
    description = re.search(r'^description = "(.*)"', (REPO_ROOT / "pyproject.toml").read_text(
        encoding="utf-8"), re.MULTILINE)  # fmt: skip
    assert description is not None
    assert [name for name in registered if name not in description[1]] == []
