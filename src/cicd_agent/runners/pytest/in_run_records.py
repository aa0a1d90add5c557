"""What the fix step's in-run check saw: a verified fix needs pytest's own machinery to have run the
failing tests, not only a report that says they passed.

The records stream to the host as they are written, so what the judged process writes later (an
``atexit`` hook) takes nothing back: a reported failure stays one whatever the JUnit report says,
and a test counts as run only where every record of it says so. The refusals are
:func:`runner_changed`'s (pytest's runner or hooks changed after it started, or imported from the
checkout), the failing test's own function never entered and left during its call (a doctest or a
plugin's item is not watched, so a no-op there would go unseen), and :func:`guard_problem`'s."""

from __future__ import annotations

import compileall
import json
import os
import secrets
import shlex
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cicd_agent.analysis.history import canonical_test
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.pytest.evidence import named_runs

STREAM_VARIABLE = "CICD_FIX_CHECK_STREAM"
"""Names the variable that holds the write end of the run's evidence pipe, where the in-run
check streams its records."""
GUARD_VARIABLE = "CICD_FIX_CHECK_PATCHED"
"""Names the checkout and the lines the patch changed (the in-run check's import guard reads it)."""


@dataclass(frozen=True)
class InRunCheck:
    """The in-run check installed in one sandbox: its folder (put first on ``PYTHONPATH``) and its
    module's name (given to pytest as ``-p NAME``)."""

    folder: Path
    module: str

    @classmethod
    def install(cls, root: Path) -> InRunCheck:
        """Write the in-run check into ``root`` (the sandbox's own folder) under a fresh name."""
        module = f"cicd_check_{secrets.token_hex(8)}"
        folder = root / "fix-boot"
        folder.mkdir(exist_ok=True)
        boot = resources.files("cicd_agent.runners.pytest.in_run")
        for name, written in (
            ("in_run_check.py", module),
            ("in_run_check_guard.py", f"{module}_guard"),
        ):
            source = folder / f"{written}.py"
            source.write_text(boot.joinpath(name).read_text("utf-8"), "utf-8")
            compileall.compile_file(source, quiet=2)  # once here: a run writes no bytecode
        return cls(folder, module)

    def environment(
        self,
        lent: dict[str, str],
        stream: str,
        failed_tests: Collection[str],
        test_files: Collection[str],
        changed: PatchedLines,
    ) -> dict[str, str]:
        """The variables one judged run gets on top of ``lent``: our folder first on
        ``PYTHONPATH``, ``-p`` our module, the stream's fd, the failing tests it watches (every
        test when none is known), and the lines the patch changed, which must not run before the
        tests."""
        path = os.pathsep.join(filter(None, [str(self.folder), lent.get("PYTHONPATH", "")]))
        wanted = {
            "names": [canonical_test(name) for name in failed_tests],
            "modules": [] if failed_tests else [canonical_test(path) for path in test_files],
        }
        guarded = {
            "repo": str(changed.repo),
            "lines": {str(changed.repo / name): lines for name, lines in changed.lines.items()},
        }
        return {
            "PYTHONPATH": path,
            STREAM_VARIABLE: stream,
            "CICD_FIX_CHECK_TESTS": json.dumps(wanted),
            "PYTEST_ADDOPTS": shlex.join(["-p", self.module]),
            GUARD_VARIABLE: json.dumps(guarded),  # every patch: its audit hook watches constants
        }


def guard_problem(processes: list[list[dict[str, Any]]], repo: Path) -> str:
    """Why the in-run check's guard refuses the run (""): a line the patch changed ran before the
    failing test's call, the checkout's code read the patch, made code or started a process
    then, or made a call that could blind the guard, or a pytest that ran a watched test never
    said the guard lasted until its tests and watched its setup (one that ran none, such as a
    pytest a test starts with bad options, is not asked)."""
    for record in (record for records in processes for record in records):
        said = record.get("import_guard")
        if isinstance(said, dict):
            return _stopped(said, repo)
    for process in processes:
        ran = sum("test" in record for record in process)
        intact = any(record.get("guard") == {"intact": True} for record in process)
        watched = [record["setup_watched"] for record in process if "setup_watched" in record]
        setups = len(watched) >= ran and all(seen == {"watched": True} for seen in watched)
        if ran and not (intact and setups):
            return (
                "not verified: the fix step's watch on what runs before the tests was removed "
                "or replaced in the pytest that ran them"
            )
    return ""


def _stopped(said: dict[str, Any], repo: Path) -> str:
    when = "as the tests were set up" if said.get("when") == "setup" else "before the tests started"
    where = str(said.get("file", said.get("read", "")))
    if Path(where).is_absolute() and Path(where).is_relative_to(repo):
        where = Path(where).relative_to(repo).as_posix()
    tamper = str(said.get("tamper", ""))[:80]
    if tamper and said.get("late"):
        return (
            f"not verified: the checkout's code called {tamper} as the tests ran: a tracer can "
            "rebind the failing test's names or skip its assertions"
        )
    if tamper:
        return (
            f"not verified: the checkout's code called {tamper} {when}, which could run or read "
            "the patched code unseen or blind the fix step's watch on what runs then"
        )
    if "broken" in said:
        return (
            f"not verified: the fix step's watch on what runs before the tests was "
            f"{str(said['broken'])[:80]} {when}"
        )
    if "read" in said:
        return (
            f"not verified: the checkout's code read {where[:200]}, which the patch changes or "
            f"the fix step cannot tell from it, {when} other than by importing it (its text can "
            "run under another name)"
        )
    return (
        f"not verified: line {said.get('line')} of {where[:200]}, which the patch changes, ran "
        f"{when} (as modules were imported, tests collected or set up), where it could tell the "
        "judge what to see; a fix may change what runs when a test calls it"
    )


