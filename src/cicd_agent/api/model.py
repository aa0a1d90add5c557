"""The API's model facet: the model client a run holds (:attr:`RunContext.model`), for a mode
that drives the model itself. Loaded only by a mode that imports it: the client brings the
provider's SDK."""

from __future__ import annotations

from cicd_agent.model.client import ModelClient

__all__ = ["ModelClient"]
