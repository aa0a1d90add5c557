"""A ``go test -coverprofile`` file read as lines: which lines of the files asked each block
covers and whether it ran. The profile is written by the test binary, so it is read without
following links, bounded, and only for the files asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.base import COUNT

_MODULE = re.compile(r"^module\s+\"?([^\s\"]+)", re.MULTILINE)
_BLOCK = re.compile(rf"(.+?):{COUNT}\.\d+,{COUNT}\.\d+ \d+ {COUNT}")
"""One block of a coverage profile: its file, first and last line, and count."""
MAX_PROFILE_BYTES = 64 << 20


Lines = dict[str, frozenset[int]]


def module_path(repo: Path) -> str:
    try:
        found = _MODULE.search(read_text(repo, "go.mod"))
    except CheckoutFileError:
        return ""
    return found.group(1) if found else ""


def read_profile(
    path: Path, repo: Path, cover: Sequence[str]
) -> tuple[Lines | None, Lines | None, str]:
    """The lines of ``cover`` a ``-coverprofile`` file shows executed (a block's every line)
    and those of its every block, or why none."""
    try:
        text = read_text(path.parent, path.name, MAX_PROFILE_BYTES)
    except CheckoutFileError as exc:
        return None, None, f"no coverage profile ({exc.problem})"
    module = module_path(repo)
    if not module:
        return None, None, "go.mod names no module"
    executed: dict[str, set[int]] = {file: set() for file in cover}
    measured: dict[str, set[int]] = {file: set() for file in cover}
    wanted = {f"{module}/{file}": file for file in cover}
    for line in text.splitlines()[1:]:
        match = _BLOCK.fullmatch(line.strip())
        if match is None:
            continue
        where, first, last, count = match.groups()
        file = wanted.get(where)
        if file is None or int(last) - int(first) >= 100_000:
            continue
        measured[file].update(range(int(first), int(last) + 1))
        if int(count) > 0:
            executed[file].update(range(int(first), int(last) + 1))
    return (
        {file: frozenset(lines) for file, lines in executed.items()},
        {file: frozenset(lines) for file, lines in measured.items()},
        "",
    )
