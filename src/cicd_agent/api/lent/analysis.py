"""Lent to review, and may change with it: finer parts of the shared analysis. A diff's hunks
(:class:`Hunk`) and git's own lines of one file's diff (:func:`git_lines`), a definition's name
(:func:`definition_name`), a severity parsed (:func:`parse_severity`)."""

from __future__ import annotations

from cicd_agent.analysis.definitions import definition_name
from cicd_agent.analysis.diff import Hunk
from cicd_agent.analysis.severity import parse_severity
from cicd_agent.analysis.unified_diff import git_lines

__all__ = ["Hunk", "definition_name", "git_lines", "parse_severity"]
