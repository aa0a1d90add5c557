"""The promised API is what the modes share, no wider, and what one mode borrows is lent, not
promised. Counted from the modes' imports (read with ast, nothing imported), mode by mode:

- every name that ``cicd_agent.api`` or a promised facet lists in ``__all__`` is imported by
  two or more modes of this project, or by CONTRIBUTING's mode of one's own (the worked
  example a third party copies);
- every name a lent facet (``cicd_agent.api.lent.<subject>``) lists is imported by exactly one
  mode, one its docstring says it is lent to ("Lent to review and gen-tests, ...");
- CONTRIBUTING's mode of one's own imports no lent facet.

``cicd_agent.plugins`` is held the same way, its promise being what a plugin's author uses:
every name its ``__all__`` lists is imported by a plugin's declaration (a mode's ``__init__`` or
``arguments`` module, or the worked example's), or by two or more modes; a mode takes nothing
else from it (the registry's other parts are the command line's, and lent to the command mode).

So a name a second mode starts to import moves into the promise, and a name no mode imports
leaves the API (it stays in its core module for the core's own use). A facet taken whole
(``from cicd_agent.api import audit``) counts each ``audit.<name>`` its module reads.

The promise is closed: every type of ``cicd_agent`` a promised function's parameters or return
name is promised too (read with ``typing.get_type_hints``, the names a module imports for type
checkers alone included), and such a name is promised whether or not two modes import it."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import typing
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

from tests.harness.payloads import REPO_ROOT
from tests.project.test_mode_of_your_own import example_files

API = REPO_ROOT / "src" / "cicd_agent" / "api"
MODES = REPO_ROOT / "src" / "cicd_agent" / "modes"
EXAMPLE = "a mode of one's own"


def listed(source: str) -> list[str]:
    """The names of a module's ``__all__``, a literal list."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return [ast.literal_eval(item) for item in node.value.elts]  # type: ignore[attr-defined]
    return []


def facets(folder: Path, package: str) -> dict[str, Path]:
    """``package.<facet>`` → its file, for each facet module of ``folder``."""
    return {f"{package}.{path.stem}": path for path in sorted(folder.glob("*.py"))
            if path.stem != "__init__"}  # fmt: skip


PROMISED = {"cicd_agent.api": API / "__init__.py", **facets(API, "cicd_agent.api")}
PLUGINS = {"cicd_agent.plugins": REPO_ROOT / "src" / "cicd_agent" / "plugins.py"}
DECLARATION = ("__init__.py", "arguments.py")
"""A plugin's declaration: the modules ``cicd-agent --help`` imports, the author's first code."""
LENT = facets(API / "lent", "cicd_agent.api.lent")


def names_of(modules: Mapping[str, Path]) -> dict[str, list[str]]:
    return {module: listed(path.read_text(encoding="utf-8")) for module, path in modules.items()}


def used(source: str) -> set[str]:
    """``module.name`` for each name of the API or the plugins' module the source imports, or
    reads off a facet it imports whole (``from cicd_agent.api import audit``,
    ``from cicd_agent.api.lent import git``)."""
    found: set[str] = set()
    tree = ast.parse(source)
    whole: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module):
            continue
        if not node.module.startswith("cicd_agent.api") and node.module not in PLUGINS:
            continue
        for alias in node.names:
            module = f"{node.module}.{alias.name}"
            if module in PROMISED or module in LENT:
                whole[alias.asname or alias.name] = module
            else:
                found.add(module)
    found |= {
        f"{whole[node.value.id]}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in whole
    }
    return found


