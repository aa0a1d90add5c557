"""The modules a failed step loads into pytest by name, each a plugin whose hooks can report any
failure as a pass: ``PYTEST_PLUGINS`` in the step's ``env:`` or script, ``-p NAME`` in a command
or ``PYTEST_ADDOPTS``, and ``addopts = -p NAME`` in the root's settings."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.runners.judge_files import (
    MODULE_NAME,
    Loading,
    NamedFile,
    modules,
    settings,
    shell_words,
)

_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_SETTINGS = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
"""The root's files pytest reads ``addopts`` from."""


def loads_in(words: Sequence[str]) -> dict[int, Loading]:
    found: dict[int, Loading] = {}
    runs_pytest = any(PurePosixPath(word).name in ("pytest", "py.test") for word in words)
    for index, word in enumerate(words):
        assigned = _ASSIGNMENT.fullmatch(word)
        if assigned and assigned.group(1) == "PYTEST_PLUGINS":
            why = "a module the step's script loads as a pytest plugin (PYTEST_PLUGINS={})"
            found[index] = Loading(_in_env(assigned.group(2), why))
        elif assigned and assigned.group(1) == "PYTEST_ADDOPTS":
            found[index] = Loading(command=("pytest", *shell_words(assigned.group(2))))
        elif runs_pytest and (plugin := _plugin_option(words[index - 1] if index else "", word)):
            found[index] = Loading(
                tuple(
                    modules(
                        plugin,
                        f"a module the failing command loads as a pytest plugin (-p {plugin})",
                    )
                )
            )
    return found


def loads_from(environ: Mapping[str, str]) -> Loading:
    """What the step's environment loads into pytest: its plugins, and its options' words."""
    why = "a module the step's env loads as a pytest plugin (PYTEST_PLUGINS={})"
    return Loading(
        _in_env(environ.get("PYTEST_PLUGINS", ""), why),
        ("pytest", *shell_words(environ.get("PYTEST_ADDOPTS", ""))),
    )


def loads_settings(checkout: Path) -> tuple[NamedFile, ...]:
    """The plugins the root's settings files load (``addopts = -p NAME``)."""
    found: list[NamedFile] = []
    for name in _SETTINGS:
        said = shell_words(_addopts(checkout, name))
        for previous, word in zip(["", *said], said, strict=False):
            plugin = _plugin_option(previous, word)
            if plugin:
                why = f"a module the project's {name} loads as a pytest plugin (-p {plugin})"
                found += modules(plugin, why)
    return tuple(found)


def _in_env(value: str, why: str) -> tuple[NamedFile, ...]:
    names = [name.strip() for name in value.split(",")]
    return tuple(
        file
        for name in names
        if MODULE_NAME.fullmatch(name)
        for file in modules(name, why.format(name))
    )


def _plugin_option(previous: str, word: str) -> str:
    """The plugin ``-p NAME`` or ``-pNAME`` loads ("" for none, and for ``-p no:NAME``)."""
    plugin = word if previous == "-p" else word[2:] if word.startswith("-p") else ""
    return plugin if MODULE_NAME.fullmatch(plugin) else ""


def _addopts(checkout: Path, name: str) -> str:
    """The ``addopts`` of ``name`` in the root of ``checkout`` ("" when none or unreadable)."""
    if name.endswith(".toml"):
        table = "tool.pytest" if name == "pyproject.toml" else "pytest"
        tables: tuple[str, ...] = (table, f"{table}.ini_options")
    else:
        tables = ("tool:pytest",) if name == "setup.cfg" else ("pytest",)
    values = settings(checkout, name, "addopts", tables)
    return " ".join(
        value if isinstance(value, str) else shlex.join(map(str, value))
        for value in values
        if isinstance(value, str | list)
    )
