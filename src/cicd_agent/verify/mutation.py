"""The mutants of a change's lines, for the dependence check.

Mutants are made from Pygments' tokens (a dependency already, imported here only when a
candidate reaches this stage), so a ``>`` inside a string or a comment is never one. The
strongest kind first: a condition negated (``if not (x):``, ``!(x)``, ``==``/``!=``,
``<``/``>=``, ``&&``/``||``, a ``!`` or ``not`` dropped, ``true``/``false``), an arithmetic
operator swapped, a number changed, the statement deleted, a string changed; one per line before
a line's second, so three runs reach three lines. A Python mutant that does not parse is never
run; another language's that does not build says nothing (the caller's ``run`` reports it) and
the next is tried, within the check's budget of runs. So TypeScript's mutants that keep its
types come before the others: ts-jest type-checks each file it compiles, as the repository
configured it, and refuses a mutant that does not type-check before any test runs (never a kill,
and a run spent).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    read_bytes,
)
from cicd_agent.runners.same_sides import NEGATION

if TYPE_CHECKING:
    from pygments.lexer import Lexer


MAX_BYTES = 1_000_000
"""A larger file is not lexed (Pygments' expressions run over the pull request's text)."""
MAX_LINES = 1_000
"""Lines of one file mutants are made of, the first ones: the check's few runs use a few."""
MAX_LINE = 1_000
"""A longer line gets no statement's mutant (its tokens' still): the statement patterns
backtrack over its spaces, quadratic in its length (a minified file's line would take
hours)."""

LEXERS = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".rs": "rust",
}
"""The languages the gates judge, by file extension, as Pygments names their lexers."""

_NEGATED = {
    **NEGATION,
    "&&": "||",
    "||": "&&",
    "and": "or",
    "or": "and",
    "true": "false",
    "false": "true",
    "True": "False",
    "False": "True",
    "!": "",
    "not": "",
}
_ARITHMETIC = {
    "+": "-",
    "-": "+",
    "*": "/",
    "/": "*",
    "%": "*",
    "+=": "-=",
    "-=": "+=",
    "*=": "/=",
    "/=": "*=",
    "??": "&&",
}
"""Swapped operators (``a ?? b`` → ``a && b``: the fallback taken where it was not)."""
_OPERATORS = sorted(
    {
        *_NEGATED,
        *_ARITHMETIC,
        "**",
        "//",
        "->",
        "=>",
        "<<",
        ">>",
        ">>>",
        "<-",
        ":=",
        "+=",
        "-=",
        "*=",
        "/=",
        "%=",
        "=",
        "&",
        "|",
        "^",
        "&^",
        "?",
        "??",
        "?.",
        ":",
        ".",
        "...",
        "++",
        "--",
        "|=",
        "&=",
        "^=",
        "<<=",
        ">>=",
        "**=",
        "//=",
        "&&=",
        "||=",
        "??=",
        "::",
        "..",
        "..=",
    },
    key=len,
    reverse=True,
)
"""Operators split greedily, longest first (Pygments' Rust lexer gives ``>=`` as ``>`` ``=``)."""
_NUMBER = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_STRING = re.compile(r"""([a-zA-Z]{0,2})(["'])(.*)\2""", re.S)
_SKIPPED_LINES = re.compile(r"\s*(?:(?:import|from|package|use|require|export\s*\{)\b|#|//|@)")
"""Lines no mutant is made of: imports, comments, decorators and attributes."""
_PY_CONDITION = re.compile(r"(\s*(?:if|elif|while)\s+)([^#\n]+?)(\s*:\s*)")
_CONDITION = re.compile(r"(\s*(?:\}\s*else\s+)?(?:if|while)\s*\(?)([^;{}\n]+?)(\)?\s*\{\s*)")
_BINDS = re.compile(r"\s*(?:\w+\s*(?:,\s*\w+\s*)*(?::[^=]+)?=[^=]|(?:let|const|var)\b|\w+\s*:=)")
_DECLARES = re.compile(r"\s*(?:(?:let|const|var)\b|\w+\s*(?:,\s*\w+\s*)*:=)")
"""Another language's statements that bind a new name; a plain ``x = y`` there assigns one
declared above, and deleting it builds (Python's ``x = y`` may be the name's first binding)."""
_RETURN = re.compile(r"(\s*return\s+)([^;]+?)(;?\s*)")
_GUARD = re.compile(r"\sif\s")
"""Where a Rust match arm's guard begins, before its ``=>``."""
_PY_CLAUSES = ("elif", "else", "except", "finally", "case")
_BLOCKS = re.compile(r"[{}]|:=|[,(\[]\s*$|^\s*(?:case|default|else|var|const|type|let|fn|func)\b")


