"""Exported names a change deletes, read from its diff's text: code outside the change that
uses such a name no longer builds (a new user's change deleting Go's ``type Collection`` broke
the package's tests and scored low).

An exported declaration, by the file's suffix: in Go a top-level ``func`` (a method too),
``type``, ``var`` or ``const`` whose name starts with a capital letter; in Python a top-level
``def`` or ``class`` whose name does not start with ``_``; in JavaScript and TypeScript an
``export``-ed declaration, or ``exports.name =``; in Rust a ``pub`` item (not ``pub(crate)``).
A name some added line of the change declares exported again where its users still find it, is
no removal: in the same file (its signature rewritten), or for Go in another file of the same
package's folder (moved). A Python, JavaScript or Rust name moved to another module is one: its
importers name the old module (a re-export is not seen). The names are read line by line, not
parsed: a declaration inside a Go ``type ( … )`` block or re-exported from elsewhere is not seen,
so this only finds removals, never proves there are none. The diff is the pull request's text:
each line is cut to :data:`MAX_LINE` characters before it is matched, and at most
:data:`MAX_NAMES` are kept."""

from __future__ import annotations

import re

from cicd_agent.analysis.diff import header_path

MAX_LINE = 400
"""Characters of a line matched at most (a declaration's name comes early)."""
MAX_NAMES = 50
"""Removed names kept at most (the reason names the first few)."""

_GO = (re.compile(r"(?:func|type|var|const)\s+(?:\([^)\n]{0,200}\)\s*)?([A-Z]\w{0,100})"),)
_PYTHON = (re.compile(r"(?:async\s+)?(?:def|class)\s+([A-Za-z]\w{0,100})"),)
_SCRIPT = (
    re.compile(
        r"export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
        r"(?:function\s*\*?|class|const|let|var|interface|type|enum|namespace)\s*"
        r"([A-Za-z_$][\w$]{0,100})"
    ),
    re.compile(r"(?:module\.)?exports\.([A-Za-z_$][\w$]{0,100})\s*="),
)
_RUST = (
    re.compile(
        r"\s*pub\s+(?:(?:const|async|unsafe|extern(?:\s+\"\w{0,20}\")?)\s+)*"
        r"(?:fn|struct|enum|trait|type|const|static|mod|union)\s+([A-Za-z_]\w{0,100})"
    ),
)
_BY_SUFFIX = {
    ".go": _GO,
    ".py": _PYTHON,
    ".pyi": _PYTHON,
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"), _SCRIPT),
    ".rs": _RUST,
}


def removed_names(diff_text: str) -> tuple[tuple[str, str], ...]:
    """``(path, name)`` of each exported name ``diff_text`` (a unified diff of one or more
    files) deletes and no added line declares again, sorted."""
    deleted: set[tuple[str, str]] = set()
    declared: set[tuple[str, str]] = set()
    path, in_header = "", False
    patterns: tuple[re.Pattern[str], ...] = ()
    for line in diff_text.splitlines():
        if line.startswith("diff --git "):
            path, patterns, in_header = "", (), True
            continue
        if in_header:
            if line.startswith("@@"):
                in_header = False
            elif (named := header_path(line)) and (line[0] == "+" or not path):
                path = named  # the new side's; the old side's for a deleted file
                patterns = _patterns(path)
            continue
        if not patterns or not line.startswith(("-", "+")):
            continue
        for pattern in patterns:
            found = pattern.match(line[1:MAX_LINE])
            if found and line[0] == "-":
                deleted.add((path, found[1]))
            elif found:
                declared.add((_scope(path), found[1]))
    # Declared again where its users look: a class of another module, or of another language,
    # does not stand in for it.
    removed = sorted(place for place in deleted if (_scope(place[0]), place[1]) not in declared)
    return tuple(removed[:MAX_NAMES])


def _scope(path: str) -> str:
    """Where code using a name of ``path`` finds it: a Go package's folder, else the file."""
    return path.rpartition("/")[0] + "/*.go" if path.endswith(".go") else path


def _patterns(path: str) -> tuple[re.Pattern[str], ...]:
    """The declarations of ``path``'s language; none for a Go test file (no API)."""
    if path.endswith("_test.go"):
        return ()
    suffix = path[path.rfind(".") :] if "." in path.rpartition("/")[2] else ""
    return _BY_SUFFIX.get(suffix, ())
