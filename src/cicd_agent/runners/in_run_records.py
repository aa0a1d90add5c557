"""What the fix step's in-run check saw (:mod:`.boot.in_run_check`): a verified fix needs pytest's
own machinery to have run the failing tests, not only a report that says they passed.

The in-run check is a pytest plugin written into the sandbox's own folder (read-only inside) under
a module name chosen per sandbox, loaded with ``-p`` before anything of the project: a file
the patch adds cannot take its place, as it cannot know the name. Its records stream to the
host as they are written, through the run's evidence pipe (:class:`InRunCheck`), so what the judged
process writes later (an ``atexit`` hook) comes after them and takes nothing back: a failure
pytest reported stays one whatever the JUnit report says at the end, and a test counts as run
only where every record of it says so (a record the code under test writes, first or last,
adds nothing the in-run check's own denies); :func:`in_run_problem` reads them. A patch is refused
when pytest's runner or its hooks changed after pytest started (``Function.runtest`` set to a
no-op, a ``sys.modules`` entry replaced, a function's code swapped), when pytest or pluggy
came from the checkout, when a file the patch touched implements a hook that runs or reports
a test, or when the failing test's own function was never entered and left during its call
(a test without one, a doctest or a plugin's item, is not seen by the in-run check: its runner is
not among those the in-run check watches, and a no-op there went unseen). :func:`guard_problem`
reads the in-run check's import guard: a line the patch changed that ran before the tests, a call of
the checkout's then that could blind the guard, or a guard that did not last refuses the patch
(:class:`PatchedLines` names the lines).

:func:`unnamed_by_the_linter` holds a fix judged by a linter's exit code alone to the files that
linter named as it failed: the exit code is the word of every module the linter loads (a module
an ``eslint.config.mjs`` imports can set it to 0 as eslint ends), so a patch may change only
the code the failure is about, never what the linter runs.

:func:`cookie_problem` refuses a patch that adds or changes a Python file's encoding
declaration to anything but UTF-8: ``# coding: utf-7`` turns ``+AAo-`` inside what reads as a
comment into a new line of code.
"""

from __future__ import annotations

import ast
import compileall
import difflib
import json
import os
import re
import secrets
import shlex
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cicd_agent.analysis.history import canonical_test
from cicd_agent.runners.evidence import named_runs
from cicd_agent.runners.import_time import import_time_problem
from cicd_agent.runners.js.load_time import patch_problem

STREAM_VARIABLE = "CICD_FIX_CHECK_STREAM"
"""Names the variable that holds the write end of the run's evidence pipe (the sandbox's
:attr:`~cicd_agent.sandbox.run.Sandbox.evidence_variable`): the in-run check streams its records
there."""
GUARD_VARIABLE = "CICD_FIX_CHECK_PATCHED"
"""Names the checkout and the lines the patch changed (the in-run check's import guard reads it)."""
_DEFS = ast.FunctionDef | ast.AsyncFunctionDef
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "utf-8-sig"})
_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"


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
        boot = resources.files("cicd_agent.runners.boot")
        for name, written in (("in_run_check.py", module), ("in_run_check_guard.py", f"{module}_guard")):
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
        """The variables one judged run gets on top of ``lent`` (its environment as the
        sandbox gives it): our folder first on ``PYTHONPATH``, ``-p`` our module, where the
        stream's fd is (``stream``: the variable the sandbox sets for a run's evidence), the failing
        tests it watches (by name, else by file; every test when neither is known), and the
        lines the patch changed, which must not run before the tests (``changed``)."""
        path = os.pathsep.join(filter(None, [str(self.folder), lent.get("PYTHONPATH", "")]))
        wanted = {
            "names": [canonical_test(name) for name in failed_tests],
            "modules": [] if failed_tests else [canonical_test(path) for path in test_files],
        }
        guarded = {"repo": str(changed.repo), "lines": {
            str(changed.repo / name): lines for name, lines in changed.lines.items()
        }}  # fmt: skip
        return {
            "PYTHONPATH": path,
            STREAM_VARIABLE: stream,
            "CICD_FIX_CHECK_TESTS": json.dumps(wanted),
            "PYTEST_ADDOPTS": shlex.join(["-p", self.module]),
            GUARD_VARIABLE: json.dumps(guarded),  # every patch: its audit hook watches constants
        }


