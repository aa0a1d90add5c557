"""docs/plugins.md's table of the public API and the modules it describes agree: each row names
a module that exists, each name a row gives is one its module lists in ``__all__``, and every
facet of ``cicd_agent.api`` has a row. A name dropped from the API leaves the page with it."""

from __future__ import annotations

import importlib
import re

from tests.harness.payloads import REPO_ROOT

PAGE = (REPO_ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
API = REPO_ROOT / "src" / "cicd_agent" / "api"


def rows() -> dict[str, tuple[list[str], set[str]]]:
    """Each row of the table under "The public API": its modules, and the names its second
    cell gives in backticks (a word named as a module, "its `arguments` module", is not one)."""
    table = PAGE.split("## The public API", 1)[1].split("\n\n", 2)[1]
    found: dict[str, tuple[list[str], set[str]]] = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        modules = re.findall(r"`(cicd_agent\.[\w.]+)`", cells[0])
        text = re.sub(r"`\w+` module", "", cells[1])
        found[cells[0]] = (modules, set(re.findall(r"`([A-Za-z_]\w*)`", text)))
    return found


def strays(found: dict[str, tuple[list[str], set[str]]]) -> dict[str, list[str]]:
    """Each row's names that none of its modules lists in ``__all__``."""
    missing = {}
    for row, (modules, names) in found.items():
        listed = {name for module in modules for name in importlib.import_module(module).__all__}
        if names - listed:
            missing[row] = sorted(names - listed)
    return missing


def test_every_name_the_page_gives_is_in_its_module() -> None:
    assert strays(rows()) == {}


def test_every_facet_of_the_api_has_a_row() -> None:
    described = {module for modules, _ in rows().values() for module in modules}
    facets = {f"cicd_agent.api.{path.stem}" for path in API.glob("*.py") if path.stem != "__init__"}
    assert {"cicd_agent.api", "cicd_agent.plugins", *facets} == described


def test_the_check_sees_a_name_the_module_does_not_list() -> None:
    """Read from the page: the API row's names, and not the plugin row's module word; checked:
    a name its module does not list is reported, under its row."""
    assert "RunContext" in rows()["`cicd_agent.api`"][1]
    assert "arguments" not in rows()["`cicd_agent.plugins`"][1]
    row = {"x": (["cicd_agent.api", "cicd_agent.api.audit"], {"RunContext", "append", "Gone"})}
    assert strays(row) == {"x": ["Gone"]}
