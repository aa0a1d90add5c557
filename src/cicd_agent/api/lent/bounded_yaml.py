"""Lent to deploy-gate, and may change with it: the one bounded reader of YAML a pull request or
a workflow wrote (:func:`load`, its :class:`YamlLimitError`, and :func:`one_line` for a parse
error's message)."""

from __future__ import annotations

from cicd_agent.analysis.bounded_yaml import YamlLimitError, load, one_line

__all__ = ["YamlLimitError", "load", "one_line"]
