"""Running gen-tests from tests: the CLI with a clean HOME and the venv's tools on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.helpers.cli import run_cli


def path_env() -> str:
    """PATH with this interpreter's folder first, so the sandbox finds pytest and coverage."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def run_gen_tests(
    argv: list[str], tmp_path: Path, **extra: str
) -> tuple[int, dict[str, object], str, str]:
    """``gen-tests ARGV --json``: (exit code, JSON document, raw outputs, stderr)."""
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **extra,
    }
    run = run_cli(["gen-tests", *argv, "--json"], tmp_path, environ)
    return run.code, run.document or {}, run.outputs_text, run.stderr
