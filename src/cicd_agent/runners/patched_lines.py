"""What a patch changes, as every run of a patched copy is told it (:class:`PatchedLines`), and the
static rules every patch meets before any run.

:func:`cookie_problem`: ``# coding: utf-7`` turns ``+AAo-`` in what reads as a comment into a new
line of code. :func:`unnamed_by_the_linter`: a linter's exit code is the word of every module it
loads (an ``eslint.config.mjs`` import can set it to 0), so a patch may change only the files the
failure is about."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.runners.import_time import import_time_problem
from cicd_agent.runners.js.load_time import patch_problem

_DEFS = ast.FunctionDef | ast.AsyncFunctionDef
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "utf-8-sig"})
_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"


@dataclass(frozen=True)
class PatchedLines:
    """The lines a patch leaves new or changed in each Python file's functions, by path relative
    to ``repo``: what the import guard must not see run before the tests. ``refused``: why no run
    of the patch can be believed (it adds load-time code, which the guard does not watch, or an
    encoding declaration that hides code)."""

    repo: Path
    lines: dict[str, list[int]]
    refused: str = ""

    @classmethod
    def of(cls, repo: Path, files: Iterable[tuple[str, str | None, str | None]]) -> PatchedLines:
        """From each file's ``(path, before, after)`` text; a file with no text after (deleted)
        has no lines, a new one all of its functions'. Every file the patch writes is named,
        with no lines when none lies in a function (a comment, a data file): the guard stops the
        checkout's code reading it before the tests all the same, as a base that reads the
        text a patch leaves can pass on any patch."""
        files = list(files)
        found = {
            path: function_lines(before or "", after) if path.endswith((".py", ".pyw")) else []
            for path, before, after in files
            if after is not None
        }
        refused = next(
            (
                why
                for path, before, after in files
                if (
                    why := cookie_problem(path, before, after)
                    or import_time_problem(path, before, after)
                )
            ),
            "",
        ) or patch_problem(files)
        return cls(repo, found, refused)


MAX_COMPARED = 1_000_000
"""Most pairs of lines the line diff compares (lines between the first and the last change
of the old text times those of the new), as its matcher takes time in their product: past it
every line between is called changed, which guards more lines, never fewer."""


def changed_lines(before: str, after: str) -> list[int]:
    """The lines of ``after`` (from 1) that differ from ``before``; where lines were only
    removed, the lines on either side of the gap (the code object that lost them changed)."""
    old, new = before.splitlines(), after.splitlines()
    same = 0  # the lines before the first change and after the last are left out of the diff
    while same < min(len(old), len(new)) and old[same] == new[same]:
        same += 1
    tail = 0
    while tail < min(len(old), len(new)) - same and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_middle, new_middle = old[same : len(old) - tail], new[same : len(new) - tail]
    codes: Sequence[tuple[str, int, int, int, int]] = [
        ("replace", 0, len(old_middle), 0, len(new_middle))
    ]
    if len(old_middle) * len(new_middle) <= MAX_COMPARED:
        matcher = difflib.SequenceMatcher(None, old_middle, new_middle, autojunk=False)
        codes = matcher.get_opcodes()
    lines: set[int] = set()
    for tag, _i1, _i2, start, end in codes:
        j1, j2 = start + same, end + same
        if tag in ("replace", "insert"):
            lines.update(range(j1 + 1, j2 + 1))
        elif tag == "delete":
            lines.update(line for line in (j1, j1 + 1) if 1 <= line <= len(new))
    return sorted(lines)


def function_lines(before: str, after: str) -> list[int]:
    """The changed lines that lie in a function, and the line of each class statement inside a
    function whose body the patch changed: code that starts as a function the patch changed is
    called. Module and class bodies are left to the static rule and the audit hook: a guard there
    would refuse many real fixes (an import, a constant, a method) for little. A text that does
    not parse, or nests too deep, keeps every changed line."""
    changed = set(changed_lines(before, after))
    try:
        return _in_functions(ast.parse(after), changed)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return sorted(changed)


def _in_functions(tree: ast.AST, changed: set[int]) -> list[int]:
    kept: set[int] = set()

    def span(node: ast.stmt | ast.expr, start: int) -> set[int]:
        return changed.intersection(range(start, (node.end_lineno or start) + 1))

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = isinstance(child, _DEFS | ast.Lambda)
            if isinstance(child, _DEFS | ast.Lambda):  # again: mypy narrows on the call only
                kept.update(span(child, child.lineno))
            elif isinstance(child, ast.ClassDef) and in_function:
                bodies = {
                    line
                    for method in ast.walk(child)
                    if isinstance(method, _DEFS)
                    for line in span(method, method.body[0].lineno) - {method.lineno}
                }
                if span(child, child.lineno) - bodies:
                    kept.add(child.lineno)
            walk(child, in_function or function)

    walk(tree, False)

    def starts(node: ast.AST, outer: tuple[int, ...]) -> None:
        """Adds the first line of each expression around a kept line an expression holds
        itself, within one code object: the compiler folds ``(1 +`` / ``0)`` into one constant
        whose instruction names its first line alone."""
        covered: set[int] = set()
        for child in ast.iter_child_nodes(node):
            first = getattr(child, "lineno", None)
            scope = isinstance(child, _DEFS | ast.Lambda | ast.ClassDef)
            own = (first,) if isinstance(child, ast.expr) and first is not None else ()
            starts(child, () if scope else outer + own)
            if first is not None:
                covered.update(range(first, (getattr(child, "end_lineno", None) or first) + 1))
        if isinstance(node, ast.expr) and kept.intersection(span(node, node.lineno) - covered):
            kept.update(outer)

    starts(tree, ())
    return sorted(kept)


def cookie_problem(path: str, before: str | None, after: str | None) -> str:
    """Why the encoding declaration of ``path`` as the patch leaves it is refused ("" when it
    is not): one added or changed to anything but UTF-8, or any in which ASCII text does not
    read as itself (UTF-7), even one the file had before: the patch's own lines are read in
    it, so a line added to a file committed as UTF-7 hides code as well as a new cookie."""
    if not path.endswith((".py", ".pyw", ".pyi")) or after is None:
        return ""
    now, was = _cookie(after), _cookie(before or "")
    if now is None or now.lower() in _UTF8 or (now == was and _reads_ascii_as_ascii(now)):
        return ""
    return (
        f"the patch declares {path} encoded as {now[:40]}: what reads as a comment in the diff "
        "may be code in that encoding"
    )


def _reads_ascii_as_ascii(encoding: str) -> bool:
    """Whether every printable ASCII byte, tab and newline decode as themselves in
    ``encoding`` (False for UTF-7, UTF-16, an unknown name or a non-text codec)."""
    try:
        return _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, UnicodeError, TypeError):
        return False


def _cookie(text: str) -> str | None:
    head = b"\n".join(text.encode("utf-8", "surrogateescape").splitlines()[:2])
    found = _COOKIE.search(head)
    return found.group(1).decode("ascii", "replace") if found else None


def unnamed_by_the_linter(paths: Iterable[str], failed_output: str) -> str:
    """Why a patch judged by a linter's exit code alone is refused: a file it changes is not one
    the linter named in ``failed_output`` ("" when each is). Named means as a whole path where a
    linter puts the file a report is about (first on a line or after ruff's ``-->``, followed by
    ``:line``, ``(line`` or nothing; after isort's, black's or prettier's word; an annotation's
    ``file=``). Anywhere else it is the project's own text the linter quotes, which the pull
    request writes."""
    for path in paths:
        where = rf"(?:\./|\S*/live/repo/)?{re.escape(path)}"
        named = re.compile(
            rf"^[ \t]*(?:-->[ \t]*)?{where}(?=:\d|\(\d|[ \t]*$)"
            rf"|^(?:ERROR: |would reformat |error: cannot format |\[warn\] ){where}(?=$|[\s:])"
            rf"|^::[a-z]+ (?:[^:\n]*,)?file={where}(?=,)",
            re.MULTILINE,
        )
        if named.search(failed_output) is None:
            return (
                f"the failing command is judged by its exit code alone, and {path} "
                "is no file it named as it failed: a fix changes the code the linter reported, "
                "never code the linter itself loads"
            )
    return ""
