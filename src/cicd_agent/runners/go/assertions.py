"""Whether a Go test file asserts (gen-tests' assertion stage): each ``TestX(t *testing.T)``
can report a failure.

A test asserts when its body, or a function of the package's test files it hands ``t`` to, holds
a failure call on a testing value: ``t.Error``/``Errorf``/``Fatal``/``Fatalf``/``Fail``/
``FailNow``, or an ``assert.X(t, …)``/``require.X(t, …)`` (testify, gotest.tools; under the
import's own name too). Go's common styles all assert that way: a helper ``check(t, got, want)``
that calls ``t.Errorf``, a table's ``t.Run(name, func(t *testing.T) {…})`` closure, a helper in
another ``_test.go`` file of the package. A helper reached counts only where the argument at a
testing parameter's place is a testing value: a same-named function without ``t``, or one
shadowed by a local ``check := func…``, vouches for nothing. The walk follows calls breadth
first, each function once, at most :data:`MAX_DEPTH` calls deep and :data:`MAX_FUNCTIONS`
functions, so helpers that call each other never loop. A failure call guarded by one expression
compared with itself (``if v != v { t.Error(…) }``, ``assert.Equal(t, v, v)``) checks nothing.

Read with Pygments' Go lexer: strings and comments hold no call, so ``"t.Error("`` in a string
or a comment asserts nothing. The package's other test files are read from the pristine copy,
never through a link, within :data:`MAX_PACKAGE_BYTES` in all; those past it are left out (their
helpers then vouch for nothing: a refusal, never a false keep).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pygments.lexers.go import GoLexer
from pygments.token import Comment, Keyword, Name, String, Whitespace

from cicd_agent.local.checkout_files import CheckoutFileError, folder_files, read_text
from cicd_agent.runners import same_sides

MAX_DEPTH = 16
"""Calls followed from a test to the helper that fails: deeper helpers vouch for nothing."""
MAX_FUNCTIONS = 256
"""Functions read for one test, whatever the files hold."""
MAX_PACKAGE_BYTES = 1 << 20
"""Bytes of the package's other test files read (about a second of lexing)."""
MAX_PACKAGE_FILES = 64
"""The package's other test files read, however small."""
_TESTING_TYPES = frozenset(
    {"*testing.T", "*testing.B", "*testing.F", "testing.TB", "assert.TestingT", "require.TestingT"}
)
_LONGEST_TYPE = 4
"""Tokens of the longest testing type (``*testing.T``, ``assert.TestingT``: three or four)."""
_FAILURES = frozenset({"Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow"})
_CHECK_PACKAGES = re.compile(r'^"[^"]*/(assert|require)"$')
"""An import of testify's or gotest.tools' assertions: named by its last part or its alias."""
_PACKAGE = re.compile(r"^\s*package\s+(\w+)", re.M)
_OPEN, _CLOSE = ("(", "[", "{"), (")", "]", "}")


@dataclass(frozen=True)
class _Token:
    at: int
    kind: str  # "name", "func", "string" or "other"
    text: str


@dataclass(frozen=True)
class _Function:
    name: str
    parameters: tuple[tuple[str, str], ...]  # each one's name and type (spaces dropped)
    start: int  # the body's tokens, [start, end)
    end: int
    file: _File

    @property
    def testing(self) -> tuple[bool, ...]:
        return tuple(kind in _TESTING_TYPES for _, kind in self.parameters)


@dataclass
class _File:
    text: str
    tokens: list[_Token]
    match: list[int]  # each bracket's partner (len(tokens): none)
    checkers: frozenset[str]  # the local names of assert/require packages


def go_unasserted(text: str, siblings: tuple[str, ...] = ()) -> str:
    """The first ``TestX`` of the candidate ``text`` that asserts nothing ("" when each does; a
    clause ending in "so it" when it holds none); ``siblings``: the texts of the package's other
    test files of the same package clause."""
    tests, idle = unasserted_tests(text, siblings)
    if not tests:
        return "the file holds no TestX(t *testing.T) function, so it"
    return idle[0] if idle else ""


def unasserted_tests(text: str, siblings: tuple[str, ...] = ()) -> tuple[int, list[str]]:
    """How many ``TestX(t *testing.T)`` ``text`` holds, and those of them that assert nothing."""
    candidate = _read(text)
    functions: dict[str, _Function] = {}
    twice: set[str] = set()
    for file in (*(_read(sibling) for sibling in siblings), candidate):
        for function in _functions(file):
            twice |= {function.name} & functions.keys() if function.name[0] == "." else set()
            functions[function.name] = function  # a function of the candidate's own wins: its
            # twin beside it is another build's (fasthttp's round2_32_test.go and _64)
    for name in twice:  # two methods of one name: which one a call reaches is not read here
        del functions[name]
    tests = [
        function
        for function in _functions(candidate)
        if function.name.startswith("Test")
        and [kind for _, kind in function.parameters] == ["*testing.T"]
    ]
    read: dict[tuple[int, int], tuple[bool, tuple[_Function, ...]]] = {}
    return len(tests), [test.name for test in tests if not _asserts(test, functions, read)]


