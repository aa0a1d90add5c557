"""Whether a kept test depends on the change: mutants of a change's lines, for both gates.

A test that passes, runs the changed lines and asserts can still check nothing about them
(``assert True``, ``expect(1).toBe(1)``, a Go test comparing a constant with itself, a call whose
result nobody reads). Such a test passes as well when the changed code is wrong, so gen-tests'
gates (Python's :mod:`~cicd_agent.modes.gen_tests.gate`, the runners'
:mod:`~cicd_agent.modes.gen_tests.runner_gate`) run it once more against a few mutants of the
lines it ran, one at a time, each in a sandbox copy (:func:`mutated`): it is kept only if its
own check fails on one that still builds and it passes the control, the same file with a blank
line added (:func:`check`): a test that fails on any change of the file (a hash of it, its
time, the mutant run's folder) is no test of the change. A run that failed only by an error
raised inside the code under test (Rust's overflow panic, a ``TypeError`` there) crashed: it
says nothing of what the candidate checks, since a test that checks nothing crashes on such a
mutant as well (rust-fnv's ``assert!(h == h || h != h)``, atk12's ``first([5])``). Which
failure is a check is each runner's rule, read from its own report
(:attr:`~cicd_agent.runners.base.TestReport.checks`).

Mutants are made from Pygments' tokens (a dependency already, imported here only when a
candidate reaches this stage), so a ``>`` inside a string or a comment is never one. The
strongest kind first: a condition negated (``if not (x):``, ``!(x)``, ``==``/``!=``,
``<``/``>=``, ``&&``/``||``, a ``!`` or ``not`` dropped, ``true``/``false``), an arithmetic
operator swapped, a number changed, the statement deleted, a string changed; one per line
before a line's second, so three runs reach three lines. A Python mutant that does not parse
is never run; another language's that does not build says nothing (the caller's ``run``
reports it) and the next is tried, within :data:`BUDGET` runs. So TypeScript's mutants that
keep its types come before the others (:func:`_keeps_types`): ts-jest type-checks each file it
compiles, as the repository configured it, and refuses a mutant that does not type-check
before any test runs (never a kill, and a run spent).
"""

from __future__ import annotations

import ast
import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    is_file,
    modified_ns,
    read_bytes,
    replace_file,
)

if TYPE_CHECKING:
    from pygments.lexer import Lexer

BUDGET = 3
"""Mutant runs per candidate at most: each is one more run of it within the gate's timeout."""
_SECONDS = itertools.count(2_000_000_000, 2_000_000_000)
"""Offsets of each mutant's modification time (see :func:`mutated`)."""
MAX_BYTES = 1_000_000
"""A larger file is not lexed (Pygments' expressions run over the pull request's text)."""
MAX_LINES = 1_000
"""Lines of one file mutants are made of, the first ones: :data:`BUDGET` runs use a few."""
MAX_LINE = 1_000
"""A longer line gets no statement's mutant (its tokens' still): the statement patterns
backtrack over its spaces, quadratic in its length (atk12: a 40,000-character ``return``
line took 6 s, a minified file's line would take hours)."""

LEXERS = {".py": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
          ".cjs": "javascript", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
          ".cts": "typescript", ".go": "go", ".rs": "rust"}  # fmt: skip
"""The languages the gates judge, by file extension, as Pygments names their lexers."""

_NEGATED = {"==": "!=", "!=": "==", "===": "!==", "!==": "===", "<": ">=", ">=": "<",
            ">": "<=", "<=": ">", "&&": "||", "||": "&&", "and": "or", "or": "and",
            "true": "false", "false": "true", "True": "False", "False": "True",
            "!": "", "not": ""}  # fmt: skip
_ARITHMETIC = {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*", "+=": "-=", "-=": "+=",
               "*=": "/=", "/=": "*=", "??": "&&"}  # fmt: skip
"""Swapped operators (``a ?? b`` → ``a && b``: the fallback taken where it was not)."""
_OPERATORS = sorted(
    {*_NEGATED, *_ARITHMETIC, "**", "//", "->", "=>", "<<", ">>", ">>>", "<-", ":=", "+=", "-=",
     "*=", "/=", "%=", "=", "&", "|", "^", "&^", "?", "??", "?.", ":", ".", "...", "++", "--",
     "|=", "&=", "^=", "<<=", ">>=", "**=", "//=", "&&=", "||=", "??=", "::", "..", "..="},
    key=len, reverse=True,
)  # fmt: skip
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
"""Where a Rust match arm's guard begins, before its ``=>`` (:func:`_guarded`)."""
_PY_CLAUSES = ("elif", "else", "except", "finally", "case")
_BLOCKS = re.compile(r"[{}]|:=|[,(\[]\s*$|^\s*(?:case|default|else|var|const|type|let|fn|func)\b")


