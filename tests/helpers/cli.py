"""The one way tests run the CLI in-process, as a runner would."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_agent.cli import main
from cicd_agent.job.flags import OptionGroup, Parser, add_options, options_of
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


def run_cli(
    argv: list[str],
    tmp_path: Path,
    environ: dict[str, str] | None = None,
    *,
    on_runner: bool = True,
) -> CliRun:
    """Run ``cicd-agent ARGV`` with fresh GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP
    under ``tmp_path`` (``environ`` adds to or replaces them). ``on_runner=False``: as in a
    developer's terminal, with ``environ`` alone (no outputs or summary are written)."""
    env = dict(environ or {})
    if on_runner:
        out, summary = tmp_path / "github_output", tmp_path / "summary.md"
        out.write_text("")
        summary.write_text("")
        runner_temp = tmp_path / "runner_temp"
        runner_temp.mkdir(exist_ok=True)
        env = {
            "GITHUB_OUTPUT": str(out),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
            **env,
        }
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, environ=env, stdout=stdout, stderr=stderr)
    output_file = Path(env["GITHUB_OUTPUT"]) if "GITHUB_OUTPUT" in env else None
    text = output_file.read_text() if output_file and output_file.exists() else ""
    written = Path(env["GITHUB_STEP_SUMMARY"]) if "GITHUB_STEP_SUMMARY" in env else None
    return CliRun(
        code=code,
        outputs=parse_github_output(text),
        outputs_text=text,
        summary=written.read_text() if written and written.exists() else "",
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue(),
    )


def json_mismatches(document: dict[str, Any], outputs: dict[str, str]) -> dict[str, object]:
    """Where ``--json`` and the step outputs disagree (README: the document carries every
    output's key and value, typed; an empty output is left out): output name → what --json
    had instead."""
    wrong: dict[str, object] = {}
    for name, written in outputs.items():
        if written == "":
            if document.get(name, "") not in ("", None):
                wrong[name] = document[name]
            continue
        if name not in document:
            wrong[name] = "(missing)"
            continue
        value = document[name]
        if isinstance(value, bool):
            same = written == ("true" if value else "false")
        elif isinstance(value, int | float):
            same = float(written) == float(value)
        elif isinstance(value, list | dict):
            same = json.loads(written) == value
        else:
            same = written == value
        if not same:
            wrong[name] = value
    return wrong


def mode_parser(name: str, groups: list[OptionGroup]) -> Parser:
    """A parser of ``groups`` alone, as ``cicd-agent NAME`` declares them (the CLI's own
    :func:`cicd_agent.plugins.build_parser` needs a registered mode)."""
    parser = Parser(prog=f"cicd-agent {name}")
    add_options(parser, groups)
    parser.known_flags = ("-h", "--help", *(option.flag for option in options_of(groups)))
    return parser
