"""Runs a job's test step, then only its failed tests again.

The step is the workflow's own test command, run where
:func:`~cicd_agent.sandbox.step.step_place` says (the checkout on the host for code GitHub
vouches for, else the sandbox), with its report written into a folder this module makes
afresh for each run, so a report left in the checkout is never read. A retry runs only
the tests that failed, up to ``retries`` times while any still fails. What the runs show is
judged by :func:`cicd_agent.modes.test_step.judge.judge_step`; this module only runs and reads.

The runner whose command it is says how, through its part of the
:class:`~cicd_agent.runners.protocol.RetriesStep` protocol: the command with its report written
into the run's folder (pytest's JUnit report, read as the seam reads a judged run's; jest's and
vitest's JSON, surefire's JUnit) or read from its output (``go test -json``, libtest's result
lines), and the command that runs only the tests that failed (pytest's cache, a name pattern,
``-run``, ``--exact``, ``-Dtest``); a command no runner claims runs once and its failures are
judged without retries. In the sandbox a runner adds what it needs there (jest's and vitest's
node options: :meth:`~cicd_agent.runners.protocol.RetriesStep.sandboxed`).

Given the change's lines, the runner's tracer, where it has one
(:meth:`~cicd_agent.runners.protocol.TracesChanges.step_tracer`: pytest's loads first into each
run), records which tests ran one of them; a run that stopped on how it was called, before any
test reported, ends the step with the runner's own words on it
(:meth:`~cicd_agent.runners.protocol.RetriesStep.step_stopped`).
"""

from __future__ import annotations

import re
import shlex
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.analysis.changed_lines import Record, Touched
from cicd_agent.analysis.file_names import has_control_characters, name_span
from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.arguments import MAX_RETRIES
from cicd_agent.modes.test_step.types import Attempt
from cicd_agent.runners.lookups import package_script_runner, package_test_script
from cicd_agent.runners.sandboxes import opened
from cicd_agent.runners.step_outcomes import StepOutcomes
from cicd_agent.runners.table import STEP_ONLY, TABLE, Row, StepRow
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.step import step_place

if TYPE_CHECKING:
    from cicd_agent.job.run import Run

STEP_ROWS: tuple[Row | StepRow, ...] = (*TABLE, *STEP_ONLY)
"""Every runner the test step reads, the test step's own last."""


def runner_of(command: Sequence[str]) -> Row | StepRow | None:
    """The row of the runner whose test step ``command`` is (its
    :meth:`~cicd_agent.runners.protocol.RetriesStep.step_command`), the runners the test step
    alone reads after the others, or None: the command then runs once and its failures are
    judged without retries."""
    return next(
        (
            row
            for row in STEP_ROWS
            if row.step is not None and row.step.step_command(command, Path(), None) is not None
        ),
        None,
    )


