"""Starts the job's own test step: the workflow's command, where the workflow runs it.

With the change's lines (:func:`read_change`), the seam traces which tests ran one.

It is the job's step, not code we judge, so it runs without the sandbox; processes start only
in ``local/`` and ``sandbox/`` (tests/project/test_git_seam.py). Its runs and their reports
are read by the test-runner seam (:mod:`cicd_agent.verify.runners.step`).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.analysis.changed_lines import TRACED, Touched, touched
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.local.gitrepo import is_null_sha
from cicd_agent.runner.errors import UsageError


def run_step(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float | None
) -> int:
    """Run the step's command once; its exit status."""
    return subprocess.run(list(argv), cwd=cwd, env=env, timeout=timeout, check=False).returncode


MAX_OUTPUT = 64 << 20
"""Most of a run's standard output kept for its runner's reader (all of it is still shown)."""


def run_step_read(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None,
    timeout: float | None,
    shown: Callable[[str], str],
) -> tuple[int, str]:
    """Run the step's command once, its standard output shown line by line as ``shown`` gives
    each, its line end included (go's ``-json`` events as the text go prints), and kept; its
    exit status and output."""
    kept: list[str] = []
    size = 0
    with subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.PIPE, text=True,
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
