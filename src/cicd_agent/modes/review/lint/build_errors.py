"""Review's placing of a compiler's or type checker's errors on the changed line each depends on.

A change that does not build is the worst thing a review can pass, and the checker rarely
names the line the change touched: Go reports the call that no longer fits (line 27) for a
type changed at line 24, mypy the ``return`` for a signature changed above it, rustc a call
given too few arguments in words that name no function. So an error is placed on the changed
line it depends on: one the checker's own notes point at (rustc's "method defined here"),
else the added line, in the same file first, that holds the most of the names the message
mentions (quoted names, and words only code has: dotted, with a digit or an underscore, mixed
case), or whose change brought or took away a word the message says (a function renamed:
"undefined: parse"), nearest above the error on a tie. The checker's own line stays in the
finding's text. Errors the base has too are taken away before (``base_errors.py``); one that no
added line explains is still the change's once the base is checked (a deleted class that a file
the change did not touch imports): it blocks, on the file of the deleted line that holds its
names, else on its own file, in the review body; where the base could not be checked it
blocks too, saying so (the pull request can make that check fail: passing would be a way
round it). The checker prints what the pull request makes it print, so the added lines are
indexed once and the work over all errors is bounded; errors past the bound are counted in a
note, not placed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import FileDiff


class BuildError(NamedTuple):
    """One error a compiler or type checker reported (its message whole)."""

    path: str
    line: int
    code: str
    message: str
    related: tuple[tuple[str, int], ...] = ()
    """Lines the checker's own notes point at (rustc's "method defined here"): a changed one
    among them is the line the error depends on, whatever its message names."""


MAX_COMPILE_FINDINGS = 50
"""Errors placed on changed lines, at the most, of one checker (the first are the causes)."""
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


def changed_words(file: FileDiff) -> dict[int, frozenset[str]]:
    """Each added line's words that the change brought or took away: those of the added line
    that the lines it replaced did not hold, and theirs that it does not (a renamed function's
    old name, a type changed from ``int`` to ``bool``)."""
    found: dict[int, frozenset[str]] = {}
    removed: list[str] = []
    added: list[tuple[int, str]] = []

    def settle() -> None:
        before: set[str] = set().union(*(words_of(text) for text in removed))
        for number, text in added:
            now = words_of(text)
            found[number] = frozenset((now - before) | (before - now))
        removed.clear()
        added.clear()

    for hunk in file.hunks:
        for line in hunk.lines:
            if line.kind == "-":
                if added:
                    settle()
                removed.append(line.text)
            elif line.kind == "+" and line.new is not None:
                added.append((line.new, line.text))
            else:
                settle()
        settle()
    return found


def taken_lines(file: FileDiff) -> dict[int, str]:
    """The lines the change takes away from ``file``, by their number at the base."""
    return {
        line.old: line.text
        for hunk in file.hunks
        for line in hunk.lines
        if line.kind == "-" and line.old is not None
    }


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
        for path in sorted(added):
            for number, text in added[path].items():
                for name in heads(text):
                    self.holding.setdefault(name, []).append((path, number))
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
        """The indexed line (this file first) holding the most of the message's names or
        whose change brought or took away a word it says, nearest above ``line`` on a tie
        (with ``declarations_first``, a line declaring one of the names before any other, in
        any file)."""
        message = message[:MAX_MESSAGE]
        scores: dict[tuple[str, int], int] = {}
        named = names(message)
        for table, wanted, score in (
            (self.holding, named, weight),
            (self.moving, words_of(message), len),
        ):
            for name in wanted:
                lines = table.get(name, ())
                self.work += len(lines)
                for place in lines:
                    scores[place] = scores.get(place, 0) + score(name)
        if not scores:
            return None

        language = _suffix(path)

        def rank(place: tuple[str, int]) -> tuple[bool, bool, int, int, tuple[str, int]]:
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
            return not declared, place[0] != path, -scores[place], distance, place

        return min(scores, key=rank)

    def _declares(self, place: tuple[str, int], named: set[str]) -> bool:
        found = _DECLARES.match(self.added.get(place[0], {}).get(place[1], "")[:MAX_MESSAGE])
        return found is not None and found[1] in named


def _suffix(path: str) -> str:
    """A file's language as its name says it: the name from its last dot on ("" for none)."""
    name = path.rpartition("/")[2]
    return name[name.rfind(".") :] if "." in name else ""


