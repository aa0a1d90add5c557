"""A ``run:`` step's script split into the commands it runs, one per logical line."""

from __future__ import annotations

import re

_COMPOUND = re.compile(
    r"^\s*(if|then|else|elif|fi|for|while|until|do|done|case|esac|function)\b|<<|^\s*[({]\s*$"
)


def split_commands(script: str) -> tuple[str, ...]:
    """The script's commands, one per logical line; one item when it has compound statements.

    Backslash continuations are joined; blank lines and comments dropped. Splitting a script
    with ``if``/``for``/heredocs/subshells would change what runs, so such a script stays whole.
    """
    lines = script.splitlines()
    if any(_COMPOUND.search(line) for line in lines):
        return (script,) if script.strip() else ()
    found: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line + "\n"
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            found.append(command)
    if pending.strip():
        found.append(pending.strip())
    return tuple(found)
