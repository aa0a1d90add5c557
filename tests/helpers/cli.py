"""The one way tests run the CLI in-process, as a runner would."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_agent.cli import main
from tests.harness.action_runner import parse_github_output


@dataclass(frozen=True)
class CliRun:
    """What one run left behind: exit code, step outputs (parsed and raw), summary, streams."""

    code: int
    outputs: dict[str, str]
    outputs_text: str
    summary: str
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any] | None:
        """The ``--json`` document, when one was printed."""
        text = self.stdout.strip()
        return json.loads(text) if text.startswith("{") else None


def run_cli(argv: list[str], tmp_path: Path, environ: dict[str, str] | None = None) -> CliRun:
    """Run ``cicd-agent ARGV`` with fresh GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP
    under ``tmp_path`` (``environ`` adds to or replaces them)."""
    out, summary = tmp_path / "github_output", tmp_path / "summary.md"
    out.write_text("")
    summary.write_text("")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    env = {
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
        **(environ or {}),
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, environ=env, stdout=stdout, stderr=stderr)
    text = Path(env["GITHUB_OUTPUT"]).read_text() if Path(env["GITHUB_OUTPUT"]).exists() else ""
    written = Path(env["GITHUB_STEP_SUMMARY"])
    return CliRun(
        code=code,
        outputs=parse_github_output(text),
        outputs_text=text,
        summary=written.read_text() if written.exists() else "",
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue(),
    )
