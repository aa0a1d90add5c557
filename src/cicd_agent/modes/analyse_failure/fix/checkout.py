"""Whether the local checkout is the failed commit as it was built: the fix step's precondition.

A patch can be said to fix the failed commit only when the copies the verifier works on are that
commit: its ``HEAD`` must be the failed run's head, and no tracked file may differ from it. Read
with git's plumbing only (no hooks, no filters run), through :mod:`cicd_agent.local.git`.
"""

from __future__ import annotations

import re
from pathlib import Path

from cicd_agent.local import git, git_ops


def checkout_problem(checkout: Path, head_sha: str) -> str:
    """Why ``checkout`` is not the failed commit as it was built ("" when it is).

    ``head_sha`` may be any commit-ish (a SHA, a branch, a tag, ``HEAD~1``): it is resolved in
    the checkout, so a branch name for the checked-out commit is that commit. Reads the
    repository with git's plumbing only (no hooks, no filters run): its ``HEAD`` and whether a
    tracked file differs from it.
    """
    if not head_sha:
        return (
            "the failed run's head commit is unknown (pass --head, or run it where the event says)"
        )
    place = git.in_checkout(checkout)
    try:
        head = _resolve(place, "HEAD")
        if head is None:
            return f"{checkout} is not a git checkout"
        failed = _resolve(place, head_sha)
        if failed is None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", head_sha):
            return f"the failed commit {head_sha!r} names no commit of the checkout at {checkout}"
        failed = failed or head_sha  # a SHA this clone lacks: not what is checked out
        if head != failed:
            named = failed[:12] if failed.startswith(head_sha) else f"{head_sha} ({failed[:12]})"
            return (
                f"the checkout is at {head[:12]}, not the failed commit {named} "
                "(check out the run's head_sha)"
            )
        listed = git_ops.index_entries(place, stages=False, timeout=120).stdout.split(b"\0")
        contents = git.in_checkout(checkout, contents=True)  # no filter runs on the files
        changed = git_ops.differs_from_head(contents, timeout=120)
    except (OSError, git.GitTimedOut) as exc:
        return f"git could not read the checkout ({exc})"
    # ``diff-index`` trusts the index's word: a file marked so is never compared, and the
    # failed job (the pull request's code) could have marked its rewritten conftest.py.
    hidden = sum(1 for entry in listed if entry[:1].islower() or entry[:1] == b"S")
    if hidden:
        return (
            f"the checkout's index keeps {hidden} tracked file(s) from git's view "
            "(assume-unchanged or skip-worktree), so it cannot tell they are the commit's"
        )
    if changed.returncode != 0:
        return "tracked files in the checkout differ from the failed commit"
    return ""


def checkout_head(checkout: Path) -> str:
    """The commit the checkout has checked out ("" when it is not a git checkout)."""
    try:
        return _resolve(git.in_checkout(checkout), "HEAD") or ""
    except (OSError, git.GitTimedOut):
        return ""


def _resolve(place: git.Place, commitish: str) -> str | None:
    """The full SHA ``commitish`` names in the repository, or None. ``--end-of-options``: a
    value starting with ``-`` is a name to look up, never an option."""
    if "\0" in commitish or "\n" in commitish:
        return None
    done = git_ops.resolve_commit(place, commitish, timeout=60)
    found = done.stdout.decode("utf-8", "replace").strip()
    return found if done.ok and found else None
