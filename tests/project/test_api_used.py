"""The public API is what the modes are written on, no wider: every name that ``cicd_agent.api``
or one of its facets lists in ``__all__`` is imported by a mode of this project (the build mode
among them) or by CONTRIBUTING's worked example of a mode of one's own. A name no mode uses is
a promise (docs/versioning.md) kept for nobody; it goes, and comes back when a mode needs it.

Read with ast, nothing imported: a facet taken whole (``from cicd_agent.api import audit``)
counts each ``audit.<name>`` its module reads."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from tests.harness.payloads import REPO_ROOT

API = REPO_ROOT / "src" / "cicd_agent" / "api"
MODES = REPO_ROOT / "src" / "cicd_agent" / "modes"
CONTRIBUTING = REPO_ROOT / "CONTRIBUTING.md"


def listed(source: str) -> list[str]:
    """The names of a module's ``__all__``, a literal list."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return [ast.literal_eval(item) for item in node.value.elts]  # type: ignore[attr-defined]
    return []


def promised(facets: Iterable[str]) -> dict[str, list[str]]:
    """``cicd_agent.api[.facet]`` → its ``__all__``."""
    found = {"cicd_agent.api": listed((API / "__init__.py").read_text(encoding="utf-8"))}
    for facet in facets:
        found[f"cicd_agent.api.{facet}"] = listed((API / f"{facet}.py").read_text(encoding="utf-8"))
    return found


def used(sources: Iterable[str], facets: frozenset[str]) -> set[str]:
    """``module.name`` for each name of the API the sources import, or read off a facet they
    import whole."""
    found: set[str] = set()
    for source in sources:
        tree = ast.parse(source)
        whole: dict[str, str] = {}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            if not node.module.startswith("cicd_agent.api"):
                continue
            for alias in node.names:
                if node.module == "cicd_agent.api" and alias.name in facets:
                    whole[alias.asname or alias.name] = f"cicd_agent.api.{alias.name}"
                else:
                    found.add(f"{node.module}.{alias.name}")
        found |= {
            f"{whole[node.value.id]}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in whole
        }
    return found


def unused(sources: Iterable[str], facets: frozenset[str]) -> list[str]:
    imported = used(sources, facets)
    return sorted(
        f"{module}.{name}"
        for module, names in promised(facets).items()
        for name in names
        if f"{module}.{name}" not in imported
    )


def mode_sources() -> list[str]:
    sources = [path.read_text(encoding="utf-8") for path in sorted(MODES.rglob("*.py"))]
    text = CONTRIBUTING.read_text(encoding="utf-8")
    return sources + re.findall(r"```python\n(.*?)```", text, re.S)


FACETS = frozenset(path.stem for path in API.glob("*.py") if path.stem != "__init__")


def test_every_name_the_api_lists_is_imported_by_a_mode() -> None:
    assert unused(mode_sources(), FACETS) == []


def test_the_check_sees_a_name_no_mode_imports() -> None:
    """Taken from a facet by name, read off a facet imported whole, or never: only the last is
    reported."""
    facets = frozenset({"audit", "git"})
    everything = {name for names in promised(facets).values() for name in names}
    assert {"append", "digest", "Finding"} <= everything
    sources = [
        "from cicd_agent.api import Finding, audit\naudit.append(1)\n",
        "from cicd_agent.api.audit import digest\n",
        f"from cicd_agent.api import {', '.join(promised(facets)['cicd_agent.api'])}\n",
        f"from cicd_agent.api.git import {', '.join(promised(facets)['cicd_agent.api.git'])}\n",
    ]
    assert unused(sources, facets) == [
        f"cicd_agent.api.audit.{name}"
        for name in sorted(promised(facets)["cicd_agent.api.audit"])
        if name not in ("append", "digest")
    ]
    assert "cicd_agent.api.audit.append" in unused(sources[1:], facets)
