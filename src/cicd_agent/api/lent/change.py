"""Lent to deploy-gate, and may change with it: the change read between two commits. The
repository between commits (:class:`GitRepo`), the change set (:class:`ChangeSet`, :func:`only`)
and the types of change that run in production (:data:`RUNTIME_TYPES`), and the order of the
risk scale (:class:`OrderedStrEnum`, :func:`higher`)."""

from __future__ import annotations

from cicd_agent.analysis.change_types import RUNTIME_TYPES
from cicd_agent.analysis.changes import ChangeSet, only
from cicd_agent.analysis.scale import OrderedStrEnum, higher
from cicd_agent.local.gitrepo import GitRepo

__all__ = ["RUNTIME_TYPES", "ChangeSet", "GitRepo", "OrderedStrEnum", "higher", "only"]
