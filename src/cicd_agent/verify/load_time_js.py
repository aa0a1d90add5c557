"""What a patch may change in a JavaScript or TypeScript module judged by a runner that runs
it in the tests' own realm (jest, vitest): what runs when its code is called, never what runs
as it loads.

Code under test shares the test's realm there: a line that runs as the module loads
(``Object.is = () => true``, ``expect.extend(...)``, ``globalThis.expect = …``) makes every
assertion hold, and no witness of ours runs in that realm to see it. :func:`load_time_problem`
is the static rule that closes it, as :func:`.import_time.import_time_problem` does for Python.
Each line's load-time code (everything outside function and method bodies, their parameter
lists, expression-bodied arrows and instance field initialisers, which run when called or
constructed) is compared with the base's as a multiset, so a line the patch moves out of a
function counts as new as well as one it writes. A new one must declare, not do (an import,
``require("…")`` and ``new Map()`` and its kin declare too, as Python's rule lets a fix add an
import and ``dict()``): no call,
``new``, tagged template, decorator, assignment (but a declaration's initialiser, a
``type`` alias and CommonJS's ``exports.x =``), update, ``delete``, ``instanceof`` or ``await``,
no function inside brackets (handed to a call that may run it); in a class body no static field
or block and no computed key; no JSX (a call of its factory), no ``import`` of what this rule
never reads (a ``data:`` URL, a declaration file, ``./hook.txt``: Node's CommonJS loader runs
any file named whole); no accessor, conversion hook (``valueOf``, ``toString``…) or computed
key in an object literal or among a class's static members, and no read of ``prototype``
(which reaches instance members), since a plain read, ``+`` or ``const [a] = o`` calls them.
A file of any other name than text's is read as a module (``require("./hook")`` runs a
file named ``hook`` first). Line
terminators other than ``\n`` are read as JavaScript reads them; a patch adding text
JavaScript may read otherwise than the lexer (an HTML-like comment, a regular expression where
JavaScript divides) is refused whole, as its braces may move code out of a function. Not seen:
a function body the base's own load-time code calls
(``setup()`` at the top and the patch changing ``setup``), which Python's import guard sees as
it runs and no witness of ours sees in jest's realm. Read with Pygments' lexers
(strings, template literals, comments and regular expressions hold no brace) and brace depth,
not a parser. A false refusal leaves a real fix of top-level code unchecked, never blocked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pygments.lexer import Lexer
from pygments.lexers.javascript import JavascriptLexer, TypeScriptLexer
from pygments.lexers.jsx import JsxLexer, TsxLexer
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, _TokenType

from cicd_agent.verify.known import TOOLS

SUFFIXES = next(t.checking.suffixes for t in TOOLS if t.name == "eslint" and t.checking)
"""The JavaScript and TypeScript files (eslint's suffixes, as the JS runners read them)."""
_LEXERS: dict[str, type[Lexer]] = {".ts": TypeScriptLexer, ".mts": TypeScriptLexer,
                                   ".cts": TypeScriptLexer, ".tsx": TsxLexer, ".jsx": JsxLexer}  # fmt: skip
_BLOCK_WORDS = frozenset({"if", "for", "while", "switch", "catch", "with", "await"})
_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=",
                     "^=", "&&=", "||=", "??="})  # fmt: skip
