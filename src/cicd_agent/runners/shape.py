"""What one test runner's report looks like: where a test's own lines are, the line that names
a failing test, and the line that says why it failed.

A runner's shape is its folder's ``log.py`` and its rows of the log signature table the
``log.toml`` beside it. Patterns are tried on cleaned lines (no timestamp, no colours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

Place = Callable[[str, int, Sequence[str]], str | None]
"""Where a file a failed log names lies in the checkout: ``(name, log line, changed paths)`` to
its path, :data:`OUTSIDE` for a file the runner knows is none of the project's, a
:class:`Frame` where two files could be it, None where this runner does not place it."""
OUTSIDE = ""


class Frame(str):
    """A frame no one file of the checkout is: shown as printed, never taken for a file."""

    __slots__ = ()


Places = Callable[[Sequence[tuple[int, str]], Path | None], Place]
"""A runner's :data:`Place` for one failed job's numbered report lines and checkout."""

NODE_ASSERT = re.compile(
    r"^\s*(?:error: (?:\|-|['\"]))?(?:AssertionError\b|Expected values to be |Expected \"actual\""
    r"|\+ actual - expected$|The expression evaluated to a falsy value)"
)
"""Where ``node:assert``'s (and chai's) failed assertion starts, in any node runner's report."""
EXPECTATION = re.compile(rf"^\s*Failure/Error: (?:expect|is_expected)\b|{NODE_ASSERT.pattern}")
"""RSpec's or ``node:assert``'s failed expectation: what a numbered report compared."""


@dataclass(frozen=True)
class FlakySigns:
    """What a runner's report shows that makes a failure likely flaky (None or empty where it
    shows nothing of it): ``reruns`` matches a line saying the runner (or a plugin of it) ran a
    failed test again (pytest-rerunfailures' ``RERUN``, jest's ``retryTimes``); ``timed_out``
    one saying a test ran past its own time limit (jest's ``Exceeded timeout of 5000 ms``);
    ``report_line`` a line of a failed test's report (pytest's ``E`` lines, a stack's ``at``
    lines), where a word on timing or the network is the test's; ``failed_test`` the lines that
    open one failed test's report, its name in the group ``name`` (pytest's
    ``____ test_x ____``); ``clock`` what the runner prints of every test's run time (jest's
    ``(3 ms)``), which says nothing of what the test checked."""

    reruns: re.Pattern[str] | None = None
    timed_out: re.Pattern[str] | None = None
    report_line: re.Pattern[str] | None = None
    failed_test: tuple[re.Pattern[str], ...] = ()
    clock: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Subtests:
    """How a runner prints a test whose failure is only its subtests' (go's ``TestX`` over
    ``TestX/case``): each subtest is named after its parent, ``joins`` between them, and its
    verdict is printed ``indent`` spaces deeper than its parent's, a few lines below it. A
    verdict-shaped line deeper than that is a line of the parent's own message (go indents a
    message's later lines two levels)."""

    joins: str
    indent: int


