"""Whether a failed test ran any line the change touched (DeFlaker, Bell et al. 2018).

A test that fails without running a line the change touched failed for a reason the change did not
bring: likely flaky, with no rerun needed (95.5 % of DeFlaker's confirmed flaky failures, at 1.5 %
false alarms). Said only where it can be shown:

- the change's lines are those its diff adds (with the first line of a statement they sit in) and,
  for removed lines, the code they sat between (the nearest code above and below, and above at
  their own depth: the ``if`` of a removed ``else``). A definition's header runs at import, so a
  removal's enclosing header is left out, as is a wholly added definition's. A deleted file stops
  the label; a file whose head could not be read counts the hunk's whole head-side range;
- the change must be Python alone (documentation aside): a changed data file or template is read
  without any traced line running;
- a blank or ``//`` comment line of another language than Python runs in no test (a Python
  comment never shows run in the tracer's record);
- a changed line that ran outside every test (at import, a session fixture) may have shaped any
  test, so no failure of that run is labelled;
- a test that started a process or set the tracer itself ran lines the tracer did not see, and is
  never labelled; nor is any failure of a run where a process started outside a test or another
  tracer replaced ours;
- the record is written in the tests' process, so the label only ever describes a failure: it
  never excuses one (the step's verdict comes from retries and quarantine), and on code from
  someone who cannot push nothing is labelled."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.diff import FileDiff, Hunk

TRACED = (".py",)
"""Files whose lines the tracer sees run."""
INERT = (".md", ".rst", ".txt", ".adoc")
"""Files no test runs (prose): changing them does not stop the label."""
NO_CHANGED_LINE = "failed without running any line this change touched"


@dataclass(frozen=True)
class Touched:
    """The change's lines a tracer can see run, by path, and the changed files it cannot."""

    lines: Mapping[str, frozenset[int]]
    untraced: tuple[str, ...] = ()


def traced(path: str) -> bool:
    """Whether our Python tracer sees ``path``'s lines run."""
    return path.endswith(TRACED)


def touched(
    files: Iterable[FileDiff], sources: Mapping[str, str], sees: Callable[[str], bool] = traced
) -> Touched:
    """The lines of ``files`` (a diff's) that show whether a test ran the change (``sources``:
    the head's text of the files whose lines the record ``sees``, to find the definitions a
    Python file adds whole and the code a removal sat between; a runner's record other than
    our tracer's, go's coverage, says which files it sees)."""
    lines: dict[str, frozenset[int]] = {}
    untraced: list[str] = []
    for changed in files:
        if changed.path.endswith(INERT):
            continue
        untraceable = changed.is_binary or changed.status in ("renamed", "deleted")
        if not sees(changed.path) or untraceable:
            untraced.append(changed.path)
            continue
        text = sources.get(changed.path)
        tree = _parse(text or "")
        starts = _statement_starts(tree)
        added = {number for number, _ in changed.added_lines()}
        found = (added | {starts[n] for n in added if n in starts}) - _new_headers(tree, added)
        removes = any(hunk.removed for hunk in changed.hunks)
        code = _Code.of(text) if text is not None and removes else None
        for hunk in changed.hunks:
            found.update(_around_removed(hunk, code, starts))
        if text is not None and not changed.path.endswith(TRACED):
            found = _runnable(found, text)
        if found:
            lines[changed.path] = frozenset(found)
    return Touched(lines, tuple(untraced))


def _runnable(found: set[int], text: str) -> set[int]:
    """The lines of ``found`` that can run in a file of a language commented by ``//`` (go,
    Rust, JavaScript): a blank or comment line is none, and a change of only such lines
    touches nothing a test runs."""
    lines = text.split("\n")
    return {
        number
        for number in found
        if number > len(lines)
        or ((stripped := lines[number - 1].strip()) and not stripped.startswith("//"))
    }


def _around_removed(hunk: Hunk, code: _Code | None, starts: Mapping[int, int]) -> set[int]:
    """The head's lines that show whether code ``hunk`` removes would have run."""
    gaps: dict[int, int | None] = {}  # head line a removed run sits before -> its depth
    head = hunk.new_start
    for line in hunk.lines:
        if line.new is not None:
            head = line.new + 1
        elif line.kind == "-" and gaps.get(head) is None:
            gaps[head] = _depth(line.text) if _is_code(line.text) else None
    if not gaps:
        return set()
    if code is None or max(gaps) > len(code.lines) + 1:
        return set(hunk.new_lines)  # the head is unread: the hunk's whole range, as git shows it
    found: set[int] = set()
    for gap, code_depth in gaps.items():
        if code_depth is None and gap not in starts:
            continue  # blank or comment lines removed between statements: nothing ran there
        depth = code.depth(gap) if code_depth is None else code_depth
        nearest = hung = code.above[gap - 1]
        while hung and code.depth(hung) > depth:  # the nearest above at its depth or less
            hung = code.parent[hung]
        for number in {n for n in (nearest, code.below[gap], hung) if n}:
            if code.depth(number) < depth and code.lines[number - 1].lstrip().startswith(_HEADERS):
                continue  # the enclosing definition's header: it runs at import only
            found.update((number, starts.get(number, number)))
    return found


