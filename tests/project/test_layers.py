"""The layers keep to their jobs: analysis/ is pure and imports no mode, GitHub or model code.

Pure means: no process (``subprocess``, ``os.system``, ``shutil.which``), no git and no file
written; that code lives in ``local/``, and analysis/ never imports it, so every analysis
function can be tested offline on data and the arrow between the two points one way.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from tests.harness.payloads import REPO_ROOT
from tests.project.test_import_graph import MODULES, imports_of

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
FORBIDDEN = ("cicd_agent.modes", "cicd_agent.github", "cicd_agent.model")
WORLD = ("subprocess", "cicd_agent.local", "cicd_agent.sandbox", "multiprocessing", "pty")
"""Modules whose import means "touches the world": starting processes, git, the sandbox."""
WORLD_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execv"),
    ("os", "execvp"),
    ("os", "spawnv"),
    ("os", "posix_spawn"),
    ("shutil", "which"),
}
"""Process helpers reached through a module the pure part may otherwise use (os, shutil)."""


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_analysis_imports_no_mode_github_or_model() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "analysis").rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert offenders == set()


def _is_world(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in WORLD)


def _world_uses(path: Path) -> set[str]:
    """Imports of WORLD modules, and ``os.system``-style process helpers, named or imported."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if _is_world(node.module):
                found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if (node.module, alias.name) in WORLD_CALLS
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if _is_world(a.name))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in WORLD_CALLS
        ):
            found.add(f"{node.value.id}.{node.attr}")
    return found


def test_analysis_starts_no_process_and_imports_nothing_of_the_world() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "analysis").rglob("*.py")
        for name in _world_uses(path)
    }
    assert offenders == set()


def test_the_world_check_sees_each_kind_of_use(tmp_path: Path) -> None:
    """The check above must be able to fail: each way of reaching a process is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import subprocess\n"
        "import os\n"
        "import shutil\n"
        "from shutil import which\n"
        "from cicd_agent.local.gitrepo import GitRepo\n"
        "import cicd_agent.localised\n"
        "os.system('x')\n"
        "shutil.which('git')\n",
        encoding="utf-8",
    )
    assert _world_uses(sample) == {
        "subprocess",
        "shutil.which",
        "cicd_agent.local.gitrepo",
        "os.system",
    }


def test_risk_imports_no_mode_github_or_model_and_analysis_imports_no_risk() -> None:
    """risk/ builds on analysis/ (changes, git, detectors); an arrow back would make the two
    folders one circle."""
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "risk").rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    } | {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "analysis").rglob("*.py")
        for name in _imports(path)
        if name.startswith("cicd_agent.risk")
    }
    assert offenders == set()


RISK_READERS = ("checkout", "deepen", "mining", "service", "store", "what_changed")
"""The modules of risk/ that reach the world: ``mining`` reads the past and caches it, ``store``
keeps the fits, ``deepen`` fetches a shallow clone's missing history, ``checkout`` reads the
change (``what_changed`` its files' contents), ``service`` is the call the modes make to the two;
every other module of risk/ is pure scoring."""
RISK_SCORING = tuple(
    sorted(path.stem for path in (PACKAGE / "risk").glob("*.py") if path.stem not in RISK_READERS)
)


def test_risk_scoring_is_pure_and_reaches_the_world_only_through_its_readers() -> None:
    assert {"fit", "evidence", "score", "model"} <= set(RISK_SCORING)
    offenders = {
        f"risk/{name}.py: {used}"
        for name in RISK_SCORING
        for used in _world_uses(PACKAGE / "risk" / f"{name}.py")
        | {
            module
            for module in _imports(PACKAGE / "risk" / f"{name}.py")
            if module.startswith("cicd_agent.risk.")
            and module.rpartition(".")[2] not in RISK_SCORING
        }
    }
    assert offenders == set()


def test_nothing_of_a_mode_is_left_at_the_package_top() -> None:
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert not {name for name in top if name.startswith(("review_", "canary_", "deploy_"))}
    assert not (PACKAGE / "failure").exists() and not (PACKAGE / "gentests").exists()
    assert not (PACKAGE / "modes" / "deploy_canary").exists()  # the canary phase: deploy_gate/


def mode_crossings(modules: Mapping[str, Path] = MODULES) -> set[str]:
    """``importer → imported`` for each module of one mode that imports another mode's (types
    under ``TYPE_CHECKING`` aside: they never run). A mode reaches another only through the
    registry (:func:`cicd_agent.plugins.installed_modes`) and that mode's public entry."""
    crossings = set()
    for module in modules:
        parts = module.split(".")
        if parts[:2] != ["cicd_agent", "modes"] or len(parts) < 4:
            continue
        for imported in imports_of(module, modules=modules):
            other = imported.split(".")
            if other[:2] == ["cicd_agent", "modes"] and len(other) > 2 and other[2] != parts[2]:
                crossings.add(f"{module} → {imported}")
    return crossings


def test_no_mode_imports_another() -> None:
    assert mode_crossings() == set()


def test_the_check_sees_a_mode_importing_another(tmp_path: Path) -> None:
    package = tmp_path / "cicd_agent" / "modes"
    for folder in ("review", "command"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "review" / "collect.py").write_text("X = 1\n")
    (package / "command" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cicd_agent.modes.review.collect import X\n"
    )
    (package / "command" / "runs.py").write_text(
        "from cicd_agent.modes import MODES\nfrom cicd_agent.modes.review import collect\n"
    )
    modules = {
        ".".join(path.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): path
        for path in tmp_path.rglob("*.py")
    }
    assert mode_crossings(modules) == {
        "cicd_agent.modes.command.runs → cicd_agent.modes.review.collect"
    }
