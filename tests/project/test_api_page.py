"""docs/plugins.md's account of the API and the modules it describes agree: the table's rows
name modules that exist and names their module lists in ``__all__``, every promised facet has a
row, and the promise name by name is each promised module's ``__all__`` exactly (one line of
meaning each). A name dropped from the API leaves the page with it."""

from __future__ import annotations

import importlib
import re

from tests.harness.payloads import REPO_ROOT
from tests.project.test_api_used import PLUGINS, PROMISED, listed

PAGE = (REPO_ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
SECTION = PAGE.split("## The public API", 1)[1].split("\n## ", 1)[0]


def table_after(text: str) -> list[list[str]]:
    """The cells of each body row of the first table in ``text``."""
    table = next(block for block in text.split("\n\n") if block.startswith("|"))
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.splitlines()[2:]]  # fmt: skip


def rows() -> dict[str, tuple[list[str], set[str]]]:
    """Each row of the table of modules: its modules, and the names its second cell gives in
    backticks (a word named as a module, "its `arguments` module", is not one)."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for cells in table_after(SECTION):
        modules = re.findall(r"`(cicd_agent\.[\w.]+)`", cells[0])
        text = re.sub(r"`\w+` module", "", cells[1])
        found[cells[0]] = (modules, set(re.findall(r"`([A-Za-z_]\w*)`", text)))
    return found


def strays(found: dict[str, tuple[list[str], set[str]]]) -> dict[str, list[str]]:
    """Each row's names that none of its modules lists in ``__all__``."""
    missing = {}
    for row, (modules, names) in found.items():
        listed_here = {n for module in modules for n in importlib.import_module(module).__all__}
        if names - listed_here:
            missing[row] = sorted(names - listed_here)
    return missing


def promise_by_name() -> dict[str, list[str]]:
    """The promise name by name: each module's heading, then a line ``- `name`: meaning`` a
    name."""
    part = SECTION.split("### The promise, name by name", 1)[1].split("\n### ", 1)[0]
    found: dict[str, list[str]] = {}
    for module, lines in re.findall(r"^`(cicd_agent\.[\w.]+)`:\n\n((?:- .*\n)+)", part, re.M):
        found[module] = re.findall(r"^- `(\w+)`: \S", lines, re.M)
        assert len(found[module]) == len(lines.splitlines()), module  # one line, one name
    return found


def test_every_name_the_table_gives_is_in_its_module() -> None:
    assert strays(rows()) == {}


def test_every_promised_facet_has_a_row() -> None:
    described = {module for modules, _ in rows().values() for module in modules}
    assert {"cicd_agent.plugins", *PROMISED} == described


def test_the_promise_is_listed_name_by_name() -> None:
    page = promise_by_name()
    assert sorted(page) == sorted(PROMISED)
    for module, path in PROMISED.items():
        assert sorted(page[module]) == sorted(listed(path.read_text(encoding="utf-8"))), module
        assert len(set(page[module])) == len(page[module]), module


def test_the_plugins_row_gives_its_promise_name_by_name() -> None:
    """The plugins' module has no list of its own below the table: its row names each name
    its ``__all__`` lists, and no other."""
    for module, path in PLUGINS.items():
        assert rows()[f"`{module}`"][1] == set(listed(path.read_text(encoding="utf-8")))


def test_the_check_sees_a_name_the_module_does_not_list() -> None:
    """Read from the page: the plugin row's names, and not its module word; checked: a name its
    module does not list is reported, under its row."""
    assert "ModePlugin" in rows()["`cicd_agent.plugins`"][1]
    assert "arguments" not in rows()["`cicd_agent.plugins`"][1]
    row = {"x": (["cicd_agent.api", "cicd_agent.api.audit"], {"RunContext", "append", "Gone"})}
    assert strays(row) == {"x": ["Gone"]}
