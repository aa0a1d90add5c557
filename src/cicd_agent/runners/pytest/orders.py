"""pytest's part of the flaky-test fixer: tests in a chosen order (``--cicd-order``, ids in a file),
a set-up moved between tests, and the code a test calls.

The code a test calls is read from its text, with no run: what it calls by name and imports from the
checkout outside the tests. A test that reaches its code only through helpers or fixtures gives
none, and the fixer says the check was not made."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.runners.orders import SetUp
from cicd_agent.runners.pytest import set_up
from cicd_agent.runners.pytest.report import why_no_result
from cicd_agent.runners.pytest.runner import PLUGIN, PytestSandbox, varied
from cicd_agent.runners.pytest.sessions import PytestSessions
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Workspace

MAX_LINES = 400
"""The most lines of called code one test's mutants are drawn from."""
NO_ORDER_OF_THEIR_OWN = ("-p", "no:randomly", "-p", "no:random_order", "-p", "no:xdist")
"""Plugins that would put the tests in another order, or in other processes, switched off (a
plugin that is not installed is no error)."""


class PytestOrders:
    sandbox: type[SessionSandbox] = PytestSandbox

    def command(self, words: Sequence[str]) -> tuple[str, ...] | None:
        """``python -m pytest`` as the step's command starts it, with our plugin, quiet."""
        own = PytestSessions().own_part(words)
        if own is None:
            return None
        return (*own[1], *PLUGIN, "-q", "--tb=short", *NO_ORDER_OF_THEIR_OWN)

    def in_order(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        if not tests:
            return []
        chosen = space.scratch("order", ".json")
        chosen.write_text(json.dumps(list(tests)), encoding="utf-8")
        files = dict.fromkeys(os.path.join(".", set_up.file_of(test)) for test in tests)
        return [f"--cicd-order={chosen}", *files]

    def again(self, times: int) -> list[str]:
        return varied(repeat=times)

    def read(self, result: RunResult, evidence: Evidence) -> tuple[Outcomes | None, str]:
        why = why_no_result(result, evidence)
        return (evidence.outcomes, "") if not why and evidence.outcomes else (None, why)

    def file_of(self, root: Path, test: str) -> str:
        return set_up.file_of(test)

    def set_up_of(self, texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
        return set_up.set_up_of(texts, donor, victim)

    def with_set_up(self, text: str, victim: str, moved: SetUp, keep: Collection[int]) -> str:
        return set_up.with_set_up(text, victim, moved, keep)

    def under_test(self, root: Path, victim: str) -> dict[str, frozenset[int]]:
        path = set_up.file_of(victim)
        try:
            text = read_text(root, path)
        except CheckoutFileError:
            return {}
        found = set_up.find(text, victim)
        if found is None:
            return {}
        called = _called(found.function)
        lines: dict[str, frozenset[int]] = {}
        for name, (module, attribute) in _imported(found.module, path).items():
            package = _module_file(root, f"{module}.{attribute}") if attribute else None
            if package is None and attribute:  # a function or class: called by its name
                source = _module_file(root, module)
                wanted = {attribute} if (name, "") in called else set()
            else:  # a module: its functions called through it
                source = package or _module_file(root, module)
                wanted = {attr for base, attr in called if base == name and attr}
            if not wanted or source is None or _is_test_file(source):
                continue
            for file, more in _lines_of(root, source, wanted).items():
                lines[file] = lines.get(file, frozenset()) | more
        return _bounded(lines)


def _called(function: ast.AST) -> set[tuple[str, str]]:
    """What ``function`` calls by name: ``(name, "")`` for ``f()``, ``(m, "f")`` for
    ``m.f()``."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            found.add((node.func.id, ""))
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            found.add((node.func.value.id, node.func.attr))
    return found


def _imported(module: ast.Module, path: str) -> dict[str, tuple[str, str]]:
    """Each name ``module`` (the file ``path``) imports at its top: the module it comes from and
    the attribute it is of that module ("" for a module itself)."""
    package = str(PurePosixPath(path).parent).replace("/", ".").strip(".")
    names: dict[str, tuple[str, str]] = {}
    for node in module.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname or "." not in alias.name:
                    names[alias.asname or alias.name] = (alias.name, "")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                names[alias.asname or alias.name] = (base, alias.name)
    return names


def _module_file(root: Path, module: str) -> str | None:
    """The checkout's file of ``module``, at its top or under ``src``; None when outside it."""
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return None
    stem = module.replace(".", "/")
    for folder in ("", "src/"):
        for candidate in (f"{folder}{stem}.py", f"{folder}{stem}/__init__.py"):
            if is_file(root, candidate):
                return candidate
    return None


def _is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _lines_of(
    root: Path, path: str, names: Collection[str], depth: int = 2
) -> dict[str, frozenset[int]]:
    """The body lines of the functions and classes of ``path`` named in ``names``, by file: a
    name the module only imports from another module of the checkout (a package's
    ``__init__`` that re-exports it) is followed there, ``depth`` times at most."""
    try:
        tree = ast.parse(read_text(root, path))
    except (CheckoutFileError, SyntaxError, ValueError):
        return {}
    lines: set[int] = set()
    found: dict[str, frozenset[int]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
            node.name in names
        ):
            for inner in ast.walk(node):
                if isinstance(inner, ast.stmt) and not isinstance(
                    inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                ):
                    lines.add(inner.lineno)
    if depth > 0:
        for name, (module, attribute) in _imported(tree, path).items():
            source = _module_file(root, module) if name in names and attribute else None
            if source is not None and source != path and not _is_test_file(source):
                for other, more in _lines_of(root, source, {attribute}, depth - 1).items():
                    found[other] = found.get(other, frozenset()) | more
    if lines:
        found[path] = found.get(path, frozenset()) | frozenset(lines)
    return found


def _bounded(lines: Mapping[str, frozenset[int]]) -> dict[str, frozenset[int]]:
    kept: dict[str, frozenset[int]] = {}
    left = MAX_LINES
    for path in sorted(lines):
        chosen = frozenset(sorted(lines[path])[:left])
        if chosen:
            kept[path] = chosen
            left -= len(chosen)
    return kept
