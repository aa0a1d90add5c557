"""Lent to command and review, and may change with them: how a finding is written for a reader
(its heading, its markers and label, the body a comment shows, where it came from: review), and
whether a text reads as one of our findings (:func:`reads_as_finding`, command)."""

from __future__ import annotations

from cicd_agent.analysis.finding_text import (
    CLAIM_LABEL,
    MARKER,
    annotation_heading,
    body_item,
    heading,
    marked,
    origin,
    reads_as_finding,
    shown_body,
)

__all__ = [
    "CLAIM_LABEL",
    "MARKER",
    "annotation_heading",
    "body_item",
    "heading",
    "marked",
    "origin",
    "reads_as_finding",
    "shown_body",
]
