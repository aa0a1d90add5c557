"""CONTRIBUTING names the mode each module of ``verify/`` judges for, and every mode whose
imports reach it: a maintainer taking over one mode learns which of the proof's judges come with
it. A new import that lets another mode reach a judge changes who must be asked, and says so
there."""

from __future__ import annotations

import re

from tests.harness.payloads import REPO_ROOT
from tests.project.test_core_parts import SECTION, part
from tests.project.test_import_graph import MODULES, imports_of

ROW = re.compile(r"^\| `verify/(\w+)\.py` \| ([\w-]+) \| ([\w, -]+) \|$", re.MULTILINE)
MODES = {name.split(".")[2].replace("_", "-") for name in MODULES if name.count(".") >= 2
         and name.startswith("cicd_agent.modes.")}  # fmt: skip


def reached(module: str) -> set[str]:
    """``module`` and every ``verify`` module its imports reach."""
    seen, todo = {module}, [module]
    while todo:
        for imported in imports_of(todo.pop()):
            if imported.startswith("cicd_agent.verify.") and imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def modes_reaching() -> dict[str, set[str]]:
    """Each ``verify`` module's name, with the modes whose own imports reach it."""
    found: dict[str, set[str]] = {
        name.rsplit(".", 1)[1]: set() for name in MODULES if name.startswith("cicd_agent.verify.")
    }
    for module in MODULES:
        if not part(module).startswith("mode:"):
            continue
        mode = part(module).removeprefix("mode:").replace("_", "-")
        for imported in imports_of(module):
            if imported.startswith("cicd_agent.verify."):
                for judge in reached(imported):
                    found[judge.rsplit(".", 1)[1]].add(mode)
    return found


def test_contributing_names_each_judges_owner_and_the_modes_it_reaches() -> None:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = SECTION.search(text)
    assert section, 'CONTRIBUTING lost its section "Who owns what"'
    rows = {name: (owner, {m.strip() for m in used.split(",")})
            for name, owner, used in ROW.findall(section.group(1))}  # fmt: skip
    found = modes_reaching()
    assert rows.keys() == found.keys() - {"__init__"}, "a verify module without its row, or gone"
    for name, (owner, used) in rows.items():
        assert used == found[name], f"verify/{name}.py is used by {sorted(found[name])}"
        assert owner == "shared" or owner in used, f"verify/{name}.py: {owner} does not use it"
        assert owner == "shared" or owner in MODES


def test_a_mode_is_said_to_use_a_module_its_imports_reach_through_another() -> None:
    assert "test-step" in modes_reaching()["mutants"]  # through orders, which builds on it
    assert "cicd_agent.verify.mutants" in reached("cicd_agent.verify.orders")
    assert not any("cicd_agent.verify.mutants" in imports_of(module) for module in MODULES
                   if part(module) == "mode:test_step")  # fmt: skip


def test_reviews_proof_reaches_no_judge_of_gen_tests() -> None:
    """Whoever takes over review owns its own judge and the shared pieces, not gen-tests' engines:
    a helper or no-op borrowed from them would hand review ~1,100 lines it never runs."""
    found = modes_reaching()
    assert {name for name, modes in found.items() if "review" in modes} == {"judged", "contract"}
