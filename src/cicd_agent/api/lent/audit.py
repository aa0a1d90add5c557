"""Lent to deploy-gate, and may change with it: the digests that pin the inputs of an audit
record (:func:`digest`, :func:`file_digest`). The record itself is promised
(:mod:`cicd_agent.api.audit`)."""

from __future__ import annotations

from cicd_agent.local.audit import digest, file_digest

__all__ = [
    "digest",
    "file_digest",
]
