"""What one pytest run we started reported (its evidence pipe), and whether it is believed.

Our plugin writes one JSON line at the session's end (outcomes, times, collection errors, exit
status, coverage); the in-run check streams its records as the run goes. The plugin's report is made
inside the tests' process, so code under test could rewrite it (``Function.runtest`` set to a no-op
makes every test "pass"): it is believed only where the in-run check agrees. A run whose check never
loaded, or saw pytest's runner replaced or imported from the checkout, is no result; a pass whose
function the check never saw run is ``unseen``. A second report on the pipe, or an exit status other
than pytest's, is tampering too.

Not closed: code written against this agent can write records of its own to the pipe it finds in
its environment; the import guard stops the patch's functions running before the tests, where
such code would have to run."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from cicd_agent.runners.pytest.in_run_records import (
    by_process,
    collection_unreported,
    guard_problem,
    in_run_check_loaded,
    runner_changed,
)
from cicd_agent.runners.sessions import Evidence, Outcomes
from cicd_agent.sandbox import RunResult

UNSEEN = "unseen"
"""A test our plugin reported passed whose own function the in-run check never saw run."""


def _document(line: bytes) -> Outcomes:
    document: dict[str, Any] = json.loads(line)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    blob = document.get("coverage")
    status = document.get("exitstatus")
    return Outcomes(
        tests={str(k): str(v) for k, v in dict(document.get("tests", {})).items()},
        collect_errors=tuple(str(e) for e in document.get("collect_errors", [])),
        unresolved=tuple(str(u) for u in document.get("unresolved", [])),
        exitstatus=status if isinstance(status, int) else None,
        coverage=base64.b64decode(blob, validate=True) if isinstance(blob, str) else None,
        seconds={str(k): float(v) for k, v in dict(document.get("seconds", {})).items()},
        checks={str(k): str(v) for k, v in dict(document.get("checks", {})).items()},
        repeats={
            str(k): (int(v[0]), int(v[1]))
            for k, v in dict(document.get("repeats", {})).items()
            if len(v) == 2
        },
    )


def _is_record(line: bytes) -> bool:
    """Whether ``line`` is one of the in-run check's records (an object with a process id)."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(record, dict) and isinstance(record.get("pid"), int)


def parse_evidence(
    raw: bytes,
    returncode: int | None,
    repo: Path | None = None,
    patched: Collection[str] | None = None,
    installed: Collection[str] = (),
) -> Evidence:
    """``returncode``: None when killed (not compared); ``repo``: None when no in-run check was
    asked; ``patched``: the files a patch wrote, which may implement no hook that runs or reports
    a test (None: no patch)."""
    lines = [line for line in raw.split(b"\n") if line.strip()]
    records = [line for line in lines if _is_record(line)]
    lines = [line for line in lines if line not in records]
    if not lines:
        return Evidence(None)
    if len(lines) > 1:
        return Evidence(None, f"{len(lines)} outcome reports instead of one (a test wrote its own)")
    try:
        outcomes = _document(lines[0])
    except (ValueError, TypeError, RecursionError, binascii.Error) as exc:
        return Evidence(None, f"an unreadable outcome report ({type(exc).__name__})")
    if returncode is not None and outcomes.exitstatus != returncode:
        return Evidence(
            outcomes,
            f"the process exited with status {returncode} although pytest ended with "
            f"{outcomes.exitstatus}",
        )
    if repo is None:
        return Evidence(outcomes)
    processes = by_process(b"\n".join(records))
    problem = _in_run_problem(processes, repo, patched, installed)
    if problem:
        return Evidence(outcomes, problem)
    seen: dict[str, bool] = {}
    ran: dict[str, int] = {}
    failed: dict[str, int] = {}
    for record in (record for process in processes for record in process):
        if "test" in record:  # seen only where every record of it says so; each run counts
            test, whole = str(record["test"]), bool(record.get("ran") and record.get("function"))
            seen[test] = seen.get(test, True) and whole
            ran[test] = ran.get(test, 0) + whole
        if "failed" in record:  # as pytest reported it, before any report of ours was written
            test, once = str(record["failed"]), record.get("when") != "teardown"
            failed[test] = failed.get(test, 0) + (once and not record.get("subtest"))  # a run's
    tests = {
        test: "failed"
        if test in failed
        else outcome
        if outcome != "passed" or seen.get(test)
        else UNSEEN
        for test, outcome in outcomes.tests.items()
    }
    return Evidence(
        replace(outcomes, tests=tests, repeats=_seen_repeats(outcomes.repeats, ran, failed))
    )


def _seen_repeats(
    reported: Mapping[str, tuple[int, int]], ran: Mapping[str, int], failed: Mapping[str, int]
) -> dict[str, tuple[int, int]]:
    """Each repeated test's passes and failures as the in-run check allows them: no more passes than
    runs of its function it saw end, less the failures pytest reported to it, and at least
    those failures; a reported run beyond that is a failure (a pass nobody saw is none)."""
    counted: dict[str, tuple[int, int]] = {}
    for test, (passes, failures) in reported.items():
        runs = max(passes, 0) + max(failures, 0)
        believed = max(min(passes, ran.get(test, 0) - failed.get(test, 0)), 0)
        counted[test] = (believed, max(runs - believed, failed.get(test, 0)))
    return counted


def _in_run_problem(
    processes: list[list[dict[str, Any]]],
    repo: Path,
    patched: Collection[str] | None,
    installed: Collection[str],
) -> str:
    if not in_run_check_loaded(processes):
        return "pytest never loaded the in-run check, so no outcome it reports was seen"
    guarded = guard_problem(processes, repo) if patched is not None else ""
    if guarded:
        return guarded.removeprefix("not verified: ")
    unreported = collection_unreported(processes)
    if unreported:
        return unreported
    records = (record for process in processes for record in process)
    return runner_changed(records, repo, patched or (), installed)


def why_no_result(result: RunResult, evidence: Evidence) -> str:
    """Why a run's report says nothing to believe ("" when it does): the sandbox's word when
    the run ended before its time (killed, timed out, never started), else the report's."""
    ended = result.timed_out or result.killed_for or result.sandbox_failure
    if not ended and evidence.outcomes is not None and not evidence.problem:
        return ""
    return evidence.problem if evidence.problem and not ended else f"pytest {result.describe()}"


_NO_MODULE = re.compile(
    r"^E\s+(ModuleNotFoundError: No module named '[\w.]{1,100}'|ImportError\b)", re.M
)
"""pytest's word on a test module that cannot be imported; only a module's name is quoted."""


def import_error(output: str) -> str:
    """The first import error pytest printed for a test module in ``output`` ("" for none)."""
    found = _NO_MODULE.search(output)
    return "" if found is None else found.group(1)
