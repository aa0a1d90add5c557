"""A JavaScript or TypeScript module read token by token, each token marked by where it runs:
as the module loads, or when a function, method or constructor is called. Read with Pygments'
lexers (strings, template literals, comments and regular expressions hold no brace) and brace
depth, not a parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pygments.lexer import Lexer
from pygments.lexers.javascript import JavascriptLexer, TypeScriptLexer
from pygments.lexers.jsx import JsxLexer, TsxLexer
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, _TokenType

_LEXERS: dict[str, type[Lexer]] = {
    ".ts": TypeScriptLexer,
    ".mts": TypeScriptLexer,
    ".cts": TypeScriptLexer,
    ".tsx": TsxLexer,
    ".jsx": JsxLexer,
}
_BLOCK_WORDS = frozenset({"if", "for", "while", "switch", "catch", "with", "await"})
_EMPTY = frozenset({"Map", "Set", "WeakMap", "WeakSet", "Array", "Object"})
"""``new X()`` of these builds an empty value and runs no code of the module's (as Python's
``dict()``): the cache a real fix adds."""
_GOES_ON = frozenset({"(", "[", ".", "?.", ",", "=>", "{"})
"""A token after which, or (but ``{``) before which, a line break ends no expression."""
ANGLES = {">": 1, ">>": 2, ">>>": 3, "<": -1}
"""How a token opens (-) or closes (+) TypeScript's type parameters, read backwards."""
_TYPE_BEFORE = frozenset({":", "<", "|", "&"})
"""Before an arrow's ``(``: a TypeScript function type (``let f: () => void = …``), no code."""
_KEY_AFTER = frozenset({"{", ",", ";", "}", "static", "async", "*", "get", "set"})
"""Before a key of an object literal or class body (or a line break)."""
_VALUE_END = frozenset({")", "]", "}", "this", "super", "true", "false", "null"})
"""After these (and a name, number or string) JavaScript reads ``/`` as division, ``<`` as
less-than."""
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
"""JavaScript's line terminators other than ``\n``, which the lexer reads as spaces."""


@dataclass
class Token:
    line: int
    text: str
    kind: _TokenType
    deferred: bool = False
    scope: str = "block"
    allowed: bool = False
    previous: Token | None = None
    hides: bool = False
    """Text JavaScript may read otherwise than the lexer (an HTML-like comment, a regular
    expression where JavaScript divides): its braces can move code in or out of a function."""

    @property
    def word(self) -> bool:
        """A name, or a word the lexer calls reserved (``long``, ``double``) that is one here."""
        return self.kind in Name or (self.kind in Keyword and self.text.isidentifier())

    @property
    def called(self) -> bool:
        """Whether a ``(`` or a template after this token calls it."""
        after_dot = self.previous is not None and self.previous.text in (".", "?.")
        return (
            self.kind in Name
            or (after_dot and self.word)
            or self.text in ("import", "super", ")", "]", "}")
        )

    @property
    def value_end(self) -> bool:
        return (
            self.kind in Name
            or self.kind in Number
            or (self.kind in String and self.kind not in String.Regex)
            or self.text in _VALUE_END
        )

    @property
    def key(self) -> bool:
        """Whether this token stands where an object literal's or class body's key does."""
        before = self.previous
        return (
            self.scope in ("class", "object")
            and before is not None
            and (before.text in _KEY_AFTER or before.line < self.line)
        )


def js_lexer(path: str) -> Lexer:
    """Pygments' lexer for ``path``'s dialect (TypeScript, TSX, JSX; JavaScript otherwise): the
    one choice every reader of a JavaScript file here makes."""
    return next((lexer for end, lexer in _LEXERS.items() if path.endswith(end)), JavascriptLexer)()


def read_tokens(text: str, lexer: Lexer) -> list[Token]:
    """The significant tokens of ``text`` (no whitespace, no comment), each with its line."""
    found: list[Token] = []
    line = 1
    text = _LINE_BREAKS.sub("\n", text)
    jsx = not isinstance(lexer, TypeScriptLexer)
    for index, kind, value in lexer.get_tokens_unprocessed(text):
        previous = found[-1] if found else None
        if _html_comment(text, index, kind, value):
            found.append(Token(line, value, Error, previous=previous, hides=True))
        elif value.strip() and kind not in Comment:
            tag = jsx and value == "<" and not (previous and previous.value_end)
            # JSX (``<div />``) where the lexer, reading JavaScript, saw ``<``
            found.append(Token(line, value.strip(), Name.Tag if tag else kind, previous=previous))
            found[-1].hides = kind in String.Regex and previous is not None and previous.value_end
        line += value.count("\n")
    _mark(found)
    return found


def _html_comment(text: str, index: int, kind: _TokenType, value: str) -> bool:
    """Whether the token at ``index`` opens an HTML-like comment, which a CommonJS module (a
    script to JavaScript) ends at the line's end: ``<!--`` (the lexer reads only it as a
    comment, the rest as code), or ``-->`` first on its line (the lexer reads code)."""
    if kind in Comment:
        return value.startswith("<!--")
    start = text.rfind("\n", 0, index) + 1
    return value == "--" and text.startswith("-->", index) and not text[start:index].strip()


def _ends(previous: Token, token: Token) -> bool:
    """Whether a line break between ``previous`` and ``token`` ends the expression."""
    if token.line == previous.line or previous.text in _GOES_ON:
        return False
    joins = (
        token.kind in Operator
        and token.kind not in Operator.Word
        and token.text not in ("++", "--", "!", "~")
    )
    return not (joins or previous.kind in Operator or token.text in _GOES_ON - {"{"})


def _mark(tokens: list[Token]) -> None:
    """Mark each token deferred (runs when called or constructed) or not, with its scope
    (``class``, ``object``, ``block``, ``paren``: inside ``(`` or ``[``) and, for ``=`` and
    ``static``, whether it declares."""
    stack: list[tuple[int, str]] = []  # (index of the opener, its scope) for ( [ {
    match: dict[int, int] = {}
    functions = 0
    until: int | None = None  # the depth at which an expression-bodied arrow or a field ends
    declaring: int | None = None
    expect = False
    pending_class: int | None = None
    static: int | None = None
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        scope = stack[-1][1] if stack else "block"
        depth = len(stack)
        if (
            until is not None
            and depth == until
            and previous is not None
            and (token.text in (";", ",", ")", "]", "}") or _ends(previous, token))
        ):
            until = None
        if (
            declaring is not None
            and depth <= declaring
            and previous is not None
            and (token.text in (";", ")", "]", "}") or _ends(previous, token))
        ):
            declaring = None
        token.deferred, token.scope = bool(functions or until is not None), scope
        _allow_values(tokens, i)
        if token.text in ("class",) and token.kind in Keyword:
            pending_class = depth
        elif token.text in ("const", "let", "var") and token.kind in Keyword:
            declaring, expect = depth, True
        elif token.text in ("static", ";") and scope == "class":
            static = i if token.text == "static" else None
        elif token.text == "," and declaring == depth:
            expect = True
        elif token.text == "=" and declaring == depth and expect:
            token.allowed, expect = True, False
        elif token.text == "=" and not token.deferred and _exports_or_type(tokens, i):
            token.allowed = tokens[i - 1].allowed = True  # ``module.exports.prototype =`` binds
        elif token.text == "=" and scope == "class" and static is None and until is None:
            token.allowed, until = True, depth
        if (
            token.text == "=>"
            and until is None
            and not _function_type(tokens, i, match)
            and (i + 1 < len(tokens) and tokens[i + 1].text != "{")
        ):
            until = depth
            _defer_parameters(tokens, i - 1, match)
        if token.kind in String:
            continue  # a template's ``}`` or ``${`` is no brace
        if token.text in ("(", "["):
            stack.append((i, "paren"))
        elif token.text == "{":
            kind = _brace(tokens, i, scope, match, pending_class == depth)
            pending_class = None if pending_class == depth else pending_class
            if static is not None and kind in ("function", "block"):  # a method, a static block
                tokens[static].allowed, static = kind == "function", None
            functions += kind == "function"
            stack.append((i, kind))
        elif token.text in (")", "]", "}") and stack:
            opener, kind = stack.pop()
            match[i] = opener
            functions -= kind == "function"


def _allow_values(tokens: list[Token], i: int) -> None:
    """Mark ``new X()`` at ``i`` (``X`` of :data:`_EMPTY`) as building a value, and
    ``require("…")`` as an import (CommonJS's), no call of the module's."""
    ahead = tokens[i + 1 : i + 4]
    if tokens[i].text == "new" and ahead and ahead[0].text in _EMPTY:
        close, nested = i + 1, 0
        if len(ahead) > 1 and ahead[1].text == "<":  # ``new Map<string, Node>()`` (TypeScript)
            for close in range(i + 2, min(len(tokens), i + 66)):
                nested -= ANGLES.get(tokens[close].text, 0)
                if nested <= 0:
                    break
        if [t.text for t in tokens[close + 1 : close + 3]] == ["(", ")"]:
            tokens[i].allowed = tokens[close + 1].allowed = True
    elif (
        tokens[i].text == "require"
        and len(ahead) == 3
        and ahead[0].text == "("
        and (ahead[1].kind in String and ahead[1].text[:1] in "'\"" and ahead[2].text == ")")
    ):
        ahead[0].allowed = True


def _brace(tokens: list[Token], i: int, scope: str, match: dict[int, int], klass: bool) -> str:
    """What the ``{`` at ``i`` opens: a ``function`` body (its parameters marked deferred), a
    ``class`` body, an ``object`` literal or a ``block``."""
    if klass:
        return "class"
    if i >= 2 and tokens[i - 2].text == "interface":
        return "function"  # types alone, which never run
    previous = tokens[i - 1] if i else None
    if previous is None:
        return "block"
    if previous.text == "=>":
        _defer_parameters(tokens, i - 2, match)
        return "function"
    close = i - 1 if previous.text == ")" else _return_type(tokens, i, match)
    if close is not None and close in match:
        opener = match[close]
        word = tokens[opener - 1].text if opener else ""
        if word in _BLOCK_WORDS:
            return "block"
        if scope in ("class", "object") or _function_header(tokens, opener):
            for token in tokens[opener : close + 1]:
                token.deferred = True
            return "function"
        return "block"
    if previous.kind in Operator or previous.text in ("(", "[", ",", ":", "?", "return", "default"):
        return "object"
    return "block"


def _defer_parameters(tokens: list[Token], close: int, match: dict[int, int]) -> None:
    """An arrow's parameters (a name, or the list that closes at ``close``) run when called."""
    if close >= 0 and close in match:
        for token in tokens[match[close] : close + 1]:
            token.deferred = True


def _return_type(tokens: list[Token], i: int, match: dict[int, int]) -> int | None:
    """The ``)`` of a TypeScript signature whose return type ends before the ``{`` at ``i``
    (brackets in the type, an object type's ``{…; …}``, skipped whole)."""
    j = i - 1
    for _step in range(64):
        if j < 1 or tokens[j].text in (";", "{", "=") or tokens[j].kind in Keyword.Declaration:
            return None
        if tokens[j].text == ")" and tokens[j + 1].text == ":":
            return j
        if tokens[j].text in (")", "]", "}"):
            if j not in match:
                return None
            j = match[j]
        j -= 1
    return None


def _function_header(tokens: list[Token], opener: int) -> bool:
    """Whether the ``(`` at ``opener`` follows ``function``, ``function*`` or either and a
    name (TypeScript's ``<T>`` after it skipped)."""
    j = opener - 1
    if j >= 0 and tokens[j].text in ANGLES:
        nested = 0
        while j >= 0:
            nested += ANGLES.get(tokens[j].text, 0)
            j -= 1
            if nested <= 0:
                break
    if j >= 0 and tokens[j].word and tokens[j].text != "function":
        j -= 1
    if j >= 0 and tokens[j].text == "*":
        j -= 1
    return j >= 0 and tokens[j].text == "function"


def _function_type(tokens: list[Token], arrow: int, match: dict[int, int]) -> bool:
    """Whether the ``=>`` at ``arrow`` is a TypeScript function type's (its ``(`` follows
    ``:``, ``<``, ``|`` or ``&``)."""
    opener = match.get(arrow - 1)
    return opener is not None and opener > 0 and tokens[opener - 1].text in _TYPE_BEFORE


def _exports_or_type(tokens: list[Token], i: int) -> bool:
    """Whether the ``=`` at ``i`` binds CommonJS's ``exports``, ``exports.x`` or
    ``module.exports…``, or a TypeScript ``type`` alias, as a statement of its own."""
    j = i - 1
    while j >= 2 and tokens[j].word and tokens[j - 1].text == ".":
        j -= 2
    chain = [token.text for token in tokens[j:i]]
    name = i - 1
    if tokens[name].text in ANGLES:  # ``type Pair<T> =``: its parameters skipped
        nested = 0
        while name > 0 and (nested := nested + ANGLES.get(tokens[name].text, 0)) > 0:
            name -= 1
        name -= 1
    if name >= 1 and tokens[name - 1].text == "type" and tokens[name].word:
        j = name - 1
    elif chain[:1] != ["exports"] and chain[:3] != ["module", ".", "exports"]:
        return False
    return (
        j == 0
        or tokens[j - 1].text in (";", "}", "{", "export")
        or (tokens[j - 1].line < tokens[j].line)
    )


def load_lines(tokens: list[Token]) -> list[tuple[str, list[Token]]]:
    """Each line's load-time tokens, as its text (the multiset's key) and the tokens."""
    lines: dict[int, list[Token]] = {}
    for token in tokens:
        if not token.deferred:
            lines.setdefault(token.line, []).append(token)
    return [(" ".join(t.text for t in line), line) for line in lines.values()]