_DOES = frozenset({"new", "delete", "instanceof", "await", "yield", "++", "--"})
_EMPTY = frozenset({"Map", "Set", "WeakMap", "WeakSet", "Array", "Object"})
"""``new X()`` of these builds an empty value and runs no code of the module's (as Python's
``dict()``): the cache a real fix adds."""
_GOES_ON = frozenset({"(", "[", ".", "?.", ",", "=>", "{"})
"""A token after which, or (but ``{``) before which, a line break ends no expression."""
_ANGLES = {">": 1, ">>": 2, ">>>": 3, "<": -1}
"""How a token opens (-) or closes (+) TypeScript's type parameters, read backwards."""
_TYPE_BEFORE = frozenset({":", "<", "|", "&"})
"""Before an arrow's ``(``: a TypeScript function type (``let f: () => void = …``), no code."""
_HOOKS = frozenset({"valueOf", "toString", "toJSON", "toLocaleString", "then"})
"""Keys JavaScript calls by itself as it converts or awaits a value: with accessors (``get``,
``set``) and computed (``Symbol.…``) keys, what a plain read, ``+`` or ``[a] = o`` runs."""
_KEY_AFTER = frozenset({"{", ",", ";", "}", "static", "async", "*", "get", "set"})
"""Before a key of an object literal or class body (or a line break)."""
_VALUE_END = frozenset({")", "]", "}", "this", "super", "true", "false", "null"})
"""After these (and a name, number or string) JavaScript reads ``/`` as division, ``<`` as
less-than."""
_OTHERS = (".json", ".md", ".markdown", ".mdx", ".txt", ".rst", ".adoc", ".yml", ".yaml",
           ".toml", ".csv", ".tsv", ".xml", ".html", ".htm", ".css", ".scss", ".sass", ".less",
           ".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".map", ".lock", ".log",
           ".sh", ".gitignore", ".npmignore", ".gitattributes", ".editorconfig", "license",
           "licence", "makefile", "readme", "changelog", "authors", "notice", ".py", ".pyi",
           ".pyw", ".go", ".rs", ".java", ".kt", ".scala", ".rb", ".php", ".c", ".h", ".cc",
           ".cpp", ".hpp", ".cs", ".swift", ".sql", ".proto", ".graphql", ".vue", ".svelte")  # fmt: skip
"""Files of text, data or another language, not JavaScript modules: an ``import`` that names one
whole is refused (:func:`_foreign`), as Node's CommonJS loader, and jest's, run any file named
whole (but JSON) as JavaScript. Every other file is read as a module: ``require("./hook")`` or
``"./x.util"`` runs a file of that exact name first. Not read: the ``<script>`` of a ``.vue``
or ``.svelte`` file, which vitest runs as the component loads."""
_DECLARATION = re.compile(r"\.d(\.[cm]?ts)?$")
"""A declaration file's name (``x.d.ts``), or how jest's resolver names one (``./x.d``)."""
MAX_CHARS = 128_000
"""The most of a file read (either side of the patch), as review's what-runs reads a file side:
a larger one is left unchecked (1 of 1,043 JavaScript and TypeScript files of 16 projects, a test)."""
_RUN = re.compile(r"[\w?.$]{128,}")
"""A run of name characters and dots Pygments' JavaScript lexers read in time quadratic in its
length (``x.x.x.…``: 40,000 characters took 5 s): such a file is left unchecked."""
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
"""JavaScript's line terminators other than ``\n``, which the lexer reads as spaces."""


@dataclass
class _Token:
    line: int
    text: str
    kind: _TokenType
    deferred: bool = False
    scope: str = "block"
    allowed: bool = False
    previous: _Token | None = None
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
        return self.kind in Name or (after_dot and self.word) or self.text in (
            "import", "super", ")", "]", "}")  # fmt: skip

    @property
    def value_end(self) -> bool:
        """Whether this token ends a value (module doc of :data:`_VALUE_END`)."""
        return self.kind in Name or self.kind in Number or (
            self.kind in String and self.kind not in String.Regex) or self.text in _VALUE_END  # fmt: skip

    @property
    def key(self) -> bool:
        """Whether this token stands where an object literal's or class body's key does."""
        before = self.previous
        return self.scope in ("class", "object") and before is not None and (
            before.text in _KEY_AFTER or before.line < self.line)  # fmt: skip


def patch_problem(files: Sequence[tuple[str, str | None, str | None]]) -> str:
    """Why a patch (each file's ``(path, before, after)``) is refused: the first file's
    :func:`load_time_problem`, every file read as a module when the patch writes one (a patch
    to Python's code alone is not read as JavaScript, its ``setup.cfg`` neither)."""
    modules = any(after is not None and path.endswith(SUFFIXES) for path, _, after in files)
    return next((why for path, before, after in files
                 if (why := load_time_problem(path, before, after, others=modules))), "")  # fmt: skip


