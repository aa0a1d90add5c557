"""Which changed line a compiler's or type checker's error depends on.

The checker rarely names the line the change touched: Go reports the call that no longer fits
(line 27) for a type changed at line 24, mypy the ``return`` for a signature changed above it,
rustc a call given too few arguments in words that name no function. So an error is placed on
the changed line it depends on: one the checker's own notes point at (rustc's "method defined
here"), else the added line, in the same file first, that holds the most of the names the
message mentions (quoted names, and words only code has: dotted, with a digit or an underscore,
mixed case; a name of one letter only where a line declares it), or whose change brought or
took away a word the message says (a function renamed: "undefined: parse"), nearest above the
error on a tie; a line of code before a comment-only line. The checker prints what the pull
request makes it print, so the added lines are indexed once and the work over all errors is
bounded (``build_errors.py`` counts the errors past the bound).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|'([^'\n]{1,80})'|`([^`\n]{1,80})`")
_WORD = re.compile(r"[A-Za-z_][\w.]*")
_CODE_LIKE = re.compile(r"[._\d]|[a-z][A-Z]")
_CALLED = re.compile(r"\b(?:call to|undeclared name:|undefined:) ([A-Za-z_][\w.]*)")
"""The name after Go's own words, plain word or not: the function a call that no longer fits
names ("not enough arguments in call to Format"), and a name no longer declared ("undeclared
name: Collection", "undefined: Collection")."""
_DECLARES = re.compile(
    r"\s*(?:(?:pub(?:\([\w:\s]{0,40}\))?|export|default|declare|abstract|async|public|private"
    r"|protected|internal|static|final|unsafe|extern|open|sealed|data|inline)\s+){0,6}"
    r"(?:type|func|class|def|struct|enum|trait|fn|interface|const|var|let)\s+"
    r"(?:\([^)\n]{0,200}\)\s*)?([A-Za-z_]\w*)"
)
"""A declaration's keyword opening a line (indented, after modifiers such as ``pub`` or
``export``) and the name it declares (a Go method's receiver passed over): a comment or a string
that only names one declares nothing."""


def names(message: str) -> set[str]:
    """The names an error's message mentions that a line of code could hold: what it quotes,
    words only code has (``strconv.Atoi``, ``int64``, ``max_len``, ``isValid``), and the name
    after Go's "call to", "undeclared name:" and "undefined:"."""
    quoted = {next(g for g in m.groups() if g) for m in _QUOTED.finditer(message)}
    quoted |= set(_CALLED.findall(message))
    words = {w for q in quoted for w in _WORD.findall(q)}
    words |= {w for w in _WORD.findall(_QUOTED.sub(" ", message)) if _CODE_LIKE.search(w)}
    parts = {p for w in words for p in w.split(".") if len(p) > 1}
    return {w.strip(".") for w in words | parts if len(w.strip(".")) > 1}


def letters(message: str) -> set[str]:
    """The names of one letter an error's message says are names: what it quotes whole
    (mypy's ``"f"``) and the name after Go's "call to", "undeclared name:" and "undefined:"
    (a method's too: ``s.F``). A letter stands in many lines that do not name it (a comment,
    a string, a field, a longer name), so it counts only on a line that declares it."""
    quoted = {next(g for g in m.groups() if g) for m in _QUOTED.finditer(message)}
    called = {part for name in _CALLED.findall(message) for part in name.split(".")}
    return {name for name in quoted | called if len(name) == 1 and name.isalpha()}


def declared_letter(text: str) -> set[str]:
    """The name of one letter a line of code declares (``func F(a int)``), if it does."""
    declared = _DECLARES.match(text[:MAX_MESSAGE])
    return {declared[1]} if declared is not None and len(declared[1]) == 1 else set()


def words_of(text: str) -> set[str]:
    """The words of ``text`` a name can be, each dotted one with its parts."""
    words = set(_WORD.findall(text))
    return {part for word in words for part in (word, *word.split(".")) if len(part) > 1}


_HEAD = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*")
"""A word of a line where a message's name can match: not after a word character or a dot."""
MAX_MESSAGE = 2_000
"""Characters of a message whose names place it (the finding shows 300)."""
MAX_WORK = 2_000_000
"""Added lines looked at, over all the errors of one checker: a checker prints what the pull
request's code and configuration make it print (a type of 100,000 members, untruncated, on
each of 20,000 errors), and placing them must not outlast the checker's own time limit."""


def heads(text: str) -> set[str]:
    """The names ``text`` holds where a message's name matches it whole: each word not after a
    word character or a dot, and each of its leading dotted parts (``a.b.c``: ``a``, ``a.b``,
    ``a.b.c``), as the name ``a.b`` matches ``a.b.c`` and ``b`` does not."""
    found: set[str] = set()
    for word in _HEAD.findall(text):
        parts = word.split(".")
        found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return {name.strip(".") for name in found if len(name.strip(".")) > 1}


def weight(name: str) -> int:
    """What a name found on a line counts for: longer names say more."""
    return len(re.escape(name)) + 18


class Placer:
    """Places errors on the changed lines they depend on, from indexes of the added lines made
    once: the work of an error is the added lines that hold its names, never every added line
    for every name (:data:`MAX_WORK` over all of them)."""

    def __init__(
        self,
        added: Mapping[str, Mapping[int, str]],
        changed: Mapping[str, Mapping[int, frozenset[str]]] | None = None,
        *,
        declarations_first: bool = False,
    ) -> None:
        self.added = added
        self.declarations_first = declarations_first
        self.work = 0
        self.holding: dict[str, list[tuple[str, int]]] = {}
        self.moving: dict[str, list[tuple[str, int]]] = {}
        self.declaring: dict[str, list[tuple[str, int]]] = {}  # names of one letter
        self.comments = {path: _comment_lines(path, lines) for path, lines in added.items()}
        for path in sorted(added):
            for number, text in added[path].items():
                for name in heads(text):
                    self.holding.setdefault(name, []).append((path, number))
                for letter in declared_letter(text):
                    self.declaring.setdefault(letter, []).append((path, number))
                for word in (changed or {}).get(path, {}).get(number, frozenset()):
                    self.moving.setdefault(word, []).append((path, number))

    @property
    def spent(self) -> bool:
        return self.work > MAX_WORK

    def place(
        self, path: str, line: int, message: str, related: Sequence[tuple[str, int]] = ()
    ) -> tuple[str, int] | None:
        """The changed line the error at ``path:line`` depends on: itself when the change added
        it, else the first of ``related`` (where the checker's notes point) the change added,
        else the added line (this file first) holding the most of the message's names, or
        whose change brought or took away a word the message says (:func:`changed_words`),
        nearest above the error on a tie; None when no added line does."""
        if line in self.added.get(path, {}):
            return path, line
        for place in related:
            if place[1] in self.added.get(place[0], {}):
                return place
        return self.naming(path, line, message)

    def naming(self, path: str, line: int, message: str) -> tuple[str, int] | None:
        """The indexed line (this file first) holding the most of the message's names (one of a
        letter only where it is declared) or whose change brought or took away a word it says,
        nearest above ``line`` on a tie
        (with ``declarations_first``, a line declaring one of the names before any other, in
        any file)."""
        message = message[:MAX_MESSAGE]
        scores: dict[tuple[str, int], int] = {}
        named = names(message)
        for table, wanted, score in (
            (self.holding, named, weight),
            (self.declaring, letters(message), weight),
            (self.moving, words_of(message) | letters(message), len),
        ):
            for name in wanted:
                lines = table.get(name, ())
                self.work += len(lines)
                for place in lines:
                    scores[place] = scores.get(place, 0) + score(name)
        if not scores:
            return None

        language = _suffix(path)

        def rank(place: tuple[str, int]) -> tuple[bool, bool, bool, int, int, tuple[str, int]]:
            number = place[1]
            distance = line - number if number < line else 10**6 + number
            # A deleted declaration in the error's language goes before any line that only
            # names it, the error's own file's too: deleting a use, a comment or another
            # language's class never makes a name undefined.
            declared = (
                self.declarations_first
                and _suffix(place[0]) == language
                and self._declares(place, named)
            )
            # A comment only describes the code: the doc comment a rename rewrites with its
            # signature never takes the error from the line of code it documents.
            comment = place[1] in self.comments.get(place[0], ())
            return not declared, place[0] != path, comment, -scores[place], distance, place

        return min(scores, key=rank)

    def _declares(self, place: tuple[str, int], named: set[str]) -> bool:
        found = _DECLARES.match(self.added.get(place[0], {}).get(place[1], "")[:MAX_MESSAGE])
        return found is not None and found[1] in named


_HASH_COMMENTS = frozenset({".py", ".pyi", ".sh", ".rb", ".toml", ".yml", ".yaml"})
"""Languages whose comments open with ``#`` (Rust's ``#[attribute]`` is code)."""


def _comment_lines(path: str, lines: Mapping[int, str]) -> frozenset[int]:
    """The numbers of ``lines`` (a file's added lines) that hold a comment and no code: a
    line of code before or after a closed ``/* ... */`` is code, and the lines of an added
    block comment between its ``/*`` and its ``*/`` are comment, leading ``*`` or not."""
    if _suffix(path) in _HASH_COMMENTS:
        return frozenset(n for n, text in lines.items() if text.lstrip().startswith("#"))
    found: set[int] = set()
    inside, last = False, None
    for number in sorted(lines):
        inside = inside and last == number - 1  # a block is followed along added lines only
        last = number
        rest = lines[number].strip()
        if inside:
            end = rest.find("*/")
            if end < 0:
                found.add(number)
                continue
            inside, rest = False, rest[end + 2 :].lstrip()
            if not rest:
                found.add(number)
                continue
        comment, inside = _slash_comment(rest)
        if comment:
            found.add(number)
    return frozenset(found)


def _slash_comment(rest: str) -> tuple[bool, bool]:
    """Whether a stripped line that is not inside a block comment is all comment, and whether
    it leaves a block comment open; code after a closed ``/* ... */`` makes it code."""
    if rest.startswith("*") and rest[1:2] in ("", " ", "\t", "/"):
        return True, False  # a line of a doc comment's body, or its end
    seen = False
    while rest.startswith("/*"):
        end = rest.find("*/", 2)
        if end < 0:
            return True, True
        seen, rest = True, rest[end + 2 :].lstrip()
    if rest.startswith("//"):
        return True, False
    return seen and not rest, False


def _suffix(path: str) -> str:
    """A file's language as its name says it: the name from its last dot on ("" for none)."""
    name = path.rpartition("/")[2]
    return name[name.rfind(".") :] if "." in name else ""
