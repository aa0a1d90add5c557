"""Modes are plugins on the core: the core imports no mode. A first-party mode imports each core
name from the module that defines it; a mode of another distribution reaches the core through
:mod:`cicd_agent.api` and :mod:`cicd_agent.plugins` alone (test_mode_of_your_own holds
CONTRIBUTING's example to :data:`PUBLIC`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from cicd_agent.plugins import ModePlugin, installed_modes
from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
PUBLIC = frozenset({"cicd_agent.api", "cicd_agent.plugins"})

READ_BY_NAME = frozenset({"files", "import_module", "__import__"})
"""Calls that reach a package by its name: a package's files read by path (its data, a module's
source) are an import as much as an ``import`` line."""


def imported(path: Path) -> Iterator[str]:
    """Every absolute module name ``path`` imports, under TYPE_CHECKING too, and every package
    it reads by name (``resources.files("cicd_agent")``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else (
                node.func.id if isinstance(node.func, ast.Name) else "")
            if called in READ_BY_NAME and isinstance(node.args[0].value, str):
                yield node.args[0].value
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "modes" not in p.relative_to(PACKAGE).parts[:1]]


def test_the_core_imports_no_mode() -> None:
    crossings = {
        f"{path.relative_to(PACKAGE)} → {name}"
        for path in core_files()
        for name in imported(path)
        if name.startswith("cicd_agent.modes")
    }
    assert crossings == set()


def test_the_check_sees_a_back_door(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nfrom cicd_agent.api import finish\n"
        "if TYPE_CHECKING:\n    from cicd_agent.job.context import RunContext\n"
        "advice = resources.files('cicd_agent').joinpath('data/failure_advice.json')\n"
        "tracer = files('cicd_agent.runners.pytest').joinpath('changed_lines.py')\n"
    )
    assert set(imported(module)) >= {
        "cicd_agent.job.context", "cicd_agent.api", "cicd_agent", "cicd_agent.runners.pytest"
    }


def test_every_first_party_mode_is_registered_and_loads() -> None:
    modes = installed_modes()
    assert all(isinstance(plugin, ModePlugin) for plugin in modes.values())
    own = [name for name, plugin in modes.items() if plugin.own]
    assert list(modes)[: len(own)] == own  # this project's first, then any other's
    assert len(own) == len({modes[name].order for name in own})  # each in its declared place
    for name, plugin in modes.items():
        assert plugin.name == name
        assert plugin.load().name == name


def test_the_registry_reads_what_importlib_metadata_reads() -> None:
    from importlib.metadata import entry_points

    from cicd_agent.plugins import GROUP, registered

    expected = sorted((point.name, point.value) for point in entry_points(group=GROUP))
    assert sorted(set(registered(GROUP))) == expected