def load_time_problem(path: str, before: str | None, after: str | None, *, others: bool = True) -> str:
    """Why the patch's change to the JavaScript or TypeScript file ``path`` (with ``others``,
    any file but text, data and other languages' code, :data:`_OTHERS`) is refused: a line of
    load-time code it adds does something as the module loads (module doc; "" when none
    does)."""
    module = path.endswith(SUFFIXES) or (others and not path.lower().endswith(_OTHERS))
    if not module or after is None or _DECLARATION.search(path):
        return ""  # text or data (an import naming one is refused); types alone
    if any(len(text) > MAX_CHARS or _RUN.search(text) for text in (before or "", after)):
        return (f"{path} is too large, or holds too long a run of name characters, for this "
                "check to read what runs as it loads")  # fmt: skip
    lexer = js_lexer(path)
    tokens, base = _tokens(after, lexer), _tokens(before or "", lexer)
    hidden = [token for token in tokens if token.hides]
    if len(hidden) > sum(token.hides for token in base):
        return (
            f"the patch adds text in {path} that JavaScript may read otherwise than this check "
            f"(line {hidden[-1].line}: an HTML-like comment or a regular expression where "
            "JavaScript divides), so what runs as it loads is not known"
        )
    now = _load_lines(tokens)
    added = Counter(key for key, _ in now) - Counter(key for key, _ in _load_lines(base))
    for key, tokens in now:
        if added[key] and any(map(_does, tokens)):
            return (
                f"the patch adds code that runs as {path} loads (line {tokens[0].line}): a fix "
                "judged by tests in the same realm may change what runs when it is called, not "
                "what runs before the tests do"
            )
    return ""


def js_lexer(path: str) -> Lexer:
    """Pygments' lexer for ``path``'s dialect (TypeScript, TSX, JSX; JavaScript otherwise): the
    one choice every reader of a JavaScript file here makes."""
    return next((lexer for end, lexer in _LEXERS.items() if path.endswith(end)), JavascriptLexer)()


def _tokens(text: str, lexer: Lexer) -> list[_Token]:
    """The significant tokens of ``text`` (no whitespace, no comment), each with its line."""
    found: list[_Token] = []
    line = 1
    text = _LINE_BREAKS.sub("\n", text)
    jsx = not isinstance(lexer, TypeScriptLexer)
    for index, kind, value in lexer.get_tokens_unprocessed(text):
        previous = found[-1] if found else None
        if _html_comment(text, index, kind, value):
            found.append(_Token(line, value, Error, previous=previous, hides=True))
        elif value.strip() and kind not in Comment:
            tag = jsx and value == "<" and not (previous and previous.value_end)
            # JSX (``<div />``) where the lexer, reading JavaScript, saw ``<``
            found.append(_Token(line, value.strip(), Name.Tag if tag else kind, previous=previous))
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


def _ends(previous: _Token, token: _Token) -> bool:
    """Whether a line break between ``previous`` and ``token`` ends the expression."""
    if token.line == previous.line or previous.text in _GOES_ON:
        return False
    joins = token.kind in Operator and token.kind not in Operator.Word and token.text not in (
        "++", "--", "!", "~")  # fmt: skip
    return not (joins or previous.kind in Operator or token.text in _GOES_ON - {"{"})


def _mark(tokens: list[_Token]) -> None:
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
        if until is not None and depth == until and previous is not None and (
                token.text in (";", ",", ")", "]", "}") or _ends(previous, token)):  # fmt: skip
            until = None
        if declaring is not None and depth <= declaring and previous is not None and (
                token.text in (";", ")", "]", "}") or _ends(previous, token)):  # fmt: skip
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
        if token.text == "=>" and until is None and not _function_type(tokens, i, match) and (
                i + 1 < len(tokens) and tokens[i + 1].text != "{"):  # fmt: skip
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


