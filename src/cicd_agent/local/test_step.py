"""Starts the job's own test step: the workflow's command, where the workflow runs it.

It is the job's step, not code we judge, so it runs without the sandbox; processes start only
in ``local/`` and ``sandbox/`` (tests/project/test_git_seam.py). Its runs and their reports
are read by the test-runner seam (:mod:`cicd_agent.modes.test_step.attempts`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_step(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float | None
) -> int:
    """Run the step's command once; its exit status."""
    return subprocess.run(list(argv), cwd=cwd, env=env, timeout=timeout, check=False).returncode
