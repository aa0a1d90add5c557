"""What the test runners' reports say: which lines are a test's own and which tests failed
(each once); why one failed is :mod:`.test_messages`'.

Text inside a test's lines is evidence about that test, never the runner's verdict on the run:
a failing test whose message reads ``No space left on device`` is a failing test, not a full
disk. The root cause of a failed test is its verdict with its assertion's message, never a diff
line or a header. Each runner's report shape is its folder's ``log.py`` under
:mod:`cicd_agent.runners` (:data:`~cicd_agent.runners.shapes.LOG_SHAPES`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.located import full_name
from cicd_agent.runners.shape import RunnerShape
from cicd_agent.runners.shapes import LOG_SHAPES

PARENT_REACH = 8
_JOINS = tuple(dict.fromkeys(s.subtests.joins for s in LOG_SHAPES if s.subtests is not None))
"""What joins a subtest's name to its parent's, by the runners that name subtests so
(:attr:`RunnerShape.subtests`): a failing test named with a failing subtest is only its parent."""

Span = tuple[int, int]
"""First and last line number of a test's lines, both included."""


def _runner_lines(text: str) -> bool:
    """The GitHub runner's own lines (its verdicts after a step's output) are no test's."""
    return text.startswith("##[")


def _spans(shape: RunnerShape, lines: Sequence[tuple[int, str]]) -> list[tuple[Span, str | None]]:
    """``shape``'s test spans in ``lines``, each with its head: the line that opened it, or for
    output printed before its verdict (``output_first``) the verdict that closed it; None for
    lines after such a verdict that no line of the runner's claims."""
    spans: list[tuple[Span, str | None]] = []
    start: int | None = None
    head: str | None = None
    last_end = lines[0][0] - 1 if lines else 0
    previous = last_end
    for number, text in lines:
        if shape.ends is not None and shape.ends.search(text):
            if start is not None:
                spans.append(((start, previous), head))
            start, head, last_end = None, None, number
        elif shape.output_first is not None and shape.output_first.search(text):
            opened = start if start is not None else last_end + 1
            spans.append(((min(opened, number), number), head if head is not None else text))
            start, head, last_end = number + 1, None, number
        elif shape.opens.search(text):
            if start is not None and start < number:
                spans.append(((start, number - 1), head))
            start, head = number, text
        previous = number
    if start is not None:
        # An unclosed report runs to the step's end, but not over the runner's closing lines.
        ends = [number for number, text in lines if number >= start and not _runner_lines(text)]
        if ends:
            spans.append(((start, ends[-1]), head))
    return spans


def failure_reports(lines: Sequence[tuple[int, str]], failing: Callable[[str], bool]) -> list[Span]:
    """The spans of failing tests' own reports in ``lines``: each opened by a line ``failing``
    holds a failing test's verdict or by a header the runner prints only for a failed test
    (``RunnerShape.reports``), or for output printed before its verdict, closed by one.

    The other spans are progress (RSpec's dots, a passing test's output, PHPUnit's header, a
    class's ``Running`` block): a report that starts inside one was printed by a test. So was
    a report of another runner before the first report of the runner that reports last: under
    ``bash -e`` a runner whose tests fail ends the step, so the step's failing runner is its
    last (a forged ``FAIL: x (m.C)`` block among mocha's passing tests is no report).
    """
    reports: dict[str, list[Span]] = {}
    progress: list[Span] = []
    shapes = {shape.name: shape for shape in LOG_SHAPES}
    for shape in LOG_SHAPES:
        for span, head in _spans(shape, lines):
            failed = head is not None and (
                failing(head) or bool(shape.reports and shape.reports.search(head))
            )
            if failed:
                reports.setdefault(shape.name, []).append(span)
            else:
                progress.append(span)
    kept = {
        name: [s for s in spans if not inside(progress, s[0])] for name, spans in reports.items()
    }
    last = max((spans for spans in kept.values() if spans), key=lambda s: s[-1][0], default=[])
    found = sorted(
        (s, n) for n, spans in kept.items() for s in spans if last and s[0] >= last[0][0]
    )
    return [part for span, name in found for part in _error_part(shapes[name], span, lines)]