@dataclass(frozen=True)
class Mutant:
    """``before`` (a token, or a statement's line) at offset ``at`` of ``source``, the text of
    ``path``, changed to ``after``; the whole mutated file is made only when asked
    (:attr:`text`): a change of thousands of lines makes as many mutants, not as many copies."""

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
        behaviour in any language here but the file's bytes, size and time as a mutant does
        (:func:`check`)."""
        return Mutant(self.path, self.line, "", "\n", len(self.source), self.source)

    def __str__(self) -> str:
        # the pull request's text inside a code span: a backtick of its own would end it
        shown, into = (" ".join(part.split())[:80].replace("`", "'") for part in (self.before,
                                                                                  self.after))  # fmt: skip
        where = f"{self.path}:{self.line}"
        return f"{where} `{shown}` mutated to `{into}`" if into else f"{where} `{shown}` removed"


class Outcome(Enum):
    """A candidate's run against one mutant."""

    KILLED = "failed"
    """A check of its own failed (an assertion, an explicit failure, in its own file)."""
    SURVIVED = "passed"
    CRASHED = "crashed"
    """It failed, but by an error raised outside its checks (module doc): it ran, and did not
    tell the mutant apart by what it checks."""
    NO_WORD = "no word"
    """The mutant did not build or load, or the run is no word: it says nothing."""


@dataclass(frozen=True)
class Said:
    """One mutant run's word: its :class:`Outcome` and, killed, the check that failed (``file:line:
    what``) or, crashed, the test that crashed; for the label."""

    outcome: Outcome
    check: str = ""


@dataclass(frozen=True)
class Dependence:
    """:func:`check`'s word: ``depends`` True (it failed on a mutant), False (it passed on
    every mutant that built: drop it), None (no mutant could be judged: kept, so labelled);
    ``label``: the evidence, naming the line and the mutation."""

    depends: bool | None
    label: str
    runs: int = 0


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
    ordered = [mutant for keeps in kinds for mutant in _interleaved(
        {line: [pair for pair in found if keeps is None or _keeps_types(pair) is keeps]
         for line, found in per_line.items()})]  # fmt: skip
    # lazily: a Python mutant is parsed (and built) only when the one before did not do
    yield from (m for m in ordered if name != "python" or _parses(m.text))


def _interleaved(per_line: Mapping[int, list[tuple[int, Mutant]]]) -> list[Mutant]:
    """Each line's strongest mutant (the strongest kind first, then by line), then each
    line's next."""
    ranked = [sorted(found, key=lambda pair: pair[0]) for _, found in sorted(per_line.items())]
    return [mutant for depth in range(max(map(len, ranked), default=0))
            for _, mutant in sorted((found[depth] for found in ranked if depth < len(found)),
                                    key=lambda pair: (pair[0], pair[1].line))]  # fmt: skip


def _keeps_types(ranked: tuple[int, Mutant]) -> bool:
    """Whether a TypeScript mutant keeps every expression's type, so that a type check passes
    it where it passed the file: a comparison swapped or a condition negated (a boolean still),
    ``true``/``false``, a number, and ``-``, ``*``, ``/``, ``%`` (numbers only, in TypeScript)
    swapped. Not so a ``+`` (a string's ``-`` is an error), ``&&``/``||``/``??`` (their
    operands' types), a ``!`` dropped, a string (a literal type), ``return !(x)`` and a deleted
    statement (a missing return, a name left unused or unassigned): seen on htmlparser2, whose
    three mutant runs ts-jest each refused (TS2304, TS6133, TS2322)."""
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


def python_root(root: Path, path: str) -> Path:
    """The folder under ``root`` (a sandbox copy) that holds ``path``'s top package (``src``
    for ``src/shop/pricing.py``): first on a mutant run's ``PYTHONPATH``, as code installed in
    editable mode is imported from the checkout, where no mutant is (humanize, installed so,
    passed every mutant)."""
    folder = PurePosixPath(path).parent
    while folder != PurePosixPath(".") and is_file(root, folder / "__init__.py"):
        folder = folder.parent
    return root / folder


