"""Every source module of more than a few lines is imported by a test file.

A module no test imports is tested only through whatever happens to call it: a change to one
of its functions is caught, if at all, by a test written for something else. So each module
over :data:`MIN_LINES` lines needs a test file (``tests/**/test_*.py``) that imports it, from
the module itself, by name from its package (``from cicd_agent.risk import jit``) or through
what its package re-exports (``from cicd_agent.sandbox import Sandbox``).

:data:`KNOWN_UNTESTED` lists the modules that had no such test when this check was written
(mode wiring, options and the sandbox's parts, reached through their mode's CLI tests). It may
only shrink: a module that gains a test, is removed or is renamed must leave the list, and a
new module is never added to it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

MIN_LINES = 30
"""Smaller modules are constants, re-exports or one helper: their callers' tests read them."""

KNOWN_UNTESTED = frozenset(
    {
        "cicd_agent.modes.analyse_failure.collect",
        "cicd_agent.modes.analyse_failure.fix.boot.witness",
        "cicd_agent.modes.analyse_failure.runs",
        "cicd_agent.modes.command.arguments",
        "cicd_agent.modes.command.publish",
        "cicd_agent.modes.deploy_gate.canary.publish",
        "cicd_agent.modes.deploy_gate.publish",
        "cicd_agent.modes.gen_tests.ask",
        "cicd_agent.modes.gen_tests.boot.cicd_gentests_plugin",
        "cicd_agent.modes.gen_tests.boot.sitecustomize",
        "cicd_agent.modes.gen_tests.collect",
        "cicd_agent.modes.gen_tests.decide",
        "cicd_agent.modes.gen_tests.verdict",
        "cicd_agent.modes.review.ask",
        "cicd_agent.modes.review.dismissals",
    }
)


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


def imported_names(tests: Path, exports: dict[str, str]) -> set[str]:
    """Every dotted name a test file imports: ``from a.b import c`` yields ``a.b`` and
    ``a.b.c`` (``c`` may be a module of the package ``a.b``), and the module ``a.b``
    re-exports ``c`` from, if any."""
    names: set[str] = set()
    for path in tests.rglob("test_*.py"):
        for module, name in _imports(path):
            names.add(module)
            if name is not None:
                names.add(f"{module}.{name}")
                names.update(filter(None, [exports.get(f"{module}.{name}")]))
    return names


def untested(src: Path, tests: Path) -> set[str]:
    """Modules over :data:`MIN_LINES` lines that no test file imports."""
    modules = source_modules(src)
    imported = imported_names(tests, re_exports(modules))
    return {
        name
        for name, path in modules.items()
        if name not in imported and len(path.read_text(encoding="utf-8").splitlines()) > MIN_LINES
    }


def test_every_module_over_the_floor_is_imported_by_a_test() -> None:
    gaps = untested(REPO_ROOT / "src", REPO_ROOT / "tests")
    assert sorted(gaps - KNOWN_UNTESTED) == [], "write a test that imports each of these"


def test_the_known_gaps_only_shrink() -> None:
    """An entry that is now tested, or no longer exists, leaves the list."""
    gaps = untested(REPO_ROOT / "src", REPO_ROOT / "tests")
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
