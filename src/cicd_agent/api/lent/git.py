"""Lent to analyse-failure and gen-tests, and may change with them: git run on the checkout for
a mode that reads it directly (is git installed, run a command in the checkout, the objects of a
commit range: a :class:`Place`, each run's :class:`GitResult` or :class:`GitTimedOut`) and the
read-only operations a model's tools may ask for (:func:`grep`, :func:`log`, :func:`blame`, the
index, a commit resolved: analyse-failure), and a commit pushed to a branch
(:func:`commit_and_push`, or :class:`GitHubWriteDenied` when the token cannot write:
gen-tests). No hook, filter or setting of the repository runs."""

from __future__ import annotations

from cicd_agent.actions.errors import GitHubWriteDenied
from cicd_agent.local.git import GitResult, GitTimedOut, Place, in_checkout, installed, objects_of
from cicd_agent.local.git_ops import (
    blame,
    differs_from_head,
    grep,
    index_entries,
    log,
    resolve_commit,
)
from cicd_agent.local.push import (
    BranchMoved,
    Remote,
    checked_out_head,
    commit_and_push,
    git_environment,
    header_scope,
)

__all__ = [
    "BranchMoved",
    "GitHubWriteDenied",
    "GitResult",
    "GitTimedOut",
    "Place",
    "Remote",
    "blame",
    "checked_out_head",
    "commit_and_push",
    "differs_from_head",
    "git_environment",
    "grep",
    "header_scope",
    "in_checkout",
    "index_entries",
    "installed",
    "log",
    "objects_of",
    "resolve_commit",
]
