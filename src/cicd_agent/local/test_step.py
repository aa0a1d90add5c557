"""Starts the job's own test step: the workflow's command, where the workflow runs it.

With the change's lines (:func:`read_change`), the seam traces which tests ran one.

It is the job's step, not code we judge, so it runs without the sandbox; processes start only
in ``local/`` and ``sandbox/`` (tests/project/test_git_seam.py). Its runs and their reports
are read by the test-runner seam (:mod:`cicd_agent.verify.runners.step`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
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
