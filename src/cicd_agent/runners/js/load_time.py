"""What a patch may change in a JavaScript or TypeScript module judged by a runner that runs it in
the tests' own realm (jest, vitest): what runs when its code is called, never what runs as it loads.

A line that runs as the module loads (``Object.is = () => true``, ``expect.extend(...)``) makes
every assertion hold, and no in-run check of ours runs in that realm to see it; this static rule
closes it, as ``import_time`` does for Python. Each line's load-time code (outside function bodies,
parameter lists, arrows and instance field initialisers) is compared with the base's as a multiset,
so a line moved out of a function counts as new. A new one must declare, not do: an import,
``require`` and ``new Map()`` declare; a call, ``new``, tagged template, decorator, assignment (but
a declaration's initialiser, a ``type`` alias, ``exports.x =``), update, ``delete``, ``instanceof``,
``await``, or a function inside brackets does. So does a static field or block, a computed key, JSX,
an import of what this rule never reads (a ``data:`` URL, a declaration file, ``./hook.txt``), and
an accessor, conversion hook or ``prototype`` read, since a plain read or ``+`` calls them. Text
JavaScript may read otherwise than the lexer (an HTML-like comment, a regular expression where
JavaScript divides) refuses the patch whole.

Not seen: a function body the base's own load-time code calls (``setup()`` at the top, the patch
changing ``setup``). Read with Pygments' lexers and brace depth, not a parser: a false refusal
leaves a real fix of top-level code unchecked, never blocked."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pygments.token import Error, Name, Number, String

from cicd_agent.analysis.known_tools import TOOLS
from cicd_agent.runners.js.scopes import ANGLES, Token, js_lexer, load_lines, read_tokens

SUFFIXES = next(t.checking.suffixes for t in TOOLS if t.name == "eslint" and t.checking)
"""The JavaScript and TypeScript files (eslint's suffixes, as the JS runners read them)."""
_ASSIGN = frozenset(
    {
        "=",
        "+=",
        "-=",
        "*=",
        "/=",
        "%=",
        "**=",
        "<<=",
        ">>=",
        ">>>=",
        "&=",
        "|=",
        "^=",
        "&&=",
        "||=",
        "??=",
    }
)
_DOES = frozenset({"new", "delete", "instanceof", "await", "yield", "++", "--"})
_HOOKS = frozenset({"valueOf", "toString", "toJSON", "toLocaleString", "then"})
"""Keys JavaScript calls by itself as it converts or awaits a value: with accessors (``get``,
``set``) and computed (``Symbol.…``) keys, what a plain read, ``+`` or ``[a] = o`` runs."""
_OTHERS = (
    ".json",
    ".md",
    ".markdown",
    ".mdx",
    ".txt",
    ".rst",
    ".adoc",
    ".yml",
    ".yaml",
    ".toml",
    ".csv",
    ".tsv",
    ".xml",
    ".html",
    ".htm",
    ".css",
    ".scss",
    ".sass",
    ".less",
    ".svg",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".webp",
    ".map",
    ".lock",
    ".log",
    ".sh",
    ".gitignore",
    ".npmignore",
    ".gitattributes",
    ".editorconfig",
    "license",
    "licence",
    "makefile",
    "readme",
    "changelog",
    "authors",
    "notice",
    ".py",
    ".pyi",
    ".pyw",
    ".go",
    ".rs",
    ".java",
    ".kt",
    ".scala",
    ".rb",
    ".php",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".cs",
    ".swift",
    ".sql",
    ".proto",
    ".graphql",
    ".vue",
    ".svelte",
)
"""Files of text, data or another language, not JavaScript modules: an ``import`` that names one
whole is refused, as Node's CommonJS loader, and jest's, run any file named
whole (but JSON) as JavaScript. Every other file is read as a module: ``require("./hook")`` or
``"./x.util"`` runs a file of that exact name first. Not read: the ``<script>`` of a ``.vue``
or ``.svelte`` file, which vitest runs as the component loads."""
_DECLARATION = re.compile(r"\.d(\.[cm]?ts)?$")
"""A declaration file's name (``x.d.ts``), or how jest's resolver names one (``./x.d``)."""
MAX_CHARS = 128_000
"""The most of a file read (either side of the patch), as review's what-runs reads a file side:
a larger one is left unchecked."""
_RUN = re.compile(r"[\w?.$]{128,}")
"""A run of name characters and dots Pygments' JavaScript lexers read in time quadratic in its
length (``x.x.x.…``): such a file is left unchecked."""


def patch_problem(files: Sequence[tuple[str, str | None, str | None]]) -> str:
    """Why a patch (each file's ``(path, before, after)``) is refused: the first file's
    :func:`load_time_problem`, every file read as a module when the patch writes one (a patch
    to Python's code alone is not read as JavaScript, its ``setup.cfg`` neither)."""
    modules = any(after is not None and path.endswith(SUFFIXES) for path, _, after in files)
    return next(
        (
            why
            for path, before, after in files
            if (why := load_time_problem(path, before, after, others=modules))
        ),
        "",
    )


def load_time_problem(
    path: str, before: str | None, after: str | None, *, others: bool = True
) -> str:
    """Why the patch's change to the JavaScript or TypeScript file ``path`` (with ``others``,
    any file but text, data and other languages' code) is refused: a line of load-time code it
    adds does something as the module loads ("" when none does)."""
    module = path.endswith(SUFFIXES) or (others and not path.lower().endswith(_OTHERS))
    if not module or after is None or _DECLARATION.search(path):
        return ""  # text or data (an import naming one is refused); types alone
    if any(len(text) > MAX_CHARS or _RUN.search(text) for text in (before or "", after)):
        return (
            f"{path} is too large, or holds too long a run of name characters, for this "
            "check to read what runs as it loads"
        )
    lexer = js_lexer(path)
    tokens, base = read_tokens(after, lexer), read_tokens(before or "", lexer)
    hidden = [token for token in tokens if token.hides]
    if len(hidden) > sum(token.hides for token in base):
        return (
            f"the patch adds text in {path} that JavaScript may read otherwise than this check "
            f"(line {hidden[-1].line}: an HTML-like comment or a regular expression where "
            "JavaScript divides), so what runs as it loads is not known"
        )
    now = load_lines(tokens)
    added = Counter(key for key, _ in now) - Counter(key for key, _ in load_lines(base))
    for key, tokens in now:
        if added[key] and any(map(_does, tokens)):
            return (
                f"the patch adds code that runs as {path} loads (line {tokens[0].line}): a fix "
                "judged by tests in the same realm may change what runs when it is called, not "
                "what runs before the tests do"
            )
    return ""


def _does(token: Token) -> bool:
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
    if (
        token.kind in String
        and before
        and (before.text in ("from", "import") or (before.text == "(" and before.allowed))
    ):
        return _foreign(token.text[1:-1])
    if token.key and (token.scope == "object" or _static(token)):
        accessor = before is not None and before.text in ("get", "set") and before.key
        return (
            token.text.strip("'\"") in _HOOKS
            or token.text == "["
            or (accessor and token.text not in ("(", ":", ",", "}", "=", ";", "?", "<"))
        )
    return token.text == "[" and token.scope == "class"


def _foreign(specifier: str) -> bool:
    """Whether an ``import`` or ``require`` of ``specifier`` may run code this rule never
    reads: a ``data:`` URL (Node's ESM runs its text), a declaration file (jest resolves
    ``./x.d`` to ``x.d.ts``) or another file (``./hook.txt``) but JSON."""
    specifier = specifier.strip()
    if specifier[:5].lower() == "data:":
        return True
    path = specifier.partition("?")[0].partition("#")[0]
    if not path.startswith((".", "/")) and path.count("/") <= path.startswith("@"):
        return False  # a package by its name (``lodash.merge``), not a file of it
    name = path.rpartition("/")[2]
    return bool(_DECLARATION.search(name)) or name.lower().endswith(_OTHERS[1:])


def _static(token: Token) -> bool:
    """Whether the class member ``token`` names is ``static`` (the class's own, not its
    instances', which only ``new`` or ``prototype`` reach)."""
    before = token.previous
    while before is not None and before.text in ("get", "set", "async", "*"):
        before = before.previous
    return before is not None and before.text == "static"


def _calls(before: Token | None) -> bool:
    """Whether a ``(`` or template after ``before`` calls: after a name or a call's end, after
    ``?.``, TypeScript's postfix ``!`` or its type arguments (``f<number>()``)."""
    if before is None or before.called:
        return before is not None
    if before.text in ("?.", ".", "!"):  # ``f?.()`` (lexed ``?`` ``.``), TypeScript's ``f!()``
        return before.text == "?." or (
            before.previous is not None
            and (before.previous.text == "?" if before.text == "." else before.previous.called)
        )
    nested, opener = 0, before
    for _step in range(64):
        nested += ANGLES.get(opener.text, 0)
        if nested <= 0 or opener.previous is None or opener.text == ";":
            break
        opener = opener.previous
    name = opener.previous
    return (
        nested == 0
        and opener.text == "<"
        and name is not None
        and name.called
        and not (name.previous and name.previous.text in ("function", "*"))
    )  # a generic's declaration
