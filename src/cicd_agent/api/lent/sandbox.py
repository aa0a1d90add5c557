"""Lent to analyse-failure, gen-tests and review, and may change with them: finer parts of the
sandbox. A folder tree a pull request shaped, walked by descriptors (analyse-failure); a
workspace, its runs and tool caches, the job's installs a copy links
(gen-tests); the untracked files a copy ignores (review)."""

from __future__ import annotations

from cicd_agent.sandbox import (
    SKIPPED_NAMES,
    TOOL_CACHES,
    RunResult,
    Workspace,
    ignored_untracked,
    installed_folders,
)
from cicd_agent.sandbox.walk import FOLDER_FLAGS, Visitor, walk

__all__ = [
    "FOLDER_FLAGS",
    "SKIPPED_NAMES",
    "TOOL_CACHES",
    "RunResult",
    "Visitor",
    "Workspace",
    "ignored_untracked",
    "installed_folders",
    "walk",
]