def _error_part(shape: RunnerShape, span: Span, lines: Sequence[tuple[int, str]]) -> list[Span]:
    """A failed test's report ``span`` without what its runner quotes (the test's source), from
    its printed output on (``RunnerShape.quoted``, ``output``) and from its failed assertion on
    (``asserts``): a test that fails on an assertion after printing a library's missing-module
    notice failed on the assertion, and one whose assertion compares a quoted ``npm ERR!`` line
    failed on the assertion too. The report's first line (its header) always stays."""
    if shape.quoted is None and shape.output is None and shape.asserts is None:
        return [span]
    stops = [p for p in (shape.output, shape.asserts) if p is not None]
    parts = [(span[0], span[0])]
    for number, text in lines[bisect_left(lines, (span[0] + 1, "")) :]:
        if number > span[1] or any(stop.search(text) for stop in stops):
            break
        if shape.quoted is not None and shape.quoted.search(text):
            continue
        if parts[-1][1] == number - 1:
            parts[-1] = (parts[-1][0], number)
        else:
            parts.append((number, number))
    return parts


def unrun_errors(lines: Sequence[tuple[int, str]]) -> dict[int, tuple[int, bool]]:
    """Line numbers of each header shaped as saying a test file failed as a whole before any
    test ran (``RunnerShape.unrun``), each to its error's (the next non-blank line, a few at
    most) and whether the header is the runner's (:func:`_unrun_files`): one a test printed
    over a file that ran is not, nor is the line under it."""
    found: dict[int, tuple[int, bool]] = {}
    texts = [text for _, text in lines]
    for shape in LOG_SHAPES:
        if shape.unrun is None:
            continue
        real = _unrun_files(shape, texts)
        for index, text in enumerate(texts):
            if not shape.unrun.search(text):
                continue
            below = lines[index + 1 : index + 1 + PARENT_REACH]
            error = next((n for n, t in below if t.strip() and not _runner_lines(t)), None)
            if error is not None:
                found[lines[index][0]] = (error, index in real)
    return found


def denied_verdicts(lines: Sequence[tuple[int, str]]) -> set[int]:
    """Line numbers of verdicts in ``lines`` of a runner whose own closing counts say no test
    failed (``RunnerShape.failed_count`` summing to 0): a passing test printed them."""
    texts = [text for _, text in lines]
    unlisted = {lines[i][0] for shape in LOG_SHAPES for i in _unlisted(shape, texts)}
    return unlisted | {
        number
        for shape in LOG_SHAPES
        if shape.verdict is not None and _none_failed(shape, texts)
        for number, text in lines
        if shape.verdict.search(text)
    }


def _unlisted(shape: RunnerShape, text: Sequence[str]) -> set[int]:
    """Indexes of ``shape``'s verdicts above its closing list of failing tests
    (``RunnerShape.listed``, its last) that name no test the list names: a test printed them.
    None in a step a timeout or a signal cut: the runner printed no list, the last is a test's."""
    heads = [i for i, line in enumerate(text) if shape.listed and shape.listed.search(line)]
    if shape.verdict is None or not heads or any(_CUT.search(line) for line in text):
        return set()
    verdicts = [
        (i, named_by(m)) for i, line in enumerate(text) if (m := shape.verdict.search(line))
    ]
    listed = {name for i, name in verdicts if i > heads[-1]}
    return {i for i, name in verdicts if i < heads[-1] and name not in listed}


def spans_of_tests(lines: Sequence[tuple[int, str]]) -> list[Span]:
    """Every runner's test spans in ``lines`` (``(number, cleaned text)``, in order), merged."""
    found = sorted(span for shape in LOG_SHAPES for span, _ in _spans(shape, lines))
    merged: list[Span] = []
    for first, last in found:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def inside(spans: Sequence[Span], line: int) -> bool:
    """Whether ``line`` is one of a test's lines."""
    return any(first <= line <= last for first, last in spans)


def named_by(match: re.Match[str]) -> str:
    """The test a runner's verdict (or other line of its shape) names."""
    groups = {key: value for key, value in match.groupdict().items() if value is not None}
    if "method" in groups:
        cls, method = groups["cls"], groups["method"]
        return cls if cls.endswith("." + method) else f"{cls}.{method}"
    return next((v.strip() for k, v in groups.items() if k.startswith(("name", "file"))), "")


