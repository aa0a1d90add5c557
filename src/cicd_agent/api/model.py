"""The API's model facet: the model client a run holds (:attr:`RunContext.model`) and a tool
call it answers with, for a mode that drives the model itself (analyse-failure's fix agent).
Loaded only by a mode that imports it: the client brings the provider's SDK."""

from __future__ import annotations

from cicd_agent.model.client import ModelClient
from cicd_agent.model.reply import ToolCall

__all__ = ["ModelClient", "ToolCall"]
