"""Every mode has the same step files with the same shape (issue 52): knowing one mode is
knowing all. ``collect``, ``analyse``, ``ask``, ``decide`` and ``publish`` are modules of those
names holding a function of that name; ``analyse`` and ``decide`` take no run context (what
they need comes in as arguments, their notes go back inside what they return)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cicd_agent.modes import MODES
from tests.harness.payloads import REPO_ROOT

MODES_ROOT = REPO_ROOT / "src" / "cicd_agent" / "modes"
STEPS = ("collect", "analyse", "ask", "decide", "publish")
BESIDE = ("arguments", "options", "mode", "prompt", "result")
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


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_mode_has_the_same_step_files(mode: str) -> None:
    folder = _folder(mode)
    missing = [f"{name}.py" for name in (*STEPS, *BESIDE) if not (folder / f"{name}.py").is_file()]
    assert missing == [], f"{mode} lacks {missing}"
    for step in STEPS:
        tree = ast.parse((folder / f"{step}.py").read_text(encoding="utf-8"))
        assert _function(tree, step) is not None, f"{mode}: {step}.py has no {step}()"


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("step", PURE)
def test_analyse_and_decide_take_no_run_context(mode: str, step: str) -> None:
    source = (_folder(mode) / f"{step}.py").read_text(encoding="utf-8")
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
