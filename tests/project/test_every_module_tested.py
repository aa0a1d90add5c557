"""Every source module of more than a few lines is imported by a test file.

A module no test imports is tested only through whatever happens to call it: a change to one
of its functions is caught, if at all, by a test written for something else. So each module
over :data:`MIN_LINES` lines needs a test file (``tests/**/test_*.py``) that imports it, from
the module itself, by name from its package (``from cicd_agent.risk import jit``) or through
what its package re-exports (``from cicd_agent.sandbox import Sandbox``). A module that runs
on import (a pytest plugin loaded with ``-p``, a ``sitecustomize``) is tested the way it is
used, in a process of its own, and counts when the test names it by its dotted name.

:data:`KNOWN_UNTESTED` listed the modules that had no such test when this check was written;
it is empty now and may only stay so: a new module is never added to it.
"""

from __future__ import annotations

import ast
from collections.abc import Container
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT

MIN_LINES = 30
"""Smaller modules are constants, re-exports or one helper: their callers' tests read them."""

KNOWN_UNTESTED: frozenset[str] = frozenset()


def source_modules(src: Path) -> dict[str, Path]:
    """Dotted name → file of every module under ``src`` (a package by its ``__init__``)."""
    modules = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) of each absolute import in ``path``; name None for ``import module``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def _named(path: Path, modules: Container[str]) -> set[str]:
    """Modules a test names whole in a string (``-p cicd_agent.….in_run_check``): it runs them in a
    process of their own, where importing them into its own would set them off."""
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules
    }


def re_exports(modules: dict[str, Path]) -> dict[str, str]:
    """``package.Name`` → the module a package's ``__init__`` imports ``Name`` from: a test
    that takes ``Sandbox`` from ``cicd_agent.sandbox``, as callers are meant to, runs the
    module that defines it."""
    found: dict[str, str] = {}
    for package, path in modules.items():
        if path.name == "__init__.py":
            for module, name in _imports(path):
                if name is not None and module in modules:
                    found[f"{package}.{name}"] = module
    return found


def imported_names(
    tests: Path, exports: dict[str, str], modules: Container[str] = frozenset()
) -> set[str]:
    """Every dotted name a test file imports: ``from a.b import c`` yields ``a.b`` and
    ``a.b.c`` (``c`` may be a module of the package ``a.b``), and the module ``a.b``
    re-exports ``c`` from, if any; and each of ``modules`` it names in a string."""
    names: set[str] = set()
    for path in tests.rglob("test_*.py"):
        names |= _named(path, modules)
        for module, name in _imports(path):
            names.add(module)
            if name is not None:
                names.add(f"{module}.{name}")
                names.update(filter(None, [exports.get(f"{module}.{name}")]))
    return names


def untested(src: Path, tests: Path) -> set[str]:
    """Modules over :data:`MIN_LINES` lines that no test file imports."""
    modules = source_modules(src)
    imported = imported_names(tests, re_exports(modules), modules)
    return {
        name
        for name, path in modules.items()
        if name not in imported and len(path.read_text(encoding="utf-8").splitlines()) > MIN_LINES
    }


@pytest.fixture(scope="module")
def gaps() -> frozenset[str]:
    """This repository's untested modules, read once for the two tests below (every test file
    parsed: several CPU-seconds)."""
    return frozenset(untested(REPO_ROOT / "src", REPO_ROOT / "tests"))


def test_every_module_over_the_floor_is_imported_by_a_test(gaps: frozenset[str]) -> None:
    assert sorted(gaps - KNOWN_UNTESTED) == [], "write a test that imports each of these"


def test_the_known_gaps_only_shrink(gaps: frozenset[str]) -> None:
    """An entry that is now tested, or no longer exists, leaves the list."""
    assert sorted(KNOWN_UNTESTED - gaps) == [], "remove these from KNOWN_UNTESTED"


def test_the_check_sees_an_untested_module_and_each_way_of_importing_one(tmp_path: Path) -> None:
    src, tests = tmp_path / "src", tmp_path / "tests"
    body = "\n".join(f"X{index} = {index}" for index in range(MIN_LINES + 1)) + "\n"
    for name in ("pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/sub/__init__.py"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(body)
    (src / "pkg" / "small.py").write_text("X = 1\n")
    tests.mkdir()
    (tests / "test_one.py").write_text("import pkg.a\nfrom pkg import b\n")
    (tests / "helper.py").write_text("from pkg import c\n")  # not a test file: does not count
    assert untested(src, tests) == {"pkg.c", "pkg.sub"}
    (tests / "test_two.py").write_text("from pkg.sub import thing\n")
    assert untested(src, tests) == {"pkg.c"}
    (src / "pkg" / "__init__.py").write_text(body + "from pkg.c import Thing\n")
    (tests / "test_three.py").write_text("from pkg import Thing\n")  # re-exported from pkg.c
    assert untested(src, tests) == set()
    (src / "pkg" / "plugin.py").write_text(body)
    (tests / "test_four.py").write_text("PLUGIN = 'pkg.plugin.extra'\nOTHER = 'pkg plugin'\n")
    assert untested(src, tests) == {"pkg.plugin"}  # a string that is not its exact name
    (tests / "test_four.py").write_text("ARGV = ['-p', 'pkg.plugin']\n")  # run by its name
    assert untested(src, tests) == set()
