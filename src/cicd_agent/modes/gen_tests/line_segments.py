"""Another runner's uncovered lines as segments (its coverage names lines, not functions),
each named by the Go function it sits in where the file says so cheaply: gofmt puts a
top-level ``func`` and its closing ``}`` at the start of a line."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.modes.gen_tests.reports import SegmentReport

_FUNC = re.compile(r"func\s+(?:\(\s*(?:\w+\s+)?\*?\s*(\w+)(?:\[[^\]]*\])?\s*\)\s*)?(\w+)")
"""A top-level Go function's first line: its receiver's type (a method's) and its name."""

Functions = Sequence[tuple[int, int, str]]
"""A file's top-level functions: first line, last line, name (``Type.Method`` for a method)."""


def go_functions(repo: Path, path: str) -> Functions:
    """The top-level functions of the Go file ``path`` in the checkout ``repo`` (read bounded,
    no link followed); none for another file or one that cannot be read."""
    if not path.endswith(".go"):
        return ()
    try:
        text = read_text(repo, path)
    except (CheckoutFileError, OSError):
        return ()
    found: list[tuple[int, int, str]] = []
    opened: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if match := _FUNC.match(line):
            opened = (number, f"{match[1]}.{match[2]}" if match[1] else match[2])
        if (
            opened is not None
            and line.rstrip().endswith("}")
            and (line.startswith("}") or number == opened[0])
        ):
            found.append((*opened[:1], number, opened[1]))
            opened = None
    return found


def line_segments(
    at_head: Mapping[str, list[int]],
    left: Mapping[str, list[int]],
    status: str,
    functions: Mapping[str, Functions],
) -> list[SegmentReport]:
    """A runner's uncovered lines as segments: each run of lines at most three apart, per
    file, named by the function of ``functions`` its first line sits in (else by its lines);
    one no longer uncovered after the accepted tests is "accepted a test"."""
    found = []
    for path, lines in at_head.items():
        blocks: list[list[int]] = []
        for line in lines:
            if blocks and line - blocks[-1][-1] <= 3:
                blocks[-1].append(line)
            else:
                blocks.append([line])
        still = set(left.get(path, ()))
        for block in blocks:
            name = next(
                (
                    name
                    for first, last, name in functions.get(path, ())
                    if first <= block[0] <= last
                ),
                f"lines {block[0]}-{block[-1]}",
            )
            found.append(
                SegmentReport(
                    path=path,
                    qualname=name,
                    start=block[0],
                    end=block[-1],
                    missing_lines=block,
                    missing_branches=[],
                    status=status if still & set(block) else "accepted a test",
                )
            )
    return found
