"""What a mode's steps must keep, wherever they live (issue 68 dropped the fixed file skeleton
of issue 52: a mode's wiring reads top to bottom in its ``mode.py``, its logic in as many
modules as it needs). ``analyse`` and ``decide`` take no run context (what they need comes in
as arguments, their notes go back inside what they return), and the wiring hands them what
they are told, never the run."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from cicd_agent.modes import MODES
from tests.harness.payloads import REPO_ROOT
from tests.project.test_step_types_frozen import _returned as returned_classes

MODES_ROOT = REPO_ROOT / "src" / "cicd_agent" / "modes"
PURE = ("analyse", "decide")


def _folder(mode: str) -> Path:
    return MODES_ROOT / MODES[mode].package.rpartition(".")[2]


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


def pure_step_file(mode: str, step: str) -> Path:
    """The module holding ``mode``'s ``step``: the function its wiring module calls by name
    (review's), else the step's module of that name beside the wiring."""
    wiring = importlib.import_module(f"{MODES[mode].package}.mode")
    function = getattr(wiring, step, None)
    if inspect.isfunction(function):
        return Path(inspect.getsourcefile(function) or "")
    return _folder(mode) / f"{step}.py"


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("step", PURE)
def test_analyse_and_decide_take_no_run_context(mode: str, step: str) -> None:
    source = pure_step_file(mode, step).read_text(encoding="utf-8")
    assert takes_the_run(source, step) == []


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


def wiring_takes_the_run(source: str) -> list[str]:
    """Why a class of steps in a ``mode.py`` (one with ``collect``) hands the run to analyse or
    decide: either takes a ``ctx`` or a ``RunContext``, or ``told`` (what they are told of the
    run instead) returns the run itself. A class without ``told`` must inherit
    :class:`cicd_agent.modes.Wiring`'s (``Told``)."""
    problems = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
        if "collect" not in methods:
            continue
        if "told" not in methods:
            if "Wiring" not in {ast.unparse(base) for base in node.bases}:
                problems.append(f"{node.name} has no told()")
        elif "RunContext" in ast.unparse(methods["told"].returns or ast.Constant(None)):
            problems.append(f"{node.name}.told() returns the run")
        for step in PURE:
            if step not in methods:
                problems.append(f"{node.name} has no {step}()")
                continue
            for argument in methods[step].args.args:
                annotation = ast.unparse(argument.annotation) if argument.annotation else ""
                if argument.arg == "ctx" or "RunContext" in annotation:
                    problems.append(f"{node.name}.{step}() takes the run ({argument.arg})")
    return problems


WIRINGS = sorted(MODES_ROOT.rglob("mode.py"))


@pytest.mark.parametrize("wiring", WIRINGS, ids=[str(p.relative_to(MODES_ROOT)) for p in WIRINGS])
def test_the_wiring_hands_analyse_and_decide_what_they_are_told_not_the_run(wiring: Path) -> None:
    assert wiring_takes_the_run(wiring.read_text(encoding="utf-8")) == []


def test_the_wiring_check_catches_a_phase_that_hands_over_the_run() -> None:
    drifted = (
        "class Phase:\n"
        "    def collect(self, ctx: RunContext[O]) -> int: ...\n"
        "    def told(self, ctx: RunContext[O], facts: int) -> RunContext[O]: ...\n"
        "    def analyse(self, told: RunContext[O], facts: int) -> int: ...\n"
        "    def decide(self, ctx: Told, verdict: int, opinion: None) -> R: ...\n"
        "class Helper:\n"
        "    def decide(self, ctx: RunContext[O]) -> None: ...\n"
    )
    assert wiring_takes_the_run(drifted) == [
        "Phase.told() returns the run",
        "Phase.analyse() takes the run (told)",
        "Phase.decide() takes the run (ctx)",
    ]
    told = "class P:\n    def collect(self, ctx): ...\n    def analyse(self, t, f): ...\n"
    assert wiring_takes_the_run(told) == ["P has no told()", "P has no decide()"]
    inherited = told.replace("class P:", "class P(Wiring):")
    assert wiring_takes_the_run(inherited) == ["P has no decide()"]


TYPED_STEPS = ("collect", "told", "analyse", "ask")
"""The steps whose return values are the mode's step types (decide's is its result)."""
SHARED_TYPES = ("cicd_agent.job.pipeline",)
"""``Told``: what a mode that needs no more of the run is told, the same for every mode."""


def types_homes(wiring: str) -> tuple[str, ...]:
    """Where the step types of the steps wired in module ``wiring`` may live: the ``types``
    module of its mode (a phase's may also live in its own folder's, the canary's)."""
    folders = wiring.split(".")[:-1]  # cicd_agent.modes.<mode>[.<phase>]
    own = tuple(".".join(folders[:end]) + ".types" for end in range(3, len(folders) + 1))
    return (*own, *SHARED_TYPES)


def misplaced_types(wiring: str, returned: dict[str, list[type]]) -> list[str]:
    """The step types (``returned``: step → the classes it returns) that live elsewhere."""
    homes = types_homes(wiring)
    return [
        f"{step}() -> {kind.__module__}.{kind.__qualname__}"
        for step, kinds in returned.items()
        for kind in kinds
        if kind.__module__ not in homes
    ]


def _wired_steps(wiring: Path) -> list[object]:
    """The steps objects a ``mode.py`` defines (MODE, PHASE, …): instances of its classes
    with a ``collect`` step."""
    name = ".".join(wiring.relative_to(REPO_ROOT / "src").with_suffix("").parts)
    module = importlib.import_module(name)
    classes = {
        value
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == name and hasattr(value, "collect")
    }
    found = [value for value in vars(module).values() if type(value) in classes]
    # A wiring written as one function calls its steps by name: the module is the steps.
    return found or ([module] if hasattr(module, "collect") else [])


@pytest.mark.parametrize("wiring", WIRINGS, ids=[str(p.relative_to(MODES_ROOT)) for p in WIRINGS])
def test_a_modes_step_types_live_in_its_types_module(wiring: Path) -> None:
    """Facts, the told type, verdict and opinion of every mode in ``modes/<mode>/types.py``:
    the shape of a mode is read in one module, the same name in every mode."""
    steps = _wired_steps(wiring)
    assert steps, f"{wiring}: no steps object found"
    module = ".".join(wiring.relative_to(REPO_ROOT / "src").with_suffix("").parts)
    for each in steps:
        returned = {
            step: returned_classes(each, step) for step in TYPED_STEPS if hasattr(each, step)
        }
        assert misplaced_types(module, returned) == []


def test_the_types_check_catches_a_step_type_defined_beside_its_step() -> None:
    facts = type("ToyFacts", (), {"__module__": "cicd_agent.modes.toy.collect"})
    verdict = type("ToyVerdict", (), {"__module__": "cicd_agent.modes.toy.types"})
    told = type("Told", (), {"__module__": "cicd_agent.job.pipeline"})
    other = type("OtherFacts", (), {"__module__": "cicd_agent.modes.other.types"})
    returned = {"collect": [facts], "told": [told], "analyse": [verdict], "ask": [other]}
    assert misplaced_types("cicd_agent.modes.toy.mode", returned) == [
        "collect() -> cicd_agent.modes.toy.collect.ToyFacts",
        "ask() -> cicd_agent.modes.other.types.OtherFacts",
    ]
    phase = type("PhaseFacts", (), {"__module__": "cicd_agent.modes.toy.phase.types"})
    assert misplaced_types("cicd_agent.modes.toy.phase.mode", {"collect": [phase, verdict]}) == []
    assert misplaced_types("cicd_agent.modes.toy.mode", {"collect": [phase]}) == [
        "collect() -> cicd_agent.modes.toy.phase.types.PhaseFacts"
    ]