def package_tests(root: Path, path: str) -> tuple[str, ...]:
    """The texts of the other ``_test.go`` files in ``path``'s folder under ``root`` whose package
    clause is the candidate's own file's (``path`` itself is left out), within
    :data:`MAX_PACKAGE_BYTES`; a file not read (a link, too large, gone) is left out."""
    folder = PurePosixPath(path).parent
    try:
        names = folder_files(root, folder)
    except CheckoutFileError:
        return ()
    texts, left = [], MAX_PACKAGE_BYTES
    wanted = [
        name for name in names if name.endswith("_test.go") and name != PurePosixPath(path).name
    ]
    for name in sorted(wanted)[:MAX_PACKAGE_FILES]:
        if left <= 0:
            break
        try:
            text = read_text(root, folder / name, max_bytes=left)
        except CheckoutFileError:
            continue
        texts.append(text)
        left -= len(text.encode())
    return tuple(texts)


def same_package(candidate: str, siblings: tuple[str, ...]) -> tuple[str, ...]:
    """The ``siblings`` whose package clause is ``candidate``'s (``x_test`` is another package)."""
    found = _PACKAGE.search(candidate)
    return tuple(
        sibling
        for sibling in siblings
        if found and (clause := _PACKAGE.search(sibling)) and clause.group(1) == found.group(1)
    )


def _read(text: str) -> _File:
    tokens = [
        _Token(
            at,
            "name"
            if kind in Name
            else "func"
            if kind in Keyword and value == "func"
            else "string"
            if kind in String
            else "other",
            value,
        )
        for at, kind, value in GoLexer().get_tokens_unprocessed(text)
        if value.strip() and kind not in Comment and kind not in Whitespace
    ]
    match, stack = [len(tokens)] * len(tokens), []
    for index, token in enumerate(tokens):
        if token.text in _OPEN:
            stack.append(index)
        elif (
            token.text in _CLOSE
            and stack
            and _OPEN.index(tokens[stack[-1]].text) == _CLOSE.index(token.text)
        ):
            match[stack.pop()] = index
            match[index] = index
    checkers = {"assert", "require"}
    for index, token in enumerate(tokens):
        found = _CHECK_PACKAGES.match(token.text) if token.kind == "string" else None
        if found:
            alias = tokens[index - 1] if index else token
            checkers.add(alias.text if alias.kind == "name" else found.group(1))
    return _File(text, tokens, match, frozenset(checkers))


def _functions(file: _File) -> Iterator[_Function]:
    """The top-level ``func name(…) … {…}`` of ``file``, a method's name read as ``.name``
    (bodiless ones left out)."""
    tokens, at = file.tokens, 0
    while at < len(tokens):
        receiver = at + 1 < len(tokens) and tokens[at + 1].text == "("
        after = file.match[at + 1] + 1 if receiver else at + 1
        if tokens[at].kind != "func" or after + 1 >= len(tokens) or tokens[after].kind != "name":
            at = file.match[at] + 1 if tokens[at].text in _OPEN else at + 1
            continue
        name, at = ("." if receiver else "") + tokens[after].text, after + 1
        if tokens[at].text == "[":  # type parameters
            at = file.match[at] + 1
        if at >= len(tokens) or tokens[at].text != "(":
            continue
        parameters = _parameters(file, at)
        at = file.match[at] + 1
        while at < len(tokens) and tokens[at].text != "{" and tokens[at].kind != "func":
            at = file.match[at] + 1 if tokens[at].text in _OPEN else at + 1
        if at < len(tokens) and tokens[at].text == "{":
            yield _Function(name, tuple(parameters), at + 1, file.match[at], file)
            at = file.match[at] + 1


def _parameters(file: _File, start: int) -> list[tuple[str, str]]:
    """Each parameter of the list whose ``(`` is ``tokens[start]``: its name ("" when unnamed)
    and its type as written without spaces (``a, b int`` is two of ``int``; a type longer than
    any testing type is read as "", so nested ``func(…)`` types cost no more than their list)."""
    pending: list[str] = []
    named: list[tuple[str, str]] = []
    for first, end in _split(file, start):
        part = file.tokens[first:end] if end - first <= _LONGEST_TYPE + 1 else []
        if end - first == 1 and part[0].kind == "name":
            pending.append(part[0].text)
            continue
        if first == end:
            continue
        head = (
            part[0].text
            if part and part[0].kind == "name" and part[1].text not in (".", "[")
            else ""
        )
        kind = "".join(token.text for token in part[1 if head else 0 :])
        named += [(name, kind) for name in pending] + [(head, kind)]
        pending = []
    return named + [("", name) for name in pending]  # all unnamed: each name was a type


def _split(file: _File, start: int) -> list[tuple[int, int]]:
    """Where each argument of the bracket opened at ``tokens[start]`` lies (split at its own
    commas; a nested bracket is stepped over, never read)."""
    at, end = start + 1, min(file.match[start], len(file.tokens))
    parts, first = [], at
    while at < end:
        if file.tokens[at].text == ",":
            parts.append((first, at))
            first = at + 1
        at = min(file.match[at], end) + 1 if file.tokens[at].text in _OPEN else at + 1
    return [*parts, (first, min(at, end))]


