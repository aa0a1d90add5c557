"""A test runner is one folder (``runners/<name>/``, docs/plugins.md): nothing outside it
imports its internals. Every other module reaches a runner through the registry
(``runners/table.py``, ``runners/shapes.py`` and the lookups: ``RUNNERS``, ``named``, ``for_file``,
``PYTEST_SESSIONS``), the protocols (``runners/protocol.py``) and the modules every runner
shares (``runners/base.py``, ``runners/sessions.py``…).

A module's imports are read, and so is every string in its code (not its docstrings) naming a
runner's package: ``resources.files("cicd_agent.runners.pytest.boot")`` reads a folder's
internals as surely as an import does.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
RUNNERS = PACKAGE / "runners"
REGISTRY = {Path("runners/table.py"), Path("runners/shapes.py"), Path("runners/lookups.py")}
"""The table names each runner's objects, and ``shapes`` their log shapes; the lookups read a
package manager's ``test`` script for the JavaScript family."""
FAMILY = {"jest": {"js"}, "vitest": {"js"}}
"""A runner's folder that builds on another's: jest's and vitest's on the JavaScript family's."""
KNOWN = {
    (Path("runners/patched_lines.py"), "js"): "a patch's static rule for JavaScript is applied where "
    "a patch's changed lines are read, before any runner is chosen",
    (Path("modes/test_step/model_fix.py"), "pytest"): "a model's rewrite of a flaky test is held "
    "to the test's own function and its exact checks by pytest's reading of a test: the fixer "
    "runs pytest alone",
}
"""Modules that still read a runner's internals, and why: each one left is work to do."""


def runner_folders() -> set[str]:
    """The runners' folders: each package directly under ``runners/``."""
    return {path.parent.name for path in RUNNERS.glob("*/__init__.py")}


def _docstrings(tree: ast.Module) -> set[int]:
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}  # fmt: skip


def folders_named(tree: ast.Module, folders: set[str]) -> dict[str, int]:
    """Each runner's folder the module ``tree`` imports, or names in a string of its code, with
    the first line that does."""
    named = re.compile(rf"^cicd_agent\.runners\.({'|'.join(sorted(folders))})\b")
    found: dict[str, int] = {}

    def saw(module: str, line: int) -> None:
        if match := named.match(module):
            found.setdefault(match.group(1), line)

    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                saw(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module:
            saw(node.module, node.lineno)
            if node.module == "cicd_agent.runners":  # from cicd_agent.runners import pytest
                for alias in node.names:
                    saw(f"{node.module}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:  # fmt: skip
            saw(node.value, getattr(node, "lineno", 0))
    return found


def reaching_inside() -> dict[tuple[Path, str], int]:
    """Each (module, runner's folder) where a module of the package outside that folder reads
    the folder's internals, but the registry and a family's own runners."""
    folders = runner_folders()
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE)
        if where in REGISTRY:
            continue
        own = where.parts[1] if where.parts[0] == "runners" and len(where.parts) > 2 else ""
        for folder, line in folders_named(ast.parse(path.read_text("utf-8")), folders).items():
            if folder != own and folder not in FAMILY.get(own, set()):
                found[where, folder] = line
    return found


def test_the_runners_folders_are_found() -> None:
    assert {"pytest", "jest", "vitest", "go", "cargo", "maven"} <= runner_folders()


def test_nothing_outside_a_runner_s_folder_reads_its_internals() -> None:
    outside = {f"{where}:{line}: {folder}" for (where, folder), line in reaching_inside().items()
               if (where, folder) not in KNOWN}  # fmt: skip
    assert not outside, sorted(outside)


def test_each_known_exception_is_still_there() -> None:
    """A module that stopped reading a runner's internals leaves :data:`KNOWN`."""
    assert set(KNOWN) <= set(reaching_inside())


@pytest.mark.parametrize(
    "code",
    [
        "from cicd_agent.runners.pytest.runner import PytestSandbox",
        "import cicd_agent.runners.go.in_run_check",
        "from cicd_agent.runners import cargo",
        "files('cicd_agent.runners.pytest.boot')",
    ],
)
def test_the_reader_sees_each_way_in(code: str) -> None:
    assert set(folders_named(ast.parse(code), runner_folders())) != set()


@pytest.mark.parametrize(
    "code",
    [
        "from cicd_agent.runners.table import RUNNERS, PYTEST_SESSIONS",
        "from cicd_agent.runners.sessions import Evidence",
        '"""Pytest\'s run (:mod:`cicd_agent.runners.pytest.runner`)."""',
        "from cicd_agent.runners.patched_lines import PatchedLines",
    ],
)
def test_the_reader_lets_the_seam_through(code: str) -> None:
    assert folders_named(ast.parse(code), runner_folders()) == {}
