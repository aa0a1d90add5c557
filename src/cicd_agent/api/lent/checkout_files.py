"""Lent to gen-tests, and may change with it: files of the checkout created
(:func:`create_file`), tested for existence (:func:`lexists`) and walked by every name
(:func:`walk_every_name`) without following a link out of it, and file names folded or refused
(:func:`folded`, :func:`has_control_characters`). Reading and walking files is promised
(:mod:`cicd_agent.api`)."""

from __future__ import annotations

from cicd_agent.analysis.file_names import folded, has_control_characters
from cicd_agent.local.checkout_files import create_file, lexists, walk_every_name

__all__ = ["create_file", "folded", "has_control_characters", "lexists", "walk_every_name"]
