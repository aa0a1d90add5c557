"""Whether a patch changes the test runner's settings: a fix that moves the judge proves nothing.

``addopts = '--collect-only'``, a ``python_files`` that no longer matches the failing test, a
``pythonpath`` that imports a fixed copy instead of the code, tox's ``commands``: each makes
the failing command pass with the bug left in. The rule is as narrow as closing that allows:

- ``pytest.toml``, ``.pytest.toml`` (pytest 9 reads them before any other), ``pytest.ini``,
  ``.pytest.ini`` and ``tox.ini``, anywhere (pytest picks an ini file from the
  folders of its arguments, so one added in ``tests/`` counts): the whole file is the runner's,
  refused by name in :mod:`.policy`, before anything applies;
- ``pyproject.toml`` and ``setup.cfg``, anywhere: they also hold a project's dependencies,
  version and other tools' settings, which a legitimate fix may change, so only the runner's
  part is compared, parsed, before and after the patch (``[tool.pytest*]`` and ``[tool.tox]``;
  ``[tool:pytest]``, ``[tox:tox]`` and ``[testenv*]``). Parsing, not reading hunks: TOML can
  set ``tool.pytest.ini_options.addopts`` from a ``[tool]`` table or the top level, which no
  line-by-line reading of a hunk sees. A file that no longer parses (or did not) counts as
  changed when its text changed.

- the build runners' files that define commands: ``Makefile`` (``GNUmakefile``, ``makefile``,
  ``*.mk``), ``justfile``, ``noxfile.py``, ``Taskfile.yml``, anywhere, refused by name: ``make
  test`` runs what the Makefile says, and a patch adds ``-p plugin`` to it as surely as to
  ``addopts``; and the ``scripts`` of a ``package.json`` (``npm test``), compared parsed, since
  the rest of the file holds dependencies and metadata.

- where the step runs a linter or formatter, their settings (:data:`LINTER_FILES`,
  ``eslint.config.*``, ``.prettierrc*``, ``.golangci.*`` by name; the ``[tool.ruff]``,
  ``[tool.black]``, ``[tool.isort]``, ``[tool.mypy]`` tables, ``setup.cfg``'s ``mypy``,
  ``isort``, ``flake8`` sections and a ``package.json``'s ``eslintConfig`` and ``prettier``
  compared parsed): a lint step is judged by its exit code, and ``ignore = ["F401"]`` passed it
  with the code unchanged.

``conftest.py`` is refused by :mod:`.policy` already (its hooks can report a failure as a pass).
The other runners' settings (jest's ``jest.config.*``, go's ``go.mod``, …) are not listed here:
each runner's own ``settings`` names them, and the verifier refuses a patch to one through
:func:`cicd_agent.runners.lookups.settings_problem` when that runner's report judges the step.
"""

from __future__ import annotations

import configparser
import json
import re
from pathlib import PurePosixPath

from cicd_agent.analysis import bounded_toml
from cicd_agent.runners.table import PYTEST

SHARED_FILES = frozenset({"pyproject.toml", "setup.cfg", "package.json"})
"""Files whose runner's part alone is compared, before and after the patch."""
RUNNER_FILES = frozenset(PYTEST.runner.settings) - SHARED_FILES - {"conftest.py"}
"""Files that are the test runner's settings and nothing else: never changed by a fix. Read
from pytest's own list, less the shared files and ``conftest.py`` (:mod:`.policy` refuses it
with words of its own)."""
COMMAND_FILES = frozenset(
    {
        "makefile",
        "gnumakefile",
        "justfile",
        ".justfile",
        "noxfile.py",
        "taskfile.yml",
        "taskfile.yaml",
        "taskfile.dist.yml",
        "taskfile.dist.yaml",
    }
)
"""Build runners' files that define the commands a step runs (matched without case)."""
LINTER_FILES = frozenset(
    {
        "ruff.toml",
        ".ruff.toml",
        ".flake8",
        "mypy.ini",
        ".mypy.ini",
        ".isort.cfg",
        ".eslintignore",
        ".prettierignore",
    }
)
"""The settings of the linters and formatters a fix is judged by (their exit code), by name."""
_LINTER_PREFIXES = ("eslint.config.", ".eslintrc", "prettier.config.", ".prettierrc", ".golangci.")
_LINTER_TABLES = ("ruff", "black", "isort", "mypy")
"""``[tool.*]`` tables of ``pyproject.toml`` (and ``setup.cfg`` sections) that are a linter's."""
_RUNNER = PYTEST.watches.shared_settings
_RUNNER_SECTIONS = (_RUNNER.sections, _RUNNER.section_prefix)
_LINTER_SECTIONS = (("isort", "flake8", "mypy"), "mypy-")
"""``setup.cfg``'s (and ``tox.ini``'s) sections that are the runner's, and a linter's: by
name, or by the start of their name."""
_LINTER_KEYS = ("eslintConfig", "prettier")
"""A ``package.json``'s keys that are a linter's settings."""
_NO_DEFAULT = "\0no default section"
_UNCLEAR_HEADER = re.compile(r"\[(?![^\]#;]*\]\s*(?:[#;].*)?$).*")
"""A line that starts a section header but is not ``[name]`` with at most a comment after."""