def run_attempts(
    command: Sequence[str],
    retries: int,
    *,
    cwd: Path,
    run: Run,
    trusted: bool = False,
    timeout: float | None = None,
    change: Touched | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> list[Attempt]:
    """The step's first run and its retries of the failed tests, each with its report (and,
    given the ``change``'s lines, its record of the tests that ran one); the command runs
    where :func:`~cicd_agent.sandbox.step.step_place` puts code that is ``trusted`` or not
    (by default, not: in the sandbox, ``run``'s), handed ``run``'s environment as it scrubs it
    there. Each retry is announced through ``say`` (the mode's progress line)."""
    row = runner_of(command)
    runner, traces = (row.step, row.tracer) if row is not None else (None, None)
    attempts: list[Attempt] = []
    with (
        tempfile.TemporaryDirectory(prefix="cicd-agent-step-") as folder,
        step_place(
            cwd,
            run.environ,
            trusted=trusted,
            own=Path(folder) / "own",
            opens=lambda checkout: opened(run, checkout, Sandbox),
        ) as place,
    ):
        ours: dict[str, str] = {}
        if runner is not None and place.sandbox is not None and place.space is not None:
            ours = runner.sandboxed(place.sandbox.environment(place.space))
        tracer = (
            traces.step_tracer(command, change, place.own, place.cwd, run.environ)
            if traces is not None and change is not None
            else None
        )
        native: dict[str, bool] = {}
        most = min(max(retries, 0), MAX_RETRIES) if runner else 0
        for number in range(1 + most):
            each = Path(folder) / str(number)  # a fresh folder per run: no report carries over
            each.mkdir()
            failed = [test for test, passed in native.items() if not passed] if number else None
            if failed is not None:
                say(f"retry {number} of {most}: running the {len(failed):,} failed test(s) again")
            argv = (runner.step_command(command, each, failed) if runner else None) or [*command]
            argv += tracer.arguments if tracer is not None else ()
            traced = {**ours, **tracer.environment(each)} if tracer is not None else ours
            shown = runner.step_shown if runner is not None and runner.step_captures else None
            status, output = place.run(argv, ours=traced, shared=each, timeout=timeout, shown=shown)
            native = runner.step_outcomes(each, output, place.cwd) if runner else {}
            stopped = (
                runner.step_stopped(status, output) if runner is not None and not native else None
            )
            if stopped is not None:
                raise stopped
            parents = (
                {canonical_test(t): tuple(runner.step_parents(t)) for t in native}
                if runner is not None
                else {}
            )
            alone: dict[str, str] = {}
            if tracer is not None and not number and status != 0:
                lone = tracer.alone([t for t, passed in native.items() if not passed], each)
                if lone:
                    say(f"running {len(lone):,} failed test(s) alone, to see which lines each ran")
                for test, (words, folder_of) in lone.items():
                    alone[test] = place.run(
                        words, ours=traced, shared=folder_of, timeout=timeout, shown=shown
                    )[1]
            record = tracer.record(each, alone) if tracer is not None else None
            attempts.append(attempt_of(native, status, parents, record))
            if not number and status:
                failures = [test for test, passed in native.items() if not passed]
                said = native.said if isinstance(native, StepOutcomes) else {}
                attempts[-1] = replace(attempts[-1], refused=refused_writes(output, failures, said))
            if runner is None:  # said, never "before any test reported" of a runner not read
                attempts[-1] = replace(attempts[-1], unread=unread(command, cwd))
            if not attempts[-1].failed() or (attempts[-1].doubt and number):
                break
    return attempts


_WORDS = re.compile(
    r"permission ?error|permission denied|eacces|erofs|read-only file system", re.IGNORECASE
)
"""A refused write in each language's words (Python's ``PermissionError`` and ``[Errno 30]
Read-only file system``, Go's ``permission denied``, node's ``EACCES`` and ``EROFS``): before
the path it names, or after it (where ``PermissionError``, a class's name, never is)."""
_PATH = re.compile(r"[\s'\"(:=](/[^\s'\"():,]{1,300})")
_REACH = 300
"""Characters between a refusal's words and the path they name."""
_READ_ONLY = re.compile(r"erofs|read-only file system", re.IGNORECASE)
MAX_REFUSED_LINES = 1_000
"""Lines of refusals compared with the failed tests' names: the tests print what they like."""


def in_tmp(path: str) -> bool:
    """Whether ``path`` is under ``/tmp``, which the sandbox shows empty and unwritable."""
    return path.startswith("/tmp/")  # noqa: S108 (a path a test named, not one we write)


def _refused_path(line: str) -> str:
    """The first path of ``line`` a refusal's words name within :data:`_REACH` characters before
    or after it (a ``/tmp`` path, or any on a read-only file system), "" for none. Each path is
    matched once and the words found by their places: one pattern of both tried every length
    of every path for words, 17 ms for a 2,000-character message of paths."""
    words = [(found.start(), found.end(), found[0].lower()) for found in _WORDS.finditer(line)]
    if not words:
        return ""
    starts, ends = [start for start, _, _ in words], [end for _, end, _ in words]
    for found in _PATH.finditer(line):
        where, delimiter, after = found[1], found.start(), found.end()
        before = words[bisect_left(ends, delimiter - _REACH) : bisect_right(ends, delimiter)]
        behind = words[bisect_left(starts, after) : bisect_right(starts, after + _REACH)]
        near = [w for _, _, w in before] + [w for _, _, w in behind if "error" not in w]
        if near and (in_tmp(where) or any(_READ_ONLY.search(w) for w in near)):
            return where
    return ""


def refused_writes(
    output: str, failed: Sequence[str], said: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """``(test, path)`` for the ``failed`` tests whose failure is a write the sandbox refused:
    to a ``/tmp`` path (the sandbox's ``/tmp`` cannot be written), or to any other path on a
    read-only file system (the sandbox shows the host read-only); their message in the
    runner's report (``said``: pytest's JUnit ``OSError: [Errno 30] …``) says so, or
    ``output`` names them on a line that does. Their failure there may be the sandbox's, not
    the code's."""

    lines = [(line, where) for line in output.splitlines() if (where := _refused_path(line))]
    lines = lines[:MAX_REFUSED_LINES]
    found: list[tuple[str, str]] = []
    for test in failed:
        where = _refused_path(said.get(test, "")) or next(
            (where for line, where in lines if test in line), ""
        )
        if where:
            found.append((test, where))
    return tuple(found)


def unread(command: Sequence[str], checkout: Path | None = None) -> str:
    """Why no runner reads the run of ``command``, as a clause, with the command the step
    would read where there is one: the command without the option to drop where it chose
    what the step would add (mocha's own reporter), or the runner's own command a package's
    ``test`` script runs (read in ``checkout``; a new user's ``npm test``, whose script chose
    mocha's reporter, took two rounds to a command the step read), else the runners it reads."""
    said = ((row.name, row.declined(command)) for row in STEP_ONLY)
    declined = next((f"its command runs {name}, but {why}" for name, why in said if why), "")
    if declined and (readable := _readable(command)):
        return f"{declined} (`{shlex.join(readable)}`)"
    ran = next((row.name for row in TABLE if row.runner.runs(shlex.join(command))), None)
    if not declined and ran is None and checkout is not None:
        script = package_test_script(shlex.join(command), checkout)
        if (own := _script_command(script)) and (row := runner_of(own)):
            return (
                f"its command runs {row.name} through package.json's scripts.test "
                f"({name_span(script)}), where cicd-agent cannot add the report it reads: "
                f"make `{shlex.join(own)}` the step's command to have its tests counted and "
                "retried"
            )
        ran = package_script_runner(shlex.join(command), checkout) or None
        if ran is not None:
            own_name = "node --test" if ran == "node:test" else f"npx {ran}"
            return (
                f"its command runs {ran} through package.json's scripts.test, where "
                f"cicd-agent cannot add the report it reads: make the script's own command "
                f"(`{own_name}` and its arguments) the step's command to have its tests "
                "counted and retried"
            )
    if declined or ran is None:
        known = ", ".join(row.name for row in STEP_ROWS)
        return declined or f"its command is no runner's cicd-agent reads ({known})"
    return (
        f"its command runs {ran} through another program, where cicd-agent cannot add the "
        f"report it reads: make {ran} itself the step's command to have its tests counted "
        "and retried"
    )


_SHELL_CODE = re.compile(r"[`$#]")
"""What makes a script more than the words of one command, whatever it stands beside: a
substitution, a comment (a newline too: :func:`has_control_characters`)."""

_QUOTED = 200
"""The longest script the line quotes, with the command it makes of it."""


def _script_command(script: str) -> list[str] | None:
    """A package's ``test`` script as one command the step reads (``npx`` before a package's
    program, any option the runner would not take beside ours dropped); None where it is
    more than one plain command (a ``&&``, a ``;`` joined to a word, a newline, a variable,
    ``NODE_ENV=test``), longer than a line can quote whole, or none the step reads."""
    if _SHELL_CODE.search(script) or has_control_characters(script) or len(script) > _QUOTED:
        return None
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True  # operators are words of their own, even joined to a word
    try:
        words = list(lexer)
    except ValueError:  # an unbalanced quote
        return None
    if not words or "=" in words[0] or any(set(w) <= set("();<>|&") for w in words):
        return None
    return _readable(words if words[0] in ("node", "npx") else ["npx", *words])


def _readable(command: Sequence[str]) -> list[str] | None:
    """``command`` as the step reads it: as it is, or without the options a runner declined
    it for (each dropped with its value: ``--reporter spec``); None when no runner reads it
    either way."""
    if runner_of(command) is not None:
        return list(command)
    for row in STEP_ONLY:
        words: list[str] | None = list(command)
        while words is not None and (why := row.declined(words)):
            words = next(
                (
                    fewer
                    for fewer in _dropped(words)
                    if row.declined(fewer) != why
                    and (
                        row.declined(fewer)
                        or row.step.step_command(fewer, Path(), None) is not None
                    )
                ),
                None,
            )
        if words and runner_of(words) is not None:
            return words
    return None


def _dropped(words: list[str]) -> Iterator[list[str]]:
    """``words`` with one option taken out, with its value first (``--reporter spec``), then
    alone; never the program."""
    for at in range(1, len(words)):
        if at + 1 < len(words) and "=" not in words[at] and not words[at + 1].startswith("-"):
            yield words[:at] + words[at + 2 :]
        yield words[:at] + words[at + 1 :]


def attempt_of(
    native: Mapping[str, bool],
    status: int,
    parents: Mapping[str, tuple[str, ...]] | None = None,
    ran_changed: Record | None = None,
) -> Attempt:
    """The run whose runner named each test it ended and whether it passed (``native``, by
    the runner's own ids), keyed canonically: tests whose ids meet there (``tests.py::test_s::
    test_a`` and ``tests/test_s.py::test_a``) fail together when either failed, and are
    marked shared; so is an id the runner could not tie to one test (its
    :attr:`~cicd_agent.runners.step_outcomes.StepOutcomes.unsure`: two results bore it)."""
    unsure = native.unsure if isinstance(native, StepOutcomes) else set()
    incomplete = native.incomplete if isinstance(native, StepOutcomes) else ""
    bearing: dict[str, tuple[str, ...]] = {}
    for test in native:
        bearing[canonical_test(test)] = (*bearing.get(canonical_test(test), ()), test)
    return Attempt(
        {key: all(native[t] for t in ids) for key, ids in bearing.items()},
        status,
        ran_changed,
        {canonical_test(t): t for t in native},
        parents or {},
        {key: ids for key, ids in bearing.items() if len(ids) > 1 or unsure.intersection(ids)},
        incomplete=incomplete,
        unloaded=dict(native.unloaded) if isinstance(native, StepOutcomes) else {},
    )
