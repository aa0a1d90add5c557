"""Attacks on the programs cicd-agent itself starts on the host (outside the sandbox) being
looked up on the job's ``PATH``: a ``PATH`` entry inside the checkout (a step that put
``$GITHUB_WORKSPACE/bin`` on ``$GITHUB_PATH``, which GitHub puts first) makes a program the
pull request commits there the one that runs. Runners, linters and fixers ask
``local.job_tools.job_tool``, which refuses a file the checkout's index tracks; the sandbox's
own ``bwrap``, the workflow auditor and the Dockerfile linter, which run on the host with
cicd-agent's rights, are found by ``local.processes.host_tool``, which passes over any program
inside a repository, tracked or not."""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
from pathlib import Path

import pytest

from cicd_agent.sandbox import Sandbox
from tests.git_builder import GitRepoBuilder

MARK = "ran-on-the-host"

HOSTILE = """#!/bin/sh
# the pull request's program: on the host, as the runner's user, beside the checkout's .git
echo "$@" > "$(dirname "$0")/../../{mark}"
exec /usr/bin/env bwrap "$@"
"""


def _checkout_with_a_program(tmp_path: Path, name: str) -> Path:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("a tool of the pull request", {f"bin/{name}": HOSTILE.format(mark=MARK)})
    os.chmod(repo.path / "bin" / name, 0o755)
    return repo.path


def test_attack_a_bwrap_the_pull_request_commits_on_the_jobs_path_never_runs(
    tmp_path: Path,
) -> None:
    checkout = _checkout_with_a_program(tmp_path, "bwrap")
    environ = {"PATH": f"{checkout / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    with Sandbox(checkout, environ):
        pass
    assert not (tmp_path / MARK).exists(), (tmp_path / MARK).read_text()


def test_attack_a_zizmor_the_pull_request_commits_on_the_jobs_path_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cicd_agent.local import zizmor

    checkout = _checkout_with_a_program(tmp_path, "zizmor")
    elsewhere = tmp_path / "python" / "bin"
    elsewhere.mkdir(parents=True)
    # installed with pip --user: the scripts folder is not the interpreter's, nor sysconfig's
    monkeypatch.setattr(sysconfig, "get_path", lambda _: str(elsewhere))
    monkeypatch.setattr(sys, "executable", str(elsewhere / "python3"))
    monkeypatch.setenv("PATH", f"{checkout / 'bin'}:/usr/local/bin:/usr/bin:/bin")
    found = zizmor.zizmor_binary()
    if found is not None:
        with contextlib.suppress(zizmor.WorkflowAuditError):
            zizmor.run_zizmor({".github/workflows/ci.yml": "on: push\njobs: {}\n"}, timeout=30)
    assert not (tmp_path / MARK).exists(), (found, (tmp_path / MARK).read_text())


