"""A source file's dotted name, as a test written for it imports it."""

from __future__ import annotations

from cicd_agent.modes.gen_tests.python_imports import module_name


def test_a_src_layout_and_a_flat_project_give_the_same_module_and_a_package_its_init() -> None:
    assert module_name("src/cachetools/keys.py") == "cachetools.keys"
    assert module_name("cachetools/keys.py") == "cachetools.keys"
    assert module_name("src/cachetools/__init__.py") == "cachetools"
    assert module_name("lib/app.py") == "app"
