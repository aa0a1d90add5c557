"""docs/versioning.md promises the API a mode is written on: the names in the ``__all__`` of
``cicd_agent.plugins``, ``cicd_agent.api`` and each of the API's facets. The promise must name
every facet there is, and every name it covers must be there."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

from tests.harness.payloads import REPO_ROOT

API = REPO_ROOT / "src" / "cicd_agent" / "api"
PROMISE = (REPO_ROOT / "docs" / "versioning.md").read_text(encoding="utf-8")
SECTION = PROMISE.partition("## The API a mode is written on")[2]


def test_the_promise_names_every_facet_of_the_api() -> None:
    facets = {path.stem for path in API.glob("*.py") if path.stem != "__init__"}
    named = set(re.findall(r"`(?:cicd_agent\.api)?\.(\w+)`", SECTION))
    assert facets - named == set(), "docs/versioning.md does not promise these facets"
    assert named - facets == set(), "docs/versioning.md promises facets that do not exist"


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
