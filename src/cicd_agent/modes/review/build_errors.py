"""Review's placing of a compiler's or type checker's errors on the changed line each depends on.

A change that does not build is the worst thing a review can pass, and the checker rarely
names the line the change touched: Go reports the call that no longer fits (line 27) for a
type changed at line 24, mypy the ``return`` for a signature changed above it. So an error is
placed on the changed line it depends on: the added line, in the same file first, that holds
the most of the names the message mentions (quoted names, and words only code has: dotted,
with a digit or an underscore, mixed case), or whose change brought or took away a word the
message says (a function renamed: "undefined: parse"), nearest above the error on a tie. The checker's
own line stays in the finding's text. An error that no changed line explains is counted in a
note: the base did not build either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from cicd_agent.api import Finding, Severity

if TYPE_CHECKING:
    from cicd_agent.api import FileDiff

MAX_COMPILE_FINDINGS = 50
"""Errors placed on changed lines, at the most, of one checker (the first are the causes)."""
_QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|'([^'\n]{1,80})'|`([^`\n]{1,80})`")
_WORD = re.compile(r"[A-Za-z_][\w.]*")
_CODE_LIKE = re.compile(r"[._\d]|[a-z][A-Z]")


def names(message: str) -> set[str]:
    """The names an error's message mentions that a line of code could hold: what it quotes,
    and words only code has (``strconv.Atoi``, ``int64``, ``max_len``, ``isValid``)."""
    quoted = {next(g for g in m.groups() if g) for m in _QUOTED.finditer(message)}
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


def words_of(text: str) -> set[str]:
    """The words of ``text`` a name can be, each dotted one with its parts."""
    words = set(_WORD.findall(text))
    return {part for word in words for part in (word, *word.split(".")) if len(part) > 1}


def responsible(
    path: str,
    line: int,
    message: str,
    added: Mapping[str, Mapping[int, str]],
    changed: Mapping[str, Mapping[int, frozenset[str]]] | None = None,
) -> tuple[str, int] | None:
    """The changed line the error at ``path:line`` depends on: itself when the change added
    it, else the added line (this file first) holding the most of the message's names, or
    whose change brought or took away a word the message says (``changed``: by file and line,
    :func:`changed_words`), nearest above the error on a tie; None when no added line does."""
    if line in added.get(path, {}):
        return path, line
    wanted = names(message)
    said = words_of(message)
    patterns = [re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])") for name in wanted]
    for files in ([path] if path in added else [], [p for p in sorted(added) if p != path]):
        best: tuple[int, int, str, int] | None = None
        for candidate in files:
            moved = (changed or {}).get(candidate, {})
            for number, text in added[candidate].items():
                score = sum(len(p.pattern) for p in patterns if p.search(text))
                score += sum(len(word) for word in said & moved.get(number, frozenset()))
                if not score:
                    continue
                distance = line - number if number < line else 10**6 + number
                key = (score, -distance, candidate, number)
                if best is None or key[:2] > best[:2]:
                    best = key
        if best is not None:
            return best[2], best[3]
    return None


def build_findings(
    tool: str,
    errors: Sequence[tuple[str, int, str, str]],
    added: Mapping[str, Mapping[int, str]],
    clean: Callable[[str], str],
    changed: Mapping[str, Mapping[int, frozenset[str]]] | None = None,
) -> tuple[list[Finding], int]:
    """High findings for the errors a changed line causes, each on that line, and how many
    errors no changed line explains (for the summary)."""
    found: list[Finding] = []
    unexplained = 0
    for path, line, code, message in errors:
        place = responsible(path, line, message, added, changed)
        if place is None:
            unexplained += 1
            continue
        if len(found) >= MAX_COMPILE_FINDINGS:
            continue
        text = clean(" ".join(message.split())[:300]) or "no message"
        rule = re.sub(r"[^\w./@-]", "", code)[:80] or "error"
        where = "" if place == (path, line) else (
            f" {tool} reports it at `{clean(path)[:200]}:{line}`; this changed line is the one "
            "it depends on."
        )  # fmt: skip
        found.append(
            Finding(
                rule=f"{tool}/{rule}",
                severity=Severity.HIGH,
                category="build",
                path=place[0],
                line=place[1],
                title=f"{tool}: the change does not type-check: {text}"[:200],
                body=(
                    f"{text} (`{rule}`, from the repository's own {tool}, run on the change in "
                    f"the sandbox).{where}"
                ),
            )
        )
    return found, unexplained
