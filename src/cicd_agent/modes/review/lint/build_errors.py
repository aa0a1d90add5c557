"""Review's findings for a compiler's or type checker's errors, each on the changed line it
depends on (``placer.py`` finds it).

A change that does not build is the worst thing a review can pass. The checker's own line
stays in the finding's text. Errors the base has too are taken away before
(``base_errors.py``); one that no added line explains is still the change's once the base is
checked (a deleted class that a file the change did not touch imports): it blocks, on the file
of the deleted line that holds its names, else on its own file, in the review body; where the
base could not be checked it blocks too, saying so (the pull request can make that check fail:
passing would be a way round it). Errors past the bound of the placing's work are counted in
a note, not placed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.lint.placer import Placer, declared_letter, words_of

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


def changed_words(file: FileDiff) -> dict[int, frozenset[str]]:
    """Each added line's words that the change brought or took away: those of the added line
    that the lines it replaced did not hold, and theirs that it does not (a renamed function's
    old name, a type changed from ``int`` to ``bool``; a function of one letter renamed)."""
    found: dict[int, frozenset[str]] = {}
    removed: list[str] = []
    added: list[tuple[int, str]] = []

    def settle() -> None:
        before: set[str] = set().union(*(_words_of(text) for text in removed))
        for number, text in added:
            now = _words_of(text)
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


def _words_of(text: str) -> set[str]:
    """The words of ``text`` a name can be, and the name of one letter it declares (a letter
    it only holds may be anything: a comment's, a string's, a field's)."""
    return words_of(text) | declared_letter(text)


def taken_lines(file: FileDiff) -> dict[int, str]:
    """The lines the change takes away from ``file``, by their number at the base."""
    return {
        line.old: line.text
        for hunk in file.hunks
        for line in hunk.lines
        if line.kind == "-" and line.old is not None
    }


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