_HEADERS = ("def ", "async def ", "class ", "@")


@dataclass(frozen=True)
class _Code:
    """A head text's lines (numbered as git numbers them) with, for each, its nearest line of
    code above and below and, for a line of code, the nearest one above it that is less
    indented: each removal is then answered without reading the file again, so a diff of many
    removals in a long file stays linear."""

    lines: list[str]
    above: list[int]
    below: list[int]
    parent: dict[int, int]

    @classmethod
    def of(cls, text: str) -> _Code:
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        code = [False, *map(_is_code, lines), False]
        above, below = [0] * len(code), [0] * len(code)
        parent: dict[int, int] = {}
        open_: list[tuple[int, int]] = []  # (depth, line), depths rising
        for number in range(1, len(lines) + 1):
            above[number] = number if code[number] else above[number - 1]
            if code[number]:
                depth = _depth(lines[number - 1])
                while open_ and open_[-1][0] >= depth:
                    open_.pop()
                parent[number] = open_[-1][1] if open_ else 0
                open_.append((depth, number))
        for number in range(len(lines), 0, -1):
            below[number] = number if code[number] else below[number + 1]
        return cls(lines, above, below, parent)

    def depth(self, number: int) -> int:
        return _depth(self.lines[number - 1])


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip())


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _statement_starts(tree: ast.Module | None) -> dict[int, int]:
    """Each line inside a statement that spans lines: the first line of the innermost such
    statement (the line a tracer reports for it; a line inside a long string has none)."""
    if tree is None:
        return {}
    spans = sorted(_header(node) for node in ast.walk(tree) if isinstance(node, ast.stmt))
    return {line: first for first, last in spans for line in range(first + 1, last + 1)}


def _header(node: ast.stmt) -> tuple[int, int]:
    """A statement's lines, a compound one's up to its body (its header, however long)."""
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return node.lineno, body[0].lineno - 1
    return node.lineno, node.end_lineno or node.lineno


def _new_headers(tree: ast.Module | None, added: set[int]) -> set[int]:
    """The lines of ``tree`` that only bind a definition the change adds whole: a new function's
    or class's header (its decorators kept: they run code), a new class's own statements."""
    if tree is None:
        return set()
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if not set(span) <= added:
            continue
        found.update(range(node.lineno, node.body[0].lineno))
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.update(range(statement.lineno, (statement.end_lineno or 0) + 1))
    return found


def absolute(change: Touched, root: str) -> dict[str, list[int]]:
    return {posixpath.join(root, path): sorted(found) for path, found in change.lines.items()}


@dataclass(frozen=True)
class Record:
    """What the tracer wrote: each test's id, whether it ran a changed line, and whether one
    ran outside every test."""

    tests: Mapping[str, bool]
    outside: bool
    again: Mapping[str, bool] = field(default_factory=dict)
    """Each failure that ran no changed line: whether it passed when run again at once in its
    own process."""
    unseen: Mapping[str, str] = field(default_factory=dict)
    """Each test whose lines the tracer could not all see (it started a process, or set the
    tracer itself), and why."""
    blind: str = ""
    """Why no test's record holds (a process started outside a test's own call, another tracer
    in place of ours); "" when they do."""
    evidence: str = ""
    """Where the record's lines come from, when not from the failing run itself (go's coverage
    of a run of the test alone that failed again), named beside the label."""


def likely_flaky(failed: Sequence[str], record: Record | None, change: Touched) -> dict[str, str]:
    """The failures (canonical ids) that ran no changed line, each with its evidence; {}
    whenever that cannot be shown: no record, untraced files, a changed line
    run outside every test, a run or a failure the tracer could not see, or a failure the
    record does not name."""
    if record is None or change.untraced or record.outside or record.blind or not change.lines:
        return {}
    said = f" ({record.evidence})" if record.evidence else ""
    return {
        test: NO_CHANGED_LINE + said + _again(record.again.get(test))
        for test in failed
        if record.tests.get(test) is False and test not in record.unseen
    }


def _again(passed: bool | None) -> str:
    if passed is None:
        return ""
    return "; run again in the same process, it " + ("passed" if passed else "failed again")


def why_not(record: Record | None, change: Touched) -> str:
    """Why no failure could be called likely flaky by what it ran ("" when one could)."""
    if not change.lines and not change.untraced:
        return "the change touches no line a test could run"
    if change.untraced:
        names = ", ".join(change.untraced[:3]) + (" and others" if len(change.untraced) > 3 else "")
        return f"the change touches files no tracer sees run ({names})"
    if record is None:
        return "the run wrote no record of the lines its tests ran"
    if record.outside:
        return "a changed line ran outside every test (at import or in a shared fixture)"
    if record.blind:
        return f"the tracer could not see the run: {record.blind}"
    return ""
