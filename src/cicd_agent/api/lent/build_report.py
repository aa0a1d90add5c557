"""Lent to deploy-gate, and may change with it: the build mode's report as another mode reads
it (:func:`read_build_report`, into a :class:`BuildEvidence`), and any mode's report about this
head checked for its writer and its commit (:func:`read_mode_report`: the eval mode's)."""

from __future__ import annotations

from cicd_agent.local.build_report import BuildEvidence, read_build_report, read_mode_report

__all__ = ["BuildEvidence", "read_build_report", "read_mode_report"]
