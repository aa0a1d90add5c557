"""Files a failed step names as part of its judge (a plugin module it loads by name, a settings
file or script it reads), as the fix judge refuses a patch to them, and the readers every
runner's own answer uses: what a runner loads by name is its word."""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cicd_agent.analysis import bounded_toml
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes

MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_SETTINGS_BYTES = 1 << 20


@dataclass(frozen=True)
class NamedFile:
    """A file the step names (a path relative to where it ran) and what the step does with it."""

    path: str
    why: str


@dataclass(frozen=True)
class Loading:
    """What a step's command line, or its environment, loads into a runner by name."""

    files: tuple[NamedFile, ...] = ()
    command: tuple[str, ...] = ()
    """Words that are a command line of the runner's own (options set in a variable), read for
    the files they name as the step's own lines are."""


def modules(name: str, why: str) -> list[NamedFile]:
    """The files Python imports as the dotted module ``name``: ``a.b`` is ``a/b.py`` or
    ``a/b/__init__.py``."""
    stem = name.replace(".", "/")
    return [NamedFile(f"{stem}.py", why), NamedFile(f"{stem}/__init__.py", why)]


def shell_words(text: str) -> list[str]:
    """``text`` split as a shell splits it (on spaces as well as it goes, for an unclosed quote)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: split on spaces, as well as it goes
        return text.split()


def settings(checkout: Path, name: str, key: str, tables: tuple[str, ...]) -> list[object]:
    """The values of ``key`` in ``tables`` of the root's settings file ``name`` (dotted tables
    of a TOML file, sections of an ini file): none when it is missing or unreadable (a link is
    not followed: the fix policy pins what it points to)."""
    try:
        text = read_bytes(checkout, name, _SETTINGS_BYTES).decode("utf-8", "replace")
    except CheckoutFileError:
        return []
    if not name.endswith(".toml"):
        parser = configparser.RawConfigParser(strict=False, interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return []
        return [parser.get(table, key, fallback="") for table in tables]
    try:
        data = bounded_toml.load(text)
    except bounded_toml.TomlRefused:
        return []
    found: list[object] = []
    for table in tables:
        value: object = data
        for part in (*table.split("."), key):
            value = value.get(part) if isinstance(value, dict) else None
        found += [] if value is None else [value]
    return found


class LoadsByName(Protocol):
    """What the fix judge asks a runner: the modules a failed step loads into it by name, each
    a plugin whose hooks could report any failure as a pass; pytest's alone."""

    def loads_in(self, words: Sequence[str]) -> dict[int, Loading]:
        """What one command line of the step (its words) loads, by the index of the word that
        names it: a plugin's module, or options set in a variable (pytest's ``-p NAME``,
        ``PYTEST_PLUGINS=``, ``PYTEST_ADDOPTS=``)."""
        ...

    def loads_from(self, environ: Mapping[str, str]) -> Loading:
        """What the step's environment (its ``env:``) loads (pytest's ``PYTEST_PLUGINS``)."""
        ...

    def loads_settings(self, checkout: Path) -> tuple[NamedFile, ...]:
        """The plugins the settings files in ``checkout``'s root load (pytest's ``addopts``)."""
        ...
