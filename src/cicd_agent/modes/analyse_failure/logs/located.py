"""A failed test's full name from a runner's report that says its file (node TAP's
``location:``): ``file › suite › test``, the name the test step records in the history and the
quarantine matches. The file is taken only inside the checkout: the runner's workspace
(``/home/runner/work/<repo>/<repo>/`` and its other forms) or the checkout given. Any other path,
or one that climbs out with ``..``, leaves the name as the runner printed it: a log's path is
the run's word, never a place on this host to go to."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.runners.shape import RunnerShape

WORKSPACE = re.compile(
    r"^(?:file://)?(?:/home/runner/work|/Users/runner/work|/__w|/github/workspace"
    r"|[A-Za-z]:[\\/]a)(?:[\\/][^\\/]+[\\/][^\\/]+)?[\\/]"
)
"""The runner's checkout folder as a log prints it (Linux, macOS, a container, Windows)."""

SEPARATOR = " › "
"""What joins the file, the suites and the test, as the test step's node reporter does."""
BLOCK_REACH = 40
"""Lines under a verdict its report's ``location:`` may be on (TAP's block, up to ``...``)."""


def checkout_path(path: str, checkout: Path | None) -> str | None:
    """``path`` relative to the checkout, or None where it is anywhere else."""
    cleaned = path.strip().replace("\\", "/").removeprefix("file://")
    root = str(checkout).rstrip("/") + "/" if checkout is not None else ""
    if root and cleaned.startswith(root):
        cleaned = cleaned[len(root) :]
    elif WORKSPACE.match(cleaned):
        cleaned = WORKSPACE.sub("", cleaned, count=1)
    else:
        return None
    if not cleaned or cleaned.startswith("/") or ":" in cleaned.split("/", 1)[0]:
        return None
    if any(part in {"", ".", ".."} for part in cleaned.split("/")):
        return None
    return posixpath.normpath(cleaned)


def full_name(
    shape: RunnerShape, name: str, text: Sequence[str], index: int, checkout: Path | None
) -> str:
    """``name`` (the verdict at ``index``) as ``file › suites › name`` where its report gives
    its file in the checkout; ``name`` as it is otherwise."""
    if shape.located is None:
        return name
    path = None
    for line in text[index + 1 : index + 1 + BLOCK_REACH]:
        if line.strip() == "..." or (shape.verdict and shape.verdict.search(line)):
            break
        if (match := shape.located.search(line)) is not None:
            path = checkout_path(match["path"], checkout)
            break
    if path is None:
        return name
    suites: list[str] = []
    indent = len(text[index]) - len(text[index].lstrip(" "))
    for line in reversed(text[:index]):
        if indent == 0:
            break
        match = shape.nested.search(line) if shape.nested is not None else None
        if match is not None and len(match["indent"]) < indent:
            suites.append(match["name"])
            indent = len(match["indent"])
    return SEPARATOR.join([path, *reversed(suites), name])
