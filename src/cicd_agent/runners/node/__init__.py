"""node's own test runner (``node --test``), mocha, AVA and uvu in the test step: each run
writes its outcomes where the step reads them while the job's log keeps a readable report, and
a retry names the failed tests again by their titles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath


def program(command: Sequence[str]) -> str:
    """The program ``command`` starts, by its file's name, through ``npx`` too (``npx mocha``
    and ``./node_modules/.bin/mocha`` are both ``mocha``)."""
    words = command[1:] if command and command[0] == "npx" else command
    return PurePosixPath(words[0]).name if words else ""


def own_option(command: Sequence[str], option: str) -> str:
    """The words of ``command`` that set an option whose word matches ``option`` (a pattern
    from the word's start), each with its value (after ``=`` or as the next word), as they
    read in it: what a user drops to let the step add its own; "" when none does."""
    chosen = []
    for at, word in enumerate(command):
        if re.match(option, word):
            value = command[at + 1] if at + 1 < len(command) and "=" not in word else "-"
            chosen.append(word if value.startswith("-") else f"{word} {value}")
    return " ".join(dict.fromkeys(chosen))