def outcome(tests: Mapping[str, str], checks: Mapping[str, str]) -> Said:
    """What the candidate's own tests' outcomes in one mutant's run (``tests``, as its runner's
    witnessed report gives them) say, with the report's ``checks`` (its failed tests whose own
    check failed): a failed check kills the mutant, a failure or error of no check is a crash;
    none reported, a skip or an unwitnessed one says nothing."""
    failed = [test for test, said in tests.items() if said in ("failed", "error")]
    checked = [test for test in failed if test in checks]
    if checked:
        return Said(Outcome.KILLED, checks[checked[0]][:300])  # its place names the file
    if failed:
        return Said(Outcome.CRASHED, failed[0][:200])
    return Said(Outcome.SURVIVED if tests and set(tests.values()) == {"passed"} else Outcome.NO_WORD)


def check(found: Iterable[Mutant], run: Callable[[Mutant], Said]) -> Dependence:
    """Run the candidate (``run``) against ``found``'s mutants in turn, at most :data:`BUDGET`
    runs, until a check of its own fails on one. A run that only crashed is no kill, and no
    survival either: a crash shows the changed line ran, not whether the candidate reads what
    it computes. So a mutant it passed drops it; where every run that gave a word crashed, or
    none gave one, it is kept as "could not check dependence" (set 4's countUp: its one mutant
    made the constructor throw, and dropping on that dropped its right candidate, first-seen)."""
    budget, survived, crashed = BUDGET, list[str](), list[str]()
    runs, left = 0, list(itertools.islice(found, budget + 1))  # one more: was the budget cut?
    if not left:
        return Dependence(None, "could not check dependence: no mutant can be made of the "
                          "changed lines it runs (comments, imports or names only)")  # fmt: skip
    for mutant in left[:budget]:
        runs += 1
        said = run(mutant)
        if said.outcome is Outcome.KILLED:
            return _controlled(mutant, said.check, run, runs)
        if said.outcome is Outcome.SURVIVED:
            survived.append(str(mutant))
        elif said.outcome is Outcome.CRASHED:
            crashed.append(f"no check of its failed with {mutant}: {said.check} crashed in the "
                           "code under test (an error, not its assertion)")  # fmt: skip
    cut = f" (budget: {budget} mutant run{'s' * (budget != 1)})" if len(left) > budget else ""
    if survived:
        named = "; ".join([*crashed, "passed with " + "; ".join(survived)])
        return Dependence(False, f"does not depend on the change: {named}{cut}", runs)
    if crashed:
        return Dependence(None, "could not check dependence: " + "; ".join(crashed) + ", which "
                          f"shows it runs the change, not that it checks it{cut}", runs)  # fmt: skip
    # a run cut by its timeout says nothing either (a loaded machine's, or a mutant that loops):
    # the label names both, never "did not build" alone (seen on a held-out commit at load 30)
    return Dependence(None, f"could not check dependence: none of {runs} mutant(s) built, "
                      f"loaded and ran to an outcome within the timeout{cut}", runs)  # fmt: skip


def _controlled(killer: Mutant, failed: str, run: Callable[[Mutant], Said], runs: int) -> Dependence:
    """The word on a candidate whose check ``failed`` on ``killer``, once it passed
    :meth:`Mutant.neutral`: one that fails there too fails on any change of the file (it
    compares the file's hash, its size or time, or knows a mutant's run by its folder), not
    on what the change computes."""
    control = run(killer.neutral()).outcome
    if control is Outcome.SURVIVED:
        return Dependence(True, f"fails when {killer} (its check {failed})", runs + 1)
    if control in (Outcome.KILLED, Outcome.CRASHED):
        return Dependence(False, f"does not depend on the change: it fails when {killer}, and "
                          f"as well when a blank line is added at the end of {killer.path}, "
                          "which changes no behaviour (it checks the file, not the code)",
                          runs + 1)  # fmt: skip
    return Dependence(None, f"could not check dependence: it fails when {killer}, and its "
                      f"control run ({killer.path} with a blank line added) is no word", runs + 1)


