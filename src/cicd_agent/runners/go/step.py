"""``go test`` in the job's test step: its run with ``-json``, the tests each run ended, and the
retry of the failed ones. ``gotestsum`` (which runs ``go test -json`` with the words after its
``--``) is go's too: its events are written to a file of the run's folder (``--jsonfile``),
its own flags kept, the retry's ``-run`` given to go after ``--``; with ``--raw-command`` (the
words are a whole command of the job's) or ``--watch`` (a run that never ends) it runs once.

A test is named ``package.TestName`` and a subtest ``package.TestName/case/inner``, as go's
events name them. go marks a parent failed whenever one of its subtests fails, so the unit the
step retries and judges is the subtest: a parent whose failure only reflects its subtests' is
dropped from the run's outcomes, and one that printed anything of its own beside go's framing
(``=== RUN``, ``--- FAIL``: a check's ``x_test.go:12: ...``, a log line, a panic) stays a
failure of its own. What stays unseen in one run: a parent that fails without a word
(``t.Fail()``) while a subtest fails; a retry in which its subtests pass shows it. A retry runs
each failed test's name at each level of its path (``-run=^(TestA|TestB)$/^(case_1)$``): go
matches every level on its own, so it may run a sibling sharing a failed one's name, never fewer
than the failed tests. A quarantine entry that names a parent covers the subtests it runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.go.log import go_event
from cicd_agent.runners.go.names import levels, parents
from cicd_agent.runners.step_outcomes import StepOutcomes

_ARGS = ("-args", "--args")
_COUNTED = re.compile(r"^--?count(?:=|$)")
EVENTS = "go-events.json"
"""gotestsum's events, written into the run's folder."""
MAX_EVENTS_BYTES = 64 << 20
_ONCE = ("--raw-command", "--watch", "tool", "help", "--help", "-h", "--version")
"""gotestsum's words that make a run the step cannot retry (or no test run at all)."""
_FRAMING = re.compile(r"\s*(?:=== (?:RUN|CONT|PAUSE|NAME)|--- (?:FAIL|PASS|SKIP):)\s")
"""go's own lines around a test's output, which say nothing the test itself printed."""


def command(
    runs: bool,
    words: Sequence[str],
    folder: Path,
    failed: Sequence[str] | None,
    extra: Sequence[str] = (),
) -> list[str] | None:
    """The step's run of ``words`` (when it ``runs`` go's tests, or is gotestsum's) with
    ``-json`` (gotestsum: its events into ``folder``), ``-count=1`` unless it sets a count and,
    on a retry, ``-run`` naming each failed test at each level of its path; both go before
    ``-args``, whose rest is the test binary's own; ``extra``: go's flags added beside ``-run``
    (a lone run's coverage). ``-failfast=false`` undoes a ``-failfast`` of the command or
    ``GOFLAGS``: tests it left unrun no retry runs, and the step would pass on the failures it
    saw."""
    again = ["-failfast=false", *_again(failed), *extra]
    if words and Path(words[0]).name == "gotestsum":
        cut = next((at for at, word in enumerate(words) if word == "--"), len(words))
        if any(word in _ONCE for word in words[1:cut]):
            return None
        given = words[cut + 1 :]
        end = next((at for at, word in enumerate(given) if word in _ARGS), len(given))
        return [
            *words[:cut],
            f"--jsonfile={folder / EVENTS}",
            "--",
            *given[:end],
            *_count(given[:end]),
            *again,
            *given[end:],
        ]
    if not runs:
        return None
    cut = next((at for at, word in enumerate(words) if word in _ARGS), len(words))
    return [*words[:cut], "-json", *_count(words[:cut]), *again, *words[cut:]]


def _count(words: Sequence[str]) -> list[str]:
    """``-count=1`` unless go's ``words`` set a count: go replays a package's cached pass
    ("ok … (cached)") without running a test, and a replayed pass is no run of a flaky test,
    nor of its retry."""
    return [] if any(_COUNTED.match(word) for word in words) else ["-count=1"]


def _again(failed: Sequence[str] | None) -> list[str]:
    paths = [names for test in failed or () if (names := levels(test))]
    depth = max((len(names) for names in paths), default=0)
    each = [dict.fromkeys(names[at] for names in paths if len(names) > at) for at in range(depth)]
    pattern = "/".join(f"^({'|'.join(re.escape(name) for name in names)})$" for names in each)
    return [f"-run={pattern}"] if pattern else []


_UNBUILT = re.compile(r"^FAIL\s+([\w.~/-]{1,200}) \[(build|setup) failed\]\s*$")
"""go's line for a package whose tests it could not build (a compile error, a missing module)."""
_AT = re.compile(r"^(\.{0,2}/?[\w.~/-]{1,200}\.go:\d+(?::\d+)?): ")
"""Where a compile error is (only the place is quoted: the message holds the project's code)."""