@dataclass(frozen=True)
class PatchedLines:
    """The lines a patch leaves new or changed in each Python file's functions, by path
    relative to ``repo`` (the copy it applied to): what the in-run check's import guard must not see
    run before the tests (:func:`function_lines`). ``refused``: why no run of the patch can be
    believed at all ("" when it can): it adds code that runs as its module is imported
    (:func:`.import_time_problem`: the guard watches functions only, so such a line could
    replace what judges the tests unseen, ``unittest.TestCase.assertEqual`` set to a no-op),
    or an encoding declaration that hides code (:func:`cookie_problem`); in a JavaScript or
    TypeScript file, code that runs as the module loads (:func:`.js.load_time.load_time_problem`:
    jest's and vitest's tests share its realm, where ``Object.is = () => true`` makes every ``toBe``
    hold and no in-run check of ours runs). Every run of a patched copy through the seam meets this
    rule first, as the fix judge's own runs do."""

    repo: Path
    lines: dict[str, list[int]]
    refused: str = ""

    @classmethod
    def of(cls, repo: Path, files: Iterable[tuple[str, str | None, str | None]]) -> PatchedLines:
        """From each file's ``(path, before, after)`` text; a file with no text after (deleted)
        has no lines, a new one all of its functions'. Every file the patch writes is named,
        with no lines when none lies in a function (a comment, a data file): the guard stops the
        checkout's code reading it before the tests all the same, as a base that reads the
        text a patch leaves can pass on any patch."""
        files = list(files)
        found = {
            path: function_lines(before or "", after) if path.endswith((".py", ".pyw")) else []
            for path, before, after in files
            if after is not None
        }
        refused = next((why for path, before, after in files
                        if (why := cookie_problem(path, before, after)
                            or import_time_problem(path, before, after))), "") or patch_problem(
            files)  # fmt: skip
        return cls(repo, found, refused)


def changed_lines(before: str, after: str) -> list[int]:
    """The lines of ``after`` (from 1) that differ from ``before``; where lines were only
    removed, the lines on either side of the gap (the code object that lost them changed)."""
    old, new = before.splitlines(), after.splitlines()
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            lines.update(range(j1 + 1, j2 + 1))
        elif tag == "delete":
            lines.update(line for line in (j1, j1 + 1) if 1 <= line <= len(new))
    return sorted(lines)


def function_lines(before: str, after: str) -> list[int]:
    """The lines :func:`changed_lines` finds that lie in a function (a ``def``, from its own
    line on, or a lambda), and the line of each class statement inside a function whose body
    the patch changed outside its methods' bodies (the function's own code makes that class):
    code that starts as a function the patch changed is called. Module and class bodies are
    left to the static rule (:func:`.import_time_problem`) and the guard's audit hook: a guard
    on their lines refused many real fixes (an added import, a constant, a new method) for
    little, as a tracer a changed constant arms stops the run all the same. A text that does
    not parse, or nests deeper than the walk recurses, keeps every changed line."""
    changed = set(changed_lines(before, after))
    try:
        return _in_functions(ast.parse(after), changed)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return sorted(changed)