@contextmanager
def mutated(root: Path, mutant: Mutant) -> Iterator[None]:
    """``mutant``'s text in place of its file under ``root`` (a sandbox copy, never the
    checkout), the file's bytes and time restored after. Through :func:`replace_file`: a link
    on the way is refused, never followed out of the copy. Each mutant gets a modification
    time of its own, whole seconds from the file's: Python's compiled copy (``__pycache__``),
    keyed on the source's size and second, is never reused for another text."""
    original, was = read_bytes(root, mutant.path), modified_ns(root, mutant.path)
    replace_file(root, mutant.path, mutant.text.encode(), mtime_ns=was + next(_SECONDS))
    try:
        yield
    finally:
        replace_file(root, mutant.path, original, mtime_ns=was)


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
    code = {bisect_right(starts, at) for at, kind, value in tokens if not value.isspace()
            and not any(kind in other for other in (Comment, String, Punctuation, Text))}  # fmt: skip

    def add(rank: int, at: int, before: str, after: str) -> None:
        line = bisect_right(starts, at)
        if line in wanted and line in code and not _SKIPPED_LINES.match(lines[line - 1]):
            found.setdefault(line, []).append((rank, Mutant(path, line, before, after, at, text)))

    operators: list[tuple[int, str]] = []  # adjacent operator tokens joined (Rust's ``>`` ``=``)
    strings: list[tuple[int, str]] = []
    for at, kind, value in tokens:
        if kind in Operator and not value.isspace():
            if operators and operators[-1][0] + len(operators[-1][1]) == at and kind not in \
                    Operator.Word:  # fmt: skip
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
    add: Callable[[int, int, str, str], None], lines: list[str], starts: list[int],
    wanted: frozenset[int], python: bool, *, rust: bool = False,
) -> None:  # fmt: skip
    """Per line, its condition negated (``if x:`` → ``if not (x):``, ``if (x) {`` →
    ``if (!(x)) {``, Go's and Rust's ``if x {`` → ``if !(x) {``) or its simple statement
    deleted: Python's replaced by ``pass`` (kept only where it parses), another language's
    when no block, declaration or continued expression is on the line, nor does the line
    end one (``): number => x;``) or continue a list (:func:`_listed`) (a ``return x`` also
    negated first, ``return !(x)``). A statement that binds
    a new name is kept: deleting it fails every caller, a test that checks nothing included.
    Rust (``rust``), where a mutant that does not build costs a run of :data:`BUDGET`: a match
    arm's guard is negated, then dropped; an ``if let`` is not negated (``!(let …)`` does
    not build); a line is deleted only when it is a statement, ending in ``;`` (set 4's
    next_if: its ``pub fn`` line deleted was its one mutant, and never built)."""
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
        elif not body or (_BINDS if python else _DECLARES).match(line) \
                or (_BLOCKS.search(line) and not python) \
                or body.startswith((")", "]", "}")):  # fmt: skip
            continue
        elif python and not body.endswith(":") and not body.startswith(_PY_CLAUSES):
            add(3, at, line, indent + "pass")
        elif not python and not body.endswith((",", "(", "+", "-", "&&", "||", ".", "=")) \
                and not _listed(lines, number) and (not rust or body.endswith(";")):  # fmt: skip
            returned = _RETURN.fullmatch(line)
            if returned:  # Go's last ``return`` cannot go; a ``bool``'s can be negated
                add(3, at, line, f"{returned.group(1)}!({returned.group(2)}){returned.group(3)}")
            add(3, at, line, "")


def _listed(lines: list[str], number: int) -> bool:
    """Whether line ``number`` continues a list (the code line before it ends with ``(``,
    ``[`` or ``,``): a parameter or an argument, no statement (htmlparser2's last parameter
    and last argument, one name a line: deleting either is a reference to nothing, or an
    unused parameter, which a type check refuses and plain JavaScript throws on)."""
    # by index, never a slice: a thousand wanted lines would each copy the file's lines
    before = next((lines[at].strip() for at in range(number - 2, -1, -1) if lines[at].strip()), "")
    return before.endswith(("(", "[", ","))


def _guarded(line: str) -> tuple[str, str, str] | None:
    """A Rust match arm's pattern, guard and ``=>`` on: ``Some(item) if f(item) => x,`` (set
    4's next_if). Found by two linear searches, not one pattern: a pattern's lazy parts
    backtrack over a line's spaces (a 1,000-character line took 119 s)."""
    arrow = line.find("=>")
    # an arrow in a comment or a string is no arm's (``x += 1; // if cached => skip``): its
    # mutant changed the comment only, survived every candidate and spent the budget (atk17)
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

