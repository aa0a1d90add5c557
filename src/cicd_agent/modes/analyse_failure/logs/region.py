"""Where in a failed job the error is: the failed steps, their findings and the root-cause line.

The runner's ``##[error]`` markers say which steps failed. Within them the reader's hits are
joined by a full pass over each step's tail, where every signature (also those without
needles) is tried on every line. The root cause is the weightiest finding; among equals it is
the first line of the *last* cluster of them, because a step run with ``bash -e`` stops at the
first failing command (so earlier errors of the same weight were survivable), while one tool's
own errors cascade from its first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.reader import Hit, JobScan, StepScan
from cicd_agent.modes.analyse_failure.logs.runner_format import MarkerKind, parse_marker
from cicd_agent.modes.analyse_failure.logs.runner_reports import (
    Span,
    denied_verdicts,
    failure_reports,
    inside,
    spans_of_tests,
    unrun_errors,
)
from cicd_agent.modes.analyse_failure.logs.signatures import (
    DECISIVE_WEIGHT,
    Matcher,
    Signature,
    SignatureHit,
)
from cicd_agent.runners.shapes import LOG_SHAPES

CLUSTER_GAP_LINES = 200
_WARNING = re.compile(r"^\s*warning(?:\[[\w-]+\])?: ")
_DIAGNOSTIC = re.compile(r"^\s*(?:-->|:::|\d*\s*\||= |\.\.\.)")
"""rustc's warning line, and the lines of its block under it: the ``--> file:line:col``
location, the quoted source lines with their ``|`` gutter, the ``= note:`` lines."""
_PASSING = [(shape.started, shape.passed) for shape in LOG_SHAPES if shape.started and shape.passed]
"""Each runner's lines that start a test and say it passed (:attr:`RunnerShape.started`)."""


@dataclass(frozen=True)
class LogFinding:
    """A hit in a failed step, with the step it belongs to."""

    step_index: int
    hit: Hit

    @property
    def weight(self) -> int:
        return self.hit.weight

    @property
    def order(self) -> tuple[int, int]:
        return (self.step_index, self.hit.line)


def is_runner_step(name: str) -> bool:
    """The runner's own closing steps (post-job cleanup, orphan sweep) never fail a job."""
    return name == "Complete job" or name.startswith("Post ") or name == "Post job cleanup"


def failed_steps(scan: JobScan, *, assume_failed: bool) -> list[int]:
    """Indexes of the steps that failed; the last step with output when the job failed silently.

    ``assume_failed`` is for jobs known to have failed (or plain logs with no runner markers):
    without an ``##[error]`` marker the failure is taken to be in the last step that printed
    something error-shaped, or else the last one before the runner's cleanup. A closing step
    counts when no other printed anything error-shaped: its opening line is a plain one, which a
    test may print, and what follows it (the test's failure, its runner's summary) is then read.
    """
    indexes = [index for index, step in enumerate(scan.steps) if step.failed]
    if indexes or not assume_failed or not scan.steps:
        return indexes
    every = range(len(scan.steps))
    candidates = [i for i in every if not is_runner_step(scan.steps[i].name)] or list(every)
    with_hits = [i for i in candidates if scan.steps[i].signature_counts] or [
        i for i in every if scan.steps[i].signature_counts
    ]
    return [with_hits[-1] if with_hits else candidates[-1]]


def step_findings(
    step: StepScan, step_index: int, matcher: Matcher, keep: Callable[[str], bool]
) -> list[LogFinding]:
    """Findings of one step: the reader's hits before its tail and a full match of the tail.

    ``keep`` drops lines that also appeared in a successful run (see ``baseline``). A line
    that is a test's own (its output, message or verdict, ``runners.spans_of_tests``) is never a
    runner fact that decides the type: the test printed it. Before the tail the spans are
    not known; there a runner fact counts only when the tail holds no test's lines. Elsewhere
    in a step whose runner reported a test, before or after that report, a runner fact decides
    only where the exit code bears it out (:func:`_confirmed`): the test process printed
    before its first report too (mocha's and unittest's passing tests, a test binary's own
    writes, RSpec's dots), and under ``bash -e`` a command before the runner that printed a
    full disk did not stop the step.

    Where the runner reported a failing test, a line of another type (a missing module, a
    type or build error) types the run only inside a failing test's own report
    (``runners.failure_reports``): that is where a real import error that failed the test
    is. A real collection or build error stops the runner before it reports a failing test;
    one a test printed among the progress, or a command before the runner that did not stop
    the step, is no cause of the run.
    """
    tail_start = step.tail[0][0] if step.tail else step.end_line + 1
    lines = [(n, t) for n, t in step.tail if n > step.header_end]
    spans = spans_of_tests(lines)
    reports = failure_reports(lines, lambda head: _failing(head, matcher))
    hits = [
        _demoted(hit, matcher, typed=not reports) if _runs_type(hit, spans, reports) else hit
        for hit in step.hits
        if hit.line < tail_start
    ]
    hits += _locations_around(step, matcher, tail_start)
    passed = passing_spans(step.tail)
    denied = denied_verdicts(lines) | warned_lines(lines)
    denied |= {n for hit in step.hits for n in warned_lines(hit.context)}
    for number, text in lines:
        if not text.strip():
            continue
        marker = parse_marker(text)
        if marker is not None and marker.kind is not MarkerKind.ERROR:
            continue
        match = matcher.match(text, full=True, decisive=not inside(spans, number))
        if match is not None and spans and not _confirmed(match.signature, step.exit_code):
            match = matcher.match(text, full=True, decisive=False)
        if match is not None and reports and not inside(reports, number) and _other(match):
            match = matcher.match(text, full=True, typed=False)
        if match is not None:
            hits.append(Hit(number, text, match))
    return [
        LogFinding(step_index, hit)
        for hit in _errors_not_headers(hits, lines)
        if hit is not None
        and keep(hit.text)
        and not any(start < hit.line < end for start, end in passed)
        and hit.line not in denied
    ]