@dataclass(frozen=True)
class RunnerShape:
    """One runner's report.

    ``opens`` matches a line that starts one test's lines: its report's header or its verdict
    (its output and message follow). ``ends`` matches a line that closes every open test (a
    summary or a section that is the runner's own). ``output_first`` is for a runner that
    prints a test's output before the line it matches: the lines since the previous match (or
    since the step's first line) are the tests'. Node's spec reporter prints a test's output
    before its verdict; RSpec prints no header, so everything up to its ``Failures:`` or
    ``Finished in`` line may be what its examples printed among the progress dots.

    ``verdict`` names one failing test (group ``name``, or ``cls`` and ``method``); with
    ``after``, only below the line that heads the failures (mocha's ``N failing``), since the
    same numbers mark the progress list above it. ``parent`` marks, within a few lines of a
    verdict, a failure that is only its children's (TAP's ``subtestsFailed``). ``message`` is
    the line after a verdict that says why (group ``msg``; a ``test`` group must then equal the
    test's name, for a runner that prints the reports apart from the verdicts); a message of
    ``|-`` or ``|`` (TAP's YAML block) continues on the next line. ``reports`` matches an
    ``opens`` line the runner prints only for a failed test (pytest's ``____ test_x ____``)
    where no verdict says so: what follows is that test's own error (``failure_reports``).
    Within such a report, ``quoted`` matches a line the runner quotes rather than reports
    (pytest's listing of the test's source, indented or marked ``>``) and ``output`` the line
    from which the test's printed output follows (pytest's ``Captured stdout call``): neither
    is the test's error. ``asserts`` matches the line where a failing test's assertion
    failed (pytest's ``E   assert``, ``AssertionError``, jest's ``expect(received)`` hint): it
    and what follows in the report are the assertion's message and the values it compared,
    which may quote any tool's error (a test of a log parser) and never type the run.

    ``unrun`` matches the line saying a test file failed as a whole before any test ran
    (jest's ``● Test suite failed to run``, vitest's ``FAIL x.test.ts [ x.test.ts ]``): the
    file (its group ``file``, or the ``file`` group of the ``opens`` line just above) is one
    failing test, and its error is the next non-blank line, never the header
    (``unrun_errors``). ``failed_files`` matches the runner's closing count of failed test
    files (its group ``n``): a header over more failed files than that is a test's printing.
    ``failed_count`` matches its closing count of failed tests (group ``n``): where the counts
    it printed sum to 0, no verdict of its shape is a failing test (a passing test printed it).

    ``title`` matches a line under a verdict that goes on with the test's name, for a runner
    that prints a test's suites and title one per line (mocha's ``  1) suite`` over
    ``       title:``): the name runs to the first such line ending in ``:``. ``suite`` names
    a test whose ``verdict`` is only its children's (node's spec reporter's ``▶ name`` over
    its subtests, whose ``✖ name`` closes them): that verdict names no failing test.
    ``listed`` matches the line over the runner's closing list of its failing tests (node's
    spec ``✖ failing tests:``): where it printed one, a verdict above its last such line that
    names no test the list names is a test's printing.

    ``failed_words`` is for a runner that prints a test's log lines exactly as its error lines
    (go's ``t.Log`` and ``t.Errorf`` both print ``x_test.go:12: text``): the message is then
    the first of the test's lines whose text it matches, else the test's last line
    (``t.Fatal`` ends the test). With the checkout's source at hand, the line a message names
    (its ``file`` and ``line`` groups) tells more than its text: a line calling ``log_call``
    (``t.Logf(``) is never the message, and one calling ``fail_call`` (``t.Errorf(``) is it.

    ``headings`` names the log signatures that match the heading of one failed test in this
    runner's report (``go.test``): the lines after such a heading, up to the next, are that
    test's report. ``details``
    names those of a failed test's message (``go.test_line``, ``rust.panic``, pytest's ``E``
    lines): part of the failure its heading names, not a failure of their own.

    ``subtests`` is for a runner whose tests hold subtests that fail under their own verdicts
    (:class:`Subtests`): the parent's verdict says only that a subtest failed, so a failure's
    message is its first failing subtest's, and a parent named beside its subtests is no
    failing test of its own.

    ``started`` and ``passed`` are for a runner that prints a line as each test starts and
    another as it passes (go's ``=== RUN TestX`` and ``--- PASS: TestX``, the test's name in
    group ``name``): the lines between are a passing test's own. ``events`` is for a runner
    that can print its report as JSON events, one a line (``go test -json``): the report line
    an event line carries, None for a line that is no such event.

    ``places`` is for a runner whose messages name a file by its base name alone (go's
    ``version_test.go:12:``) or by a path that is no folder of the checkout (a ``-trimpath``
    frame's import path): from the report and the checkout, where such a file lies.

    ``signatures`` is the TOML file of the runner's own rows of the log signature table
    (``modes/analyse_failure/logs/signatures.toml`` says their format), None when it has none.
    """

    name: str
    opens: re.Pattern[str]
    ends: re.Pattern[str] | None = None
    output_first: re.Pattern[str] | None = None
    verdict: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    parent: re.Pattern[str] | None = None
    message: re.Pattern[str] | None = None
    reports: re.Pattern[str] | None = None
    quoted: re.Pattern[str] | None = None
    output: re.Pattern[str] | None = None
    asserts: re.Pattern[str] | None = None
    unrun: re.Pattern[str] | None = None
    failed_files: re.Pattern[str] | None = None
    failed_count: re.Pattern[str] | None = None
    title: re.Pattern[str] | None = None
    suite: re.Pattern[str] | None = None
    listed: re.Pattern[str] | None = None
    failed_words: re.Pattern[str] | None = None
    log_call: re.Pattern[str] | None = None
    fail_call: re.Pattern[str] | None = None
    headings: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    flaky: FlakySigns = FlakySigns()
    subtests: Subtests | None = None
    signatures: Traversable | None = None
    places: Places | None = None
    started: re.Pattern[str] | None = None
    passed: re.Pattern[str] | None = None
    events: Callable[[str], str | None] | None = None


def beside(module: str) -> Traversable:
    """The TOML file named like ``module`` in its folder (``runners/go/log.py``: ``log.toml``)."""
    package, _, name = module.rpartition(".")
    return resources.files(package).joinpath(f"{name}.toml")
