"""Runs that failed in more than one way: the failure a person fixes first, and every distinct one.

The network's lines are noise (:mod:`.noise`): they yield to any real failure, and only a
run whose every failure is noise stays an infrastructure failure.

The distinct failures are the first lines of the message blocks of the weighty findings, with
numbers, ids and addresses folded, so the same DNS error in twelve tests is listed once; the
network's lines one after another are one message (npm's ``code``, ``errno`` and request lines
of one timeout). A message a runner cut at its terminal's width (pytest's ``Type...``) is the
one message that begins with what is left of it, at whatever length it was cut. Where
the runner names its failed tests (``runner_reports.failing_verdicts``), each failing test counts
once, under its message: 155 tests failing on one error are one failure seen 155 times, and no
other line of a test's report (vitest's ``×`` tree line, a jest file's ``FAIL`` line, the
message itself, a summary naming the test again) is a failure of its own.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import FailureGroup, FailureType
from cicd_agent.modes.analyse_failure.logs.flaky import TEST_TIMEOUT
from cicd_agent.modes.analyse_failure.logs.noise import HEADINGS, is_network, noise, reaches, real
from cicd_agent.modes.analyse_failure.logs.pytest_reports import (
    pytest_heading,
    pytest_reports,
    pytest_subtests,
)
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from cicd_agent.modes.analyse_failure.logs.runner_reports import (
    SameTests,
    failing_verdicts,
    test_named,
    unrun_errors,
)
from cicd_agent.modes.analyse_failure.logs.test_messages import Source, with_message
from cicd_agent.runners.shapes import LOG_SHAPES

MAX_GROUPS = 12
"""Distinct failures a summary shows; past them it says how many more there are."""
MAX_MESSAGED = 200
"""Failing tests whose message is looked for (each a read of the report); a test past them
counts under its verdict line."""
DETAILS = frozenset(
    {"python.exception", "generic.error", *(name for shape in LOG_SHAPES for name in shape.details)}
)
"""Signatures of a failed test's message (each runner's
:attr:`~cicd_agent.runners.shape.RunnerShape.details`, and a Python exception's or a generic
error's line): part of the failure its heading or pytest's ``FAILED`` line names, not a failure
of their own when the runner names its failed tests."""
CONTINUED = frozenset({"pytest.E", "python.exception", "generic.error"})
"""Signatures whose lines continue one message over several lines."""
CONTINUED_GAP = 3
"""Lines a message may skip (pytest's blank ``E`` lines) and still be one message."""
FOLD = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-f]{7,64}\b|\d+")
"""Numbers, ids and addresses, folded wherever one failure is told from another."""
_LEAD = re.compile(r"^(?:E\s+|>\s+|##\[error\]\s*)")
_SUMMARY_ID = re.compile(r"^(?:FAILED|ERROR) (\S+::\S+)")
"""pytest's short summary line, ``FAILED tests/x.py::test_a - assert 5 == 6``: its test id."""
_PROGRESS_ID = re.compile(r"^((?>\S+::)\S+) (?:FAILED|ERROR)\b")
"""pytest's verbose progress line for the same test, ``tests/x.py::test_a FAILED [ 50%]``."""
_CUT = re.compile(r"(?:\.\.\.|…)$")
"""How a runner marks a message it cut to fit the terminal."""
MAX_BEGUN = 50
"""Messages a cut one may begin and still be looked at: past them it stays apart."""


@dataclass(frozen=True)
class FailedTest:
    """A failing test as its runner's report says it: where its verdict is, the verdict with
    its message (as a root cause reads), the message alone, and the test's name."""

    line: int
    shown: str
    message: str
    name: str
    subtests: int = 0
    """Named only through its failed subtests, this many (``message`` is the first one's)."""

    @property
    def key(self) -> str:
        """What tells its failure from another's."""
        return _key(self.message)


def failed_tests(
    lines: Sequence[tuple[int, str]], source: Source | None, checkout: Path | None = None
) -> list[FailedTest]:
    """Each failing test the report ``lines`` name, once, with its message: a test file that
    failed before its tests ran (``runner_reports.unrun_errors``) shown as its error, and last
    the tests pytest names only through failed subtests, not among the tests it counts."""
    found = []
    unrun = unrun_errors(lines)
    text = dict(lines)
    summaries = {m[1]: (n, t) for n, t in lines if (m := _SUMMARY_ID.match(t.strip()))}
    reports: dict[str, str] | None = None
    verdicts = failing_verdicts([line for _, line in lines], checkout, [n for n, _ in lines])
    for position, (index, name) in enumerate(verdicts):
        number, verdict = lines[index][0], lines[index][1].strip()
        if (progress := _PROGRESS_ID.match(verdict)) and progress[1] in summaries:
            number, verdict = summaries[progress[1]]  # its summary line says it with its message
            verdict = verdict.strip()
        if number in unrun:
            shown = text[unrun[number][0]].strip()
        elif position < MAX_MESSAGED:
            shown = with_message(verdict, number, lines, source)
        else:
            shown = verdict
        message = _plain(shown.removeprefix(f"{verdict} - "))
        bare = shown == verdict  # the test id filled the line: pytest printed no message
        if (bare or message.endswith("...")) and _SUMMARY_ID.match(verdict):
            reports = pytest_reports(lines) if reports is None else reports
            whole = reports.get(pytest_heading(name), "")
            if whole and (bare or whole.startswith(message.removesuffix("..."))):
                message = whole  # pytest cut the summary's message at the terminal's width
        found.append(FailedTest(number, shown, message, name))
    for name, count, message in pytest_subtests(lines, MAX_MESSAGED):
        found.append(FailedTest(0, message, message, name, subtests=count))
    return found


