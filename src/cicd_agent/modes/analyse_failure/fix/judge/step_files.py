"""Files the failed step itself names as part of its judge: a fix that edits one moves the judge.

The policy (:mod:`.policy`) refuses ``conftest.py`` and the runner's settings by their names.
The step can name more files that decide how its tests run, each in its own way:

- a module a test runner loads by name as its plugin, set in the step's ``env:`` (the log's
  header), in its script or on the failing command line, its hooks able to report any failure
  as a pass: each runner says what loads its own
  (:class:`~cicd_agent.runners.judge_files.LoadsByName`: pytest's ``PYTEST_PLUGINS``, ``-p
  NAME``, ``PYTEST_ADDOPTS``);
- a file the failing command runs or reads its settings from: the script a shell or an
  interpreter runs (``bash scripts/test.sh``, ``./run-tests``), and any argument with a
  settings or script suffix (``pytest -c pytest-ci.ini``, ``make -f ci.mk``). A source file a
  linter is given (``ruff check src/app.py``) is its input, not its judge, and stays a fix's
  to change.

- a plugin the project's own settings load into a runner by name (pytest's ``addopts = -p
  NAME``): the settings file is the policy's to keep unchanged, the module it names is the
  judge as well;
- a mypy plugin the root's settings load (``plugins =`` in ``mypy.ini``, ``setup.cfg``,
  ``pyproject.toml``): it runs in mypy's process, and ``os._exit(0)`` there passed a failing
  type check.

A path is matched as the step named it, from the checkout's root or below any folder of it
(``cd backend && pytest -c ci.ini`` reads ``backend/ci.ini``), as the failing tests are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, failing_script
from cicd_agent.runners.judge_files import (
    MODULE_NAME,
    Loading,
    NamedFile,
    modules,
    settings,
    shell_words,
)
from cicd_agent.runners.table import TABLE

_JUDGE_SUFFIXES = frozenset(
    {".ini", ".cfg", ".toml", ".yaml", ".yml", ".json", ".conf", ".mk", ".sh", ".bash", ".zsh"}
)
"""Arguments with these suffixes are settings or scripts, wherever they stand on the line."""
_INTERPRETERS = re.compile(r"(ba|z|da|k)?sh|python[0-9.]*|node|ruby|perl|source|\.")
"""Command words whose first argument (not an option) is the script that runs."""
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "!", "then", "do", "else", "time"})


def named_files(failing: FailingCommand, checkout: Path | None = None) -> tuple[NamedFile, ...]:
    """The files ``failing``'s step loads as a plugin or runs or reads as the failing command's
    settings, and the plugins the settings in ``checkout``'s root load (see the module doc)."""
    loads = [row.loads for row in TABLE if row.loads is not None]
    found = (
        [
            *(file for runner in loads for file in runner.loads_settings(checkout)),
            *_mypy_plugins(checkout),
        ]
        if checkout is not None
        else []
    )
    env = [runner.loads_from(dict(failing.env)) for runner in loads]
    found += [file for loading in env for file in loading.files]
    for line in failing_script(failing).splitlines():
        found += _named_in_command(shell_words(line))
    for loading in env:
        found += _named_in_command(list(loading.command)) if loading.command else []
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
    loads: dict[int, Loading] = {}
    for row in TABLE:
        loads = row.loads.loads_in(words) | loads if row.loads is not None else loads
    for index, word in enumerate(words):
        previous = words[index - 1] if index else ""
        if index in loads:  # what a runner loads by name: its plugin, or its options' words
            found += loads[index].files
            found += _named_in_command(list(loads[index].command)) if loads[index].command else []
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


_MYPY_SETTINGS = (
    ("mypy.ini", "mypy"),
    (".mypy.ini", "mypy"),
    ("setup.cfg", "mypy"),
    ("pyproject.toml", "tool.mypy"),
)


def _mypy_plugins(checkout: Path) -> list[NamedFile]:
    """The plugins the root's settings load into mypy (``plugins = tools/plugin.py``, a module
    name): their code runs in mypy's process, so mypy's exit code is theirs to give."""
    found: list[NamedFile] = []
    for name, section in _MYPY_SETTINGS:
        for value in settings(checkout, name, "plugins", (section,)):
            for raw in value if isinstance(value, list) else re.split(r"[,\s]+", str(value)):
                entry = str(raw).strip()
                why = f"a plugin the project's {name} loads into mypy ({entry[:80]})"
                target = entry.rpartition(":")[0] if entry.count(":") == 1 else entry
                if target.endswith(".py"):
                    path = _relative(target)
                    found += [NamedFile(path, why)] if path else []
                elif MODULE_NAME.fullmatch(target):
                    found += modules(target, why)
    return found


def _relative(value: str) -> str:
    """``value`` as a path inside where the step ran ("" for none: empty, absolute, ``..``)."""
    if not value or "$" in value or "\0" in value:
        return ""
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or value.startswith("~"):
        return ""
    text = pure.as_posix()
    return "" if text == "." else text
