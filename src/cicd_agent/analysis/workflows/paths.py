"""Which repository paths are workflow or action files, and which are safe to write out."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION = re.compile(r"(?:^|/)action\.ya?ml$")


def safe_relative(path: str) -> bool:
    """A relative path with no ``..`` or empty part: zizmor's copy is written under it."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and "" not in parts
