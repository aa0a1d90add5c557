"""Whether a JavaScript or TypeScript file holds no code that runs: types alone, which jest's and
vitest's coverage maps leave out (such a file would make the whole change "not measured").

Read from the source, never from the map's silence: a coverage setting leaves real code out too,
and that stays "not measured"; a declaration file's name (``x.d.ts``) is not trusted (esbuild
emits what such a file holds, and vitest's default excludes leave it out of the map). Types alone
means every top-level statement is one TypeScript erases: ``type``/``interface``,
``import type``/``export type``, an empty ``export {}``, ``declare …``, an overload signature, an
``import`` with bindings, comments. Anything else is code (``enum``, a class, a decorator, a
re-export, a bare ``import "x"``), and so is a type statement holding a token no type holds, or a
comment holding a line terminator the lexer reads as its own. Where unsure, it is code and the
change stays "not measured"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from pygments.token import Comment, Error, Keyword, Name, Operator, Punctuation, String, _TokenType

from cicd_agent.runners.js.load_time import MAX_CHARS
from cicd_agent.runners.js.scopes import js_lexer

_TERMINATORS = re.compile("\r(?!\n)|[\u2028\u2029]")
"""Line terminators to ECMAScript that Pygments' lexer reads inside a ``//`` comment: the code
after them runs (typescript's transpileModule and esbuild emit it). The lexer ends a
comment at ``\n``, so a CRLF file's comment ends in the ``\r`` of its line's break."""
_TYPESCRIPT = (".ts", ".mts", ".cts", ".tsx")
_RUN = re.compile(r"[\w?.$]{128,}")
"""A run Pygments' lexers read in quadratic time: code."""
_BREAKS = re.compile("[\n\r\u2028\u2029]")
_OPEN, _CLOSE = frozenset("({["), frozenset(")}]")
_TYPE_OPERATORS = frozenset(
    {
        "=",
        "|",
        "&",
        "?",
        ":",
        "<",
        ">",
        ">>",
        ">>>",
        "=>",
        "*",
        "-",
        "+",
        ".",
        "?.",
        "...",
        ",",
        ";",
        "in",
        "keyof",
        "typeof",
        "is",
        "void",
        "new",
    }
)
"""Operators a type holds (``-readonly``, ``[K in keyof T]``, ``x is T``); any other is code."""
_CODE_WORDS = frozenset(
    {
        "function",
        "return",
        "if",
        "else",
        "for",
        "while",
        "do",
        "switch",
        "case",
        "throw",
        "try",
        "catch",
        "finally",
        "var",
        "let",
        "class",
        "enum",
        "await",
        "yield",
        "delete",
        "instanceof",
        "debugger",
        "with",
        "super",
        "namespace",
        "module",
        "declare",
        "export",
        "interface",
    }
)
"""Words no type holds at its top level (in braces, a key may be any word): code."""
_GOES_ON_AFTER = frozenset(
    {
        "=",
        "|",
        "&",
        "?",
        ":",
        ".",
        "?.",
        ",",
        "<",
        "(",
        "[",
        "{",
        "=>",
        "extends",
        "keyof",
        "typeof",
        "infer",
        "is",
        "as",
        "new",
        "readonly",
        "unique",
        "asserts",
        "-",
        "+",
        "*",
        "...",
    }
)
"""A token after which a line break ends no type."""
_GOES_ON_BEFORE = frozenset(
    {"|", "&", "?", ":", ".", "?.", "=>", ",", ")", "]", "}", ">", ">>", ">>>", "=", "extends"}
)
"""A token no statement starts with: before it, a line break ends no type."""
_BEFORE_PARENTHESIS = frozenset(
    {
        "=",
        "|",
        "&",
        "<",
        ",",
        "(",
        "[",
        ":",
        "=>",
        "?",
        "extends",
        "new",
        "import",
        "keyof",
        "readonly",
        "...",
    }
)
"""Where a ``(`` opens a type (a function type, a group, ``import("x")``) outside braces (a
method's signature there): after any other token it calls a value, which TypeScript emits."""
_ANGLES = {">": 1, ">>": 2, ">>>": 3, "<": -1}
"""How a token closes (+) or opens (-) type parameters, read backwards."""


class _Token(NamedTuple):
    text: str
    kind: _TokenType
    broken: bool
    """Whether a line break comes before it."""


def types_only(path: str, text: str) -> bool:
    """Whether ``path`` (its ``text``) holds no code that runs; False when unsure."""
    if len(text) > MAX_CHARS or _RUN.search(text):
        return False
    tokens = _tokens(path, text)
    if tokens is None:
        return False
    if not path.endswith(_TYPESCRIPT):
        return not tokens  # JavaScript: comments and blank lines alone
    at = 0
    while at < len(tokens):
        end = _statement(tokens, at)
        if end is None:
            return False
        at = end
    return True


def _tokens(path: str, text: str) -> list[_Token] | None:
    """The significant tokens of ``text`` (no whitespace, no comment), or None on a lexer error."""
    found: list[_Token] = []
    broken = False
    for _, kind, value in js_lexer(path).get_tokens_unprocessed(text):
        if kind in Error or (kind in Comment and _TERMINATORS.search(value.removesuffix("\r"))):
            return None
        if value.strip() and kind not in Comment:
            found.append(_Token(value.strip(), kind, broken or bool(_BREAKS.match(value))))
            broken = False
        else:
            broken = broken or bool(_BREAKS.search(value))
    return found


def _statement(tokens: Sequence[_Token], at: int) -> int | None:
    """Where the type statement starting at ``at`` ends (the next one's index), or None: code."""
    words = [token.text for token in tokens[at : at + 4]]
    if words[0] == ";":
        return at + 1
    head = 1 if words[0] == "export" else 0
    if words[head : head + 2] == ["default", "interface"]:
        head += 1
    first = words[head] if head < len(words) else ""
    if any(token.broken for token in tokens[at + 1 : at + head + 2]):
        return None  # ``type`` or ``declare`` alone on its line is a name, not a keyword
    if first == "declare":
        return _end(tokens, at + head + 1, checked=False)
    if first in ("type", "interface") and _named(tokens, at + head + 1):
        return _end(tokens, at + head + 2)
    if first == "function" and _named(tokens, at + head + 1):
        return _end(tokens, at + head + 2, bodiless=True)
    if head and first == "{" and words[2:3] == ["}"]:
        after = at + 3 + (words[3:4] == [";"])
        return after if after == len(tokens) or tokens[after].broken else None
    if head and first == "type" and words[2:3] in (["{"], ["*"]):
        return _end(tokens, at + 2)
    if not head and first == "import" and words[1:2] != ["("] and words[1:2] != ["."]:
        if len(tokens) > at + 1 and tokens[at + 1].kind in String:
            return None  # ``import "x"`` runs x
        return _end(tokens, at + 1, importing=True)
    return None


def _named(tokens: Sequence[_Token], at: int) -> bool:
    """Whether a name follows on the same line (``type A``, not ``type`` as a name)."""
    return (
        at < len(tokens)
        and not tokens[at].broken
        and (tokens[at].kind in Name or tokens[at].kind in Keyword.Type)
    )


def _end(
    tokens: Sequence[_Token],
    at: int,
    *,
    checked: bool = True,
    bodiless: bool = False,
    importing: bool = False,
) -> int | None:
    """The index after a type statement whose rest starts at ``at``: past its ``;`` at the top
    level, or at a line break neither side of which goes on; None where it holds code
    (``checked``: a token no type holds; ``bodiless``: a body, for an overload signature;
    ``importing``: ``=`` or a call, for an import)."""
    opened: list[str] = []
    for index in range(at, len(tokens)):
        token, depth = tokens[index], len(opened)
        if (
            depth == 0
            and index > at
            and token.broken
            and not (tokens[index - 1].text in _GOES_ON_AFTER or token.text in _GOES_ON_BEFORE)
        ):
            return index
        if token.kind in String.Regex or token.text.startswith("@"):
            return None
        if checked and _code(token, depth == 0 and tokens[index - 1].text not in (".", "?.")):
            return None
        if importing and token.text in ("=", "("):
            return None
        if token.kind in Punctuation and token.text in _OPEN:
            if bodiless and depth == 0 and token.text == "{":
                return None
            if (
                token.text == "("
                and checked
                and "{" not in opened[-1:]
                and not _opens_type(tokens, index - 1)
                and not (bodiless and index == at)
            ):
                return None  # a call (``type A = B |`` then ``f(1)``), not a type
            opened.append(token.text)
        elif token.kind in Punctuation and token.text in _CLOSE:
            if not opened:
                return None
            opened.pop()
        elif depth == 0 and token.text == ";":
            return index + 1
    return None if opened else len(tokens)


def _opens_type(tokens: Sequence[_Token], before: int) -> bool:
    """Whether a ``(`` after ``tokens[before]`` opens a type: after :data:`_BEFORE_PARENTHESIS`,
    or after the type parameters of a generic function type (``= <T>(a: T) => T``)."""
    if tokens[before].text in _BEFORE_PARENTHESIS:
        return True
    depth = 0
    for index in range(before, 0, -1):
        depth += _ANGLES.get(tokens[index].text, 0)
        if depth <= 0:
            return depth == 0 and index < before and tokens[index - 1].text in _BEFORE_PARENTHESIS
    return False


def _code(token: _Token, word: bool) -> bool:
    """Whether ``token`` is one no type holds (``word``: where a word may be code, at the top
    level and after no dot)."""
    if token.kind in Operator:
        return token.text not in _TYPE_OPERATORS
    return word and token.kind in Keyword and token.text in _CODE_WORDS
