"""The core is three parts a maintainer can own apart, as CONTRIBUTING's "Who owns what" says:
the spine every mode stands on, the proof (the test runners, and what the judges of a patch
share) and the risk model. The spine imports neither of the others, and they import nothing of
each other: each reaches the spine alone. Which parts each mode uses is the table CONTRIBUTING
shows, so a mode that starts to use another part changes what its owner must know, and says so
there."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tests.harness.payloads import REPO_ROOT
from tests.project.test_import_graph import MODULES, imports_of

PARTS = {"runners": "proof", "verify": "proof", "risk": "risk"}
"""The core's packages outside the spine, by the part they belong to."""
ROW = re.compile(r"^\| `(\w[\w-]*)` \| ([^|]+) \|", re.MULTILINE)
SECTION = re.compile(r"^## Who owns what\n(.*?)^## ", re.MULTILINE | re.DOTALL)


def part(module: str) -> str:
    """``spine``, ``proof``, ``risk`` or ``mode:<name>`` for a module of cicd_agent."""
    names = module.split(".")
    below = names[2] if len(names) > 2 else ""
    if len(names) > 1 and names[1] == "modes" and below:
        return f"mode:{below}"
    return PARTS.get(names[1], "spine") if len(names) > 1 else "spine"


def parts_used(modules: Mapping[str, object]) -> dict[str, set[str]]:
    """Each part's module imports into another part, as ``{importer: {imported, ...}}``."""
    used: dict[str, set[str]] = {}
    for module in modules:
        for imported in imports_of(module):
            if (ends := (part(module), part(imported)))[0] != ends[1]:
                used.setdefault(ends[0], set()).add(ends[1])
    return used


def test_a_module_is_placed_in_its_part() -> None:
    assert part("cicd_agent.actions.markdown") == "spine"
    assert part("cicd_agent.api") == "spine"
    assert part("cicd_agent.risk.checkout") == "risk"
    assert part("cicd_agent.runners.pytest") == "proof"
    assert part("cicd_agent.verify.mutants") == "proof"
    assert part("cicd_agent.modes.gen_tests.reruns") == "mode:gen_tests"
    assert part("cicd_agent.modes.build.tree") == "mode:build"


def test_the_spine_stands_alone_and_proof_and_risk_stand_on_it_alone() -> None:
    used = parts_used(MODULES)
    assert used.get("spine", set()) == set(), "the spine imports another part"
    assert used.get("proof", set()) <= {"spine"}, used.get("proof")
    assert used.get("risk", set()) <= {"spine"}, used.get("risk")


def test_contributing_says_which_parts_each_mode_uses() -> None:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = SECTION.search(text)
    assert section, 'CONTRIBUTING lost its section "Who owns what"'
    said = {
        f"mode:{mode.replace('-', '_')}": {word.strip() for word in uses.split(",")}
        for mode, uses in ROW.findall(section.group(1))
        if mode not in ("spine", "proof", "risk")
    }
    used = {
        importer: {p for p in parts if not p.startswith("mode:")}
        for importer, parts in parts_used(MODULES).items()
        if importer.startswith("mode:")
    }
    assert said == {mode: parts | {"spine"} for mode, parts in used.items()}
