"""How a retry of ``cargo test`` selects a failed doctest.

cargo hands libtest's arguments to rustdoc too, which splits them at each space, so ``--exact``
with a doctest's name (``src/lib.rs - TryLock::try_lock (line 42)``) selects nothing. A retry
holding a doctest names each test by a part of its name with no space, without ``--exact``; only
the retried tests' outcomes are read, so a test the wider filter also ran is no evidence."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text

DOCTEST = re.compile(r"^(?P<file>\S+) - (?P<item>.*?) ?\(line \d+\)(?: - .*)?$")
"""rustdoc's name of a doctest: its file, the item it documents (none for the crate's own
documentation), its line, and what it only compiles (`` - compile fail``)."""
RETRIED = "cargo-retried.json"
"""The file beside a retry's folder that names the tests it ran again (outside the folder
the run can write)."""


def retry_arguments(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """cargo's options and libtest's arguments that run ``names`` again: their exact names
    where none is a doctest, else a part of each without a space, with ``--doc``
    where all are."""
    found = [DOCTEST.match(name) for name in names]
    if not any(found):
        return [], [*names, "--exact"]
    filters = [_part(match) if match else name for name, match in zip(names, found, strict=True)]
    return (["--doc"] if all(found) else []), list(dict.fromkeys(filters))


def _part(doctest: re.Match[str]) -> str:
    item = doctest["item"].strip()
    return item if item and not any(c.isspace() for c in item) else doctest["file"]


def write_retried(folder: Path, names: Sequence[str]) -> None:
    """Record the tests a retry runs again, beside its folder (made for the run: none where
    the command is only being read)."""
    if folder.is_dir():
        (folder.parent / f"{folder.name}.{RETRIED}").write_text(json.dumps(list(names)))


def retried(folder: Path) -> set[str] | None:
    """The tests the retry of ``folder`` ran again; None on a first run."""
    try:
        written = json.loads(read_text(folder.parent, f"{folder.name}.{RETRIED}"))
    except (CheckoutFileError, ValueError, RecursionError):
        return None
    return {str(test) for test in written} if isinstance(written, list) else None