def users(sources: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """``module.name`` → the modes (by name) whose sources import it."""
    found: dict[str, set[str]] = {}
    for mode, texts in sources.items():
        for text in texts:
            for name in used(text):
                found.setdefault(name, set()).add(mode)
    return found


def mode_sources(only: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Each first-party mode's modules by the mode's name (those named ``only``, when given),
    and the worked example's."""
    sources = {
        folder.name.replace("_", "-"): [
            path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*.py"))
            if not only or path.relative_to(folder).as_posix() in only
        ]
        for folder in sorted(MODES.iterdir())
        if (folder / "__init__.py").exists()
    }
    sources[EXAMPLE] = [text for path, text in example_files().items() if path.endswith(".py")]
    return sources


def lent_to(path: Path) -> set[str]:
    """The modes a lent facet's docstring names: "Lent to a, b and c, ..."."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    head = re.match(r"Lent to ([\w\- ,]+?), and may change", doc)
    return set(re.split(r", | and ", head.group(1))) if head else set()


def misplaced(
    promised: Mapping[str, list[str]],
    lent: Mapping[str, list[str]],
    borrowers: Mapping[str, set[str]],
    imported_by: Mapping[str, set[str]],
    named: Collection[str] = (),
) -> list[str]:
    """Each name whose place does not match its use, with the modes that import it; a promised
    name a promised signature ``named`` needs no importer."""
    wrong = []
    for module, names in promised.items():
        for name in names:
            modes = imported_by.get(f"{module}.{name}", set())
            if f"{module}.{name}" in named:
                continue
            if len(modes - {EXAMPLE}) < 2 and EXAMPLE not in modes:
                wrong.append(f"promised {module}.{name}: {sorted(modes)}")
    for module, names in lent.items():
        for name in names:
            modes = imported_by.get(f"{module}.{name}", set())
            if len(modes) != 1 or not modes <= borrowers[module]:
                wrong.append(f"lent {module}.{name}: {sorted(modes)}")
    return wrong


def promised_values() -> dict[str, object]:
    """``module.name`` → its object, for each promised name."""
    return {f"{module}.{name}": getattr(importlib.import_module(module), name)
            for module, names in names_of(PROMISED).items() for name in names}  # fmt: skip


def typing_only(module: ModuleType | None) -> dict[str, object]:
    """What ``module`` imports under ``if TYPE_CHECKING:``, imported, for its annotations."""
    found: dict[str, object] = {}
    for node in ast.parse(inspect.getsource(module)).body if module else []:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    imported = importlib.import_module(statement.module)
                    for alias in statement.names:
                        found[alias.asname or alias.name] = getattr(imported, alias.name)
    return found


def parts(annotation: object) -> Iterator[object]:
    """An annotation and every type inside it (``list[X] | None`` gives list, X and None)."""
    yield typing.get_origin(annotation) or annotation
    for argument in typing.get_args(annotation):
        yield from parts(argument)


def signature_types(values: Mapping[str, object]) -> dict[str, tuple[object, set[str]]]:
    """Each type of ``cicd_agent`` a function's parameters or return name (``module.Name`` →
    the type, and the functions naming it); a class's fields and methods are not read."""
    found: dict[str, tuple[object, set[str]]] = {}
    for name, value in values.items():
        if inspect.isclass(value) or not inspect.isroutine(value):
            continue
        hints = typing.get_type_hints(value, localns=typing_only(inspect.getmodule(value)))
        for part in (part for hint in hints.values() for part in parts(hint)):
            module = str(getattr(part, "__module__", ""))
            if module.startswith("cicd_agent.") and not isinstance(part, typing.TypeVar):
                key = f"{module}.{getattr(part, '__qualname__', part)}"
                found.setdefault(key, (part, set()))[1].add(name)
    return found


def unpromised(values: Mapping[str, object]) -> list[str]:
    """Each ``cicd_agent`` type a promised signature names that is not promised itself, with
    the functions that name it."""
    return [f"{key}: named by {sorted(names)}"
            for key, (part, names) in sorted(signature_types(values).items())
            if not any(part is value for value in values.values())]  # fmt: skip


def named_in_signatures(values: Mapping[str, object]) -> set[str]:
    """The promised names a promised signature names: promised for that alone."""
    named = [part for part, _ in signature_types(values).values()]
    return {name for name, value in values.items() if any(value is part for part in named)}


ONE_MODES_SERVICES = frozenset({"cicd_agent.api.runners.IN_ORDER",
                                "cicd_agent.api.runners.OrderedRuns"})  # fmt: skip
"""Services of the core that one mode uses, promised rather than lent (the lent facets are being
removed, and a new capability comes as a service of the core): the test step's flaky-test
fixer's runs of tests in orders of its choosing, in fresh sandbox copies."""


def test_promised_names_are_shared_and_lent_names_are_one_modes() -> None:
    borrowers = {module: lent_to(path) for module, path in LENT.items()}
    named = named_in_signatures(promised_values()) | ONE_MODES_SERVICES
    found = misplaced(names_of(PROMISED), names_of(LENT), borrowers, users(mode_sources()), named)
    assert found == []


def test_the_plugins_promise_is_what_a_plugin_declares_with_or_modes_share() -> None:
    declares = set(users(mode_sources(DECLARATION)))
    assert misplaced(names_of(PLUGINS), {}, {}, users(mode_sources()), declares) == []


def test_a_mode_takes_from_the_plugins_module_its_promise_alone() -> None:
    promised = {f"{module}.{name}" for module, names in names_of(PLUGINS).items() for name in names}
    taken = {name for name in users(mode_sources()) if name.startswith("cicd_agent.plugins.")}
    assert sorted(taken - promised) == []


def test_the_check_sees_a_plugins_name_no_plugin_needs() -> None:
    """A name one mode's run imports from the plugins' module is reported, and so is one none
    imports; one a declaration imports and one two modes' runs import are not."""
    promised = {"cicd_agent.plugins": ["ModePlugin", "path", "plugin_sections", "plugin", "gone"]}
    sources = {
        "review": ["from cicd_agent.plugins import ModePlugin, path, plugin_sections\n"],
        "command": ["from cicd_agent.plugins import plugin, plugin_sections\n"],
    }
    declares = {"cicd_agent.plugins.ModePlugin", "cicd_agent.plugins.path"}
    assert misplaced(promised, {}, {}, users(sources), declares) == [
        "promised cicd_agent.plugins.plugin: ['command']",
        "promised cicd_agent.plugins.gone: []",
    ]
    assert "cicd_agent.plugins.path" in set(users(mode_sources(DECLARATION)))


def test_every_type_a_promised_signature_names_is_promised() -> None:
    assert unpromised(promised_values()) == []


def test_every_lent_facet_says_which_modes_it_is_lent_to() -> None:
    modes = set(mode_sources()) - {EXAMPLE}
    assert all(lent_to(path) and lent_to(path) <= modes for path in LENT.values()), {
        module: sorted(lent_to(path)) for module, path in LENT.items()
    }


def test_the_worked_example_borrows_nothing() -> None:
    example = users({EXAMPLE: mode_sources()[EXAMPLE]})
    assert [name for name in example if name.startswith("cicd_agent.api.lent")] == []
    assert example  # it does import the promised API


def test_the_check_sees_a_name_in_the_wrong_place() -> None:
    """A promised name one mode imports, a promised name no mode imports, a lent name two
    modes import and a lent name its facet does not lend to the mode that imports it are
    reported; a promised name the example alone imports, one two modes import and a lent
    name of its one borrower are not."""
    promised = {"cicd_agent.api": ["begin", "finish", "Given", "orphan"],
                "cicd_agent.api.risk": ["assess_risk"]}  # fmt: skip
    lent = {"cicd_agent.api.lent.git": ["grep", "blame", "log"]}
    sources = {
        "review": ["from cicd_agent.api import begin, finish\nfrom cicd_agent.api import risk\n"
                   "risk.assess_risk(1)\nfrom cicd_agent.api.lent import git\ngit.grep()\n"
                   "from cicd_agent.api.lent.git import blame\n"],
        "gen-tests": ["from cicd_agent.api import finish\n"
                      "from cicd_agent.api.lent.git import blame, log\n"],
        EXAMPLE: ["from cicd_agent.api import Given\n"],
    }  # fmt: skip
    borrowers = {"cicd_agent.api.lent.git": {"review"}}
    assert misplaced(promised, lent, borrowers, users(sources)) == [
        "promised cicd_agent.api.begin: ['review']",
        "promised cicd_agent.api.orphan: []",
        "promised cicd_agent.api.risk.assess_risk: ['review']",
        "lent cicd_agent.api.lent.git.blame: ['gen-tests', 'review']",
        "lent cicd_agent.api.lent.git.log: ['gen-tests']",
    ]
    assert lent_to(LENT["cicd_agent.api.lent.git"]) == {"analyse-failure", "gen-tests"}


def test_the_check_sees_a_signature_that_names_a_type_outside_the_promise() -> None:
    """With ``RiskAssessment`` and ``DecisionRun`` taken out of the promise, ``assess_risk``
    (whose return it is) and ``record_decision`` (whose parameter it is) are reported; a
    class's own fields are not read, and what is promised stays quiet; a name a signature
    needs is exempt from the count of modes."""
    from cicd_agent.api import DecisionRun, record_decision
    from cicd_agent.api.risk import RiskAssessment, assess_risk

    values = {"assess_risk": assess_risk, "record_decision": record_decision,
              "DecisionRun": DecisionRun, "RiskAssessment": RiskAssessment}  # fmt: skip
    assert not [found for found in unpromised(values)
                if "RiskAssessment:" in found or "decisions.DecisionRun:" in found]  # fmt: skip
    alone = {"assess_risk": assess_risk, "record_decision": record_decision}
    reported = unpromised(alone)
    assert "cicd_agent.risk.assessment.RiskAssessment: named by ['assess_risk']" in reported
    assert "cicd_agent.job.decisions.DecisionRun: named by ['record_decision']" in reported
    assert {"DecisionRun", "RiskAssessment"} <= named_in_signatures(values)
    promised = {"cicd_agent.api.risk": ["RiskAssessment"]}
    assert misplaced(promised, {}, {}, {}) == ["promised cicd_agent.api.risk.RiskAssessment: []"]
    assert misplaced(promised, {}, {}, {}, {"cicd_agent.api.risk.RiskAssessment"}) == []
