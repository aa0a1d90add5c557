"""Which repository paths are workflow or action files (a diff's among them), and which are safe
to write out."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff

WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION = re.compile(r"(?:^|/)action\.ya?ml$")


def safe_relative(path: str) -> bool:
    """A relative path with no ``..`` or empty part: zizmor's copy is written under it."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and "" not in parts


def workflow_paths(diff: Diff) -> list[str]:
    """Workflow and action files this diff adds or changes (their head text is needed)."""
    return [
        f.path
        for f in diff.files
        if f.status != "deleted"
        and not f.is_binary
        and (WORKFLOW.match(f.path) or ACTION.search(f.path))
    ]
