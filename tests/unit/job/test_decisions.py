"""Recording a gate's verdict in the audit database never fails the gate: without a database
nothing is tried, and a database that refuses the connection is a note, not an exit code. The
URL's password is masked before any connection is tried and named in no message."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cicd_agent.actions.runner_io import RunnerIO
from cicd_agent.job.context import RunContext
from cicd_agent.job.decisions import record_decision
from cicd_agent.job.resolve import resolve_run
from tests.git_builder import GitRepoBuilder
from tests.helpers.network import free_port

PASSWORD = "gate-password-5e1d"
TOY = SimpleNamespace(FAIL_ON_CHOICES=(), OPTIONS=(), ASKS_MODEL=False)
"""A mode declared as data with no options of its own: the run context is the core's."""


def _context(tmp_path: Path) -> tuple[RunContext[Any], io.StringIO]:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("Initial", {"app.py": "A = 1\n"})
    (tmp_path / "outputs").write_text("")  # on a runner: masks are issued
    environ = {"GITHUB_OUTPUT": str(tmp_path / "outputs"), "GITHUB_REPOSITORY": "octo/app"}
    run = resolve_run("toy", TOY, {"repo": repo.path}, environ)
    commands = io.StringIO()
    runner = RunnerIO(environ, commands=commands, human=io.StringIO())
    return RunContext.of(run, lambda given: None, runner), commands


def test_without_a_database_nothing_is_recorded_or_said(tmp_path: Path) -> None:
    ctx, commands = _context(tmp_path)
    assert record_decision(ctx, None, phase="deploy", decision="hold", record={}) is None
    assert ctx.notes == [] and commands.getvalue() == ""


def test_a_database_that_cannot_be_reached_is_a_note_and_its_password_is_masked(
    tmp_path: Path,
) -> None:
    ctx, commands = _context(tmp_path)
    url = f"postgresql://gate:{PASSWORD}@127.0.0.1:{free_port()}/audit"
    row = record_decision(ctx, url, phase="deploy", decision="hold", record={"why": "test"})
    assert row is None
    (note,) = ctx.notes
    assert note.startswith("The decision was not recorded in the audit database (")
    assert PASSWORD not in note
    assert f"::add-mask::{PASSWORD}" in commands.getvalue()
