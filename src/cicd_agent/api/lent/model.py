"""Lent to analyse-failure, and may change with it: a tool call the model answers with, for
the fix agent that drives the model itself. Loaded only by a mode that imports it: it brings
the provider's SDK."""

from __future__ import annotations

from cicd_agent.model.reply import ToolCall

__all__ = [
    "ToolCall",
]
