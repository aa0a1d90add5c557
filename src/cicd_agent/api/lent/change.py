"""Lent to deploy-gate, and may change with it: the change read between two commits, beyond
the promised :class:`~cicd_agent.api.ChangeSet`. Its files of some types (:func:`only`) and the
types of change that run in production (:data:`RUNTIME_TYPES`), and the order of the risk scale
(:class:`OrderedStrEnum`, :func:`higher`)."""

from __future__ import annotations

from cicd_agent.analysis.change_types import RUNTIME_TYPES
from cicd_agent.analysis.changes import only
from cicd_agent.analysis.scale import OrderedStrEnum, higher

__all__ = ["RUNTIME_TYPES", "OrderedStrEnum", "higher", "only"]