def build_findings(
    tool: str,
    errors: Sequence[BuildError],
    added: Mapping[str, Mapping[int, str]],
    clean: Callable[[str], str],
    changed: Mapping[str, Mapping[int, frozenset[str]]] | None = None,
    *,
    removed: Mapping[str, Mapping[int, str]] | None = None,
    checked: bool = True,
) -> tuple[list[Finding], int, int]:
    """High findings for the errors a changed line causes, one on each such line (a signature
    changed breaks every caller: one finding names them all), how many errors no changed line
    explains, and how many were not placed once the work was spent (both for the summary).

    ``removed``, the lines the change took away (by the base's numbers), is given when the
    base was checked and had none of ``errors``: each is then the change's even where no
    added line explains it (a deleted class its callers import), and blocks as the others do,
    on the file of the deleted line holding its names, else on its own file. It is a finding
    on a whole file, said in the review body: the line it is on is not in the diff. It is
    given too, with ``checked`` False, when the base check could not run: the pull request
    can make it fail (a path the base's copy refuses, a checker timed out), so an error that
    may be new blocks, its finding saying the base could not be checked, rather than pass.
    A parser's later errors in a file (code ``syntax``, mypy's) follow from its first and join
    its finding."""
    placed: dict[tuple[str, int], list[BuildError]] = {}
    away: dict[tuple[str, int | None], list[BuildError]] = {}
    unexplained = unplaced = 0
    placer = Placer(added, changed)
    parsed: dict[str, tuple[str, int]] = {}  # each file's first syntax error's place
    # The deleted lines have no number near the error's: the declaration names it best.
    taken = Placer(removed or {}, declarations_first=True)
    for done, error in enumerate(errors):
        if placer.spent or taken.spent:
            unplaced = len(errors) - done
            break
        if error.code == "syntax" and error.path in parsed:
            # A parser's later errors in a file follow from its first: one finding.
            place: tuple[str, int] | None = parsed[error.path]
        else:
            place = placer.place(error.path, error.line, error.message, error.related)
        if error.code == "syntax" and place is not None:
            parsed.setdefault(error.path, place)
        room = len(placed) + len(away) < MAX_COMPILE_FINDINGS
        if place is not None and (place in placed or room):
            placed.setdefault(place, []).append(error)
        elif place is None and removed is None:
            unexplained += 1
        elif place is None:
            # line 0: the base's numbers are not the error's, so a tie goes to the first line
            cause = taken.naming(error.path, 0, error.message) or (error.path, None)
            if cause in away or room:
                away.setdefault(cause, []).append(error)
    found = [_finding(tool, place, caused, clean) for place, caused in placed.items()]
    found += [
        _elsewhere(tool, cause, caused, (removed or {}).get(cause[0], {}), clean, checked=checked)
        for cause, caused in away.items()
    ]
    return found, unexplained, unplaced


MAX_NAMED = 10
"""Places of the errors one finding names (the rest are counted)."""