def _allow_values(tokens: list[_Token], i: int) -> None:
    """Mark ``new X()`` at ``i`` (``X`` of :data:`_EMPTY`) as building a value, and
    ``require("…")`` as an import (CommonJS's), no call of the module's."""
    ahead = tokens[i + 1 : i + 4]
    if tokens[i].text == "new" and ahead and ahead[0].text in _EMPTY:
        close, nested = i + 1, 0
        if len(ahead) > 1 and ahead[1].text == "<":  # ``new Map<string, Node>()`` (TypeScript)
            for close in range(i + 2, min(len(tokens), i + 66)):
                nested -= _ANGLES.get(tokens[close].text, 0)
                if nested <= 0:
                    break
        if [t.text for t in tokens[close + 1 : close + 3]] == ["(", ")"]:
            tokens[i].allowed = tokens[close + 1].allowed = True
    elif tokens[i].text == "require" and len(ahead) == 3 and ahead[0].text == "(" and (
            ahead[1].kind in String and ahead[1].text[:1] in "'\"" and ahead[2].text == ")"):  # fmt: skip
        ahead[0].allowed = True


def _brace(tokens: list[_Token], i: int, scope: str, match: dict[int, int], klass: bool) -> str:
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


def _defer_parameters(tokens: list[_Token], close: int, match: dict[int, int]) -> None:
    """An arrow's parameters (a name, or the list that closes at ``close``) run when called."""
    if close >= 0 and close in match:
        for token in tokens[match[close] : close + 1]:
            token.deferred = True


def _return_type(tokens: list[_Token], i: int, match: dict[int, int]) -> int | None:
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


def _function_header(tokens: list[_Token], opener: int) -> bool:
    """Whether the ``(`` at ``opener`` follows ``function``, ``function*`` or either and a
    name (TypeScript's ``<T>`` after it skipped)."""
    j = opener - 1
    if j >= 0 and tokens[j].text in _ANGLES:
        nested = 0
        while j >= 0:
            nested += _ANGLES.get(tokens[j].text, 0)
            j -= 1
            if nested <= 0:
                break
    if j >= 0 and tokens[j].word and tokens[j].text != "function":
        j -= 1
    if j >= 0 and tokens[j].text == "*":
        j -= 1
    return j >= 0 and tokens[j].text == "function"


def _function_type(tokens: list[_Token], arrow: int, match: dict[int, int]) -> bool:
    """Whether the ``=>`` at ``arrow`` is a TypeScript function type's (its ``(`` follows
    ``:``, ``<``, ``|`` or ``&``)."""
    opener = match.get(arrow - 1)
    return opener is not None and opener > 0 and tokens[opener - 1].text in _TYPE_BEFORE


def _exports_or_type(tokens: list[_Token], i: int) -> bool:
    """Whether the ``=`` at ``i`` binds CommonJS's ``exports``, ``exports.x`` or
    ``module.exports…``, or a TypeScript ``type`` alias, as a statement of its own."""
    j = i - 1
    while j >= 2 and tokens[j].word and tokens[j - 1].text == ".":
        j -= 2
    chain = [token.text for token in tokens[j:i]]
    name = i - 1
    if tokens[name].text in _ANGLES:  # ``type Pair<T> =``: its parameters skipped
        nested = 0
        while name > 0 and (nested := nested + _ANGLES.get(tokens[name].text, 0)) > 0:
            name -= 1
        name -= 1
    if name >= 1 and tokens[name - 1].text == "type" and tokens[name].word:
        j = name - 1
    elif chain[:1] != ["exports"] and chain[:3] != ["module", ".", "exports"]:
        return False
    return j == 0 or tokens[j - 1].text in (";", "}", "{", "export") or (
        tokens[j - 1].line < tokens[j].line)  # fmt: skip