def _in_functions(tree: ast.AST, changed: set[int]) -> list[int]:
    """:func:`function_lines` over a parsed text."""
    kept: set[int] = set()

    def span(node: ast.stmt | ast.expr, start: int) -> set[int]:
        return changed.intersection(range(start, (node.end_lineno or start) + 1))

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = isinstance(child, _DEFS | ast.Lambda)
            if isinstance(child, _DEFS | ast.Lambda):  # again: mypy narrows on the call only
                kept.update(span(child, child.lineno))
            elif isinstance(child, ast.ClassDef) and in_function:
                bodies = {
                    line
                    for method in ast.walk(child)
                    if isinstance(method, _DEFS)
                    for line in span(method, method.body[0].lineno) - {method.lineno}
                }
                if span(child, child.lineno) - bodies:
                    kept.add(child.lineno)
            walk(child, in_function or function)

    walk(tree, False)

    def starts(node: ast.AST, outer: tuple[int, ...]) -> None:
        """Adds the first line of each expression around a kept line an expression holds
        itself, within one code object: the compiler folds ``(1 +`` / ``0)`` into one constant
        whose instruction names its first line alone."""
        covered: set[int] = set()
        for child in ast.iter_child_nodes(node):
            first = getattr(child, "lineno", None)
            scope = isinstance(child, _DEFS | ast.Lambda | ast.ClassDef)
            own = (first,) if isinstance(child, ast.expr) and first is not None else ()
            starts(child, () if scope else outer + own)
            if first is not None:
                covered.update(range(first, (getattr(child, "end_lineno", None) or first) + 1))
        if isinstance(node, ast.expr) and kept.intersection(span(node, node.lineno) - covered):
            kept.update(outer)

    starts(tree, ())
    return sorted(kept)


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
    """The reason for a run the guard stopped, from its record ``said``."""
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
        return "not verified: pytest never loaded the fix step's in-run check (its runs went unseen)"
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
        if "test" in record:  # wrote first or last adds nothing the in-run check's own record denies
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
    records: Iterable[dict[str, Any]], repo: Path, patched: Collection[str],
    installed: Collection[str] = (),
) -> str:  # fmt: skip
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
    """Whether a pytest of the run loaded the in-run check (its streamed records say so)."""
    return any(record.get("loaded") for process in processes for record in process)


def cookie_problem(path: str, before: str | None, after: str | None) -> str:
    """Why the encoding declaration of ``path`` as the patch leaves it is refused ("" when it
    is not): one added or changed to anything but UTF-8, or any in which ASCII text does not
    read as itself (UTF-7), even one the file had before: the patch's own lines are read in
    it, so a line added to a file committed as UTF-7 hides code as well as a new cookie."""
    if not path.endswith((".py", ".pyw", ".pyi")) or after is None:
        return ""
    now, was = _cookie(after), _cookie(before or "")
    if now is None or now.lower() in _UTF8 or (now == was and _reads_ascii_as_ascii(now)):
        return ""
    return (
        f"the patch declares {path} encoded as {now[:40]}: what reads as a comment in the diff "
        "may be code in that encoding"
    )


def _reads_ascii_as_ascii(encoding: str) -> bool:
    """Whether every printable ASCII byte, tab and newline decode as themselves in
    ``encoding`` (False for UTF-7, UTF-16, an unknown name or a non-text codec)."""
    try:
        return _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, UnicodeError, TypeError):
        return False


def _cookie(text: str) -> str | None:
    head = b"\n".join(text.encode("utf-8", "surrogateescape").splitlines()[:2])
    found = _COOKIE.search(head)
    return found.group(1).decode("ascii", "replace") if found else None


def unnamed_by_the_linter(paths: Iterable[str], failed_output: str) -> str:
    """Why a patch judged by a linter's exit code alone is refused: a file it changes is not
    one the linter named in its failing run's ``failed_output`` ("" when each is named), as a
    whole path (relative, or below the sandbox copy's repository folder) where a linter puts
    the file a report is about: first on a line (or after ruff's ``-->``), followed by
    ``:line`` or ``(line`` or alone (eslint's file heading), after isort's, black's or
    prettier's word, or as a GitHub annotation's ``file=``. Anywhere else it is
    the project's own text the linter quotes (a ``TODO`` pylint echoes, a module path eslint
    cannot resolve, a string mypy reveals, a line ruff shows), which the pull request writes."""
    for path in paths:
        where = rf"(?:\./|\S*/live/repo/)?{re.escape(path)}"
        named = re.compile(
            rf"^[ \t]*(?:-->[ \t]*)?{where}(?=:\d|\(\d|[ \t]*$)"
            rf"|^(?:ERROR: |would reformat |error: cannot format |\[warn\] ){where}(?=$|[\s:])"
            rf"|^::[a-z]+ (?:[^:\n]*,)?file={where}(?=,)",
            re.MULTILINE,
        )
        if named.search(failed_output) is None:
            return (
                f"the failing command is judged by its exit code alone, and {path} "
                "is no file it named as it failed: a fix changes the code the linter reported, "
                "never code the linter itself loads"
            )
    return ""
