"""One file's change as ``git apply``-able unified diff text, from two texts in memory:
gen-tests' patch and the fix step's both come through :func:`file_diff`, so a missing final
newline and line splits are marked as git marks them (and review's suggestion blocks count lines
with :func:`git_lines`, as GitHub does)."""

from __future__ import annotations

import difflib

_NO_NEWLINE = "\\ No newline at end of file\n"


def file_diff(path: str, old: str | None, new: str | None) -> str:
    """One file's diff; ``None`` on a side means the file does not exist there."""
    before, after = _quoted(f"a/{path}"), _quoted(f"b/{path}")
    header = f"diff --git {before} {after}\n"
    if old is None:
        header += "new file mode 100644\n"
    elif new is None:
        header += "deleted file mode 100644\n"
    lines = difflib.unified_diff(
        git_lines(old or ""),
        git_lines(new or ""),
        fromfile="/dev/null" if old is None else before,
        tofile="/dev/null" if new is None else after,
        n=3,
    )
    body = []
    for line in lines:
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + _NO_NEWLINE)
    return header + "".join(body)


def _quoted(name: str) -> str:
    """``name`` as git writes it in a header, C-quoted when it holds a control character, a
    quote or a backslash (bare, ``git apply`` ends a name at a tab: another file's patch)."""
    named = {"\t": "\\t", "\n": "\\n", '"': '\\"', "\\": "\\\\"}
    quoted = "".join(named.get(c) or (c if 31 < ord(c) != 127 else f"\\{ord(c):03o}") for c in name)
    return name if quoted == name else f'"{quoted}"'


def git_lines(text: str) -> list[str]:
    """Lines split at ``\n`` only, as git and GitHub count them (``str.splitlines`` also
    splits at ``\r``, form feeds and U+2028), each with its ``\n``."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines
