"""Which changed lines of a file change what runs, told apart from comments, docstrings and
whitespace by Pygments' token classes: a change rewriting 144 lines of Javadoc must not read as 144
lines of code.

A file changes nothing that runs when its significant tokens (and, where indentation counts, each
code line's indentation) are the same at both sides; otherwise a changed line counts when it
holds a significant token. Pygments' lexers are regular expressions over attacker text, so each
side is bounded (:data:`MAX_FILE_BYTES`, :data:`MAX_TOTAL_BYTES`: 128 KB tokenises in a third of
a CPU-second), and a file past the bounds, without a lexer or whose lexer fails counts every
changed line. Tokenising is most of this reading's cost, so a side is read only as far as its
answer needs, and not at all when the answer is known (equal texts; an add-only change with a
code token). Every shortcut and bound can make a change look bigger, never smaller."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pygments.token import Comment, String, Text, _TokenType

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.analysis.diff import header_path

if TYPE_CHECKING:
    from pygments.lexer import Lexer

MAX_FILE_BYTES = 128_000
"""A side of a file larger than this is not tokenised (its changed lines all count)."""
MAX_TOTAL_BYTES = 2 * MAX_FILE_BYTES
"""Most bytes tokenised for one change, both sides of every file together: one file at its
largest. Pygments reads about 0.4 MB of Python a CPU-second (2.3 µs a byte), so at 2 MB (and
256 KB a side) this step was most of a 5,000-file review: 1.9 of 3.3 CPU-seconds, 200 files.
Past the budget git's counts stand, which can only make a change look bigger."""
_INDENTED = frozenset(
    {"Python", "Python 2.x", "Cython", "YAML", "Haskell", "F#", "Nim", "CoffeeScript"}
)
_QUIET: tuple[_TokenType, ...] = (Comment.Single, Comment.Multiline, Comment.Special, String.Doc)
_KEPT = frozenset({ChangeType.CI, ChangeType.MIGRATION, ChangeType.GENERATED})
"""Types a comment-only change keeps: a workflow is audited whatever it holds, a migration is
read by its own detectors."""
_DEPENDENCY = frozenset({ChangeType.DEPENDENCIES, ChangeType.LOCKFILE})
_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class Lines:
    """A file's changed lines that change what runs (``added``, ``deleted``); ``quiet`` when
    none does (comments, docstrings and whitespace only)."""

    added: int
    deleted: int
    quiet: bool
    raw: int
    """The changed lines as git counts them (added and deleted)."""


_BY_EXTENSION = re.compile(r"\*\.[^*?\[\].]+")
"""A Pygments file name pattern that a name's last extension alone decides (``*.py``)."""


@dataclass(frozen=True)
class _Patterns:
    """Pygments' file name patterns, each with its lexer's name and its place in Pygments'
    table: those a name's last extension alone decides, by that extension, and every other
    (``Makefile``, ``*.css.in``, ``*.[1-9]``) compiled as Pygments compiles it, with the half
    point Pygments gives a pattern without ``*``."""

    by_extension: dict[str, list[tuple[int, str]]]
    others: list[tuple[int, str, float, re.Pattern[str]]]


@functools.cache
def _patterns() -> _Patterns:
    """Built once a run from Pygments' table, without plugin lexers: the action's environment
    installs none, and asking for them reads every installed package's metadata. Pygments'
    lexers are imported here, on the first file read, not with the module: a mode that
    imports the risk model pays for them only when it reads what a change runs."""
    from pygments.lexers import get_all_lexers

    by_extension: dict[str, list[tuple[int, str]]] = {}
    others: list[tuple[int, str, float, re.Pattern[str]]] = []
    pairs = [
        (lexer, pattern)
        for lexer, _, patterns, _ in get_all_lexers(plugins=False)
        for pattern in patterns
    ]
    for place, (lexer, pattern) in enumerate(pairs):
        if _BY_EXTENSION.fullmatch(pattern):
            by_extension.setdefault(pattern[2:], []).append((place, lexer))
        else:
            bonus = 0.0 if "*" in pattern else 0.5
            others.append((place, lexer, bonus, re.compile(fnmatch.translate(pattern))))
    return _Patterns(by_extension, others)


def _lexer_class(name: str) -> type[Lexer] | None:
    """The lexer ``get_lexer_for_filename(name)`` gives (plugins aside): of the lexers with a
    pattern the name matches, the highest ``priority``, half a point more for a pattern
    without ``*``, ties to the class name and then the later in Pygments' table."""
    table = _patterns()
    found = [
        (place, lexer, 0.0)
        for place, lexer in table.by_extension.get(name.rpartition(".")[2], [])
        if "." in name
    ]
    found += [
        (place, lexer, bonus) for place, lexer, bonus, regex in table.others if regex.match(name)
    ]
    from pygments.lexers import find_lexer_class

    rated = []
    for _, lexer, bonus in sorted(found):
        kind = find_lexer_class(lexer)
        if kind is not None:
            rated.append((kind.priority + bonus, kind.__name__, kind))
    rated.sort(key=lambda rating: rating[:2])
    return rated[-1][2] if rated else None


_LEXERS: dict[tuple[bool, str], Lexer | None] = {}
"""Per last extension (or whole name), the lexer of the first file name seen with it."""


def _lexer(path: str) -> Lexer | None:
    """The file's lexer, one instance per extension: a name an ``others`` pattern matches is
    looked up by its whole name, any other by its last extension (the patterns it matches are
    those of its extension, so the answer is the same)."""
    name = path.rpartition("/")[2]
    whole = "." not in name or any(regex.match(name) for *_, regex in _patterns().others)
    key = (whole, name if whole else name.rpartition(".")[2])
    if key not in _LEXERS:
        if len(_LEXERS) >= 512:  # names are attacker text: the cache stays bounded
            _LEXERS.clear()
        kind = _lexer_class(name)
        _LEXERS[key] = kind(stripnl=False, ensurenl=False) if kind else None
    return _LEXERS[key]


_KINDS: dict[_TokenType, int] = {}
"""Per token type (types are singletons): 0 code, 1 quiet, 2 quiet when only whitespace."""


def _kind(kind: _TokenType) -> int:
    found = _KINDS.get(kind)
    if found is None:
        if any(kind in quiet for quiet in _QUIET) and kind not in Comment.Preproc:
            found = 1
        else:
            found = 2 if kind in Text else 0
        _KINDS[kind] = found
    return found


class _Side:
    """One side of a file tokenised lazily, as far as an answer needs: its significant tokens and
    the lines that hold one. A side read :meth:`through` a line has read every token starting on
    or before it."""

    def __init__(self, lexer: Lexer, text: str) -> None:
        self.tokens: list[tuple[object, str]] = []
        self.code: set[int] = set()
        self.line = 1
        """The line the next token starts on."""
        self.done = False
        from cicd_agent.risk.lexing import tokens  # with Pygments' lexers, on the first file

        self._stream = tokens(lexer, text)
        self._indented = lexer.name in _INDENTED
        self._column = 0
        self._last = 0

    def _read(self, line: int, count: int) -> None:
        """Read tokens, one loop for as many as it takes, until the next one starts after
        ``line`` and :attr:`tokens` holds ``count``, or to the side's end."""
        tokens, code, kinds, indented = self.tokens, self.code, _KINDS, self._indented
        at, column, last = self.line, self._column, self._last
        if self.done or (at > line and len(tokens) >= count):
            return
        for kind, value in self._stream:
            breaks = value.count("\n")
            quiet = kinds.get(kind)
            if quiet is None:
                quiet = _kind(kind)
            if not quiet or (quiet == 2 and value.strip()):
                if indented and at > last:  # code lines only grow: the line holds none yet
                    tokens.append(("indent", str(column)))
                tokens.append((kind, value))
                if breaks:
                    last = at + breaks - value.endswith("\n")
                    code.update(range(at, last + 1))
                else:
                    last = at
                    code.add(at)
            if indented:
                column = len(value) - value.rfind("\n") - 1 if breaks else column + len(value)
            at += breaks
            if at > line and len(tokens) >= count:
                break
        else:
            self.done = True
        self.line, self._column, self._last = at, column, last

    def more(self, count: int) -> bool:
        """Read until :attr:`tokens` holds ``count``; False when the side ends short of it."""
        self._read(0, count)
        return len(self.tokens) >= count

    def through(self, line: int) -> None:
        self._read(line, 0)

    def count(self, lines: Sequence[int]) -> int:
        if lines:
            self.through(max(lines))
        code = self.code
        return sum(n in code for n in lines)


def _differ(one: _Side, other: _Side) -> bool:
    """Whether the two sides' significant tokens differ, reading no further than the first
    difference."""
    at = 0
    while True:
        mine, theirs = one.more(at + 1), other.more(at + 1)
        if not mine or not theirs:
            return mine or theirs
        if one.tokens[at] != other.tokens[at]:
            return True
        at += 1


def _changed(diff: str) -> tuple[list[int], list[int]]:
    """The deleted (old side) and added (new side) line numbers of one file's unified diff."""
    old: list[int] = []
    new: list[int] = []
    at_old = at_new = 0
    for line in diff.splitlines():
        if match := _HUNK.match(line):
            at_old, at_new = max(int(match[1]), 1), max(int(match[2]), 1)
        elif not at_old and not at_new:
            continue  # the file's header, before its first hunk
        elif line.startswith("-"):
            old.append(at_old)
            at_old += 1
        elif line.startswith("+"):
            new.append(at_new)
            at_new += 1
        elif line.startswith(" "):
            at_old, at_new = at_old + 1, at_new + 1
    return old, new


def what_runs(
    sides: Mapping[str, tuple[str | None, str | None]], diffs: Mapping[str, str]
) -> dict[str, Lines]:
    """Per path of ``sides`` (``path -> (base text, head text)``, None where the file is absent
    or too large) with its unified diff in ``diffs``, its :class:`Lines`; paths left out keep
    git's counts (no lexer, over the bounds, a lexer error)."""
    found: dict[str, Lines] = {}
    budget = MAX_TOTAL_BYTES
    for path, (before, after) in sides.items():
        lexer = _lexer(path)
        size = len(before or "") + len(after or "")
        if lexer is None or path not in diffs or size > budget:
            continue
        if (before is None and after is None) or max(
            len(before or ""), len(after or "")
        ) > MAX_FILE_BYTES:
            continue
        budget -= size
        old, new = _changed(diffs[path])
        try:
            found[path] = _lines(lexer, before or "", after or "", old, new)
        except Exception:  # noqa: BLE001, S112 - a lexer failing on attacker text: every line counts
            continue
    return found


def _lines(lexer: Lexer, before: str, after: str, old: list[int], new: list[int]) -> Lines:
    raw = len(old) + len(new)
    if before == after:
        return Lines(0, 0, quiet=True, raw=raw)
    head, base = _Side(lexer, after), _Side(lexer, before)
    added = head.count(new)
    if added and not old:
        return Lines(added, 0, quiet=False, raw=raw)
    deleted = base.count(old)
    if deleted and not new:
        return Lines(0, deleted, quiet=False, raw=raw)
    if _differ(base, head):
        return Lines(added, deleted, quiet=False, raw=raw)
    return Lines(0, 0, quiet=True, raw=raw)


def split_diff(diff: str, paths: Iterable[str]) -> dict[str, str]:
    """A multi-file ``git diff`` cut into each file's part, by its ``+++ b/`` (or ``--- a/``)
    header; only ``paths`` are kept."""
    wanted = set(paths)
    parts: dict[str, str] = {}
    for chunk in diff.split("\ndiff --git ")[0:]:
        head, _, _ = chunk.partition("\n@@")
        name = None
        for header in head.splitlines():
            if named := header_path(header):
                name = named
                if header.startswith("+++"):
                    break
        if name in wanted:
            parts[name] = chunk
    return parts


def effective(
    files: Sequence[ChangedFile],
    runs: Mapping[str, Lines],
    dependencies: Mapping[str, tuple[str, ...]],
) -> tuple[ChangedFile, ...]:
    """``files`` as risk reads them: each file's lines are those that change what runs
    (``runs``), a file whose change is comments, docstrings and whitespace alone is
    documentation, and a manifest or lock file whose dependency entries are all unchanged
    (``dependencies``: the changed entries of each file read) is configuration, not a
    dependency change. Files neither names are as git counted them."""
    out: list[ChangedFile] = []
    for changed in files:
        lines = runs.get(changed.path)
        added, deleted, types = changed.added, changed.deleted, changed.types
        if lines is not None:
            added, deleted = lines.added, lines.deleted
            if lines.quiet and not types & _KEPT:
                types = frozenset({ChangeType.DOCS})
        if dependencies.get(changed.path) == () and types & _DEPENDENCY:
            types = (types - _DEPENDENCY) | {ChangeType.CONFIG}
        same = (added, deleted, types) == (changed.added, changed.deleted, changed.types)
        # a file neither changes is kept as it is, not copied
        out.append(changed if same else replace(changed, added=added, deleted=deleted, types=types))
    return tuple(out)


def documentation(files: Iterable[ChangedFile], *also: str) -> str:
    """What ``files`` read as documentation (:func:`effective`) are, in the words a reason
    says with ``also`` after them: "documentation", or "comments and documentation" where a
    code file is among them for its comments, docstrings and whitespace alone (a comment in
    code is not documentation: only, nothing that runs changed in it)."""
    quiet = any(
        ChangeType.DOCS in c.types and ChangeType.DOCS not in classify_path(c.path) for c in files
    )
    words = ["comments", "documentation", *also] if quiet else ["documentation", *also]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
