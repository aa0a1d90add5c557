"""One file's change as ``git apply``-able unified diff text, from two texts in memory.

gen-tests writes its accepted test files as a patch and analyse-failure's fix step reads a
fixer's changes back as one; both go through :func:`file_diff`, so both mark a missing final
newline and split lines the way git does.
"""

from __future__ import annotations

import difflib

_NO_NEWLINE = "\\ No newline at end of file\n"


def file_diff(path: str, old: str | None, new: str | None) -> str:
    """One file's diff; ``None`` on a side means the file does not exist there."""
    header = f"diff --git a/{path} b/{path}\n"
    if old is None:
        header += "new file mode 100644\n"
    elif new is None:
        header += "deleted file mode 100644\n"
    lines = difflib.unified_diff(
        git_lines(old or ""),
        git_lines(new or ""),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile="/dev/null" if new is None else f"b/{path}",
        n=3,
    )
    body = []
    for line in lines:
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + _NO_NEWLINE)
    return header + "".join(body)


def git_lines(text: str) -> list[str]:
    """Lines split at ``\n`` only, as git and GitHub number them (``str.splitlines`` also
    splits at ``\r``, a form feed, U+2028...)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines
