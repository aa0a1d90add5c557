"""Unwritable runner files and pathological events: one clear line and exit 2, never a traceback.

Exit 1 is reserved for a ``fail-on`` threshold and exit 3 for a failed service (README, "Exit
codes"); a ``GITHUB_OUTPUT`` or ``GITHUB_STEP_SUMMARY`` the step cannot write, or an event file
no GitHub event could be, is a bad configuration: exit 2, said once, with what can still be
written (the other file, the ``::error::`` annotation) written.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli

CLI = Path(sys.executable).parent / "cicd-agent"
LOGS = REPO_ROOT / "examples/logs/pytest-failure.zip"
OUR_ERROR = "::error title=cicd-agent analyse-failure::"  # not the annotations of the analysis


def run(tmp_path: Path, *args: str, **files: str) -> subprocess.CompletedProcess[str]:
    """``cicd-agent analyse-failure --logs …`` (offline, no token) as a runner step starts it."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_ACTIONS": "true", **files}
    event = tmp_path / "event.json"
    if event.exists():
        env.update(GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(event))
    return subprocess.run(
        [str(CLI), "analyse-failure", "--logs", str(LOGS), *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


@pytest.mark.parametrize("where", ["missing-dir", "dev-full"])
def test_an_unwritable_output_file_is_exit_2_with_one_line_and_the_summary(
    tmp_path: Path, where: str
) -> None:
    output = tmp_path / "no/such/dir/out" if where == "missing-dir" else Path("/dev/full")
    summary = tmp_path / "summary.md"
    summary.touch()
    done = run(tmp_path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    no_traceback(done)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [ln for ln in done.stdout.splitlines() if ln.startswith(OUR_ERROR)]
    assert len(errors) == 1, done.stdout
    assert "GITHUB_OUTPUT" in errors[0] and str(output) in errors[0]
    assert "GITHUB_OUTPUT" in summary.read_text()


@pytest.mark.parametrize("where", ["missing-dir", "dev-full"])
def test_an_unwritable_summary_is_exit_2_with_one_line_and_the_outputs(
    tmp_path: Path, where: str
) -> None:
    summary = tmp_path / "no/such/dir/summary" if where == "missing-dir" else Path("/dev/full")
    output = tmp_path / "out"
    output.touch()
    done = run(tmp_path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    no_traceback(done)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [ln for ln in done.stdout.splitlines() if ln.startswith(OUR_ERROR)]
    assert len(errors) == 1 and "GITHUB_STEP_SUMMARY" in errors[0], done.stdout
    outputs = parse_github_output(output.read_text())
    assert outputs["failure_type"] == "test_failure"  # the analysis itself was written
    assert "GITHUB_STEP_SUMMARY" in outputs["error"]


def test_an_event_nested_3000_deep_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "event.json").write_text("[" * 3000)  # 3 KB; a JSON parser recurses per level
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    output.touch()
    summary.touch()
    done = run(tmp_path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    no_traceback(done)
    assert done.returncode == 2, done.stdout + done.stderr
    error = parse_github_output(output.read_text())["error"]
    assert "nested too deeply" in error and "internal error" not in error


@pytest.mark.parametrize(
    ("flag", "words"),
    [("--policy", "policy is nested too deeply"), ("--model-prices", "model-prices is nested")],
)
def test_deeply_nested_json_options_are_exit_2(tmp_path: Path, flag: str, words: str) -> None:
    environ = {"GITHUB_STEP_SUMMARY": os.devnull}
    # A repository of two commits: this one's whole history was mined first (10 s of CPU).
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("one", {"app.py": "x = 1\n"})
    repo.commit("two", {"app.py": "x = 2\n"})
    args = [
        "deploy-gate",
        "--repo",
        str(repo.path),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--dry-run",
        "--audit-file",
        str(tmp_path / "audit.jsonl"),
    ]
    done = run_cli([*args, flag, "[" * 3000], tmp_path, environ)
    assert done.code == 2
    assert words in done.outputs["error"]


def test_text_with_bytes_that_were_not_utf8_is_written_not_fatal(tmp_path: Path) -> None:
    """A file name or line git handed back with surrogate escapes still reaches the outputs
    and the summary (as U+FFFD's stand-in), instead of costing the step all its outputs."""

    from cicd_agent.actions.runner_io import RunnerIO

    out, summary = tmp_path / "out", tmp_path / "summary"
    environ = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    runner = RunnerIO(environ, commands=io.StringIO(), human=io.StringIO())
    name = b"docs/r\xe9sum\xe9.txt".decode("utf-8", "surrogateescape")
    runner.set_outputs({"files": name})
    runner.write_summary(f"- {name}\n")
    assert "docs/r?sum?.txt" in out.read_text() and "docs/r?sum?.txt" in summary.read_text()
