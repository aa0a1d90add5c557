"""A test runner's run on a tiny real project, as the seam makes it (pre-commit's
``run_language``, for test runners): the project's files committed into a git repository,
copied into the real sandbox, each selection run in a fresh copy, and each run's report."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.protocol import Runner
from cicd_agent.runners.sandboxes import PYTEST_SESSION_SANDBOX
from tests.git_builder import GitRepoBuilder


def run_runner(
    runner: Runner,
    root: Path,
    files: Mapping[str, str],
    selections: Mapping[str, Selection],
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = 300,
    one_copy: bool = False,
) -> dict[str, TestReport]:
    """Each of ``selections`` (by a name of the caller's) run by ``runner`` on the project of
    ``files`` under ``root``, in the job whose environment is ``environ`` (by default this
    one's ``PATH`` and ``HOME``): its report, by the same name. ``one_copy``: every run in the
    same copy and home (go's build cache then serves each run after the first)."""
    repo = GitRepoBuilder(root)
    repo.commit("start", dict(files))
    job = dict(environ) if environ is not None else {
        "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/nonexistent")}
    with PYTEST_SESSION_SANDBOX(repo.path, job, tools=tool_mounts(job)) as sandbox:
        shared = sandbox.workspace(runner.name) if one_copy else None
        return {name: runner.run(sandbox, shared or sandbox.workspace(name), selection,
                                 timeout=timeout)
                for name, selection in selections.items()}  # fmt: skip