def by_process(stream: bytes) -> list[list[dict[str, Any]]]:
    """The in-run check's records as they reached the host (``stream``: the run's evidence pipe),
    one list per pytest process in the order written; a line that is no record is skipped."""
    processes: dict[int, list[dict[str, Any]]] = {}
    for line in stream.split(b"\n"):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("pid"), int):
            processes.setdefault(record["pid"], []).append(record)
    return list(processes.values())


def in_run_problem(
    processes: list[list[dict[str, Any]]],
    repo: Path,
    patched: Collection[str],
    failed_tests: Collection[str],
    test_files: Collection[str],
    *,
    installed: Collection[str] = (),
) -> str:
    """Why the in-run check's records in ``folder`` do not show pytest running the failing tests
    itself ("" when they do). ``repo``: the copy the run worked in; ``patched``: the files the
    patch writes (relative to it); ``installed``: the job's installs in it (``runner_changed``)."""
    records = [record for process in processes for record in process]
    if not in_run_check_loaded(processes):
        return (
            "not verified: pytest never loaded the fix step's in-run check (its runs went unseen)"
        )
    unreported = collection_unreported(processes)
    if unreported:
        return f"not verified: {unreported}"
    tampered = runner_changed(records, repo, patched, installed)
    if tampered:
        return f"not verified: {tampered}"
    failed = next((record for record in records if "failed" in record), None)
    if failed is not None:
        return (
            f"not verified: pytest reported {str(failed['failed'])[:200]} failed "
            f"({str(failed.get('when'))[:20]}) as it ran, whatever its report says after"
        )
    ran: dict[str, bool] = {}
    for record in records:  # every record of a test must say it ran: one the code under test
        if (
            "test" in record
        ):  # wrote first or last adds nothing the in-run check's own record denies
            key = canonical_test(str(record["test"]))
            ran[key] = ran.get(key, True) and bool(record.get("ran") and record.get("function"))
    named = named_runs(ran, failed_tests, test_files) or [("a test", list(ran.values()))]
    for name, seen in named:
        if not seen or not all(seen):
            return (
                f"not verified: the in-run check saw {name} reported without its own function "
                "running (or with no function it can watch: a doctest, a plugin's item, whose "
                "runner no-ops unseen)"
            )
    return ""


def runner_changed(
    records: Iterable[dict[str, Any]],
    repo: Path,
    patched: Collection[str],
    installed: Collection[str] = (),
) -> str:
    """Why the in-run check's ``records`` show pytest's own runner not as it started ("" when they
    do not): pytest or pluggy imported from the checkout (``repo``) but for its folders
    ``installed`` (the job's virtualenv, ``Sandbox.installed``), a watched function or module
    replaced, or a hook that runs or reports a test implemented in a file of ``patched`` (the
    patch's, relative to ``repo``). Read by the fix judge and the test-runner seam alike."""
    for record in records:
        origins = record.get("origins")
        for name, origin in origins.items() if isinstance(origins, dict) else ():
            # as written (a search path "<copy>/.venv/.." enters the job's install and leaves it)
            place = Path(os.path.normpath(origin)) if isinstance(origin, str) and origin else None
            if place is None or not place.is_relative_to(repo):
                continue
            if place.relative_to(repo).parts[:1] not in {(folder,) for folder in installed}:
                return f"{name} was imported from the checkout ({origin[:200]})"
        changed = record.get("changed")
        if isinstance(changed, list) and changed:
            said = "; ".join(dict.fromkeys(str(item)[:120] for item in changed[:3]))
            return f"pytest's runner changed after it started ({said})"
        hooks = record.get("hooks")
        for entry in hooks if isinstance(hooks, list) else ():
            hook, where = [*entry, "", ""][:2] if isinstance(entry, list) else ("", "")
            path = Path(os.path.normpath(where)) if isinstance(where, str) and where else Path()
            shown = path.relative_to(repo).as_posix() if path.is_relative_to(repo) else ""
            if path.is_absolute() and shown in patched:
                return f"{shown[:200]}, which the patch writes, implements pytest's {hook}"
    return ""


def collection_unreported(processes: list[list[dict[str, Any]]]) -> str:
    """Why a pytest that ran tests is not believed for want of its record of what it collected
    (the hooks that run and report a test, and what had changed by then): a record lost (a
    writer sharing the pipe can interleave with one longer than the pipe writes whole) or
    never written says nothing, so nothing it would have said is checked ("" when each has it)."""
    for process in processes:
        if any("test" in record for record in process) and not any(
            record.get("collected") for record in process
        ):
            return "a pytest that ran tests never said what it collected (its record was lost)"
    return ""


def in_run_check_loaded(processes: list[list[dict[str, Any]]]) -> bool:
    return any(record.get("loaded") for process in processes for record in process)
