"""The layers keep to their jobs: analysis/ is pure and imports no mode, GitHub or model code."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
FORBIDDEN = ("cicd_agent.modes", "cicd_agent.github", "cicd_agent.model", "cicd_agent.prometheus")


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


def test_nothing_of_a_mode_is_left_at_the_package_top() -> None:
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert not {name for name in top if name.startswith(("review_", "canary_", "deploy_"))}
    assert not (PACKAGE / "failure").exists() and not (PACKAGE / "gentests").exists()
    assert not (PACKAGE / "modes" / "deploy_canary").exists()  # the canary phase: deploy_gate/