def _unbuilt(lines: Sequence[str]) -> str:
    """The clause for the packages whose tests go could not build, the first error's place and
    the fix ("" for none)."""
    failed = [found for line in lines if (found := _UNBUILT.match(line))]
    if not failed:
        return ""
    at = next((found.group(1) for line in lines if (found := _AT.match(line))), "")
    where = f", the first error at {at}" if at else ""
    more = f" and {len(failed) - 1} more package(s)" if len(failed) > 1 else ""
    package, stage = failed[0].group(1), failed[0].group(2)
    return (
        f"go test could not build the tests of {package}{more} ({stage} failed{where}); fix "
        "what go prints above (a compile error; a missing module: `go mod tidy`, or "
        "`go mod init MODULE` where there is no go.mod), then re-run"
    )


def outcomes(folder: Path, output: str) -> StepOutcomes:
    """Each test's id and whether every end of it passed (a pass printed after a failure, a test
    can write to the go command's own output, hides nothing), less each failed parent whose
    failure only reflects its failed subtests'; read from gotestsum's events in
    ``folder`` where it wrote them (bounded, no link followed), else from ``output``."""
    printed = output
    with suppress(
        CheckoutFileError, OSError
    ):  # none: no gotestsum run, go's events are what it printed
        output = read_text(folder, EVENTS, MAX_EVENTS_BYTES)
    found: dict[str, bool] = {}
    own: set[str] = set()
    ended: dict[str, str] = {}  # package → the test a panic (or go's timeout) ended it in
    plain: list[str] = []  # go's own lines and its events' output, where a build failure shows
    for line in [*output.splitlines(), *(printed.splitlines() if printed is not output else ())]:
        event = go_event(line)
        if event is None or (
            not event.get("Test") and event.get("Action") in ("output", "build-output")
        ):
            plain += str(event.get("Output", "")).splitlines() if event else [line]
        if not event or not event.get("Test"):
            continue
        test = f"{event.get('Package', '')}.{event['Test']}"
        if event.get("Action") in ("pass", "fail"):
            found[test] = found.get(test, True) and event["Action"] == "pass"
        elif event.get("Action") == "output" and not _FRAMING.match(str(event.get("Output", ""))):
            own.add(test)  # a line of its own: a check, a log, a panic; go's framing is not
            if str(event.get("Output", "")).startswith("panic: "):
                ended.setdefault(str(event.get("Package", "")), test)
    failed = [test for test, passed in found.items() if not passed]
    within = {parent for test in failed for parent in parents(test)}
    kept = StepOutcomes()
    kept.update(
        (test, passed)
        for test, passed in found.items()
        if passed or test in own or test not in within
    )
    kept.incomplete = _unbuilt(plain) or _ended(ended)
    return kept


def _ended(ended: dict[str, str]) -> str:
    """The clause for packages whose test binary a panic ended ("" for none): the tests after
    the panicking one never ran, and no event names them, so a retry of the failed ones alone
    would pass the step over a test that always fails."""
    if not ended:
        return ""
    package, test = next(iter(ended.items()))
    more = f" and {len(ended) - 1} more package(s)" if len(ended) > 1 else ""
    return (
        f"go test's run of {package}{more} ended at a panic in {test}, so the package's "
        "later tests never ran and cannot be counted; make the test fail without panicking "
        "(t.Fatal), then re-run"
    )


_ANNOUNCED = re.compile(r"\s*=== (?:RUN|CONT|PAUSE|NAME)\s")
"""go's lines announcing a test (``-json`` runs as ``-v``), which ``go test`` alone never prints."""


class Shown:
    """What the job's log shows of a ``go test -json`` run, as ``go test`` prints without
    ``-v``: a test's own lines only when it fails (held until its end: dropped when it passes
    or is skipped), the package's lines (``ok``, ``FAIL``, a build error) as they come, and a
    failed package's lines still held (a panic). Any other line shows as printed."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], list[str]] = {}

    def __call__(self, line: str) -> str:
        event = go_event(line)
        if event is None:
            return f"{line}\n"
        package, test = str(event.get("Package", "")), str(event.get("Test", ""))
        action, text = event.get("Action"), str(event.get("Output", ""))
        if not test:
            if action == "output":
                return "" if text.strip() in ("PASS", "FAIL") else text
            ended = (
                [key for key in self.held if key[0] == package]
                if action in ("pass", "fail", "skip")
                else []
            )
            kept = [self.held.pop(key) for key in ended]
            return "".join(text for lines in kept for text in lines) if action == "fail" else ""
        if action == "output":
            if not _ANNOUNCED.match(text):
                self.held.setdefault((package, test), []).append(text)
            return ""
        if action in ("pass", "fail", "skip"):
            lines = self.held.pop((package, test), [])
            return "".join(lines) if action == "fail" else ""
        return ""
