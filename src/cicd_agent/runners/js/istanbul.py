"""istanbul's coverage map, as jest writes it into its report and vitest's V8 provider into its
JSON file: which lines of the measured files ran, and which count as code. A file the map leaves
out is not measured, never covered, unless its source holds no code."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

Lines = dict[str, frozenset[int]]


def read_coverage(
    found: object, root: str, cover: Sequence[str], blank: Callable[[str], bool]
) -> tuple[Lines | None, Lines | None, str]:
    """The lines of each file of ``cover`` the map shows run, and those it counts (a statement's
    first line), or why none. A file the map leaves out was not measured (the checkout's settings
    may ignore it), which is never "covered"; one whose source holds no code (``blank``: types,
    which both maps leave out) has no line to count."""
    if not isinstance(found, dict):
        return None, None, "the run left no coverage map (is its coverage provider installed?)"
    entries = {
        posixpath.relpath(name, root): entry
        for name, entry in found.items()
        if isinstance(name, str) and name.startswith(f"{root}/")
    }
    executed: dict[str, frozenset[int]] = {}
    measured: dict[str, frozenset[int]] = {}
    left_out = []
    for file in cover:
        entry = entries.get(file)
        statements = entry.get("statementMap") if isinstance(entry, dict) else None
        counts = entry.get("s") if isinstance(entry, dict) else None
        if not isinstance(statements, dict) or not isinstance(counts, dict):
            if blank(file):
                executed[file] = measured[file] = frozenset()
            else:
                left_out.append(file[:200])
            continue
        ran: set[int] = set()
        lines: set[int] = set()
        for key, where in statements.items():
            start = where.get("start") if isinstance(where, dict) else None
            line = start.get("line") if isinstance(start, dict) else None
            if not isinstance(line, int) or isinstance(line, bool):
                continue
            lines.add(line)
            count = counts.get(key)
            if isinstance(count, int) and not isinstance(count, bool) and count > 0:
                ran.add(line)
        executed[file], measured[file] = frozenset(ran), frozenset(lines)
    if left_out:
        return None, None, f"its coverage map leaves out {', '.join(left_out[:5])}"
    return executed, measured, ""
