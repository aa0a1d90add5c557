"""The API's git facet: git run on the checkout for a mode that reads it directly (is git
installed, run a command in the checkout, the objects of a commit range: a :class:`Place`,
each run's :class:`GitResult` or :class:`GitTimedOut`) and the read-only
operations a model's tools may ask for (:func:`grep`, :func:`log`, :func:`blame`, the index,
a commit resolved). No hook, filter or setting of the repository runs."""

from __future__ import annotations

from cicd_agent.local.git import GitResult, GitTimedOut, Place, in_checkout, installed, objects_of
from cicd_agent.local.git_ops import (
    blame,
    differs_from_head,
    grep,
    index_entries,
    log,
    resolve_commit,
)

__all__ = [
    "GitResult",
    "GitTimedOut",
    "Place",
    "blame",
    "differs_from_head",
    "grep",
    "in_checkout",
    "index_entries",
    "installed",
    "log",
    "objects_of",
    "resolve_commit",
]
