"""Starts the job's own test step: the workflow's command, where the workflow runs it.

It is the job's step, not code we judge, so it runs without the sandbox, but never with the
job's token or keys (:mod:`cicd_agent.local.processes`), and on code GitHub does not vouch for,
with none of the runner's variables and nothing secret-named or secret-shaped either: the
sandbox's scrubbing, whatever the workflow handed cicd-agent's step. Its runs and their reports
are read by the test-runner seam (:mod:`cicd_agent.modes.test_step.attempts`). With the change's
lines (:func:`read_change`), the seam traces which tests ran one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.analysis.changed_lines import TRACED, Touched, touched
from cicd_agent.analysis.redact import known_secrets_from_env
from cicd_agent.local import processes
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.local.gitrepo import is_null_sha
from cicd_agent.runner.errors import UsageError
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


MAX_OUTPUT = 64 << 20
"""Most of a run's standard output kept for its runner's reader (all of it is still shown)."""


def run_step_read(
    argv: Sequence[str],
    *,
    cwd: Path,
    environ: Mapping[str, str],
    trusted: bool,
    timeout: float | None,
    shown: Callable[[str], str],
) -> tuple[int, str]:
    """Run the step's command once (its environment as :func:`run_step`'s), its standard
    output shown line by line as ``shown`` gives each, its line end included (go's ``-json``
    events as the text go prints), and kept; its exit status and output."""
    kept: list[str] = []
    size = 0
    env = step_environment(environ, trusted=trusted)
    with processes.start(list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, text=True,
                         errors="replace") as process:  # fmt: skip
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer is not None:
            timer.start()
        try:
            for line in process.stdout or ():
                sys.stdout.write(shown(line.rstrip("\n")))
                if size < MAX_OUTPUT:
                    kept.append(line)
                    size += len(line)
        finally:
            if timer is not None:
                timer.cancel()
        return process.wait(), "".join(kept)


def read_change(base: str | None, head: str | None, cwd: Path) -> tuple[Touched | None, str]:
    """The lines the change under test touched, ``base`` to ``head`` (the mode reads them from
    the event), read from the checkout at ``cwd``, or why they could not be."""
    if not base or not head or is_null_sha(base):
        return None, "the event names no change to compare"
    try:
        diff = GitCheckout(cwd).diff(base, head)
    except UsageError as error:
        return None, (f"the change could not be read ({str(error)[:200]}; check out with "
                      "fetch-depth: 0)")  # fmt: skip
    sources: dict[str, str] = {}
    for changed in diff.files:
        if changed.path.endswith(TRACED):
            try:
                sources[changed.path] = read_text(cwd, changed.path)
            except CheckoutFileError:
                continue
    return touched(diff.files, sources), ""
