"""Lent to deploy-gate, and may change with it: the build mode's report as another mode reads
it (:func:`read_build_report`, into a :class:`BuildEvidence`)."""

from __future__ import annotations

from cicd_agent.local.build_report import BuildEvidence, read_build_report

__all__ = ["BuildEvidence", "read_build_report"]