def groups(
    ranked: Sequence[LogFinding],
    failure_type: FailureType,
    tests: Sequence[FailedTest] = (),
    untouched: Callable[[LogFinding], bool] = lambda finding: False,
) -> dict[str, FailureGroup]:
    """The distinct failures of one job's ranked findings and failing ``tests`` (each test
    once, under its message), real ones first, each once: by what tells one from another.
    ``untouched`` says a finding names a file the change did not touch."""
    marked = noise(ranked)
    found: dict[str, FailureGroup] = {}
    noisy = {ranked[index].hit.line for index in marked}
    for failed in tests:
        if failed.subtests:  # one group each, said with its count of subtests
            found[f"\0{failed.name}"] = FailureGroup(
                kind=FailureType.TEST_FAILURE,
                line=failed.message,
                test=failed.name,
                subtests=failed.subtests,
            )
        elif failed.line not in noisy:  # a test the network failed: its network line says it
            timed = TEST_TIMEOUT.search(failed.message) is not None  # past its own time limit
            group = FailureGroup(
                kind=FailureType.TIMEOUT if timed else FailureType.TEST_FAILURE,
                line=failed.message or failed.shown,
                test=failed.name,
            )
            _count(found, failed.key, group)
    tested = set(found)
    # how a test's other lines name it: vitest's tree line names it without its file
    names = {part for failed in tests[:MAX_MESSAGED] for part in _name_parts(failed.name)}
    starts = _block_starts(ranked)
    starts -= _named_within(ranked, starts)
    messages = _messages(ranked, marked)
    summarised = {
        m[1] for f in ranked if (m := _SUMMARY_ID.match(_LEAD.sub("", f.hit.text.strip())))
    }
    named_tests = bool(summarised) or any(f.hit.match.signature.name in HEADINGS for f in ranked)
    counted = SameTests()
    said: set[int] = set()  # the network messages already counted
    for index, finding in enumerate(ranked):
        infra = index in marked
        if index not in starts or not (infra or real(finding)):
            continue
        name = finding.hit.match.signature.name
        text = finding.hit.text
        if (
            tests
            and not infra
            and (
                name in HEADINGS
                or name in DETAILS
                or _key(text) in tested
                or (
                    finding.hit.match.signature.failure_type is FailureType.TEST_FAILURE
                    and (_opens_file(text) or any(part in text for part in names))
                )
            )
        ):
            continue  # a line of a failing test's report: the test counts, once
        if named_tests and not infra and name in DETAILS:
            continue  # the message of a test its heading or summary line counts already
        progress = _PROGRESS_ID.match(finding.hit.text.strip())
        if progress and progress[1] in summarised:
            continue  # the same test's summary line says it, with its message
        if name in HEADINGS and (test := test_named(finding.hit.text)):
            if counted.as_long(test):
                continue  # a test's summary line after its report: one failure. Never the
                # other way round: a summary-shaped line a test printed first takes no place
            counted.add(test, 0)
        if infra and not is_network(finding):
            continue  # a heading of a test the network failed: its message says it
        if infra and (message := messages[index]) in said:
            continue  # another line of a network message counted already
        if infra:
            said.add(message)
        own = finding.hit.match.signature.failure_type or failure_type
        kind = FailureType.INFRASTRUCTURE if infra else own
        line = finding.hit.text.strip()
        _count(
            found,
            _key(line),
            FailureGroup(kind=kind, line=line, infrastructure=infra, untouched=untouched(finding)),
        )
    return dict(sorted(_joined(found).items(), key=lambda item: item[1].infrastructure))


def _messages(findings: Sequence[LogFinding], marked: Collection[int]) -> dict[int, int]:
    """The message each finding of ``marked`` belongs to, by its first finding: the lines one
    after another of one step (as :func:`.noise.noise` reads a message) until a test's heading or
    summary line, which begins the next test's message."""
    found: dict[int, int] = {}
    previous: LogFinding | None = None
    start = 0
    for index in sorted(marked, key=lambda i: (findings[i].step_index, findings[i].hit.line)):
        finding = findings[index]
        names_test = finding.hit.match.signature.name in HEADINGS or bool(
            _SUMMARY_ID.match(_LEAD.sub("", finding.hit.text.strip()))
        )
        if previous is None or names_test or not reaches(previous, finding, 1):
            start = index
        found[index] = start
        previous = finding
    return found