def warned_lines(lines: Sequence[tuple[int, str]]) -> set[int]:
    """The numbers of the lines of a compiler's warning (its ``warning:`` line and the block
    under it). A warning fails nothing: the file its ``-->`` line points at did not fail the
    run, in a green log or beside a real failure."""
    warned: set[int] = set()
    previous = None
    for number, text in lines:
        if _WARNING.match(text) or (
            previous == number - 1 and previous in warned and _DIAGNOSTIC.match(text)
        ):
            warned.add(number)
        previous = number
    return warned


def _locations_around(step: StepScan, matcher: Matcher, tail_start: int) -> list[Hit]:
    """The location lines (a signature of no type that names a path: a stack frame, vitest's
    `` ❯ src/x.ts:12:3``) among the lines kept around the reader's hits before the tail. The
    streaming pass anchors on errors only, so a location under a failure that a long output
    pushed out of the tail is read here, where the failure is; the hits kept and their context
    bound the work."""
    seen = {hit.line for hit in step.hits}
    found: dict[int, Hit] = {}
    for hit in step.hits:
        for number, text in hit.context:
            if number in seen or number in found or not step.header_end < number < tail_start:
                continue
            match = matcher.match(text, decisive=False)
            if match is not None and match.signature.failure_type is None and match.path:
                found[number] = Hit(number, text, match)
    return list(found.values())


def _errors_not_headers(hits: Sequence[Hit | None], lines: Sequence[tuple[int, str]]) -> list[Hit]:
    """``hits`` with each header that says only that a test file failed before its tests ran
    (jest's ``● Test suite failed to run``, ``runners.unrun_errors``) moved onto its error,
    the line under it: that line types the run where a signature knows it (a missing module,
    a type error), else it is the failed test's error as the header was. A header of that
    shape a test printed over its own file's report (its file ran) is no error, nor is the line
    under it: both are the test's output."""
    by_line = {hit.line: hit for hit in hits if hit is not None}
    text = dict(lines)
    for header, (error, real) in unrun_errors(lines).items():
        head = by_line.pop(header, None)
        own = by_line.pop(error, None) if not real else by_line.get(error)
        if real and head is not None and (own is None or own.match.signature.failure_type is None):
            by_line[error] = Hit(error, text[error], head.match)
    return sorted(by_line.values(), key=lambda hit: hit.line)


def _failing(head: str, matcher: Matcher) -> bool:
    """Whether a test span's head is a failing test's verdict (``FAIL: x``, ``✖ x (1ms)``)."""
    match = matcher.match(head, full=True, decisive=False)
    return match is not None and match.signature.failure_type is FailureType.TEST_FAILURE


def _other(match: SignatureHit) -> bool:
    """Whether a hit implies a type other than a test's and is no runner fact (those the exit
    code decides, :func:`_confirmed`)."""
    kind = match.signature.failure_type
    tests = (None, FailureType.TEST_FAILURE, FailureType.TIMEOUT)
    return not match.signature.decisive and kind not in tests


def _runs_type(hit: Hit, spans: Sequence[Span], reports: Sequence[Span]) -> bool:
    """Whether a hit before the tail must lose its type: a runner fact where the tail holds
    a test's lines, another type where it holds a failing test's report."""
    return (hit.weight >= DECISIVE_WEIGHT and bool(spans)) or (bool(reports) and _other(hit.match))


_CONFIRMING_EXIT = {FailureType.OOM: 137, FailureType.TIMEOUT: 124}
"""The step's exit code that bears out a runner fact in a step whose runner reported tests."""


def _confirmed(signature: Signature, exit_code: int | None) -> bool:
    """Whether a runner fact in a step whose runner reported tests is the step's own, not the
    tests' text.

    Once a runner has reported a test, every line of the step may be the pull request's
    process printing (a fake ``==== … ====`` section line, an ``atexit`` handler or a forked
    child after the summary, a ``::error::`` command): such a line decides the run's type only
    where the step's exit code, which is no printed text, bears it out (the shell's ``Killed``
    with 137, a ``timeout`` with 124); a full disk or a network fault never is.
    """
    kind = signature.failure_type
    if not signature.decisive or kind is None:
        return True
    return exit_code is not None and _CONFIRMING_EXIT.get(kind) == exit_code


