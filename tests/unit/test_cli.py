"""The CLI's contract: version, help without heavy imports, one exit path for failures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from cicd_agent import __version__
from cicd_agent.cli import main
from tests.harness.action_runner import parse_github_output
from tests.harness.payloads import REPO_ROOT

CLI = Path(sys.executable).parent / "cicd-agent"


def runner_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    return {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def test_version_from_the_installed_console_script() -> None:
    completed = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, check=True)
    assert completed.stdout == f"cicd-agent {__version__}\n"


def test_help_lists_every_mode_and_imports_no_sdk() -> None:
    probe = (
        "import io, sys, contextlib\n"
        "from cicd_agent.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['--help'])\n"
        "print(code, [m for m in ('openai', 'github', 'git', 'pydantic') if m in sys.modules])\n"
        "print(out.getvalue())\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    first, _, help_text = completed.stdout.partition("\n")
    assert first == "0 []", completed.stderr
    from cicd_agent.modes import MODES

    for name in MODES:
        assert name in help_text


def test_unknown_mode_is_a_usage_error_with_outputs_and_summary(tmp_path: Path) -> None:
    environ = runner_env(tmp_path)
    stdout = io.StringIO()
    code = main(["no-such-mode"], environ=environ, stdout=stdout, stderr=io.StringIO())
    assert code == 2
    outputs = parse_github_output((tmp_path / "out").read_text())
    assert "no-such-mode" in outputs["error"]
    assert outputs["tokens_used"] == "0"
    summary = (tmp_path / "summary").read_text()
    assert "could not finish" in summary
    assert "Exit code 2." in summary
    assert "::error title=cicd-agent::" in stdout.getvalue()
    assert "Traceback" not in stdout.getvalue()


def test_json_error_is_one_document_on_stdout(tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["no-such-mode", "--json"], environ=runner_env(tmp_path), stdout=stdout, stderr=stderr
    )
    assert code == 2
    document = json.loads(stdout.getvalue())
    assert document["exit_code"] == 2
    assert "no-such-mode" in document["error"]
    assert "::error" in stderr.getvalue()


def test_a_run_that_finished_writes_an_empty_error_output(tmp_path: Path) -> None:
    """README: `error` is "why the run could not finish (empty when it did)": a workflow can
    test it, so it is written on success too, not left unset."""
    environ = runner_env(tmp_path)
    logs = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"
    code = main(
        ["analyse-failure", "--provider", "none", "--logs", str(logs)],
        environ=environ, stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert code == 0
    outputs = parse_github_output((tmp_path / "out").read_text())
    assert outputs["error"] == ""
    assert outputs["failure_type"] == "test_failure"