def _load_lines(tokens: list[_Token]) -> list[tuple[str, list[_Token]]]:
    """Each line's load-time tokens, as its text (the multiset's key) and the tokens."""
    lines: dict[int, list[_Token]] = {}
    for token in tokens:
        if not token.deferred:
            lines.setdefault(token.line, []).append(token)
    return [(" ".join(t.text for t in line), line) for line in lines.values()]


def _does(token: _Token) -> bool:
    """Whether ``token``, at load time, does something (module doc)."""
    before = token.previous
    if token.allowed and token.text in ("new", "("):
        return False
    if token.kind in Error or token.text.startswith("@") or token.text in _DOES:
        return True
    if token.text in ("=>", "function") and token.scope == "paren":
        return True  # a function handed to a call (or grouped to be called) as the module loads
    if token.text in _ASSIGN or token.text == "static":
        return not token.allowed
    if token.text == "(" or (token.text == "`" and token.kind in String.Backtick):
        return _calls(before)  # a call, a tagged template
    if token.kind in String.Regex:  # where JavaScript reads a division, the lexer may not
        return before is not None and (before.called or before.kind in Number)
    if token.kind in Name.Tag or (token.text == "prototype" and not token.allowed):
        return True  # JSX calls its factory; an instance's accessors and hooks are reached
    if token.text == "then" and token.word:
        return True  # exported, it makes the module thenable: ``await import(…)`` calls it
    if token.kind in String and before and (
            before.text in ("from", "import") or (before.text == "(" and before.allowed)):  # fmt: skip
        return _foreign(token.text[1:-1])
    if token.key and (token.scope == "object" or _static(token)):
        accessor = before is not None and before.text in ("get", "set") and before.key
        return token.text.strip("'\"") in _HOOKS or token.text == "[" or (
            accessor and token.text not in ("(", ":", ",", "}", "=", ";", "?", "<"))  # fmt: skip
    return token.text == "[" and token.scope == "class"


def _foreign(specifier: str) -> bool:
    """Whether an ``import`` or ``require`` of ``specifier`` may run code this rule never
    reads: a ``data:`` URL (Node's ESM runs its text), a declaration file (jest resolves
    ``./x.d`` to ``x.d.ts``) or another file (:data:`_OTHERS`: ``./hook.txt``) but JSON."""
    specifier = specifier.strip()
    if specifier[:5].lower() == "data:":
        return True
    path = specifier.partition("?")[0].partition("#")[0]
    if not path.startswith((".", "/")) and path.count("/") <= path.startswith("@"):
        return False  # a package by its name (``lodash.merge``), not a file of it
    name = path.rpartition("/")[2]
    return bool(_DECLARATION.search(name)) or name.lower().endswith(_OTHERS[1:])


def _static(token: _Token) -> bool:
    """Whether the class member ``token`` names is ``static`` (the class's own, not its
    instances', which only ``new`` or ``prototype`` reach)."""
    before = token.previous
    while before is not None and before.text in ("get", "set", "async", "*"):
        before = before.previous
    return before is not None and before.text == "static"


def _calls(before: _Token | None) -> bool:
    """Whether a ``(`` or template after ``before`` calls: after a name or a call's end, after
    ``?.``, TypeScript's postfix ``!`` or its type arguments (``f<number>()``)."""
    if before is None or before.called:
        return before is not None
    if before.text in ("?.", ".", "!"):  # ``f?.()`` (lexed ``?`` ``.``), TypeScript's ``f!()``
        return before.text == "?." or (before.previous is not None and (
            before.previous.text == "?" if before.text == "." else before.previous.called))  # fmt: skip
    nested, opener = 0, before
    for _step in range(64):
        nested += _ANGLES.get(opener.text, 0)
        if nested <= 0 or opener.previous is None or opener.text == ";":
            break
        opener = opener.previous
    name = opener.previous
    return nested == 0 and opener.text == "<" and name is not None and name.called and not (
        name.previous and name.previous.text in ("function", "*"))  # a generic's declaration
