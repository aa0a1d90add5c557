"""A verified fix comes with its test: when no existing test failed before the fix (here ruff's
F821, an undefined name that crashes at run time), the model writes one new test, and the one
verifier checks that it fails on the failed commit and passes with the fix. Through the CLI,
the real sandbox, real ruff and pytest, and the openai SDK over HTTP to the stand-in model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import opinion, zip_of
from tests.helpers.fix_projects import commit_project, lint_failure_log
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
GEO = {
    "geo/__init__.py": "",
    "geo/shapes.py": "def area(r: float) -> float:\n    return pi * r * r\n",
    "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
}
"""A real ruff failure that is a real bug: ``pi`` is never imported (F821)."""
GEO_FIX = (
    "diff --git a/geo/shapes.py b/geo/shapes.py\n--- a/geo/shapes.py\n+++ b/geo/shapes.py\n"
    "@@ -1,2 +1,5 @@\n+from math import pi\n+\n+\n def area(r: float) -> float:\n"
    "     return pi * r * r\n"
)
TEST = (
    "import math\n\n\ndef test_area_of_the_unit_circle():\n    from geo.shapes import area\n\n"
    "    assert math.isclose(area(1.0), math.pi)\n"
)


def _run(tmp_path: Path, model_server: Any) -> tuple[int, dict[str, str], str]:
    checkout = tmp_path / "checkout"
    sha = commit_project(checkout, GEO)
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_lint.txt": lint_failure_log(checkout, path_env())}))
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "OPENAI_API_KEY": TEST_API_KEY}
    done = run_cli(
        ["analyse-failure", "--provider", "openai", "--base-url", model_server.base_url,
         "--logs", str(logs), "--repo", str(checkout), "--head", sha, "--fix", "suggest",
         "--json"],
        tmp_path, environ,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.code, done.outputs, done.summary


def test_a_verified_lint_fix_comes_with_a_test_that_fails_without_it(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": GEO_FIX, "summary": "import pi"}))
    model_server.answer({"path": "tests/test_area.py", "content": TEST})

    code, outputs, summary = _run(tmp_path, model_server)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert "**Test checked:** `tests/test_area.py`" in summary and "Verified test" not in summary
    assert "fails on the failed commit and passes with the fix, in the sandbox" in summary
    assert "def test_area_of_the_unit_circle" in summary
    # the model saw the verified patch, fenced as data
    asked = model_server.chat_requests[-1].text("user")
    assert "+from math import pi" in asked and "<untrusted-data" in asked


def test_a_test_that_does_not_show_the_bug_is_not_offered_and_says_why(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": GEO_FIX, "summary": "import pi"}))
    model_server.answer({"path": "tests/test_area.py", "content": "def test_x():\n    pass\n"})

    code, outputs, summary = _run(tmp_path, model_server)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert "Test checked" not in summary
    assert "no test offered: the test did not fail without the fix (exit 0)" in summary


def test_a_test_over_an_existing_file_is_refused(tmp_path: Path, model_server: Any) -> None:
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": GEO_FIX, "summary": "import pi"}))
    model_server.answer({"path": "geo/__init__.py", "content": TEST})

    _, outputs, summary = _run(tmp_path, model_server)

    assert outputs["fix_status"] == "verified"
    assert "the model's test was refused" in summary and "is not test_*.py" in summary
