"""A set-up moved from one jest test into another (the flaky-test fixer's patch), and the code a
test calls, read from the tests' text with Pygments' JavaScript lexers (strings, template
literals, comments and regular expressions hold no bracket), not a parser.

A test is found by its full name, as jest's report gives it: the titles of the ``describe``
calls around an ``it``/``test`` call and its own, joined with spaces; only string titles are
read (a ``test.each`` title is formatted when it runs). A test's callback is the first
function among its arguments with a body in braces.

What is moved: a donor's top-level statements that check nothing and end no test early: none
naming ``expect``, ``assert``, ``fail`` or ``done`` (the callback's own), none holding
``return``, ``throw`` or ``await`` (a callback that awaits nothing would not parse). Only
between tests of one folder, where the donor's file's ``require``/``import`` lines read the
same modules: those binding a name the statements use, and missing from the failing test's
file, are moved with them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePosixPath

from pygments.token import Comment, Keyword, Name, String

from cicd_agent.runners.js.scopes import js_lexer
from cicd_agent.runners.orders import SetUp

SEPARATOR = " › "
"""Between a jest test's file and its full name, as the test step names it."""
_TESTS = frozenset({"it", "test"})
_BLOCKS = frozenset({"describe"})
_MODIFIERS = frozenset({"only", "skip", "concurrent", "failing"})
_CHECKS = frozenset({"expect", "assert", "fail", "done", "pending"})
"""Names a moved statement never holds: a check, or the test's own callbacks."""
_ENDS = frozenset({"return", "throw", "await", "yield"})
_CONTINUES = frozenset(
    {"(", "[", ".", "?.", ",", "=>", "=", "+", "-", "*", "/", "&&", "||", "??", "?", ":", "{"}
)
"""What a line ends on when JavaScript reads its statement on into the next line."""
_IMPORT = re.compile(
    r"^(?:import\b.*\bfrom\s*['\"][^'\"]+['\"]|(?:const|let|var)\s+[^=]+="
    r"\s*require\(\s*['\"][^'\"]+['\"]\s*\)(?:\.\w+)?)\s*;?\s*$"
)
"""A line of the file's own imports: ``import … from "x"``, ``const … = require("x")``."""
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_RELATIVE = re.compile(
    r"""(?:require\(\s*|\bfrom\s*|^import\s*)['"](\.{1,2}/[^'"\n]+)['"]""", re.MULTILINE
)


@dataclass(frozen=True)
class Tok:
    at: int
    text: str
    kind: object

    @property
    def code(self) -> bool:
        """A bracket that counts: none in a string or a template literal."""
        return self.kind not in String


@dataclass(frozen=True)
class Found:
    """A test or describe call in a file: its full name, its callback's body (the text
    between its braces) and the call's start."""

    name: str
    start: int
    end: int
    call: int


def tokens(path: str, text: str) -> list[Tok]:
    """The significant tokens of ``text`` (no whitespace, no comment)."""
    return [
        Tok(at, value.strip(), kind)
        for at, kind, value in js_lexer(path).get_tokens_unprocessed(text)
        if value.strip() and kind not in Comment
    ]


def tests_of(path: str, text: str) -> list[Found]:
    """Each ``it``/``test`` call of the file with a string title and a braced callback."""
    toks = tokens(path, text)
    closing = _pairs(toks)
    found: list[Found] = []
    scopes: list[tuple[int, str]] = []  # (end token of a describe body, its title)
    for at, tok in enumerate(toks):
        while scopes and at > scopes[-1][0]:
            scopes.pop()
        word = tok.text
        if (
            tok.kind not in Name
            or word not in _TESTS | _BLOCKS
            or (at and toks[at - 1].text in (".", "?."))
        ):
            continue
        call = at + 1
        while call + 1 < len(toks) and toks[call].text == "." and toks[call + 1].text in _MODIFIERS:
            call += 2
        title = _title(toks, call + 1) if call < len(toks) and toks[call].text == "(" else None
        body = _callback(toks, call, closing) if title is not None else None
        if title is None or body is None:
            continue
        full = " ".join([*(name for _, name in scopes), title])
        if word in _BLOCKS:
            scopes.append((body[1], full))
        else:
            found.append(Found(full, toks[body[0]].at + 1, toks[body[1]].at, tok.at))
    return found


def find(path: str, text: str, test: str) -> Found | None:
    """The test whose id (``file › full name``) is ``test``, in ``text``: the first of that
    name (jest's report cannot tell two apart either)."""
    name = test.split(SEPARATOR, 1)[1] if SEPARATOR in test else ""
    return next((found for found in tests_of(path, text) if found.name == name), None)


