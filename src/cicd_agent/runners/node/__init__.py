"""node's own test runner (``node --test``), mocha, AVA and uvu in the test step: each run
writes its outcomes where the step reads them while the job's log keeps a readable report, and
a retry names the failed tests again by their titles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath


def program(command: Sequence[str]) -> str:
    """The program ``command`` starts, by its file's name, through ``npx`` too (``npx mocha``
    and ``./node_modules/.bin/mocha`` are both ``mocha``)."""
    words = command[1:] if command and command[0] == "npx" else command
    return PurePosixPath(words[0]).name if words else ""