def _single(file: _File, part: tuple[int, int]) -> str:
    """The argument ``part`` when it is one token (``t``), else ""."""
    return file.tokens[part[0]].text if part[1] - part[0] == 1 else ""


def _asserts(
    test: _Function,
    functions: dict[str, _Function],
    read: dict[tuple[int, int], tuple[bool, tuple[_Function, ...]]],
) -> bool:
    """Whether ``test`` or a function it hands a testing value to (breadth first, bounded)
    holds a failure call that checks something; ``read``: each function's word, once for all
    tests."""
    seen, layer = {test.name}, [test]
    for _ in range(MAX_DEPTH + 1):
        following: list[_Function] = []
        for function in layer:
            fails, callees = _step(function, functions, read)
            if fails:
                return True
            for callee in callees:
                if callee.name not in seen and len(seen) < MAX_FUNCTIONS:
                    seen.add(callee.name)
                    following.append(callee)
        layer = following
    return False


def _step(
    function: _Function,
    functions: dict[str, _Function],
    read: dict[tuple[int, int], tuple[bool, tuple[_Function, ...]]],
) -> tuple[bool, tuple[_Function, ...]]:
    """Whether ``function`` fails on a check itself, else the functions it hands a testing
    value to, read once per candidate (kept in ``read``): a candidate of many tests would
    otherwise walk the same helpers anew for each, minutes in all."""
    key = (id(function.file), function.start)
    if key not in read:
        testing, local = _testing_names(function)
        fails = _fails(function, testing)
        read[key] = (fails, () if fails else tuple(_callees(function, testing, local, functions)))
    return read[key]


def _testing_names(function: _Function) -> tuple[frozenset[str], frozenset[str]]:
    """The names in ``function`` bound to a testing value (its parameters and its closures'
    of a testing type, none declared otherwise anywhere in it: a shadowed ``t`` is no testing
    value), and every name it declares itself (``x :=``, ``var x``, a parameter)."""
    file, tokens = function.file, function.file.tokens
    testing: set[str] = set()
    other: set[str] = set()
    parameters = list(function.parameters)
    for at in range(function.start, function.end):
        token = tokens[at]
        if token.kind == "func" and at + 1 < function.end and tokens[at + 1].text == "(":
            parameters += _parameters(file, at + 1)  # a closure's: t.Run's func(t *testing.T)
        elif token.text == ":=":
            back = at - 1
            while back >= function.start and tokens[back].kind == "name":
                other.add(tokens[back].text)
                if tokens[back - 1].text != ",":
                    break
                back -= 2
        elif token.text == "var" and at + 1 < function.end and tokens[at + 1].kind == "name":
            other.add(tokens[at + 1].text)
    for name, kind in parameters:
        (testing if kind in _TESTING_TYPES else other).add(name)
    return frozenset(testing - other), frozenset(other | {name for name, _ in parameters})


def _fails(function: _Function, testing: frozenset[str]) -> bool:
    """Whether ``function``'s body holds a failure call on a testing value that checks
    something."""
    file, tokens = function.file, function.file.tokens
    start = tokens[function.start].at if function.start < len(tokens) else len(file.text)
    for at in range(function.start, max(function.start, function.end - 3)):
        value, dot, member, bracket = tokens[at : at + 4]
        if (
            tokens[at - 1].text == "."
            or value.kind != "name"
            or dot.text != "."
            or bracket.text != "("
        ):
            continue
        if value.text in testing and member.text in _FAILURES:
            if same_sides.go_guarded(file.text, start, value.at):
                return True
        elif (
            value.text in file.checkers
            and value.text not in testing
            and _single(file, _split(file, at + 3)[0]) in testing
            and same_sides.testify_checks(file.text, bracket.at, member.text)
        ):
            return True
    return False


def _callees(
    function: _Function,
    testing: frozenset[str],
    local: frozenset[str],
    functions: dict[str, _Function],
) -> Iterator[_Function]:
    """The package functions ``function`` hands a testing value to at a testing parameter's
    place (``check(t, …)``, a method ``list.validate(t)`` of a name no other method has), or
    passes to ``t.Run`` (``t.Run(name, checkAll)``); a name it declares itself is its own, not
    the package's."""
    tokens = function.file.tokens
    for at in range(function.start, max(function.start, function.end - 1)):
        token, member = tokens[at], tokens[at - 1].text == "."
        if token.kind != "name" or tokens[at + 1].text != "(":
            continue
        if (
            token.text == "Run"
            and member
            and at - 2 >= function.start
            and tokens[at - 2].text in testing
        ):
            handed = _split(function.file, at + 1)
            name = _single(function.file, handed[1]) if len(handed) > 1 else ""
            if name in functions and name not in local and any(functions[name].testing):
                yield functions[name]
            continue
        callee = functions.get(("." if member else "") + token.text)
        if callee is None or (not member and token.text in local):
            continue
        handed = _split(function.file, at + 1)
        if any(
            _single(function.file, part) in testing
            and index < len(callee.testing)
            and callee.testing[index]
            for index, part in enumerate(handed)
        ):
            yield callee
