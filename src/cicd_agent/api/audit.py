"""The API's audit facet: the append-only record of what a mode decided and on what inputs
(:func:`append`, at :func:`default_audit_path` unless the workflow names a file)."""

from __future__ import annotations

from cicd_agent.local.audit import append, default_audit_path

__all__ = ["append", "default_audit_path"]
