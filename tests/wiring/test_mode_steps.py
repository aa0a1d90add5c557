"""What a mode's steps must keep, wherever they live (the fixed file skeleton
was dropped: a mode's wiring reads top to bottom in its ``mode.py``, its logic in as many
modules as it needs). ``analyse`` and ``decide`` take no run context (what they need comes in
as arguments, their notes go back inside what they return), and the wiring hands them what
they are told, never the run."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT
from tests.wiring.test_step_types_frozen import _returned as returned_classes
from tests.wiring.test_step_types_frozen import step

MODES_ROOT = REPO_ROOT / "src" / "cicd_agent" / "modes"
PURE = ("analyse", "decide")


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return found[0] if found else None


def takes_the_run(source: str, name: str) -> list[str]:
    """Why the step ``name`` in ``source`` reaches the run context (empty when it does not)."""
    tree = ast.parse(source)
    problems = []
    function = _function(tree, name)
    if function is None:
        return [f"no function {name}()"]
    arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    for argument in arguments:
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        if argument.arg == "ctx" or "RunContext" in annotation:
            problems.append(f"{name}() takes the run ({argument.arg}: {annotation})")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "cicd_agent.job.context":
            problems.append("imports the run context")
        if isinstance(node, ast.Attribute) and node.attr == "note":
            problems.append(f"line {node.lineno} notes on the run")
    return problems


WIRINGS = sorted(MODES_ROOT.rglob("mode.py"))


def _wiring(wiring: Path) -> object:
    """The wiring module of a ``mode.py`` path: it imports its steps by name."""
    parts = wiring.relative_to(REPO_ROOT / "src").with_suffix("").parts
    return importlib.import_module(".".join(parts))


@pytest.mark.parametrize("wiring", WIRINGS, ids=[str(p.relative_to(MODES_ROOT)) for p in WIRINGS])
@pytest.mark.parametrize("name", PURE)
def test_analyse_and_decide_take_no_run_context(wiring: Path, name: str) -> None:
    """Every mode's and phase's analyse and decide, read in the module that defines them."""
    function = step(_wiring(wiring), name)
    assert inspect.isfunction(function), f"{wiring}: no {name} step"
    source = Path(inspect.getsourcefile(function) or "").read_text(encoding="utf-8")
    assert takes_the_run(source, function.__name__) == []


ASK_TAKES_THE_RUN = {
    "gen-tests": "its ask is the model loop that runs each candidate in the sandbox: between "
    "calls it reads the run's spent tokens and cost (ctx.usage_report), says its progress "
    "and notes why generation stopped, as the loop goes",
    "deploy-gate": "not yet handed its parts: it reads the model and the redactor only (its "
    "prompt builder and clean_opinion take the run for the redactor)",
}
"""The modes whose ask still takes the run, and why. A mode leaves the list when its ask is
handed what it reads (the test below then says so); review's, analyse-failure's and
command's are."""


def _asks() -> dict[str, Callable[..., object]]:
    """Each mode's and phase's ask step, by the mode's name, where its wiring has one."""
    asks = {}
    for wiring in WIRINGS:
        function = step(_wiring(wiring), "ask")
        if function is not None:
            asks[wiring.relative_to(MODES_ROOT).parts[0].replace("_", "-")] = function
    return asks


ASKS = _asks()


@pytest.mark.parametrize("mode", sorted(ASKS))
def test_every_modes_ask_is_handed_what_it_reads(mode: str) -> None:
    """review's ask takes the model, its facts, the run's rules and where a note goes;
    analyse-failure's the model, its verdict and the redactor: no run. A mode whose ask still
    takes the run says why in :data:`ASK_TAKES_THE_RUN`."""
    function = ASKS[mode]
    source = Path(inspect.getsourcefile(function) or "").read_text(encoding="utf-8")
    problems = takes_the_run(source, "ask")
    if mode in ASK_TAKES_THE_RUN:
        assert problems, f"{mode}'s ask no longer takes the run: take it off ASK_TAKES_THE_RUN"
    else:
        assert problems == []


def test_the_asks_that_take_the_run_are_modes_that_ask() -> None:
    assert {"review", "analyse-failure"} <= ASKS.keys()
    assert ASK_TAKES_THE_RUN.keys() <= ASKS.keys()


def test_the_check_catches_a_step_that_takes_the_run() -> None:
    drifted = (
        "from cicd_agent.job.context import RunContext\n"
        "def decide(ctx: RunContext[object], verdict: int) -> int:\n"
        "    ctx.note('x')\n"
        "    return verdict\n"
    )
    assert len(takes_the_run(drifted, "decide")) == 3
    assert takes_the_run("def decide(verdict: int) -> int:\n    return verdict\n", "decide") == []
    assert takes_the_run("def analyse_it() -> None: ...\n", "analyse") == ["no function analyse()"]


TYPED_STEPS = ("collect", "analyse", "ask")
"""The steps whose return values are the mode's step types (decide's is its result)."""


def types_homes(wiring: str) -> tuple[str, ...]:
    """Where the step types of the steps wired in module ``wiring`` may live: the ``types``
    module of its mode (a phase's may also live in its own folder's, the canary's)."""
    folders = wiring.split(".")[:-1]  # cicd_agent.modes.<mode>[.<phase>]
    own = tuple(".".join(folders[:end]) + ".types" for end in range(3, len(folders) + 1))
    return own


def misplaced_types(wiring: str, returned: dict[str, list[type]]) -> list[str]:
    """The step types (``returned``: step → the classes it returns) that live elsewhere."""
    homes = types_homes(wiring)
    return [
        f"{step}() -> {kind.__module__}.{kind.__qualname__}"
        for step, kinds in returned.items()
        for kind in kinds
        if kind.__module__ not in homes
    ]


@pytest.mark.parametrize("wiring", WIRINGS, ids=[str(p.relative_to(MODES_ROOT)) for p in WIRINGS])
def test_a_modes_step_types_live_in_its_types_module(wiring: Path) -> None:
    """Facts, the rules handed to the pure steps, verdict and opinion of every mode in
    ``modes/<mode>/types.py``: the shape of a mode is read in one module, the same name in every mode."""
    module = _wiring(wiring)
    named = [name for name in TYPED_STEPS if step(module, name) is not None]
    assert "collect" in named, f"{wiring}: no collect step found"
    returned = {name: returned_classes(module, name) for name in named}
    assert misplaced_types(module.__name__, returned) == []


def test_the_types_check_catches_a_step_type_defined_beside_its_step() -> None:
    facts = type("ToyFacts", (), {"__module__": "cicd_agent.modes.toy.collect"})
    verdict = type("ToyVerdict", (), {"__module__": "cicd_agent.modes.toy.types"})
    other = type("OtherFacts", (), {"__module__": "cicd_agent.modes.other.types"})
    returned = {"collect": [facts], "analyse": [verdict], "ask": [other]}
    assert misplaced_types("cicd_agent.modes.toy.mode", returned) == [
        "collect() -> cicd_agent.modes.toy.collect.ToyFacts",
        "ask() -> cicd_agent.modes.other.types.OtherFacts",
    ]
    phase = type("PhaseFacts", (), {"__module__": "cicd_agent.modes.toy.phase.types"})
    assert misplaced_types("cicd_agent.modes.toy.phase.mode", {"collect": [phase, verdict]}) == []
    assert misplaced_types("cicd_agent.modes.toy.mode", {"collect": [phase]}) == [
        "collect() -> cicd_agent.modes.toy.phase.types.PhaseFacts"
    ]