def statements(path: str, body: str) -> list[str]:
    """The top-level statements of a callback's ``body``, each with its own lines."""
    toks = tokens(path, body)
    found: list[str] = []
    start, depth = 0, 0
    for at, tok in enumerate(toks):
        if tok.code and tok.text in "([{":
            depth += 1
        elif tok.code and tok.text in ")]}":
            depth -= 1
        after = toks[at + 1] if at + 1 < len(toks) else None
        if depth or after is None:
            continue
        line_ends = "\n" in body[tok.at : after.at]
        if tok.text == ";" or (
            line_ends
            and tok.text not in _CONTINUES
            and after.text
            not in (
                ".",
                "?.",
                "else",
                "catch",
                "finally",
                "(",
                "[",
                "+",
                "-",
                "*",
                "/",
                "&&",
                "||",
                "??",
                "?",
                ":",
                ")",
                "]",
                "}",
                "=>",
            )
        ):
            found.append(body[start : tok.at + len(tok.text)])
            start = after.at
    if toks:
        found.append(body[start : toks[-1].at + len(toks[-1].text)])
    return [s.strip() for s in found if s.strip() and s.strip() != ";"]


def set_up_of(texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
    """``donor``'s movable statements, and the import lines of its file they use."""
    donor_file, victim_file = _file(donor), _file(victim)
    donor_text, victim_text = texts.get(donor_file), texts.get(victim_file)
    found = find(donor_file, donor_text, donor) if donor_text is not None else None
    if (
        found is None
        or donor_text is None
        or victim_text is None
        or find(victim_file, victim_text, victim) is None
    ):
        return SetUp(donor, why_not="the test was not found in its file by its full name")
    if PurePosixPath(donor_file).parent != PurePosixPath(victim_file).parent:
        return SetUp(
            donor,
            why_not="it is in another folder than the failing test (its "
            "imports would read other files there)",
        )
    body = donor_text[found.start : found.end]
    kept = tuple(s for s in statements(donor_file, body) if _movable(donor_file, s))
    if not kept:
        return SetUp(
            donor, why_not="it has no statement that checks nothing and ends no test early"
        )
    used = {name for s in kept for name in _names(donor_file, s)}
    imports = tuple(
        line
        for line in _imports(donor_text)
        if _bound(line) & used and line not in _imports(victim_text)
    )
    return SetUp(donor, kept, imports)


def with_set_up(text: str, victim: str, set_up: SetUp, keep: Collection[int]) -> str:
    """``victim``'s file with the statements numbered in ``keep`` first in its callback, and
    the import lines they use at the file's top; "" when the test is not found."""
    path = _file(victim)
    found = find(path, text, victim)
    if found is None:
        return ""
    chosen = [s for number, s in enumerate(set_up.statements) if number in keep]
    if not chosen:
        return ""
    line_start = text.rfind("\n", 0, found.call) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0) + "  "  # type: ignore[union-attr]
    moved = "".join(
        f"\n{indent}{line}" if n else f"\n{indent}{line.lstrip()}"
        for s in chosen
        for n, line in enumerate(s.splitlines())
    )
    body = (
        f"{text[: found.start]}\n{indent}// set-up moved from "
        f"{set_up.donor.split(SEPARATOR, 1)[-1]}{moved}{text[found.start :]}"
    )
    added = [line for line in set_up.imports if line not in _imports(text)]
    if not added:
        return body
    head = re.match(r"(?:\s*(?:'use strict'|\"use strict\");?[^\n]*\n)?", body)
    cut = head.end() if head is not None else 0
    return body[:cut] + "".join(f"{line}\n" for line in added) + body[cut:]


def called_names(path: str, text: str, victim: str) -> set[str]:
    """The names ``victim``'s callback calls: ``f(`` and ``x.f(``."""
    found = find(path, text, victim)
    if found is None:
        return set()
    toks = tokens(path, text[found.start : found.end])
    return {
        tok.text for tok, after in pairwise(toks) if after.text == "(" and _NAME.fullmatch(tok.text)
    }


def relative_imports(text: str) -> list[str]:
    """The modules of the checkout a test file imports (``./calc``, ``../src/mode``)."""
    return _RELATIVE.findall(text)


