"""Files the failed step itself names as part of its judge: a fix that edits one moves the judge.

The policy (:mod:`.policy`) refuses ``conftest.py`` and the runner's settings by their names.
The step can name more files that decide how its tests run, each in its own way:

- a pytest plugin loaded by name: ``PYTEST_PLUGINS`` in the step's ``env:`` (the log's header)
  or set in its script, ``-p NAME`` in the failing command or in ``PYTEST_ADDOPTS``. The
  module is imported as a plugin, so its hooks can report any failure as a pass. A dotted name
  ``a.b`` is the file ``a/b.py`` or ``a/b/__init__.py``;
- a file the failing command runs or reads its settings from: the script a shell or an
  interpreter runs (``bash scripts/test.sh``, ``./run-tests``), and any argument with a
  settings or script suffix (``pytest -c pytest-ci.ini``, ``make -f ci.mk``). A source file a
  linter is given (``ruff check src/app.py``) is its input, not its judge, and stays a fix's
  to change.

- a pytest plugin the project's own settings load by name (``addopts = -p NAME`` in the
  root's ``pytest.ini``, ``tox.ini``, ``setup.cfg``, ``pyproject.toml``, ``pytest.toml``): the
  settings file is the policy's to keep unchanged, the module it names is the judge as well;
- a mypy plugin the root's settings load (``plugins =`` in ``mypy.ini``, ``setup.cfg``,
  ``pyproject.toml``): it runs in mypy's process, and ``os._exit(0)`` there passed a failing
  type check.

A path is matched as the step named it, from the checkout's root or below any folder of it
(``cd backend && pytest -c ci.ini`` reads ``backend/ci.ini``), as the failing tests are.
"""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cicd_agent.analysis import bounded_toml
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes
from cicd_agent.verify.contract import FailingCommand, failing_script

_PLUGIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_JUDGE_SUFFIXES = frozenset(
    {".ini", ".cfg", ".toml", ".yaml", ".yml", ".json", ".conf", ".mk", ".sh", ".bash", ".zsh"}
)
"""Arguments with these suffixes are settings or scripts, wherever they stand on the line."""
_INTERPRETERS = re.compile(r"(ba|z|da|k)?sh|python[0-9.]*|node|ruby|perl|source|\.")
"""Command words whose first argument (not an option) is the script that runs."""
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "!", "then", "do", "else", "time"})
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_SETTINGS = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml",
             "tox.ini", "setup.cfg")  # fmt: skip
"""The root's files pytest reads ``addopts`` from."""
_SETTINGS_BYTES = 1 << 20


@dataclass(frozen=True)
class NamedFile:
    """A file the step names (a path relative to where it ran) and what the step does with it."""

    path: str
    why: str


def named_files(failing: FailingCommand, checkout: Path | None = None) -> tuple[NamedFile, ...]:
    """The files ``failing``'s step loads as a plugin or runs or reads as the failing command's
    settings, and the plugins the settings in ``checkout``'s root load (see the module doc)."""
    found = [*_settings_plugins(checkout), *_mypy_plugins(checkout)] if checkout is not None else []
    env = dict(failing.env)
    for name in _plugins_in_env(env.get("PYTEST_PLUGINS", "")):
        found += _modules(
            name, f"a module the step's env loads as a pytest plugin (PYTEST_PLUGINS={name})"
        )
    for line in failing_script(failing).splitlines():
        found += _named_in_command(_words(line))
    found += _named_in_command(["pytest", *_words(env.get("PYTEST_ADDOPTS", ""))])
    return tuple(dict.fromkeys(found))


def named_problem(path: str, named: Iterable[NamedFile]) -> str:
    """Why a patch to ``path`` moves the judge the step names ("" when it does not)."""
    for entry in named:
        if path == entry.path or path.endswith(f"/{entry.path}"):
            return f"the patch edits {path}, {entry.why}"
    return ""


