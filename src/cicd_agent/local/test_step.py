"""Starts the job's own test step: the workflow's command, where the workflow runs it.

It is the job's step, not code we judge, so it runs without the sandbox, but never with the
job's token or keys (:mod:`cicd_agent.local.processes`), and on code GitHub does not vouch for,
with none of the runner's variables and nothing secret-named or secret-shaped either: the
sandbox's scrubbing, whatever the workflow handed cicd-agent's step. Its runs and their reports
are read by the test-runner seam (:mod:`cicd_agent.modes.test_step.attempts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.analysis.redact import known_secrets_from_env
from cicd_agent.local import processes
from cicd_agent.sandbox.environment import scrub_environment


def step_environment(environ: Mapping[str, str], *, trusted: bool) -> dict[str, str]:
    """What the step's command is handed: ``environ`` less the job's own secrets, and on code
    not ``trusted``, less every secret the environment holds."""
    known = () if trusted else known_secrets_from_env(environ)
    return scrub_environment(environ, known_secrets=known, trusted=trusted)


def run_step(
    argv: Sequence[str],
    *,
    cwd: Path,
    environ: Mapping[str, str],
    trusted: bool,
    timeout: float | None,
) -> int:
    """Run the step's command once; its exit status."""
    env = step_environment(environ, trusted=trusted)
    done = processes.run(argv, cwd=cwd, env=env, timeout=timeout, check=False)
    return int(done.returncode)