def declared_lines(path: str, text: str, names: Collection[str]) -> frozenset[int]:
    """The lines of the bodies of the functions of ``text`` named in ``names``: ``function
    f(…) {…}``, ``f = (…) => …``, ``exports.f = function …``, a method ``f(…) {…}``; a body on
    one line gives that line."""
    toks = tokens(path, text)
    closing = _pairs(toks)
    lines: set[int] = set()
    for at, tok in enumerate(toks):
        if tok.text not in names or tok.kind in String or at + 1 >= len(toks):
            continue
        nxt = toks[at + 1].text
        if nxt not in ("=", "(", ":") or (nxt == "(" and not _declares(toks, at, closing)):
            continue
        opener = _body_start(toks, at + 1, closing)
        if opener is None:
            continue
        first = text.count("\n", 0, toks[opener].at) + 1
        end = closing.get(opener)
        last = text.count("\n", 0, toks[end].at) + 1 if end is not None else first
        lines.update(range(first + 1, last) if last - first > 1 else (first,))
    return frozenset(lines)


def _declares(toks: list[Tok], at: int, closing: Mapping[int, int]) -> bool:
    """Whether the name at ``at`` followed by ``(`` declares a function (``function f(``) or a
    method (``f(…) {``), not calls one."""
    if at and toks[at - 1].text == "function":
        return True
    end = closing.get(at + 1)
    return (
        end is not None
        and end + 1 < len(toks)
        and toks[end + 1].text == "{"
        and (at == 0 or toks[at - 1].text in ("{", "}", ";", ",", "async", "static"))
    )


def _body_start(toks: list[Tok], at: int, closing: Mapping[int, int]) -> int | None:
    """The token starting the function body after the declaring token at ``at`` (its ``{``,
    or an arrow's expression): None when what follows is no function."""
    for index in range(at, min(len(toks), at + 64)):
        text = toks[index].text
        if text == "{" and toks[index].code:
            return index
        if text == "=>":
            return index + 1 if index + 1 < len(toks) else None
        if text == ";":
            return None
        if text == "(" and index in closing:
            closed = closing[index]
            if closed + 1 < len(toks) and toks[closed + 1].text in ("{", "=>"):
                return _body_start(toks, closed + 1, closing)
            return None  # a call's arguments (``x = f(…)``): no function of its own
    return None


def _pairs(toks: list[Tok]) -> dict[int, int]:
    """Each opening bracket's index and its closing one's."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for at, tok in enumerate(toks):
        if not tok.code:
            continue
        if tok.text in ("(", "[", "{"):
            stack.append(at)
        elif tok.text in (")", "]", "}") and stack:
            pairs[stack.pop()] = at
    return pairs


def _title(toks: list[Tok], at: int) -> str | None:
    """A call's first argument when it is a plain string or template literal, its text."""
    if at >= len(toks) or toks[at].kind not in String:
        return None
    first = toks[at].text
    if first[:1] in "'\"" and len(first) > 1 and first[-1] == first[0]:
        return re.sub(r"\\(.)", r"\1", first[1:-1])
    if first != "`":
        return None
    parts: list[str] = []
    for tok in toks[at + 1 :]:
        if tok.text == "`":
            return "".join(parts)
        if tok.kind not in String.Backtick:
            return None  # ``${…}``: formatted when it runs
        parts.append(tok.text)
    return None


def _callback(toks: list[Tok], call: int, closing: Mapping[int, int]) -> tuple[int, int] | None:
    """The brace tokens of the first braced function among the call's arguments."""
    end = closing.get(call)
    if end is None:
        return None
    for at in range(call + 1, end):
        if (
            toks[at].text == "{"
            and toks[at].code
            and at in closing
            and (toks[at - 1].text == "=>" or toks[at - 1].text == ")")
        ):
            return at, closing[at]
    return None


def _movable(path: str, statement: str) -> bool:
    for tok in tokens(path, statement):
        if tok.kind in Name and tok.text in _CHECKS:
            return False
        if (tok.kind in Keyword or tok.kind in Name) and tok.text in _ENDS:
            return False
    return True


def _names(path: str, statement: str) -> Iterator[str]:
    for tok in tokens(path, statement):
        if tok.kind in Name or tok.kind in Keyword:
            yield tok.text


def _imports(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _IMPORT.match(line.strip())]


def _bound(line: str) -> set[str]:
    """The names an import line binds (its words before ``=`` or ``from``)."""
    head = re.split(r"=\s*require|\bfrom\b", line, maxsplit=1)[0]
    words = set(_NAME.findall(head)) - {"import", "const", "let", "var", "as", "type"}
    return words


def _file(test: str) -> str:
    return test.split(SEPARATOR, 1)[0]
