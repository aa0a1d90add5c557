"""Applying a proposed patch to a judged copy: the one way every claim's patch reaches a copy.

``git apply`` runs inside the sandbox (the patch is the model's or a linter's, the copy the pull
request's), with nobody's configuration and no repository above the copy to find; it is atomic
(all hunks or none), so no ``--check`` run comes first.
"""

from __future__ import annotations

from cicd_agent.local import git_ops
from cicd_agent.sandbox import RunResult, Sandbox, Workspace

APPLY_TIMEOUT = 60.0


def apply_in(sandbox: Sandbox, space: Workspace, diff: str) -> RunResult:
    """``git apply`` of ``diff`` in ``space``, inside ``sandbox``."""
    patch_file = space.scratch("patch", ".diff")
    patch_file.write_text(diff, encoding="utf-8", errors="surrogateescape")
    argv, git_env = git_ops.sandboxed_apply(patch_file)
    git_env["GIT_CEILING_DIRECTORIES"] = str(space.live)
    return sandbox.run(argv, space, timeout=APPLY_TIMEOUT, extra_env=git_env)
