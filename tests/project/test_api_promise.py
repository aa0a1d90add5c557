"""docs/versioning.md promises the API a mode is written on: the names in the ``__all__`` of
``cicd_agent.plugins``, ``cicd_agent.api`` and each of the API's promised facets, and says the
lent ones (``cicd_agent.api.lent``) are not promised, each listed with the modes it is lent to.
The promise must name every promised facet there is, and every name it covers must be there."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

from tests.harness.payloads import REPO_ROOT
from tests.project.test_api_page import table_after
from tests.project.test_api_used import LENT, lent_to

API = REPO_ROOT / "src" / "cicd_agent" / "api"
PROMISE = (REPO_ROOT / "docs" / "versioning.md").read_text(encoding="utf-8")
SECTION, _, NOT_PROMISED = (
    PROMISE.partition("## The API a mode is written on")[2].partition("Everything else")
)


def test_the_promise_names_every_facet_of_the_api() -> None:
    facets = {path.stem for path in API.glob("*.py") if path.stem != "__init__"}
    named = set(re.findall(r"`(?:cicd_agent\.api)?\.(\w+)`", SECTION))
    assert facets - named == set(), "docs/versioning.md does not promise these facets"
    assert named - facets == set(), "docs/versioning.md promises facets that do not exist"
    assert "`cicd_agent.api.lent`" in NOT_PROMISED.partition("\n\n")[0]  # lent, not promised


def typing_only(module: object) -> set[str]:
    """The names ``module`` defines for type checkers alone (under ``if TYPE_CHECKING:``), as
    ``cicd_agent.plugins`` names the ``ModeArguments`` protocol."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    names = {node.name for block in blocks for node in block.body
             if isinstance(node, ast.ClassDef | ast.FunctionDef)}
    return names | {alias.asname or alias.name for block in blocks for node in block.body
                    if isinstance(node, ast.ImportFrom) for alias in node.names}


def test_every_promised_name_is_there() -> None:
    modules = ["cicd_agent.plugins", "cicd_agent.api"] + [
        f"cicd_agent.api.{path.stem}" for path in sorted(API.glob("*.py"))
        if path.stem != "__init__"
    ]
    missing = []
    for name in modules:
        module = importlib.import_module(name)
        listed = getattr(module, "__all__", None)
        assert listed, f"{name} lists no __all__: nothing of it is promised"
        typed = typing_only(module)
        missing += [f"{name}.{each}" for each in listed
                    if not hasattr(module, each) and each not in typed]
    assert missing == []


def test_the_lent_facets_are_listed_with_whom_they_are_lent_to() -> None:
    table = table_after(NOT_PROMISED.partition("### Lent, not promised")[2])
    said = {cells[0].strip("`"): set(cells[1].split(", ")) for cells in table}
    assert said == {module: lent_to(path) for module, path in LENT.items()}
