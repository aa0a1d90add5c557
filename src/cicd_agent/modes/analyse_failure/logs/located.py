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
    shape: RunnerShape,
    name: str,
    text: Sequence[str],
    index: int,
    checkout: Path | None,
    *,
    numbers: Sequence[int] | None = None,
) -> str:
    """``name`` (the verdict at ``index``) as ``file › suites › name`` where its report gives
    its file in the checkout and the lines above show its suites whole; ``name`` as it is
    otherwise. ``numbers``: each line's number in the log, where ``text`` keeps only some of
    its lines (a suite's or a location's line may be among those left out)."""
    if shape.located is None:
        return name
    depth = _indent(text[index])
    path = None
    for at in range(index + 1, min(len(text), index + 1 + BLOCK_REACH)):
        line = text[at]
        if _gap(numbers, at) or line.strip() == "..." or _verdict(shape, line):
            break
        if (match := shape.located.search(line)) is not None and _indent(line) == depth + 2:
            path = checkout_path(match["path"], checkout)  # the report's field, not the
            break  # error's text under it, which is indented further
    if path is None:
        return name
    suites = _suites(shape, text, index, numbers)
    return name if suites is None else SEPARATOR.join([path, *suites, name])


def _suites(
    shape: RunnerShape, text: Sequence[str], index: int, numbers: Sequence[int] | None
) -> list[str] | None:
    """The suites the verdict at ``index`` runs within, outermost first: each the first line
    above, less indented than what it holds, that opens one. None where such a line opens
    none (a line the tests printed) or the lines run out before the outermost: a name with
    some of its suites would be another test's."""
    suites: list[str] = []
    indent = _indent(text[index])
    at = index
    while indent > 0:
        if at == 0 or _gap(numbers, at):
            return None
        at -= 1
        line = text[at]
        if not line.strip() or _indent(line) >= indent:
            continue
        match = shape.nested.search(line) if shape.nested is not None else None
        if match is None:
            return None
        suites.append(match["name"])
        indent = len(match["indent"])
    return suites[::-1]


def _verdict(shape: RunnerShape, line: str) -> bool:
    return shape.verdict is not None and shape.verdict.search(line) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _gap(numbers: Sequence[int] | None, at: int) -> bool:
    """Whether lines of the log were left out just above ``text[at]``."""
    return numbers is not None and at > 0 and numbers[at] != numbers[at - 1] + 1
