"""No import circles among cicd_agent's modules, and no mode goes back up to the CLI.

Read statically with ast, so an import hidden inside a function counts as much as one at the
top: it is the same arrow, only paid later. An import under ``if TYPE_CHECKING:`` counts for
circles too: it never runs, but a reader follows it all the same, and two modules that name
each other's types are one subject split in two. The arrows between parts count what runs.
A package's ``__init__`` counts as the module named by the package; the parent packages Python
runs before a submodule are not arrows of their own (every module would otherwise depend on
its package's ``__init__``).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

SOURCE = REPO_ROOT / "src"
PACKAGE = SOURCE / "cicd_agent"

KNOWN_CIRCLES: frozenset[tuple[str, str]] = frozenset()
"""Import arrows left in place in areas other helpers are reshaping, each ``(importer,
imported)`` with its owner named; the graph without them must have no circle. Empty it as
those branches land (a test below fails when a listed arrow no longer exists)."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _every_import(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under ``node``, type-only ones included."""
    for child in ast.walk(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under ``node`` that can run: a ``TYPE_CHECKING`` branch is skipped (its
    ``else`` is not)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes_in(other)
            continue
        yield from _import_nodes_in(child)


def _import_nodes_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    elif isinstance(node, ast.If) and _is_type_checking(node.test):
        for other in node.orelse:
            yield from _import_nodes_in(other)
        return
    yield from _import_nodes(node)


def imports_of(
    module: str,
    source: str | None = None,
    modules: Mapping[str, Path] = MODULES,
    *,
    type_only: bool = False,
) -> set[str]:
    """The modules of ``modules`` (cicd_agent's unless given) that ``module`` imports
    (``from pkg import name`` is ``pkg.name`` when that is a module, else ``pkg``), the
    imports under ``TYPE_CHECKING`` among them when ``type_only`` is true."""
    path = modules[module]
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in (_every_import if type_only else _import_nodes)(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            if f"{base}.{alias.name}" in modules:
                found.add(f"{base}.{alias.name}")
            elif base in modules:
                found.add(base)
    found.discard(module)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        found.append(sorted(part))
    return found


def _graph() -> dict[str, set[str]]:
    """The package's import graph (``TYPE_CHECKING`` imports too), each test's own copy."""
    return {module: set(imported) for module, imported in _read_graph().items()}


@functools.cache
def _read_graph() -> dict[str, frozenset[str]]:
    """Read once for the tests that check it (parsing every module: 2 CPU-s)."""
    return {module: frozenset(imports_of(module, type_only=True)) for module in MODULES}


def _describe(graph: dict[str, set[str]], part: list[str]) -> str:
    members = set(part)
    arrows = [f"  {a} -> {b}" for a in part for b in sorted(graph[a] & members)]
    return "\n".join([f"{len(part)} modules:", *arrows])


def test_the_reader_sees_function_level_and_type_only_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from cicd_agent.actions import errors\n"
        "if TYPE_CHECKING:\n"
        "    from cicd_agent.job.context import RunContext\n"
        "else:\n"
        "    from cicd_agent.analysis import severity\n"
        "def run() -> None:\n"
        "    from cicd_agent.model.client import ModelClient\n"
        "    from .dispatch import mode_parser\n"
    )
    running = {
        "cicd_agent.actions.errors",
        "cicd_agent.analysis.severity",
        "cicd_agent.model.client",
        "cicd_agent.modes.command.dispatch",
    }
    assert imports_of("cicd_agent.modes.command.mode", source, type_only=True) == {
        *running,
        "cicd_agent.job.context",
    }
    assert imports_of("cicd_agent.modes.command.mode", source) == running


def test_the_circle_finder_finds_a_circle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    graph = _graph()
    for importer, imported in KNOWN_CIRCLES:
        graph[importer].discard(imported)
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(_describe(graph, part) for part in found)


def test_every_known_circle_arrow_still_exists() -> None:
    graph = _graph()
    gone = {(a, b) for a, b in KNOWN_CIRCLES if b not in graph.get(a, set())}
    assert not gone, f"remove from KNOWN_CIRCLES, these arrows are gone: {sorted(gone)}"


def names_the_cli(source: str) -> bool:
    """Whether ``source`` imports ``cicd_agent.cli`` anywhere (``TYPE_CHECKING`` included)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        if any(name == CLI or name.startswith(f"{CLI}.") for name in names):
            return True
    return False


CLI = "cicd_agent.cli"


def test_the_cli_check_sees_each_way_of_naming_it() -> None:
    assert names_the_cli("def f():\n    from cicd_agent.cli import build_parser\n")
    assert names_the_cli("from cicd_agent import cli\n")
    assert names_the_cli("import cicd_agent.cli\n")
    assert not names_the_cli("from cicd_agent import client_side\nimport cicd_agent.clipboard\n")


FRONT_ENDS = frozenset({"cicd_agent.modes.deploy_gate.serve"})
"""Front ends that serve a mode another way and run the command line in their process (the
canary server answers HTTP with what ``deploy-gate --phase canary --json`` prints); no mode's
run imports them."""


def test_no_mode_imports_the_cli() -> None:
    """A mode is run by the CLI, never the other way: a mode that reaches back for the CLI's
    parser loops through every module the CLI imports."""
    offenders = [
        module
        for module, path in MODULES.items()
        if module.startswith("cicd_agent.modes.")
        and module not in FRONT_ENDS
        and names_the_cli(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


OUTSIDE = ("bench", "research", "tools")
"""The project's folders beside the package that import it: each is one part of the drawing."""
MAX_ARROWS_BETWEEN_PARTS = 69
"""The bound. It may only go down: a new arrow between two parts has to pay for itself by
removing another. A first-party mode imports each core name from its defining module, so the
modes draw an arrow to each part of the core they use (and deploy-gate's canary server one to
the CLI it runs), where the API's facets drew them before; the plain API (``api``) imports
each part it promises names from."""


def _part(module: str) -> str | None:
    """The part of the drawing ``module`` belongs to: a folder beside the package, or one
    subpackage or top-level module of cicd_agent. The package's own ``__init__`` belongs to
    none: it only names the version, which any part may read."""
    top, _, rest = module.partition(".")
    if top in OUTSIDE:
        return top
    return f"cicd_agent.{rest.partition('.')[0]}" if rest else None


def _project_modules() -> dict[str, Path]:
    found = dict(MODULES)
    for folder in OUTSIDE:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def arrows_between_parts() -> dict[tuple[str, str], set[str]]:
    """Each ``(importer part, imported part)`` with the module imports that draw it."""
    return {ends: set(why) for ends, why in _read_arrows().items()}


@functools.cache
def _read_arrows() -> dict[tuple[str, str], set[str]]:
    """Read once for the tests that check them (parsing every module of the project: 2.5
    CPU-s); :func:`arrows_between_parts` hands out copies."""
    modules = _project_modules()
    arrows: dict[tuple[str, str], set[str]] = {}
    for module in modules:
        for imported in imports_of(module, modules=modules):
            ends = (_part(module), _part(imported))
            if ends[0] and ends[1] and ends[0] != ends[1]:
                arrows.setdefault((ends[0], ends[1]), set()).add(f"{module} -> {imported}")
    return arrows


def test_the_parts_are_the_packages_layers_and_the_folders_beside_it() -> None:
    assert _part("cicd_agent.analysis.secrets.matcher") == "cicd_agent.analysis"
    assert _part("cicd_agent.cli") == "cicd_agent.cli"
    assert _part("research.risk.eval") == "research"
    assert _part("cicd_agent") is None


def test_few_arrows_between_the_parts() -> None:
    """A newcomer reads the project part by part: every arrow between two parts is one more
    thing to hold in mind. The message lists each arrow with the imports that draw it."""
    arrows = arrows_between_parts()
    listed = [f"{a} -> {b}: {'; '.join(sorted(why))}" for (a, b), why in sorted(arrows.items())]
    assert len(arrows) <= MAX_ARROWS_BETWEEN_PARTS, f"{len(arrows)} arrows:\n" + "\n".join(listed)


def test_no_circles_between_the_parts() -> None:
    """Parts are read one after another only when their arrows run one way (bench times what
    research measures, never the other way round as well)."""
    graph: dict[str, set[str]] = {}
    for importer, imported in arrows_between_parts():
        graph.setdefault(importer, set()).add(imported)
        graph.setdefault(imported, set())
    assert circles(graph) == []


def test_the_actions_layer_imports_no_other_part() -> None:
    """actions/ (the Actions runner's I/O) is the ground every layer stands on (errors, inputs,
    masking, safe Markdown): an import from it into another part would run back up and tie the
    ground to a floor above."""
    upward = {ends: why for ends, why in arrows_between_parts().items() if ends[0] == ACTIONS}
    assert upward == {}


ACTIONS = "cicd_agent.actions"
