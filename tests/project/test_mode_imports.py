"""Importing a mode stays cheap (issue 16): no pydantic, SDK or numeric stack at import time.

The CLI imports the chosen mode's module to add its arguments before it runs; pydantic's
``BaseModel`` alone costs several times the ≤ 6× `python -c pass` budget, so the result and
model-schema classes must be imported by the steps that build them, not by the mode module.
Each check runs in a fresh interpreter: this process has long since imported all of them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cicd_agent.modes import MODES, mode_module

HEAVY = ("pydantic", "openai", "github", "git", "numpy", "scipy", "sklearn")
MODULES = [mode_module(name) for name in MODES] + [mode_module("deploy-canary")]


def heavy_after(code: str) -> str:
    """The heavy packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("module", MODULES)
def test_importing_a_mode_imports_no_heavy_package(module: str) -> None:
    assert heavy_after(f"import {module}") == "[]"


@pytest.mark.parametrize("mode", sorted(MODES))
def test_mode_help_imports_no_heavy_package(mode: str) -> None:
    # `cicd-agent MODE --help` loads the mode and adds its arguments: the CLI's import path.
    code = (
        "import contextlib, io\n"
        "from cicd_agent.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main([{mode!r}, '--help'])\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert heavy_after(code) == "[]"


def test_the_fix_steps_model_loop_is_imported_only_when_asked() -> None:
    attempt = "cicd_agent.modes.analyse_failure.fix.attempt"
    assert "openai" not in heavy_after(f"import {attempt}")
    assert "openai" in heavy_after(f"from {attempt} import model_proposer\nmodel_proposer()")
