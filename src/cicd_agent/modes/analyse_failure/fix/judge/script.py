"""A ``run:`` step's script split into the commands it runs, and its ``shell:`` line made argv."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

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


def shell_argv(shell: str, script: Path) -> list[str] | None:
    """The runner's ``shell:`` line made into argv (``{0}`` is the script file); None for a
    Windows shell (``pwsh``/``cmd`` with a Windows path) that cannot run here."""
    template = shell.strip() or "bash -e {0}"
    if "\0" in template:
        return None  # no argv can hold a NUL byte
    try:
        words = shlex.split(template)
    except ValueError:
        return None
    if not words or "\\" in words[0] or words[0].lower().endswith((".exe", "cmd")):
        return None
    if "{0}" not in template:
        return [*words, str(script)]
    return [word.replace("{0}", str(script)) for word in words]