def _named_in_command(words: list[str]) -> list[NamedFile]:
    found: list[NamedFile] = []
    script_next = False
    runs_pytest = any(PurePosixPath(word).name in ("pytest", "py.test") for word in words)
    for index, word in enumerate(words):
        previous = words[index - 1] if index else ""
        assigned = _ASSIGNMENT.fullmatch(word)
        if assigned and assigned.group(1) == "PYTEST_PLUGINS":
            for name in _plugins_in_env(assigned.group(2)):
                why = f"a module the step's script loads as a pytest plugin (PYTEST_PLUGINS={name})"
                found += _modules(name, why)
            continue
        if assigned and assigned.group(1) == "PYTEST_ADDOPTS":
            found += _named_in_command(["pytest", *_words(assigned.group(2))])
            continue
        plugin = _plugin_option(previous, word)
        if runs_pytest and plugin:  # not ``mkdir -p``
            found += _modules(
                plugin, f"a module the failing command loads as a pytest plugin (-p {plugin})"
            )
            continue
        value = word.partition("=")[2] if word.startswith("-") else word
        path = _relative(value)
        if not path:
            continue
        command_word = index == 0 or previous in _SEPARATORS
        if script_next and not word.startswith("-") and previous not in ("-m", "-c"):
            found.append(NamedFile(path, "the script the failing command runs"))
            script_next = False
        elif command_word and "/" in value:
            found.append(NamedFile(path, "the script the failing command runs"))
        elif PurePosixPath(path).suffix.lower() in _JUDGE_SUFFIXES:
            found.append(
                NamedFile(
                    path, "a file the failing command names (its settings or a script it runs)"
                )
            )
        if command_word:
            script_next = bool(_INTERPRETERS.fullmatch(PurePosixPath(value).name))
        elif previous in ("-m", "-c"):
            script_next = False  # ``python -m pytest``: a module runs, not a file
    return found


def _plugin_option(previous: str, word: str) -> str:
    """The plugin ``-p NAME`` or ``-pNAME`` loads ("" for none, and for ``-p no:NAME``)."""
    plugin = word if previous == "-p" else word[2:] if word.startswith("-p") else ""
    return plugin if _PLUGIN_NAME.fullmatch(plugin) else ""


def _settings_plugins(checkout: Path) -> list[NamedFile]:
    found: list[NamedFile] = []
    for name in _SETTINGS:
        words = _words(_addopts(checkout, name))
        for previous, word in zip(["", *words], words, strict=False):
            plugin = _plugin_option(previous, word)
            if plugin:
                why = f"a module the project's {name} loads as a pytest plugin (-p {plugin})"
                found += _modules(plugin, why)
    return found


_MYPY_SETTINGS = (("mypy.ini", "mypy"), (".mypy.ini", "mypy"), ("setup.cfg", "mypy"),
                  ("pyproject.toml", "tool.mypy"))  # fmt: skip


def _mypy_plugins(checkout: Path) -> list[NamedFile]:
    """The plugins the root's settings load into mypy (``plugins = tools/plugin.py``, a module
    name): their code runs in mypy's process, so mypy's exit code is theirs to give."""
    found: list[NamedFile] = []
    for name, section in _MYPY_SETTINGS:
        for value in _settings(checkout, name, "plugins", (section,)):
            for raw in value if isinstance(value, list) else re.split(r"[,\s]+", str(value)):
                entry = str(raw).strip()
                why = f"a plugin the project's {name} loads into mypy ({entry[:80]})"
                target = entry.rpartition(":")[0] if entry.count(":") == 1 else entry
                if target.endswith(".py"):
                    path = _relative(target)
                    found += [NamedFile(path, why)] if path else []
                elif _PLUGIN_NAME.fullmatch(target):
                    found += _modules(target, why)
    return found


def _plugins_in_env(value: str) -> list[str]:
    """``PYTEST_PLUGINS``: module names separated by commas, as pytest reads it."""
    names = [name.strip() for name in value.split(",")]
    return [name for name in names if _PLUGIN_NAME.fullmatch(name)]


def _modules(name: str, why: str) -> list[NamedFile]:
    stem = name.replace(".", "/")
    return [NamedFile(f"{stem}.py", why), NamedFile(f"{stem}/__init__.py", why)]


def _relative(value: str) -> str:
    """``value`` as a path inside where the step ran ("" for none: empty, absolute, ``..``)."""
    if not value or "$" in value or "\0" in value:
        return ""
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or value.startswith("~"):
        return ""
    text = pure.as_posix()
    return "" if text == "." else text


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: split on spaces, as well as it goes
        return text.split()


def _addopts(checkout: Path, name: str) -> str:
    """The ``addopts`` of ``name`` in the root of ``checkout`` ("" when none or unreadable)."""
    if name.endswith(".toml"):
        table = "tool.pytest" if name == "pyproject.toml" else "pytest"
        tables: tuple[str, ...] = (table, f"{table}.ini_options")
    else:
        tables = ("tool:pytest",) if name == "setup.cfg" else ("pytest",)
    values = _settings(checkout, name, "addopts", tables)
    return " ".join(value if isinstance(value, str) else shlex.join(map(str, value))
                    for value in values if isinstance(value, str | list))  # fmt: skip


def _settings(checkout: Path, name: str, key: str, tables: tuple[str, ...]) -> list[object]:
    """The values of ``key`` in ``tables`` of the root's settings file ``name`` (dotted tables
    of a TOML file, sections of an ini file): none when it is missing or unreadable (a link is
    not followed: :func:`.policy.linked_targets` pins what it points to)."""
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
