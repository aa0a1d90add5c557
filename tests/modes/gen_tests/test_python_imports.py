"""A test's imports, read without running it: which modules of the change it loads."""

from __future__ import annotations

from cicd_agent.modes.gen_tests.python_imports import imported_modules, imports_module, module_name


def test_a_package_import_loads_its_modules_and_a_module_import_its_package() -> None:
    names = imported_modules("import unittest\nfrom cachetools import LRUCache\nfrom . import x\n")
    assert names == {"unittest", "cachetools", "cachetools.LRUCache"}
    assert imports_module(names, module_name("src/cachetools/keys.py"))  # import pkg
    assert imports_module(imported_modules("import cachetools.keys\n"),
                          module_name("src/cachetools/__init__.py"))  # fmt: skip
    assert not imports_module(imported_modules("import cachetoolsx\n"), "cachetools")
    assert not imports_module(names, "")


def test_attack_a_file_that_does_not_parse_imports_nothing() -> None:
    assert imported_modules("import (\n") == frozenset()
    assert imported_modules("x = " + "(" * 100_000 + ")" * 100_000 + "\nimport os\n") == frozenset()
