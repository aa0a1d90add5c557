"""What one test runner's report looks like: where a test's own lines are, the line that names
a failing test, and the line that says why it failed.

A runner's shape is its folder's ``log.py`` and its rows of the log signature table the
``log.toml`` beside it. Patterns are tried on cleaned lines (no timestamp, no colours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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
    """What a runner's report shows that makes a failure likely flaky (None where nothing):
    ``reruns``, a line saying a failed test ran again (pytest-rerunfailures' ``RERUN``);
    ``timed_out``, a test past its own time limit; ``report_line``, a line of a failed test's
    report, where a word on timing or the network is the test's; ``failed_test``, the lines
    opening one failed test's report (group ``name``); ``name_goes_on``, the lines under such a
    header that carry on its name (mocha's titles, one a line, the last ending in ``:``: group
    ``name``, and ``last`` on the last); ``clock``, what the runner prints of every test's time
    (jest's ``(3 ms)``), which says nothing of what it checked."""

    reruns: re.Pattern[str] | None = None
    timed_out: re.Pattern[str] | None = None
    report_line: re.Pattern[str] | None = None
    failed_test: tuple[re.Pattern[str], ...] = ()
    name_goes_on: re.Pattern[str] | None = None
    clock: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Subtests:
    """How a runner prints a test whose failure is only its subtests' (go's ``TestX`` over
    ``TestX/case``): each subtest named after its parent with ``joins`` between, its verdict
    ``indent`` spaces deeper. A verdict-shaped line deeper than that is the parent's message (go
    indents a message's later lines two levels)."""

    joins: str
    indent: int


@dataclass(frozen=True)
class RunnerShape:
    """One runner's report.

    ``opens`` starts one test's lines (its header or verdict); ``ends`` closes every open test.
    ``output_first``: the runner prints a test's output before the line ``opens`` matches (node's
    spec reporter; RSpec, which prints no header).

    ``verdict`` names one failing test (group ``name``, or ``cls`` and ``method``); with ``after``,
    only below the line heading the failures (mocha's ``N failing``: the same numbers mark the
    progress above). ``parent`` marks a failure that is only its children's (TAP's
    ``subtestsFailed``). ``message`` is the line after a verdict that says why (group ``msg``; a
    ``test`` group must equal the test's name; ``|-`` or ``|`` continues on the next line).
    ``reports`` matches an ``opens`` line printed only for a failed test (pytest's
    ``____ test_x ____``); within it, ``quoted`` is source the runner quotes, ``output`` where the
    test's printed output starts, and ``asserts`` where its assertion failed: what follows may quote
    any tool's error (a test of a log parser) and never types the run.

    ``unrun`` is a test file failed as a whole before any test ran (jest's
    ``● Test suite failed to run``): the file is one failing test, its error the next non-blank
    line. ``failed_files`` and ``failed_count`` match the runner's closing counts (group ``n``):
    headers beyond them, or any verdict where they sum to 0, are a test's printing. ``title``
    continues a test's name over lines (mocha), ``suite`` names a verdict that is only its
    children's (node's ``▶ name``), and ``listed`` heads the closing list of failing tests (node's
    ``✖ failing tests:``), past which an unlisted verdict is a test's printing.

    ``failed_words`` is for a runner that prints log and error lines alike (go's ``t.Log`` and
    ``t.Errorf``): the message is the first matching line, else the last (``t.Fatal`` ends the
    test); with the source at hand, a line calling ``log_call`` is never the message and one calling
    ``fail_call`` is.

    ``headings`` names the log signatures heading one failed test's report, ``details`` those of
    its message (part of the failure its heading names). ``subtests``: :class:`Subtests`.
    ``started`` and ``passed`` bracket a passing test's own lines (go's ``=== RUN`` and
    ``--- PASS``); ``events`` reads a JSON event line (``go test -json``). ``places`` finds a
    file a message names by base name alone (go) or by an import path. ``signatures`` is the
    runner's TOML rows of the log signature table (``modes/analyse_failure/logs/signatures.toml``
    says their format)."""

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
    step_ids: Callable[[Iterable[str]], dict[str, tuple[str, ...]]] | None = None
    """Each test the log names failed → its ids as the test step names it, where the log names it
    less fully (go's ``--- FAIL: TestX``, its package on the package's closing line)."""
    step_parents: Callable[[str], tuple[str, ...]] | None = None
    """The tests a test (its step id) runs within, as the test step names them (go's parents)."""
    located: re.Pattern[str] | None = None
    """A line of a failed test's report that gives its file (group ``path``, node TAP's
    ``location: '/abs/test/x.js:5:3'``): the test is then named ``file › suites › test``, as
    the test step names it, where that file is in the checkout."""
    nested: re.Pattern[str] | None = None
    """A line opening a test or suite, its indent (group ``indent``) saying what it holds
    (group ``name``): TAP's ``# Subtest: calc``. The suites a located test runs within."""


def beside(module: str) -> Traversable:
    """The TOML file named like ``module`` in its folder (``runners/go/log.py``: ``log.toml``)."""
    package, _, name = module.rpartition(".")
    return resources.files(package).joinpath(f"{name}.toml")