@dataclass(frozen=True)
class Mutant:
    """``before`` (a token, or a statement's line) at offset ``at`` of ``source``, the text of
    ``path``, changed to ``after``; the whole mutated file is made only when asked: a change of
    thousands of lines makes as many mutants, not as many copies."""

    path: str
    line: int
    before: str
    after: str
    at: int = 0
    source: str = field(default="", repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.source[: self.at] + self.after + self.source[self.at + len(self.before) :]

    def neutral(self) -> Mutant:
        """The control of this mutant's file: a blank line added at its end, which changes no
        behaviour in any language here but the file's bytes, size and time as a mutant does."""
        return Mutant(self.path, self.line, "", "\n", len(self.source), self.source)

    def __str__(self) -> str:
        # the pull request's text inside a code span: a backtick of its own would end it
        shown, into = (
            " ".join(part.split())[:80].replace("`", "'") for part in (self.before, self.after)
        )
        where = f"{self.path}:{self.line}"
        return f"{where} `{shown}` mutated to `{into}`" if into else f"{where} `{shown}` removed"


def mutants(path: str, text: str, lines: Iterable[int]) -> Iterator[Mutant]:
    """Mutants of ``lines`` of ``path`` (its ``text``): each line's strongest, the strongest
    kind first, then each line's next; none for a language not in :data:`LEXERS`, a file over
    :data:`MAX_BYTES`, or lines of comments, imports and blanks."""
    name = LEXERS.get(PurePosixPath(path).suffix)
    wanted = frozenset(sorted(lines)[:MAX_LINES])
    if name is None or len(text) > MAX_BYTES or not wanted:
        return
    from pygments.lexers import get_lexer_by_name  # a candidate's check alone pays

    per_line = _made(path, text, wanted, get_lexer_by_name(name))
    # TypeScript's mutants that keep its types first: a type-checking transform (ts-jest's
    # diagnostics) refuses the others, and a refused run spends the budget saying nothing
    kinds = (True, False) if name == "typescript" else (None,)
    ordered = [
        mutant
        for keeps in kinds
        for mutant in _interleaved(
            {
                line: [pair for pair in found if keeps is None or _keeps_types(pair) is keeps]
                for line, found in per_line.items()
            }
        )
    ]
    # lazily: a Python mutant is parsed (and built) only when the one before did not do
    yield from (m for m in ordered if name != "python" or _parses(m.text))


def _interleaved(per_line: Mapping[int, list[tuple[int, Mutant]]]) -> list[Mutant]:
    """Each line's strongest mutant (the strongest kind first, then by line), then each
    line's next."""
    ranked = [sorted(found, key=lambda pair: pair[0]) for _, found in sorted(per_line.items())]
    return [
        mutant
        for depth in range(max(map(len, ranked), default=0))
        for _, mutant in sorted(
            (found[depth] for found in ranked if depth < len(found)),
            key=lambda pair: (pair[0], pair[1].line),
        )
    ]


def _keeps_types(ranked: tuple[int, Mutant]) -> bool:
    """Whether a TypeScript mutant keeps every expression's type, so that a type check passes
    it where it passed the file: a comparison swapped or a condition negated (a boolean still),
    ``true``/``false``, a number, and ``-``, ``*``, ``/``, ``%`` (numbers only, in TypeScript)
    swapped. Not so a ``+`` (a string's ``-`` is an error), ``&&``/``||``/``??`` (their
    operands' types), a ``!`` dropped, a string (a literal type), ``return !(x)`` and a deleted
    statement (a missing return, a name left unused or unassigned)."""
    rank, mutant = ranked
    if rank == 0:
        return mutant.before not in ("!", "&&", "||")
    return rank == 2 or (rank == 1 and mutant.before in ("-", "*", "/", "%", "-=", "*=", "/="))


def of_lines(root: Path, lines: Mapping[str, Iterable[int]]) -> Iterator[Mutant]:
    """:func:`mutants` of each file's ``lines``, read under ``root`` (the sandbox's pristine
    copy; a file that cannot be read, a link among them, gives none), one file after another."""
    for path, wanted in sorted(lines.items()):
        try:
            text = read_bytes(root, path, MAX_BYTES).decode()
        except (CheckoutFileError, UnicodeDecodeError):
            continue
        yield from mutants(path, text, wanted)


def _made(
    path: str, text: str, wanted: frozenset[int], lexer: Lexer
) -> dict[int, list[tuple[int, Mutant]]]:
    """Each wanted line's mutants with their rank (0: a condition negated, 1: arithmetic,
    2: a number, 3: a statement deleted, 4: a string)."""
    from pygments.token import Comment, Keyword, Number, Operator, Punctuation, String, Text

    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    found: dict[int, list[tuple[int, Mutant]]] = {}
    lines = text.split("\n")
    tokens = list(lexer.get_tokens_unprocessed(text))
    # Lines holding a name, keyword, operator or number: one of comments, strings (Go's import
    # list) or brackets alone gives no mutant.
    code = {
        bisect_right(starts, at)
        for at, kind, value in tokens
        if not value.isspace()
        and not any(kind in other for other in (Comment, String, Punctuation, Text))
    }

    def add(rank: int, at: int, before: str, after: str) -> None:
        line = bisect_right(starts, at)
        if line in wanted and line in code and not _SKIPPED_LINES.match(lines[line - 1]):
            found.setdefault(line, []).append((rank, Mutant(path, line, before, after, at, text)))

    operators: list[tuple[int, str]] = []  # adjacent operator tokens joined (Rust's ``>`` ``=``)
    strings: list[tuple[int, str]] = []
    for at, kind, value in tokens:
        if kind in Operator and not value.isspace():
            if (
                operators
                and operators[-1][0] + len(operators[-1][1]) == at
                and kind not in Operator.Word
            ):
                operators[-1] = (operators[-1][0], operators[-1][1] + value)
            else:
                operators.append((at, value))
        elif kind in String and kind not in String.Doc:
            if strings and strings[-1][0] + len(strings[-1][1]) == at:
                strings[-1] = (strings[-1][0], strings[-1][1] + value)
            else:
                strings.append((at, value))
        elif kind in Keyword.Constant and value in _NEGATED:
            add(0, at, value, _NEGATED[value])
        elif kind in Number and _NUMBER.fullmatch(value):
            add(2, at, value, _bumped(value))
    for at, joined in operators:
        for offset, operator in _split(joined):
            _operator(add, text, at + offset, operator)
    for at, value in strings:
        shape = _STRING.fullmatch(value)
        if shape and "\n" not in value and not value.startswith("`"):
            quote = len(shape.group(1)) + 1
            if shape.group(2) == "'" and path.endswith((".go", ".rs")):  # a rune or char: one
                add(4, at, value, value[:quote] + ("?" if shape.group(3) == "~" else "~") + "'")
            else:
                add(4, at, value, value[:quote] + "~" + value[quote:])
    _statements(add, lines, starts, wanted, path.endswith(".py"), rust=path.endswith(".rs"))
    return found


def _operator(add: Callable[[int, int, str, str], None], text: str, at: int, op: str) -> None:
    """Add ``op``'s mutant when it is a binary use (``*p``, ``Array<T>``, ``-1`` are not)."""
    before, after = text[at - 1 : at], text[at + len(op) : at + len(op) + 1]
    if op in ("<", ">") and not (before.isspace() and after.isspace()):
        return  # a generic's bracket (``Array<string>``), not a comparison
    if op in _NEGATED:
        add(0, at, op, _NEGATED[op])
    elif op in _ARITHMETIC and (before.isalnum() or before in ")]_" or after.isspace()):
        add(1, at, op, _ARITHMETIC[op])


def _statements(
    add: Callable[[int, int, str, str], None],
    lines: list[str],
    starts: list[int],
    wanted: frozenset[int],
    python: bool,
    *,
    rust: bool = False,
) -> None:
    """Per line, its condition negated (``if x:`` → ``if not (x):``, ``if (x) {`` →
    ``if (!(x)) {``, Go's and Rust's ``if x {`` → ``if !(x) {``) or its simple statement
    deleted: Python's replaced by ``pass`` (kept only where it parses), another language's
    when no block, declaration or continued expression is on the line, nor does the line
    end one (``): number => x;``) or continue a list (a ``return x`` also negated first,
    ``return !(x)``). A statement that binds a new name is kept: deleting it fails every
    caller, a test that checks nothing included. Rust, where a mutant that does not build
    costs a run of the budget: a match arm's guard is negated, then dropped; an ``if let`` is
    not negated (``!(let …)`` does not build); a line is deleted only when it is a statement,
    ending in ``;`` (a ``pub fn`` line deleted never builds)."""
    for number in sorted(wanted):
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        if len(line) > MAX_LINE:  # the patterns below backtrack over a long line's spaces
            continue
        body, at = line.strip(), starts[number - 1] if number <= len(starts) else 0
        indent = line[: len(line) - len(line.lstrip())]
        condition = (_PY_CONDITION if python else _CONDITION).fullmatch(line)
        guard = _guarded(line) if rust else None
        if rust and condition and condition.group(2).lstrip().startswith("let "):
            continue
        if guard:
            head, test, arm = guard
            add(0, at, line, f"{head} if !({test}) {arm}")
            add(3, at, line, f"{head} {arm}")
        elif condition:
            head, test, tail = condition.group(1, 2, 3)
            negated = f"not ({test})" if python else f"!({test})"
            add(0, at, line, f"{head}{negated}{tail}")
        elif (
            not body
            or (_BINDS if python else _DECLARES).match(line)
            or (_BLOCKS.search(line) and not python)
            or body.startswith((")", "]", "}"))
        ):
            continue
        elif python and not body.endswith(":") and not body.startswith(_PY_CLAUSES):
            add(3, at, line, indent + "pass")
        elif (
            not python
            and not body.endswith((",", "(", "+", "-", "&&", "||", ".", "="))
            and not _listed(lines, number)
            and (not rust or body.endswith(";"))
        ):
            returned = _RETURN.fullmatch(line)
            if returned:  # Go's last ``return`` cannot go; a ``bool``'s can be negated
                add(3, at, line, f"{returned.group(1)}!({returned.group(2)}){returned.group(3)}")
            add(3, at, line, "")


def _listed(lines: list[str], number: int) -> bool:
    """Whether line ``number`` continues a list (the code line before it ends with ``(``,
    ``[`` or ``,``): a parameter or an argument, no statement (deleting one is a reference to
    nothing, or an unused parameter, which a type check refuses and plain JavaScript throws
    on)."""
    # by index, never a slice: a thousand wanted lines would each copy the file's lines
    before = next((lines[at].strip() for at in range(number - 2, -1, -1) if lines[at].strip()), "")
    return before.endswith(("(", "[", ","))


def _guarded(line: str) -> tuple[str, str, str] | None:
    """A Rust match arm's pattern, guard and ``=>`` on: ``Some(item) if f(item) => x,``. Found
    by two linear searches, not one pattern: a pattern's lazy parts backtrack over a line's
    spaces (minutes on a long line)."""
    arrow = line.find("=>")
    # an arrow in a comment or a string is no arm's (``x += 1; // if cached => skip``): its
    # mutant changed the comment only, survived every candidate and spent the budget
    written = line[:arrow]
    if "//" in written or "/*" in written or written.count('"') % 2:
        return None
    found = _GUARD.search(line, 0, arrow) if arrow > 0 else None
    if found is None or not line[: found.start()].strip():
        return None
    return line[: found.start()].rstrip(), line[found.end() : arrow].strip(), line[arrow:]


def _split(joined: str) -> Iterator[tuple[int, str]]:
    """``joined`` operator characters as operators, longest first, with their offsets."""
    if joined in ("and", "or", "not", "is", "in"):
        yield 0, joined
        return
    offset = 0
    while offset < len(joined):
        found = next((op for op in _OPERATORS if joined.startswith(op, offset)), joined[offset])
        yield offset, found
        offset += len(found)


def _bumped(value: str) -> str:
    if "." in value:
        whole, fraction = value.split(".")
        return f"{int(whole) + 1}.{fraction}"
    return str(int(value) + 1)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True