def step_ids(
    lines: Sequence[tuple[int, str]], tests: Sequence[str]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each failed test's id as the test step names it, read by the runner shapes that say one
    (go's ``package.TestX``, from its package's closing line), with the tests it runs within."""
    texts = [text for _, text in lines]
    found = [(shape, shape.step_ids(texts)) for shape in LOG_SHAPES if shape.step_ids is not None]
    return [
        (name, one, tuple(shape.step_parents(one)) if shape.step_parents else ())
        for name in tests
        for shape, ids in found
        for one in ids.get(name, ())
    ]


def failing_tests(
    lines: Iterable[str], checkout: Path | None = None, numbers: Sequence[int] | None = None
) -> tuple[str, ...]:
    """The distinct failing tests the runners' verdict lines in ``lines`` name, in order: each
    test once, never a suite whose failure is only its children's (TAP's parent, a test
    whose subtests failed: :data:`_JOINS`) nor mocha's progress list before its reports. A test
    whose report gives its file in ``checkout`` (or the runner's workspace) is named with it
    (:func:`.located.full_name`; ``numbers``: each line's number in the log, where ``lines``
    leave some out)."""
    return tuple(name for _, name in failing_verdicts(list(lines), checkout, numbers))


def failing_verdicts(
    text: Sequence[str], checkout: Path | None = None, numbers: Sequence[int] | None = None
) -> tuple[tuple[int, str], ...]:
    """:func:`failing_tests` with the index in ``text`` of the verdict each is named by (the
    report's, where a summary names the test again by a shorter name)."""
    named: list[tuple[int, str]] = []
    for shape in LOG_SHAPES:
        if shape.verdict is None or _none_failed(shape, text):
            continue
        unrun = _unrun_files(shape, text)
        unlisted = _unlisted(shape, text)
        suites = {named_by(m) for line in text if shape.suite and (m := shape.suite.search(line))}
        reading = shape.after is None
        for index, line in enumerate(text):
            if not reading:
                reading = shape.after is not None and bool(shape.after.search(line))
                continue
            match = shape.verdict.search(line)
            name = named_by(match) if match is not None else unrun.get(index, "")
            if not name or name in suites or index in unlisted:
                continue
            titled = _titled(shape, name, text, index)
            name = full_name(shape, titled, text, index, checkout, numbers=numbers)
            below = text[index + 1 : index + 1 + PARENT_REACH]
            if shape.parent is not None and any(shape.parent.search(b) for b in below):
                continue
            named.append((index, name))
    found: list[tuple[int, str]] = []
    seen = SameTests()
    for index, name in sorted(named):
        same = seen.place(name)
        if same is None:
            found.append((index, name))
        elif len(name) > len(found[same][1]):  # the report's full name over a summary's short
            found[same] = (index, name)
        seen.add(name, len(found) - 1 if same is None else same)
    parents = {o[:i] for _, o in found for j in _JOINS for i in range(len(o)) if o.startswith(j, i)}
    return tuple((i, n) for i, n in found if n not in parents)


def _titled(shape: RunnerShape, name: str, text: Sequence[str], index: int) -> str:
    """``name`` (the verdict at ``index``) with the lines under it that go on with the test's
    name (``RunnerShape.title``: mocha's suites and title), up to the one ending in ``:``;
    ``name`` alone where the verdict ends in ``:`` or no such line ends the name."""
    if shape.title is None or text[index].rstrip().endswith(":"):
        return name
    parts = [name]
    for line in text[index + 1 : index + 1 + PARENT_REACH]:
        if (match := shape.title.search(line)) is not None:
            parts.append(match["name"])
        elif len(parts) > 1 and line[:1].strip():  # a title's own newline: mocha prints the
            parts.append(line.rstrip().removesuffix(":"))  # rest of it unindented
        else:
            break
        if line.rstrip().endswith(":"):
            return " ".join(parts)
    return name


def _unrun_files(shape: RunnerShape, text: Sequence[str]) -> dict[int, str]:
    """Index of each ``unrun`` header in ``text`` to the file it says failed as a whole: its
    own ``file`` group, or that of the ``opens`` line just above it (jest's ``FAIL x.test.ts``).
    A header naming no file, or a file whose report elsewhere holds tests (a ``FAIL``/``PASS``
    line of it not followed by the header: a test printing the header over its own
    assertion's report), is none: the file did run. Where more files failed than the
    runner's count of failed files says (``failed_files``), a test printed one of them, and
    no header is the runner's."""
    if shape.unrun is None:
        return {}
    found: dict[int, str] = {}
    headed: set[int] = set()  # indexes of the opens lines a header stands under
    for index, line in enumerate(text):
        if (match := shape.unrun.search(line)) is None:
            continue
        if match.groupdict().get("file"):
            found[index] = match["file"]
            headed.add(index)
            continue
        above = next(
            (i for i in range(index - 1, max(index - PARENT_REACH, 0) - 1, -1) if text[i].strip()),
            None,
        )
        opened = shape.opens.search(text[above]) if above is not None else None
        if above is not None and opened is not None and opened.groupdict().get("file"):
            found[index] = opened["file"]
            headed.add(above)
    files = [
        (i, m)
        for i, line in enumerate(text)
        if (m := shape.opens.search(line)) and m.groupdict().get("file")
    ]
    ran = {match["file"] for i, match in files if i not in headed}
    failed = {match["file"] for i, match in files if text[i].lstrip().startswith("FAIL")}
    if _counted(shape.failed_files, text) < len(failed | set(found.values())):
        return {}  # more files failed than the runner's own count: a test printed a file's report
    return {index: file for index, file in found.items() if file not in ran}


_CUT = re.compile(
    r"^##\[error\](?:Process completed with exit code (?:124|129|1[3-9]\d|2[0-4]\d|25[0-5])\."
    r"|The operation was canceled\.)$"
)
"""The GitHub runner's line on a step a timeout (124), a signal (128+n) or a cancel ended."""


def _none_failed(shape: RunnerShape, text: Sequence[str]) -> bool:
    """Whether the runner's own closing counts say no test failed (``failed_count`` summing to
    0). Only counts below its last test line are its own (a test prints before its verdict),
    and only in a step that ran to its end: where a timeout or a signal cut the run, the
    runner printed no summary and the last counts are a test's, printed to hide the
    failures above them."""
    if shape.failed_count is None or any(_CUT.search(line) for line in text):
        return False
    last = max((i for i, line in enumerate(text) if shape.opens.search(line)), default=-1)
    return _counted(shape.failed_count, text[last + 1 :]) == 0


def _counted(count: re.Pattern[str] | None, text: Sequence[str]) -> float:
    """How many the runner's closing counts ``count`` say failed (``failed_files``,
    ``failed_count``; summed: a workspace's runs print one each); unbounded where it printed
    none."""
    counts = [int(m["n"]) for line in text if count and (m := count.search(line))]
    return sum(counts) if counts else float("inf")


def test_named(line: str) -> str | None:
    """The test a verdict-shaped ``line`` names, by the first runner whose verdict it is."""
    for shape in LOG_SHAPES:
        if shape.verdict is not None and (match := shape.verdict.search(line)):
            return named_by(match) or None
    return None


_JAVA_NAME = re.compile(r"[\w$]+(?:\.[\w$]+)+")
"""A Java test's name, ``package.Class.method`` or ``Class.method``: dotted identifiers only."""


class SameTests:
    """Test names seen so far, each with its place, found again without comparing pairs (a log
    of 100,000 verdicts). Two verdicts name one test when they say the same name, or one the
    other's without its package (Surefire's report says ``org.x.FooTest.bar``, its
    ``Results:`` summary ``FooTest.bar``). Only a Java name drops its package: other runners'
    names are titles, in which a dot is a word's (jest's ``config.get › x`` and ``get › x`` are
    two tests); a longer name ending in a ``Class.method`` one is another test."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}
        self._tails: dict[str, int] = {}  # a packaged Java name's ``Class.method``: its place

    def add(self, name: str, place: int) -> None:
        self._names.setdefault(name, place)
        if (tail := _java_tail(name)) is not None:
            self._tails.setdefault(tail, place)

    def place(self, name: str) -> int | None:
        """The first place of a name that is ``name``'s test, or None."""
        tail = _java_tail(name)
        found = (self._names.get(name), self._tails.get(name), tail and self._names.get(tail))
        return min((p for p in found if isinstance(p, int)), default=None)

    def as_long(self, name: str) -> bool:
        """Whether a name of ``name``'s test, as long as it or longer, is here."""
        return name in self._names or name in self._tails


def _java_tail(name: str) -> str | None:
    """A packaged Java test name's ``Class.method`` (None: no such name)."""
    if name.count(".") < 2 or not _JAVA_NAME.fullmatch(name):
        return None
    return ".".join(name.rsplit(".", 2)[1:])