def _demoted(hit: Hit, matcher: Matcher, *, typed: bool) -> Hit | None:
    """``hit`` matched again without the runner facts, and without the other tools' types
    unless ``typed`` (None when nothing else matches it)."""
    match = matcher.match(hit.text, decisive=False, typed=typed)
    return Hit(hit.line, hit.text, match, hit.context) if match is not None else None


def passing_spans(lines: Sequence[tuple[int, str]]) -> list[tuple[int, int]]:
    """``(first, last)`` line numbers of tests that passed, whose own output lies between: a
    passing test's lines are never a failure's cause, whatever they print (a test of an error
    path logs the error on purpose). From a runner's line as a test starts to its line saying
    it passed (go's ``=== RUN X`` … ``--- PASS: X``); a test whose span another top-level
    test's lines enter (``t.Parallel``) is left out, since its lines cannot be told from the
    other's."""
    spans: list[tuple[int, int]] = []
    for starts, passes in _PASSING:
        started: dict[str, int] = {}
        for number, text in lines:
            if run := starts.match(text):
                name = run["name"]
                for other in [o for o in started if not name.startswith(o + "/") and o != name]:
                    del started[other]  # interleaved: its lines are no longer its own alone
                started[name] = number
            elif (passed := passes.match(text)) and (start := started.pop(passed["name"], None)):
                spans.append((start, number))
    return spans


def rank(findings: Sequence[LogFinding]) -> list[LogFinding]:
    """Findings best first: by weight; among equals the first failed step, in it the last cluster.

    The first failed step is the one that failed the job (later ones ran only under
    ``if: always()``); inside a step the last cluster of equally weighty lines is the command
    that stopped it, and that cluster's first line is where its tool's errors begin.
    """
    groups: dict[tuple[int, int], list[LogFinding]] = {}
    for finding in sorted(findings, key=lambda f: f.order):
        groups.setdefault((-finding.weight, finding.step_index), []).append(finding)
    ranked: list[LogFinding] = []
    for key in sorted(groups):
        group = groups[key]
        start = 0
        for index in range(1, len(group)):
            if group[index].hit.line - group[index - 1].hit.line > CLUSTER_GAP_LINES:
                start = index
        ranked.extend(group[start:] + group[:start])
    return ranked


_TRUNCATED = (" - ...", "...")
_PYTEST_DIFF = re.compile(r"^E {2,}[-+?] ")
_BLANK_E = re.compile(r"^E\s*$")
"""pytest's ``E`` line with nothing on it, inside a block (``Lists differ``'s): no finding."""


def completed_root(
    root: LogFinding, ranked: Sequence[LogFinding], lines: Sequence[tuple[int, str]] = ()
) -> str:
    """The root line, with pytest's crash message when its summary line was cut to ``- ...``.

    pytest shortens ``FAILED path::test - message`` to the terminal's width (80 columns on a
    runner), often down to ``- ...`` or to nothing when the test id fills the line. The message
    is the first ``E`` line of the test's last ``E`` block, the one just before the
    ``path:line: Error`` line that ends its report. A blank ``E`` line (``lines``, the log's
    numbered lines, say which) goes on the block: it is no finding, yet no block ends there.
    """
    text = root.hit.text.strip()
    if root.hit.match.signature.failure_type is FailureType.LINT_ERROR and not root.hit.match.path:
        # A linter's rule line with the ``--> path:line:col`` line that follows it (ruff's full
        # format, ``ruff format --check``): the file is what a person opens.
        arrow = next(
            (
                f
                for f in ranked
                if f.step_index == root.step_index
                and f.hit.line == root.hit.line + 1
                and f.hit.match.signature.name == "location.arrow"
            ),
            None,
        )
        return f"{text} {arrow.hit.text.strip()}" if arrow is not None else text
    cut = text.endswith(_TRUNCATED) or " - " not in text  # no room left even for "- ..."
    if root.hit.match.signature.name != "pytest.failed" or not cut:
        return text
    block_start: LogFinding | None = None
    previous: LogFinding | None = None
    same_step = sorted(
        (f for f in ranked if f.step_index == root.step_index and f.hit.line < root.hit.line),
        key=lambda f: f.hit.line,
    )
    blank = {number for number, line in lines if _BLANK_E.match(line)}
    for finding in same_step:
        name = finding.hit.match.signature.name
        if name == "pytest.E":
            apart = previous is None or any(
                number not in blank for number in range(previous.hit.line + 1, finding.hit.line)
            )
            # a diff line goes on the assertion's block, past pytest's blank ``E`` line
            if apart and not (block_start is not None and _PYTEST_DIFF.match(finding.hit.text)):
                block_start = finding
            previous = finding
        elif name == "location.python" and block_start is not None:
            message = block_start.hit.text.strip().removeprefix("E").strip()
            head = text.removesuffix("...").rstrip().removesuffix(" -")
            test_id, sep, kept = head.partition(" - ")
            if sep and message.startswith(kept.strip()):  # the cut kept the message's start
                head = test_id
            return f"{head} - {message}"
    return text
