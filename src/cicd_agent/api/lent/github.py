"""Lent to analyse-failure and command, and may change with them: the run history read from
GitHub (analyse-failure) and the review thread a comment is in (command). Loaded only by a
mode that imports it: it brings PyGithub."""

from __future__ import annotations

from cicd_agent.github.run_history import History
from cicd_agent.github.threads import CommentKind, ThreadStart

__all__ = [
    "CommentKind",
    "History",
    "ThreadStart",
]
