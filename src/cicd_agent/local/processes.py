"""The one place cicd-agent starts a process: git, zizmor, the sandbox's ``bwrap`` and its
housekeeping, the job's own test step.

Every start goes through :func:`run` or :func:`start`, which take the process's environment
as a mapping (never None, which would hand over this process's whole environment) and start it
with that environment less the job's own token and keys and every secret value a run open now
holds (:func:`~cicd_agent.sandbox.environment.scrub_environment` at its trusted strength, with
the values :func:`~cicd_agent.runner.withheld.held`). So a checkout's program, a fork's test or
a credential helper gets none of them, whichever caller started it and whatever it forgot; code
that must see even less (the sandbox, a fork's tests) is scrubbed harder before it gets here.
The one credential a process is meant to hold (git's header for a push or a fetch) is named by
its caller in ``added``, which is set after the rest. A project test
(``tests/project/test_git_seam.py``) fails when another module starts a process.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from cicd_agent.runner.withheld import held


def environment(env: Mapping[str, str], added: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a process handed ``env`` starts with: ``env`` without the job's own secrets, then
    ``added``."""
    # Here, not at the top: the sandbox package starts its processes through this module.
    from cicd_agent.sandbox.environment import own_secrets, scrub_environment

    known = (*held(), *own_secrets(os.environ))
    return {**scrub_environment(env, known_secrets=known, trusted=True), **(added or {})}


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    added: Mapping[str, str] | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(argv, **options)`` with :func:`environment` (``env``, ``added``)."""
    return subprocess.run(list(argv), env=environment(env, added), **options)  # noqa: PLW1510 - callers say check


def start(argv: Sequence[str], *, env: Mapping[str, str], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **options)`` with :func:`environment` (``env``)."""
    return subprocess.Popen(list(argv), env=environment(env), **options)