def _finding(
    tool: str,
    place: tuple[str, int],
    caused: Sequence[BuildError],
    clean: Callable[[str], str],
) -> Finding:
    """The finding on the changed line ``place`` for the errors it causes, the first one's
    words in front."""
    code, message = caused[0].code, caused[0].message
    text = clean(" ".join(message.split())[:300]) or "no message"
    rule = re.sub(r"[^\w./@-]", "", code)[:80] or "error"
    elsewhere = [f"`{clean(e.path)[:200]}:{e.line}`" for e in caused if e[:2] != place]
    where = ""
    if len(caused) > 1:
        more = len(elsewhere) - MAX_NAMED
        named = ", ".join(elsewhere[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")
        where = (
            f" {tool} reports {len(caused)} errors this changed line causes"
            + (f", at {named}" if named else "")
            + "."
        )
    elif elsewhere:
        where = f" {tool} reports it at {elsewhere[0]}; this changed line is the one it depends on."
    return Finding(
        rule=f"{tool}/{rule}",
        severity=Severity.HIGH,
        category="build",
        path=place[0],
        line=place[1],
        title=f"{tool}{_says(tool, rule)}{text}"[:200],
        body=(
            f"{text} (`{rule}`, from the repository's own {tool}, run on the change in the "
            f"sandbox).{where}"
        ),
    )


def _elsewhere(
    tool: str,
    cause: tuple[str, int | None],
    caused: Sequence[BuildError],
    taken: Mapping[int, str],
    clean: Callable[[str], str],
    *,
    checked: bool = True,
) -> Finding:
    """The finding on a whole file for errors in lines the change did not touch that the base
    does not have: ``cause`` is the deleted line they depend on (its file and base line), or
    the first error's file (line None) where no deleted line names them."""
    code, message = caused[0].code, caused[0].message
    text = clean(" ".join(message.split())[:300]) or "no message"
    rule = re.sub(r"[^\w./@-]", "", code)[:80] or "error"
    at = [f"`{clean(e.path)[:200]}:{e.line}`" for e in caused]
    more = len(at) - MAX_NAMED
    named = ", ".join(at[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")
    path, line = cause
    breaks = (
        "not at the base: the change breaks them"
        if checked
        else "review could not run "
        f"{tool} on the base to tell whether it was there before (see the notes), so it "
        "is held as this change's: it may break them"
    )
    if line is None:
        why = "; no line the change wrote or deleted names what it reports."
    else:
        deleted = clean(" ".join(taken.get(line, "").split())[:200])
        why = (
            f"; it depends on a line the change deletes, line {line} of the base's "
            f"`{clean(path)[:200]}`: `{deleted}`."
        )
    return Finding(
        rule=f"{tool}/{rule}",
        severity=Severity.HIGH,
        category="build",
        path=path,
        title=f"{tool}{_says(tool, rule)}{text}"[:200],
        body=(
            f"{text} (`{rule}`, from the repository's own {tool}, run on the change in the "
            f"sandbox). {tool} reports it at {named}, on lines this change did not touch, and "
            f"{breaks}{why}"
        ),
    )


_SAYS = ": the change does not type-check: "
_RUSTC_ERROR = re.compile(r"E\d{4}|rustc")
"""rustc's own errors' codes (``E0308``; "rustc" where it gives none): any other code of an
error clippy reports is a lint the crate makes an error (``dead_code`` under
``#![deny(warnings)]``)."""
_BORROW_CHECK = re.compile(r"E0(?:373|38[124]|499|50[0-35-9]|51[05]|52[14]|59[467]|626|71[236])")
"""rustc's borrow checker's codes: the types fit, what the code does with a value does not."""


def _says(tool: str, code: str) -> str:
    """What the build error is, between the tool's name and its words: a type error, or a
    lint the crate denies (it stops the build, but nothing fails to type-check)."""
    if tool == "clippy" and not _RUSTC_ERROR.fullmatch(code):
        return f": the change does not build, a lint made an error (`{code[:80]}`): "
    if tool == "clippy" and _BORROW_CHECK.fullmatch(code):
        return ": the change does not compile, the borrow checker refuses it: "
    return _SAYS


def merged(found: Sequence[Finding]) -> list[Finding]:
    """``found`` with an error two checkers report on one line in the same words (go vet and
    golangci-lint's typecheck, tsc and eslint's typescript rules) kept once, as the build
    error where one is, naming the other checker."""
    kept: dict[tuple[str, int | None, str], Finding] = {}
    result: list[Finding] = []
    for finding in found:
        if finding.category not in ("build", "lint"):
            result.append(finding)
            continue
        key = (finding.path, finding.line, _words(finding))
        held = kept.get(key)
        if held is None or _tool(held) == _tool(finding):  # one checker's: each its own
            kept.setdefault(key, finding)
            result.append(finding)
            continue
        swap = finding.category == "build" and held.category != "build"
        build, other = (finding, held) if swap else (held, finding)
        also = replace(build, body=f"{build.body} {_tool(other)} reports the same error here.")
        result[result.index(held)] = kept[key] = also
    return result


def _tool(finding: Finding) -> str:
    """The checker that made ``finding`` (its rule's first part: ``tsc/TS2322``)."""
    return finding.rule.split("/", 1)[0]


def _words(finding: Finding) -> str:
    """A finding's message without its checker's name: a build error's after ``tool: the
    change does not type-check:``, a linter's after ``tool code:``."""
    if finding.category == "build":
        title = finding.title.removeprefix(f"{_tool(finding)}{_SAYS}")
        return title.removeprefix(_says(_tool(finding), finding.rule.partition("/")[2]))[:120]
    return finding.title.partition(": ")[2][:120]