def _joined(found: dict[str, FailureGroup]) -> dict[str, FailureGroup]:
    """``found`` with each message a runner cut (:data:`_CUT`) counted under the message it
    begins, in the place of the first of them; a cut message that begins several uncut ones
    stays as it is, since nothing says which it was, and so does one that begins more than
    :data:`MAX_BEGUN` (looked up in the sorted messages, so a log of many stays linear)."""
    ordered = sorted(found)
    target: dict[str, str] = {}
    for key, group in found.items():
        if not _CUT.search(key):
            continue
        stem = _CUT.sub("", key)
        begun = ordered[bisect_left(ordered, stem) : bisect_left(ordered, stem + "\U0010ffff")]
        if len(begun) > MAX_BEGUN + 1:  # itself among them
            continue
        alike = [
            k
            for k in begun
            if len(_CUT.sub("", k)) > len(stem)
            and found[k].kind is group.kind
            and found[k].infrastructure == group.infrastructure
        ]
        whole = [k for k in alike if not _CUT.search(k)]
        if len(whole) == 1:
            target[key] = whole[0]
        elif not whole and alike:
            longest = max(alike, key=len)
            if all(_CUT.sub("", longest).startswith(_CUT.sub("", k)) for k in alike):
                target[key] = longest
    joined: dict[str, FailureGroup] = {}
    for key, group in found.items():
        into = target.get(key, key)
        while into in target:  # a shorter cut joins a longer cut that joins the whole
            into = target[into]
        if into not in joined:  # in the place of its first, said whole, its first test named
            first = group.test or found[into].test
            joined[into] = replace(found[into], count=0, untouched=True, test=first)
        _count(joined, into, group)
    return joined


def _opens_file(text: str) -> bool:
    """Whether ``text`` opens a test file's report (jest's ``FAIL x.test.js``): its failing
    tests count, not the file again."""
    return any(
        (match := shape.opens.search(text)) is not None and bool(match.groupdict().get("file"))
        for shape in LOG_SHAPES
    )


def _name_parts(name: str) -> tuple[str, ...]:
    """A failing test's name, and without its file where the runner prints it without
    (``file > suite > test``)."""
    return (name, name.split(" > ", 1)[1]) if " > " in name else (name,)


def _count(found: dict[str, FailureGroup], key: str, group: FailureGroup) -> None:
    """``group`` under ``key``, or one more of the group already there."""
    known = found.get(key)
    found[key] = (
        group
        if known is None
        else replace(
            known, count=known.count + group.count, untouched=known.untouched and group.untouched
        )
    )


def merge(per_job: Sequence[dict[str, FailureGroup]]) -> tuple[FailureGroup, ...]:
    """Every job's distinct failures once (a matrix fails the same way in each job), real first:
    all of them (a summary shows the first ``MAX_GROUPS``)."""
    found: dict[str, FailureGroup] = {}
    for job_groups in per_job:
        for key, group in job_groups.items():
            _count(found, key, group)
    return tuple(sorted(_joined(found).values(), key=lambda g: g.infrastructure))


def _block_starts(findings: Sequence[LogFinding]) -> set[int]:
    """Findings that begin a message: every one, but a line of a multi-line message (pytest's
    ``E`` block, with its blank ``E`` lines) whose previous line of the same kind is just before.
    Linter lines one after another stay apart: each is its own finding."""
    lines = {
        (f.step_index, f.hit.line) for f in findings if f.hit.match.signature.name in CONTINUED
    }
    return {
        index
        for index, finding in enumerate(findings)
        if finding.hit.match.signature.name not in CONTINUED
        or not any(
            (finding.step_index, finding.hit.line - gap) in lines
            for gap in range(1, CONTINUED_GAP + 1)
        )
    }


def _named_within(findings: Sequence[LogFinding], starts: Collection[int]) -> set[int]:
    """The ``starts`` of a multi-line message whose block holds a line another kind of finding
    reads (pytest's ``E`` block of a ``SyntaxError``, which opens on the traceback's ``File
    "…", line 118`` and ends on the error itself): that finding names the failure, and the
    block's first line is no failure of its own."""

    def at(finding: LogFinding) -> tuple[int, int]:
        return finding.step_index, finding.hit.line

    continued = {at(f) for f in findings if f.hit.match.signature.name in CONTINUED}
    others = {at(f) for f in findings if f.hit.match.signature.name not in CONTINUED and real(f)}
    either = continued | others
    named: set[int] = set()
    for index in starts:  # each block walked once, from its start
        step, line = at(findings[index])
        while (step, line) in continued and (step, line) not in others:
            line = next(
                (line + gap for gap in range(1, CONTINUED_GAP + 1) if (step, line + gap) in either),
                -1,
            )
        if (step, line) in others and (step, line) != at(findings[index]):
            named.add(index)
    return named


def _plain(text: str) -> str:
    """A failure's message without its marks and a pytest summary line's test id."""
    message = _LEAD.sub("", text.strip())
    if message.startswith(("FAILED ", "ERROR ")) and " - " in message:
        message = message.split(" - ", 1)[1]
    return message


def _key(text: str) -> str:
    return " ".join(FOLD.sub("#", _plain(text)).split())
