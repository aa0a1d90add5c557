"""Each mode's tests live in its folder and run alone, and the core's run without any mode.

A test file outside ``tests/modes/<mode>/`` reaches no mode (``cicd_agent.modes.<mode>``, or a
mode's own test helpers under ``tests.modes.<mode>``); one inside ``tests/modes/<mode>/``
reaches no other mode. "Reaches" is an import (at the top, inside a function or under
``TYPE_CHECKING``), a module named to ``importlib.import_module`` or ``__import__``, or a
dotted name patched by ``monkeypatch.setattr`` or ``mock.patch``. The one place that may know
every mode is ``tests/wiring/`` (what every installed mode shares: the action's inputs, the
settings file's sections), and it reaches them through the registry (``cicd_agent.plugins``)
where it can. A test that only reads a mode's source, or runs a mode through the command line,
reaches nothing here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

TESTS = REPO_ROOT / "tests"
MODES = frozenset(
    path.name
    for path in (REPO_ROOT / "src" / "cicd_agent" / "modes").iterdir()
    if (path / "__init__.py").is_file()
)
WIRING = "wiring"
_ROOTS = ("cicd_agent.modes.", "tests.modes.")
_NAMING = {"import_module", "__import__", "setattr", "patch"}

NOT_YET = {
    "e2e/test_bytes_not_utf8.py": ["deploy_gate"],
    "e2e/test_examples_e2e.py": ["command", "gen_tests", "review"],
    "e2e/test_secrets_never_leave.py": ["analyse_failure"],
    "e2e/test_tools_said.py": ["deploy_gate"],
    "fuzz/test_model_answers.py": ["analyse_failure", "command", "deploy_gate", "review"],
    "helpers/commands.py": ["command"],
    "helpers/failed_run.py": ["analyse_failure"],
    "helpers/failure_github.py": ["analyse_failure"],
    "helpers/gen_tests.py": ["gen_tests"],
    "helpers/handoff.py": ["review"],
    "helpers/review.py": ["review"],
    "modes/command/test_command_github.py": ["review"],
    "modes/review/test_review_trust.py": ["command"],
}  # fmt: skip
"""Files that still reach a mode they do not belong to, each with what it reaches: the list
only shrinks (a file that no longer reaches one must leave it)."""


def reached(source: str) -> set[str]:
    """The dotted names of the modes' modules ``source`` imports, loads by name or patches."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else ""
            called = called or (function.id if isinstance(function, ast.Name) else "")
            first = node.args[0]
            if called in _NAMING and isinstance(first, ast.Constant):
                names.add(str(first.value))
            elif called in _NAMING and isinstance(first, ast.JoinedStr):
                names.add("".join(str(part.value) if isinstance(part, ast.Constant) else "*"
                                  for part in first.values))  # fmt: skip
    return {name for name in names if name.startswith(_ROOTS)}


def mode_of(name: str) -> str:
    """The mode a dotted name belongs to (``*`` when the name leaves it open)."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[2] in MODES else "*"


def strays(relative: Path, source: str) -> list[str]:
    """The modes the test file at ``relative`` (under tests/) reaches that are not its own."""
    parts = relative.parts
    if parts[0] == WIRING:
        return []
    own = parts[1] if parts[0] == "modes" and len(parts) > 2 and parts[1] in MODES else None
    return sorted({mode_of(name) for name in reached(source)} - {own})


def _found() -> dict[str, list[str]]:
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS)
        if relative.parts[0] == "fixtures":
            continue  # the projects the tests run, not tests
        stray = strays(relative, path.read_text(encoding="utf-8"))
        if stray:
            found[str(relative)] = stray
    return found


def test_no_test_reaches_a_mode_it_does_not_belong_to() -> None:
    found = _found()
    new = {path: modes for path, modes in found.items() if NOT_YET.get(path) != modes}
    assert new == {}, (
        "move the test into tests/modes/<mode>/, give it core-only inputs, or (when it is about "
        "every installed mode) put it in tests/wiring/ and reach the modes through the registry"
    )
    assert sorted(set(NOT_YET) - set(found)) == [], "reaches no other mode now: strike it off"


def test_the_check_sees_each_way_a_test_reaches_a_mode() -> None:
    assert {"review", "gen_tests", "deploy_gate"} <= MODES
    source = (
        "import cicd_agent.modes.review.ask\n"
        "from cicd_agent.modes.gen_tests import arguments\n"
        "from cicd_agent.modes import deploy_gate\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cicd_agent.modes.command.options import CommandOptions\n"
        "def test_x(monkeypatch):\n"
        "    from cicd_agent.modes.build import lint\n"
        "    monkeypatch.setattr('cicd_agent.modes.analyse_failure.collect.zip', None)\n"
        "    mock.patch('cicd_agent.modes.test_step.judge.judge_step')\n"
        "    importlib.import_module(f'cicd_agent.modes.{name}.arguments')\n"
        "from cicd_agent.plugins import plugin\nfrom cicd_agent.job import resolve\n"
    )
    everything = ["*", "analyse_failure", "build", "command", "deploy_gate", "gen_tests",
                  "review", "test_step"]  # fmt: skip
    assert strays(Path("unit/job/test_x.py"), source) == everything
    assert strays(Path("modes/review/test_x.py"), source) == [
        m for m in everything if m != "review"
    ]
    assert strays(Path("modes/test_x.py"), source) == everything  # beside the modes is no mode
    assert strays(Path("wiring/test_x.py"), source) == []
    helper = "from tests.modes.deploy_gate.helpers.canary import scenario_config\n"
    assert strays(Path("modes/build/test_x.py"), helper) == ["deploy_gate"]
    assert strays(Path("modes/deploy_gate/test_x.py"), helper) == []
    assert strays(Path("unit/job/test_x.py"), "from cicd_agent.plugins import plugin\n") == []
