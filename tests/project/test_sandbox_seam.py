"""Every sandbox of a run is opened by ``runners/sandboxes.py``: no other module builds one.

Why a project test: a sandbox built by hand could leave out the secrets the run holds (a flag's,
never in the environment under a secret's name) or the runners' toolchains, and four callers
once built theirs, each with its own arguments. Building one means calling a class named
``…Sandbox`` or ``…_SANDBOX`` (``PYTEST_SESSION_SANDBOX``) or a runner's ``sandbox`` class
(a ``RunsInOrder``'s ``sandbox``); :func:`cicd_agent.runners.sandboxes.opened` alone does, with
what the run knows.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
SEAM = Path("runners/sandboxes.py")


def builds(path: Path) -> list[int]:
    """The lines of ``path`` that build a sandbox themselves."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        name = called.id if isinstance(called, ast.Name) else \
            called.attr if isinstance(called, ast.Attribute) else ""  # fmt: skip
        if name.endswith(("Sandbox", "_SANDBOX")) or (
            isinstance(called, ast.Attribute) and name == "sandbox"
        ):
            found.append(node.lineno)
    return found


def test_only_the_seam_builds_a_sandbox() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE) != SEAM
        for line in builds(path)
    }
    assert offenders == set()
    assert builds(PACKAGE / SEAM) == [], "the seam builds its sandbox through its kind alone"


def test_the_check_sees_each_way_of_building_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from cicd_agent.sandbox import Sandbox\n"
        "import cicd_agent.sandbox.run as run\n"
        "Sandbox(checkout, environ)\n"
        "run.Sandbox(checkout, environ)\n"
        "PYTEST_SESSIONS.sandbox(checkout, environ)\n"
        "PytestSandbox(checkout, environ)\n"
        "PYTEST_SESSION_SANDBOX(checkout, environ)\n"
        "sandbox(folder, ())\n",  # a local function of that name (build's argv) builds none
        encoding="utf-8",
    )
    assert builds(sample) == [3, 4, 5, 6, 7]
