"""Whether a failing generated test is a possible bug: what it asserts is what the code's own
contract says.

A candidate that fails on the head is either a wrong test or wrong code. The model's guess is no
evidence, so a failure is reported as a possible bug only where the value the candidate asserts
(the expected side of its failing assertion, read from the runner's failure report: pytest's
``assert -1 == 0`` with the statement it points at, jest's ``Expected: 0``, vitest's ``expected
-1 to be 0``, go's ``want 0``) follows the same call (``sign(-5)``, its arguments as written) in
the contract of the code under test: a docstring or doc comment of the changed source (a doctest
``>>> sign(0)`` / ``0``, ``// Sign(0) returns 0``, an ``@example``), a README or ``docs/`` page,
or a sibling test of the repository (``assert sign(0) == 0``, a Go ``Example`` with its
``// Output: 0``). Every file is read from the checkout's head without following a link; the
candidate and every contract are attacker input, so what is found is a place and a quoted line,
never an instruction, and its words are redacted and neutralised where they are shown.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    is_file,
    read_text,
    unlinked,
    walk_files,
)

NO_CONTRACT = "fails; no contract says the asserted value"
"""The label of a failing candidate whose asserted value no contract states: dropped, and the
words a user reads never say bug without evidence."""
MAX_BYTES = 512 << 10
"""The largest file read as a contract."""
MAX_DOCS = 200
"""Files of ``docs/`` (and test files of a folder) read at most."""
MAX_TOTAL = 8 << 20
"""Bytes of contracts read in all for one candidate: a pull request's tree of huge pages costs
no more than this."""
MAX_OUTPUT = 100_000
"""Characters of a failing run's output read for its claim."""
MAX_LINE = 2_000
"""Characters of a line searched for calls (a test can print one line of megabytes)."""
_LOOKAHEAD = 3
"""Lines after a call where its output may stand (a doctest's next line, an ``// Output:``)."""
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".markdown")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_LITERAL = re.compile(
    r'["\[{]|(?<![\w.])[-+]?\.?\d'
    r"|\b(?:true|false|True|False|None|null|nil|undefined|NaN)\b"
)
_LOCATION = r"{name}:(\d{{1,7}})\b"
_JEST = re.compile(r"^\s*Expected(?: value)?:\s*(.+?)\s*$", re.MULTILINE)
_VITEST = re.compile(
    r"\bexpected .+? to (?:be|equal|deeply equal|strictly equal) (.+?)"
    r"(?:\s+//.*)?\s*$",
    re.MULTILINE,
)
_GO = re.compile(r'\b(?:want(?:ed)?|expected)\b\s*[:=]?\s*("(?:[^"\\\n]|\\.)*"|[^\s,;)]+)')
_PYTEST = re.compile(r"^E\s+(?:AssertionError:\s*)?assert (.+?) == (.+?)\s*$", re.MULTILINE)
_NEGATION = re.compile(r"\b(?:not|never|nor|isn't|doesn't)\b|!=|\.not\.", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(?://+|/\*+|\*+/?|#+)\s?")
_OUTPUT = re.compile(r"^(?:output:|=>|->|returns?|==|is)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """What a failing candidate asserts: ``call`` (as written, spaces dropped) gives ``expected``.
    A Python claim also keeps the call and the value as the candidate wrote them (``written``,
    ``written_value``), for :mod:`.claim_run` to run the call itself."""

    call: str
    expected: str
    written: str = field(default="", compare=False)
    written_value: str = field(default="", compare=False)


@dataclass(frozen=True)
class Contract:
    """Where the code's contract states a claim: ``path``:``line``, the ``quoted`` line, its
    ``kind`` (docstring, doc comment, docs, sibling test) and whether the pull request itself
    wrote it (``changed``: weaker evidence, and the label says so)."""

    path: str
    line: int
    quoted: str
    kind: str
    changed: bool = False

    def describe(self) -> str:
        """The contract as a user reads it (its quoted line is the pull request's text)."""
        weaker = (
            " (weaker evidence: the pull request itself wrote this line)" if self.changed else ""
        )
        return f"{self.kind} {self.path}:{self.line}: {self.quoted}{weaker}"


def claims(output: str, test_path: str, source: str, names: Collection[str]) -> list[Claim]:
    """The claims of a failing run's ``output``: the expected value its runner reports with the
    calls of ``names`` (the functions of the code under test) on the candidate's failing line
    (``source`` is the candidate, saved as ``test_path``) or in the failure message itself
    (go's ``Sign(-5) = -1, want 0`` of a table test)."""
    output = output[:MAX_OUTPUT]  # the run's, the code under test's words among them
    name = re.escape(PurePosixPath(test_path).name)
    lines = source.splitlines()
    failing = [int(n) for n in re.findall(_LOCATION.format(name=name), output)]
    said = [line[:MAX_LINE] for line in output.splitlines() if re.search(name + r":\d", line)][:20]
    if test_path.endswith(".py"):
        return _python_claims(output, source, failing, names)
    found = (
        _JEST.search(output)
        or _VITEST.search(output)
        or next((match for line in said if (match := _GO.search(line))), None)
    )
    if found is None:
        return []
    expected = _normal(found.group(1)).removeprefix("+")  # chai's +0
    where = [*said, *(lines[n - 1][:MAX_LINE] for n in failing[:3] if 0 < n <= len(lines))]
    return [Claim(call, expected) for call in dict.fromkeys(_calls(where, names))]


def _python_claims(
    output: str, source: str, failing: Sequence[int], names: Collection[str]
) -> list[Claim]:
    """pytest's claim: the ``assert CALL == VALUE`` (either side) at a line its report points
    at, where the report's own ``E assert`` line shows that comparison failing."""
    reported = {_normal(side) for pair in _PYTEST.findall(output) for side in pair}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[Claim] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
            continue
        compare = node.test
        if not any(node.lineno <= n <= (node.end_lineno or node.lineno) for n in failing):
            continue
        if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.Eq):
            continue
        for called, value in (
            (compare.left, compare.comparators[0]),
            (compare.comparators[0], compare.left),
        ):
            try:
                expected = _normal(repr(ast.literal_eval(value)))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            text = ast.get_source_segment(source, called) or ""
            if expected in reported:
                written = (text, ast.get_source_segment(source, value) or "")
                found += [Claim(call, expected, *written) for call in _calls([text], names)]
    return found


def _calls(texts: Iterable[str], names: Collection[str]) -> list[str]:
    """Each ``name(arguments)`` of ``names`` in ``texts``, spaces outside strings dropped and
    quotes made double, with its parentheses balanced (strings may hold any)."""
    found: list[str] = []
    for text in texts:
        for word in _WORD.finditer(text):
            start, end = word.start(), word.end()
            if word.group() not in names or text[end : end + 1] != "(":
                continue
            if start and (text[start - 1].isalnum() or text[start - 1] in "_$"):
                continue
            close = _closing(text, end)
            if close:
                found.append(_normal(text[start:close]))
    return found


def _closing(text: str, opening: int) -> int:
    """The index after the parenthesis that closes the one at ``opening`` (0: none)."""
    depth, quote, index = 0, "", opening
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return 0


def _normal(text: str) -> str:
    """``text`` with spaces only between two words and outside strings, its quotes double and no
    Markdown backtick: ``f( 'a', 2 )`` → ``f("a",2)``,
    ``assert  f(1) == 2`` → ``assert f(1)==2``."""
    out: list[str] = []
    quote, space = "", False
    text = text.strip().replace("`", "")
    for index, char in enumerate(text):
        if quote:
            ends = char == quote and text[index - 1] != "\\"
            out.append('"' if ends else char)
            quote = "" if ends else quote
        elif char.isspace():
            space = True
            continue
        elif char in "\"'":
            quote = char
            out.append('"')
        else:
            if space and out and _is_word(out[-1][-1]) and _is_word(char):
                out.append(" ")
            out.append(char)
        space = False
    return "".join(out).rstrip(";")


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "_$"


def names_in(checkout: Path, sources: Iterable[str]) -> frozenset[str]:
    """The words of the source files under test: the functions a candidate may call (a call of
    another word is no call of the code under test)."""
    return frozenset(word for path in sources for word in _WORD.findall(_read(checkout, path)))


def siblings(checkout: Path, folders: Iterable[str], is_test: Callable[[str], bool]) -> list[str]:
    """The test files directly in ``folders`` of the checkout (none through a link)."""
    found: list[str] = []
    for folder in dict.fromkeys(folders):
        try:
            unlinked(checkout, folder)
            names = sorted(os.listdir(checkout / folder))[:MAX_DOCS]
        except (CheckoutFileError, OSError):
            continue
        found += [
            path for name in names if is_test(path := _in(folder, name)) and is_file(checkout, path)
        ]
    return found


def find(
    checkout: Path, found: Sequence[Claim], sources: Sequence[str], tests: Sequence[str]
) -> tuple[Contract, ...]:
    """The places of the head's contract that state one of ``found``, one a file: the doc lines
    of ``sources`` (docstrings, comments), then the READMEs and ``docs/`` pages, then ``tests``
    (the sibling tests of those sources)."""
    if not found:
        return ()
    contracts: list[Contract] = []
    left = MAX_TOTAL
    kinds = [
        *((path, "docstring" if path.endswith(".py") else "doc comment") for path in sources),
        *((path, "docs") for path in _pages(checkout, sources)),
        *((path, "sibling test") for path in tests),
    ]
    for path, kind in kinds:
        text = _read(checkout, path)[:left]
        left -= len(text)
        lines = (
            _doc_lines(path, text)
            if kind in ("docstring", "doc comment")
            else list(enumerate(text.splitlines(), 1))
        )
        line = next((n for claim in found if (n := _states(lines, claim))), 0)
        if line:
            quoted = next(text for number, text in lines if number == line).strip()[:200]
            contracts.append(Contract(path, line, quoted, kind))
    return tuple(contracts)


def chosen(found: Sequence[Contract], changed: Callable[[str, int], bool]) -> Contract | None:
    """The contract to name: the first the pull request did not write, else the first, marked
    as the change's own (``changed``: whether a line of a file is the change's)."""
    marked = [
        replace(contract, changed=changed(contract.path, contract.line)) for contract in found
    ]
    return next(
        (contract for contract in marked if not contract.changed), marked[0] if marked else None
    )


def _read(checkout: Path, path: str) -> str:
    try:
        return read_text(checkout, path, MAX_BYTES)
    except (CheckoutFileError, OSError, UnicodeDecodeError):
        return ""


def _doc_lines(path: str, text: str) -> list[tuple[int, str]]:
    """The numbered lines of a source file that document it: Python's docstrings and comments,
    another language's comments (a Go ``Example``'s lives in a test: a sibling)."""
    lines = text.splitlines()
    if not path.endswith(".py"):
        return [(n, line) for n, line in enumerate(lines, 1) if _COMMENT.match(line)]
    kept = {n for n, line in enumerate(lines, 1) if line.lstrip().startswith("#")}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            kept |= set(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return [(n, lines[n - 1]) for n in sorted(kept) if n <= len(lines)]


def _pages(checkout: Path, sources: Sequence[str]) -> list[str]:
    """The READMEs of the root and of the sources' folders, and the pages under ``docs/``."""
    folders = dict.fromkeys([".", *(str(PurePosixPath(s).parent) for s in sources)])
    found = [
        _in(folder, name)
        for folder in folders
        for name in ("README.md", "README.rst", "README", "README.txt")
    ]
    for top in ("docs", "doc"):
        try:
            pages = [
                f"{top}/{p}"
                for p in walk_files(checkout / top, max_entries=5 * MAX_DOCS)
                if p.endswith(_DOC_SUFFIXES)
            ]
        except (CheckoutFileError, OSError):
            continue
        found += pages[:MAX_DOCS]
    return [path for path in found if is_file(checkout, path)]


def _in(folder: str, name: str) -> str:
    """``name`` in ``folder`` of the checkout (``.``: its root)."""
    return name if folder == "." else f"{folder}/{name}"


def _states(lines: Sequence[tuple[int, str]], claim: Claim) -> int:
    """The line of ``lines`` whose call is ``claim.call`` with ``claim.expected`` the first value
    after it, or standing alone on one of the next lines (a doctest's, ``// Output: 0``)."""
    numbered = dict(lines)
    name = claim.call.split("(", 1)[0]
    for number, line in lines:
        if name not in line:  # cheap first: most lines never name the function
            continue
        text = _normal(line)
        at = text.find(claim.call)
        if at < 0 or (at and (text[at - 1].isalnum() or text[at - 1] in "_$")):
            continue
        rest = text[at + len(claim.call) :]
        first = _LITERAL.search(rest)
        if (
            first
            and _is(rest[first.start() :], claim.expected)
            and not _denied(text, rest[: first.start()])
        ):
            return number
        for later in range(number + 1, number + 1 + _LOOKAHEAD):
            after = _normal(_OUTPUT.sub("", _COMMENT.sub("", numbered.get(later, ""))))
            if after.startswith(">>>"):
                break
            if after and after == claim.expected:
                return number
    return 0


def _denied(line: str, between: str) -> bool:
    """Whether the words between a call and its value deny it ("is never 1", ``.not.toBe(1)``,
    ``assert f(0) != 1``), but a test's ``if f(0) != 1 {`` failing otherwise states it."""
    found = _NEGATION.search(between)
    return found is not None and not (found.group() == "!=" and line.startswith("if"))


def _is(text: str, expected: str) -> bool:
    """Whether ``text`` starts with the value ``expected``, whole."""
    after = text[len(expected) : len(expected) + 2]
    return text.startswith(expected) and not re.match(r"\w|\.\w", after)