def is_runner_file(path: str) -> bool:
    return PurePosixPath(path).name.lower() in RUNNER_FILES


def is_linter_file(path: str) -> bool:
    """Whether ``path`` is a linter's or formatter's own settings file (``ruff.toml``,
    ``eslint.config.mjs``): ``ignore = ["F401"]`` there passed a lint failure with the code
    unchanged, and a JavaScript config runs code in the linter's process."""
    name = PurePosixPath(path).name.lower()
    return name in LINTER_FILES or name.startswith(_LINTER_PREFIXES)


def is_command_file(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name in COMMAND_FILES or name.endswith(".mk")


def settings_change(
    path: str, before: str | None, after: str | None, *, linted: bool = True
) -> str:
    """Why the change of ``path`` from ``before`` to ``after`` (None: no such file) changes
    the test runner's settings, or with ``linted`` (the step runs a linter) a linter's ("" when
    it does not, or when the file holds none)."""
    name = PurePosixPath(path).name.lower()
    if name in RUNNER_FILES:
        return f"the patch edits the test runner's settings ({path})"
    if name not in SHARED_FILES or before == after:
        return ""
    if name == "package.json":
        if _keys(before, ("scripts",)) != _keys(after, ("scripts",)):  # what ``npm test`` runs
            return f"the patch edits the commands CI runs ({path}: scripts)"
        if linted and _keys(before, _LINTER_KEYS) != _keys(after, _LINTER_KEYS):
            return f"the patch edits a linter's settings ({path}: eslintConfig or prettier)"
        return ""
    read = _toml_part if name == "pyproject.toml" else _cfg_part
    if read(before) != read(after):
        part = _RUNNER.toml_said if name == "pyproject.toml" else _RUNNER.cfg_said
        return f"the patch edits the test runner's settings ({path}: {part})"
    if linted and read(before, linters=True) != read(after, linters=True):
        return f"the patch edits a linter's settings ({path}: ruff, black, isort, mypy, flake8)"
    return ""


def _keys(text: str | None, keys: tuple[str, ...]) -> object:
    """A ``package.json``'s ``keys``, or the text when unreadable."""
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # nested past the parser's depth: unreadable too
        return ("unreadable", text)
    if not isinstance(data, dict):
        return ("not an object", text)
    return {key: data[key] for key in keys if key in data}


def _toml_part(text: str | None, *, linters: bool = False) -> object:
    if text is None:  # a file added or deleted counts for what it holds
        return {}
    try:
        tool = bounded_toml.load(text).get("tool", {})
    except bounded_toml.TomlRefused:
        return ("unreadable", text)
    if not isinstance(tool, dict):
        return ("not a table", repr(tool))
    tables = _LINTER_TABLES if linters else _RUNNER.tables
    return {key: value for key, value in tool.items() if key in tables}


class _CaseKept(configparser.RawConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _cfg_part(text: str | None, *, linters: bool = False) -> object:
    """The runner's sections as pytest's own reader (iniconfig) sees them, read with
    configparser made to agree: names keep their case (``ADDOPTS`` is no setting of pytest's,
    ``addopts`` is), no ``[DEFAULT]`` section lends its keys to the others, and a header line
    with text after its ``]`` (a section to configparser, a continued value to iniconfig)
    makes the file unreadable, so any change to it counts."""
    if text is None:
        return {}
    if any(_UNCLEAR_HEADER.fullmatch(line.strip()) for line in text.splitlines()):
        return ("unreadable", text)
    named, prefix = _LINTER_SECTIONS if linters else _RUNNER_SECTIONS
    parser = _CaseKept(strict=False, interpolation=None, default_section=_NO_DEFAULT)
    try:
        parser.read_string(text)
    except configparser.Error:
        return ("unreadable", text)
    return {
        section: dict(parser.items(section))
        for section in parser.sections()
        if section in named or section.startswith(prefix)
    }
