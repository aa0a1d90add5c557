"""analyse-failure is two parts a maintainer can own apart (CONTRIBUTING's "Who owns what"): its
log reading, and its fix step (``fix/``: the model loop, the fixers and the judge in the sandbox).
The rest of the mode reaches the fix step through four doors and seven names only (``SEAM``):
``fix.check`` (the check step), ``fix.attempt`` (its one input, ``FixInput``, and one output,
``Checks``), ``fix.outcome`` (what decide and publish word and post) and ``fix.publish`` (where
the fix's patch, suggestions and pull request go, called by the mode's publish step). A new name
or door widens what the log reading's owner must know of the fix step, and is said here first; a
door's other names are the fix step's own, private unless another of its modules imports them."""

from __future__ import annotations

import ast

from tests.project.test_import_graph import MODULES, imports_of

MODE = "cicd_agent.modes.analyse_failure"
FIX = f"{MODE}.fix"
SEAM = {
    FIX: {"check"},
    f"{FIX}.attempt": {"FixInput", "Checks"},
    f"{FIX}.outcome": {"fix_outcome", "FixOutcome", "fix_section"},
    f"{FIX}.publish": {"publish_fix"},
}
"""Each door of the fix step and the names the rest of the mode imports through it."""
DOORS = set(SEAM)


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


def _imported_names(module: str) -> set[tuple[str, str]]:
    """Each ``(module, name)`` that ``module`` imports by ``from … import``, type checks' too."""
    tree = ast.parse(MODULES[module].read_text("utf-8"))
    return {(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names}  # fmt: skip


def _of_the_fix_step(module: str) -> bool:
    return module == FIX or module.startswith(f"{FIX}.")


def test_the_rest_of_the_mode_imports_the_seam_s_names_alone() -> None:
    mode = [module for module in MODULES
            if module.startswith(f"{MODE}.") and not _of_the_fix_step(module)]  # fmt: skip
    outside = set().union(*(_imported_names(module) for module in mode))
    through = {(door, name) for door, name in outside if _of_the_fix_step(door)}
    assert through == {(door, name) for door, names in SEAM.items() for name in names}


def _public_names(module: str) -> set[str]:
    """The names ``module`` defines at its top that have no leading underscore."""
    found: set[str] = set()
    for node in ast.parse(MODULES[module].read_text("utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return {name for name in found if not name.startswith("_")}


def test_a_door_s_other_names_are_the_fix_step_s_own() -> None:
    """A name of a door that no other module imports is private: the door shows the log
    reading's owner the seam's names, and keeps the fix step's working parts out of sight."""
    imported = set().union(*(_imported_names(module) for module in MODULES))
    loose = {door: sorted(name for name in _public_names(door) - SEAM[door]
                          if (door, name) not in imported)
             for door in SEAM}  # fmt: skip
    assert {door: names for door, names in loose.items() if names} == {}
