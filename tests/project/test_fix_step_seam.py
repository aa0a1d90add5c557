"""analyse-failure is two parts a maintainer can own apart (CONTRIBUTING's "Who owns what"): its
log reading, and its fix step (``fix/``: the model loop, the fixers and the judge in the sandbox).
The rest of the mode reaches the fix step through four doors only: ``fix.check`` (the check
step), ``fix.outcome`` (what decide and publish word and post), ``fix.attempt`` (the check
step's one input, ``FixInput``, and one output, ``Checks``) and ``fix.judge.claims`` (the shapes
of a patch and its verdict). A new
import through another door widens what the log reading's owner must know of the fix step, and
is said here first."""

from __future__ import annotations

import ast

from tests.project.test_import_graph import MODULES, imports_of

MODE = "cicd_agent.modes.analyse_failure"
FIX = f"{MODE}.fix"
DOORS = {FIX, f"{FIX}.outcome", f"{FIX}.attempt", f"{FIX}.judge.claims"}


def doors_used() -> dict[str, set[str]]:
    """Each module of the mode outside ``fix/`` with the fix step's modules it imports."""
    used: dict[str, set[str]] = {}
    for module in MODULES:
        if not module.startswith(f"{MODE}.") or module == FIX or module.startswith(f"{FIX}."):
            continue
        reached = {name for name in imports_of(module, type_only=True)
                   if name == FIX or name.startswith(f"{FIX}.")}  # fmt: skip
        if reached:
            used[module] = reached
    return used


def test_the_log_reading_reaches_the_fix_step_through_its_four_doors_only() -> None:
    used = doors_used()
    assert {f"{MODE}.mode", f"{MODE}.decide", f"{MODE}.publish"} <= used.keys(), used
    assert {module: sorted(names - DOORS) for module, names in used.items() if names - DOORS} == {}


def test_the_fix_step_reads_the_log_through_two_modules_of_the_reading() -> None:
    # the fix step reads the failing command back from the log, as the runner printed it: the
    # reading's line reader and its runner formats, never its engine (grouping, blame, verdict)
    reading = {f"{MODE}.logs.reader", f"{MODE}.logs.runner_format"}
    wider = {
        module: sorted(name for name in imports_of(module, type_only=True)
                       if name.startswith(f"{MODE}.logs") and name not in reading)
        for module in MODULES if module.startswith(f"{FIX}.")
    }  # fmt: skip
    assert {module: names for module, names in wider.items() if names} == {}


def test_the_fix_step_reaches_the_model_sdk_through_the_model_layer_only() -> None:
    """The SDK's message and tool shapes are the model layer's (``model/``): a fix step that
    built them itself would follow the SDK apart from the client that sends them."""
    sdk = {
        module: sorted(
            name
            for node in ast.walk(ast.parse(MODULES[module].read_text("utf-8")))
            for name in (
                [alias.name for alias in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if name.split(".")[0] == "openai"
        )
        for module in MODULES
        if module == FIX or module.startswith(f"{FIX}.")
    }  # fmt: skip
    assert {module: names for module, names in sdk.items() if names} == {}
