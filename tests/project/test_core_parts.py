"""The core is three parts a maintainer can own apart, as CONTRIBUTING's "Who owns what" says:
the spine every mode stands on, the proof (the test runners and the verifier) and the risk
model. The spine imports neither of the others, and they import nothing of each other: each
reaches the spine alone, and a mode reaches either only through its facets of the API. Which
parts each mode uses is the table CONTRIBUTING shows, so a mode that starts to use another
part changes what its owner must know, and says so there."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tests.harness.payloads import REPO_ROOT
from tests.project.test_import_graph import MODULES, imports_of

FACETS = {
    "runners": "proof",
    "verifier": "proof",
    "contracts": "proof",
    "tests": "proof",
    "logs": "proof",
    "risk": "risk",
}
"""The API's facets that open a part other than the spine, promised or lent
(``cicd_agent.api.lent.<subject>``): the doors a mode goes through."""
PARTS = {"runners": "proof", "verify": "proof", "risk": "risk"}
"""The core's packages outside the spine, by the part they belong to."""
ROW = re.compile(r"^\| `(\w[\w-]*)` \| ([^|]+) \|", re.MULTILINE)
SIZE = re.compile(r"^\| `(\w[\w-]*)` \|[^\n]*\| about ([\d,]+) \|$", re.MULTILINE)
SECTION = re.compile(r"^## Who owns what\n(.*?)^## ", re.MULTILINE | re.DOTALL)


def part(module: str) -> str:
    """``spine``, ``proof``, ``risk`` or ``mode:<name>`` for a module of cicd_agent."""
    names = module.split(".")
    below = names[2] if len(names) > 2 else ""
    if len(names) > 1 and names[1] == "api":
        subject = names[3] if below == "lent" and len(names) > 3 else below
        return FACETS.get(subject, "spine")
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
    assert part("cicd_agent.api.risk") == "risk"
    assert part("cicd_agent.api.runners") == "proof"
    assert part("cicd_agent.api.lent.verifier") == "proof"
    assert part("cicd_agent.api.lent.run") == "spine"
    assert part("cicd_agent.verify.judge") == "proof"
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


def lines_by_part() -> dict[str, int]:
    """Each part's lines, and each mode's as ``mode:<name>``, counted from the files."""
    counts: dict[str, int] = {}
    for module in MODULES:
        path = REPO_ROOT / "src" / module.replace(".", "/")
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        lines = len(path.read_text(encoding="utf-8").splitlines())
        counts[part(module)] = counts.get(part(module), 0) + lines
    return counts


def test_contributing_says_each_parts_size_within_a_tenth() -> None:
    """The sizes a reader weighs before taking a part on are the files' own, not last month's."""
    section = SECTION.search((REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert section, 'CONTRIBUTING lost its section "Who owns what"'
    said = {
        name if name in ("spine", "proof", "risk") else f"mode:{name.replace('-', '_')}": int(
            size.replace(",", "")
        )
        for name, size in SIZE.findall(section.group(1))
    }
    counted = lines_by_part()
    assert len(said) == 11, said
    wrong = {name: (size, counted[name]) for name, size in said.items()
             if abs(size - counted[name]) > counted[name] / 10}  # fmt: skip
    assert not wrong, f"CONTRIBUTING's sizes (said, counted): {wrong}"
