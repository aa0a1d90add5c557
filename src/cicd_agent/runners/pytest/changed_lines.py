"""A pytest plugin the test step loads (``-p cicd_changed_lines_<drawn for the run>``): which tests
ran a line the change touched (DeFlaker's differential coverage).

It reads the change's lines from ``CICD_CHANGED_LINES`` (``{"path": [line, ...]}``, absolute) and
writes to ``CICD_CHANGED_RECORD`` one JSON object at the session's end: ``tests`` (each test's id:
whether a changed line ran in its setup, call or teardown) and ``outside`` (one ran outside every
test). Both variables are taken out of the environment as it loads, before any code of the project
runs. A changed line of a test file run at import counts for that file's tests. A failed test that
ran no changed line is run once more in this process, reported to nobody, and ``again`` says whether
it passed (DeFlaker's rerun; the step's retries are the clean ones).

What it cannot see it says: ``unseen`` names a test during whose call a process was started or the
tracer was set by anyone but us; ``blind`` says why no record holds (a process started outside a
test's call, another tracer replacing ours). Both come from audit hooks, which no code can remove
once added. A thread started through a ``_thread`` starter taken before we wrapped it counts as a
process from Python 3.12 (whose audit names it) and goes unseen before, as does a thread C code
starts. At Python's recursion limit our tracer raises too, and Python turns a tracer that raised
off: the test that went so deep is ``unseen`` and our tracer is set again for the next ones.

A changed line with no bytecode of its own never has a ``line`` event: it is read as the lines
where the innermost expression holding it begins (:func:`_spread`). Cheap by construction: a
function of a file the change does not touch is not traced line by line. It runs in the tests'
Python with the standard library and pytest alone: what it writes is the run's own word, as its
JUnit report is."""

from __future__ import annotations

import _thread
import ast
import bisect
import json
import os
import sys
import threading
from types import FrameType
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

_LINES: dict[str, frozenset[int]] = {}
_BY_NAME: dict[str, frozenset[int] | None] = {}
_RAN: dict[str, bool] = {}
_NOW: list[str] = []
_OUTSIDE: list[bool] = []
_FAILED: set[str] = set()
_AGAIN: dict[str, bool] = {}
"""Each failure that ran no changed line: whether it passed when run again in this process."""
_FILES: dict[str, str] = {}
"""Each test's file (real path)."""
_SHAPED: set[str] = set()
"""Test files (real paths) a changed line of which ran as they were imported."""
_UNSEEN: dict[str, str] = {}
"""Each test whose record does not hold, and why."""
_BLIND: list[str] = []
"""Why no test's record holds (empty: they do)."""
_CALL: list[str] = []
"""The test whose own call (not its fixtures) is running."""
_DONE: list[bool] = []
_DEEP: list[bool] = []
"""Each time Python's recursion limit stopped our tracer (Python turns a tracer that raised
off): whether a test was running."""
_SETTING: list[bool] = []
"""Set while we set our tracer again: that ``sys.settrace`` is ours."""
_RECORD: list[str] = []
"""Where the record goes, out of the environment the tests and their processes see."""
_PROCESS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.exec",
    }
)
"""Audit events that start a process (or replace this one): lines no tracer of ours sees."""
_THREAD = frozenset({"_thread.start_new_thread", "_thread.start_joinable_thread"})
"""Audit events (Python 3.12 on) that start a thread: one we did not wrap is unseen."""
_COMPOUND = frozenset({"body", "cases"})
"""A statement holding others (a def, class, block, ``match``) has one of these fields."""
_STARTERS = ("start_new_thread", "start_new", "start_joinable_thread")
"""``_thread``'s functions that start a thread (those this Python has)."""
_TOO_DEEP = (
    "it ran Python to its recursion limit, where our tracer could not run either and Python "
    "turned it off: the lines it ran after are unseen"
)
_TOO_DEEP_ELSEWHERE = (
    "Python's recursion limit was reached outside a test's own thread or run (in another "
    "thread, at import), where our tracer could not run either and Python turned it off"
)


def _load() -> None:
    named = os.environ.pop("CICD_CHANGED_LINES", "")
    _RECORD.append(os.environ.pop("CICD_CHANGED_RECORD", ""))
    if not named:
        return
    with open(named, encoding="utf-8") as file:
        found = json.load(file)
    for path, lines in dict(found).items():
        _LINES[os.path.realpath(str(path))] = frozenset(int(line) for line in lines)


def _changed(filename: str) -> frozenset[int] | None:
    """The lines a code object's ``line`` events name that run a changed line of its file
    (None: no line of it changed)."""
    if filename not in _BY_NAME:
        lines = _LINES.get(os.path.realpath(filename)) if filename else None
        _BY_NAME[filename] = _spread(filename, lines) if lines else lines
    return _BY_NAME[filename]


def _spread(filename: str, lines: frozenset[int]) -> frozenset[int]:
    """``lines`` and, for each on which no syntax begins (inside a string spanning lines, an
    operator alone), the lines where the innermost expression holding it and its parts begin:
    only those have bytecode. A file Python cannot read keeps its lines."""
    try:
        with open(filename, "rb") as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return lines
    nodes = [node for node in ast.walk(tree) if isinstance(node, (ast.expr, ast.stmt))]
    missing = sorted(lines - {node.lineno for node in nodes})
    inner: dict[
        int, tuple[bool, int, ast.expr | ast.stmt]
    ] = {}  # each such line's innermost holder
    for node in nodes:
        if isinstance(node, ast.stmt) and _COMPOUND & set(node._fields):
            continue  # a block's own lines hold its body's: only a simple one's are its own
        size = (isinstance(node, ast.stmt), _end(node) - node.lineno)
        for line in missing[
            bisect.bisect_right(missing, node.lineno) : bisect.bisect_right(missing, _end(node))
        ]:
            if line not in inner or size < inner[line][:2]:
                inner[line] = (*size, node)
    found = set(lines)
    for _, _, holder in inner.values():
        found.update(
            part.lineno for part in ast.walk(holder) if isinstance(part, ast.expr) or part is holder
        )
    return frozenset(found)


def _end(node: ast.AST) -> int:
    """The last line of a node (0 before Python 3.8, which does not say)."""
    return getattr(node, "end_lineno", None) or 0


def _mark(filename: str) -> None:
    if _NOW:
        _RAN[_NOW[-1]] = True
        return
    name = os.path.basename(filename)
    if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
        _SHAPED.add(os.path.realpath(filename))
    else:
        _OUTSIDE.append(True)


def _call(
    frame: FrameType, event: str, arg: Any, changed: Any = _changed, mark: Any = _mark
) -> Any:
    """The tracer of every call (its helpers bound as it is made: at the interpreter's exit a
    module's globals are gone while a call may still be traced)."""
    lines = changed(frame.f_code.co_filename)
    if lines is None:
        return None

    def line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and frame.f_lineno in lines:
            mark(frame.f_code.co_filename)
        return line

    if frame.f_lineno in lines:  # a decorator's or a def's own line: the call event's line
        mark(frame.f_code.co_filename)
    return line


def _threads_hook() -> Any:
    """The tracer ``threading`` gives new threads (its ``gettrace`` is Python 3.10's)."""
    found = getattr(threading, "gettrace", None)
    return found() if found is not None else getattr(threading, "_trace_hook", None)


def _audit(
    event: str, args: tuple[Any, ...], *, process: Any = _PROCESS, thread: Any = _THREAD
) -> None:
    """What the tracer cannot see: a process started, a thread we did not trace, a tracer set
    by anyone but us (an error here would break the audited call, so none leaves: it blinds
    the record instead)."""
    if event not in process and event != "sys.settrace" and event not in thread:
        return
    try:
        if event in _THREAD and not _unwrapped_thread(args):
            return
        _seen(event)
    except RecursionError:  # at the limit a call raises again: the one append, judged later
        if not _DONE:
            _DEEP.append(bool(_NOW))
    except Exception:  # noqa: BLE001 - at the interpreter's exit, or a frame we cannot read
        if not _DONE:
            _BLIND.append("the tracer's own watch failed")


def _seen(event: str) -> None:
    if event in _PROCESS or event in _THREAD:
        why = (
            f"it started a {'thread' if event in _THREAD else 'process'} ({event}), whose "
            "lines no tracer of ours sees"
        )
        if _CALL:
            _UNSEEN.setdefault(_CALL[-1], why)
        elif not _DONE and not _BLIND:
            _BLIND.append(
                f"a {'thread' if event in _THREAD else 'process'} was started "
                f"outside a test's own call ({event}, at import or in a fixture), "
                "where it may run the change for any test"
            )
    elif event == "sys.settrace" and not _DONE and not _SETTING and not _ours_to_a_thread():
        if _NOW:
            _UNSEEN.setdefault(_NOW[-1], "the tracer was set by the test (turned off or replaced)")
        elif not _BLIND:
            _BLIND.append("another tracer replaced ours before the tests ran (a coverage tool?)")


def _ours_to_a_thread() -> bool:
    """Whether this is a new thread being given our tracer by ``threading`` or by
    :func:`_traced`'s start."""
    caller = sys._getframe(3)  # above: _seen, _audit
    return caller.f_code is _STARTED or (
        caller.f_code.co_filename == threading.__file__ and _threads_hook() is _call
    )


def _traced(function: Any) -> Any:
    """``function`` as a new thread of ``_thread``'s runs it: our tracer set first."""

    def started(*args: Any, **kwargs: Any) -> Any:
        if not _DONE:
            sys.settrace(_call)
        return function(*args, **kwargs)

    return started


_STARTED = _traced(None).__code__


def _starter(start: Any) -> Any:
    """One of ``_thread``'s thread starters, each thread it starts traced (:func:`_traced`)."""

    def wrapped(function: Any, *args: Any, **kwargs: Any) -> Any:
        return start(_traced(function), *args, **kwargs)

    return wrapped


def _unwrapped_thread(args: tuple[Any, ...]) -> bool:
    """Whether a thread starting (audited) runs what neither ``threading`` nor we traced."""
    function = args[0] if args else None
    return getattr(function, "__code__", None) is not _STARTED and getattr(
        function, "__func__", None
    ) is not getattr(threading.Thread, "_bootstrap", None)


_load()
if _LINES:  # as pytest loads this plugin, before any conftest or module of the project
    threading.settrace(_call)
    sys.settrace(_call)
    for _name in _STARTERS:  # threading took its own starter as it loaded, untouched
        if hasattr(_thread, _name):
            setattr(_thread, _name, _starter(getattr(_thread, _name)))
    sys.addaudithook(_audit)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    _CALL.append(item.nodeid)
    try:
        yield
    finally:
        _CALL.pop()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _NOW.append(item.nodeid)
    _RAN.setdefault(item.nodeid, False)
    _FILES[item.nodeid] = os.path.realpath(item.path)
    try:
        yield
    finally:
        _NOW.pop()
    if _DEEP:
        _too_deep(item.nodeid)
    if _LINES and (sys.gettrace() is not _call or _threads_hook() is not _call) and not _BLIND:
        _BLIND.append("another tracer replaced ours during a test (a coverage tool?)")
    if item.nodeid in _FAILED and not _RAN[item.nodeid] and type(item) is pytest.Function:
        _again(item, nextitem)
        if _DEEP:  # its run again went as deep
            _too_deep(item.nodeid)


def _too_deep(test: str) -> None:
    """The test ran to Python's recursion limit, which turned our tracer off: its record no
    longer holds, and the next tests' records need our tracer back. Where it was off in another
    thread, or outside a test, no record holds."""
    inside = all(_DEEP)
    _DEEP.clear()
    if inside and sys.gettrace() is not _call:
        _UNSEEN.setdefault(test, _TOO_DEEP)
        _SETTING.append(True)
        sys.settrace(_call)
        _SETTING.clear()
    elif not _BLIND:
        _BLIND.append(_TOO_DEEP_ELSEWHERE)


def _again(item: pytest.Function, nextitem: pytest.Item | None) -> None:
    """A failure that ran no changed line, run once more in this process as a fresh item of
    the same test, reported to nobody (pytest's report and the JUnit file keep the failure):
    whether it passed goes into the record's ``again``."""
    fresh = pytest.Function.from_parent(
        item.parent,
        name=item.name,
        callspec=getattr(item, "callspec", None),
        keywords=item.keywords,
        fixtureinfo=item._fixtureinfo,
        originalname=item.originalname,
    )
    _NOW.append(item.nodeid)
    try:
        reports = runtestprotocol(fresh, log=False, nextitem=nextitem)
    finally:
        _NOW.pop()
    _AGAIN[item.nodeid] = all(not report.failed for report in reports)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _FAILED.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _DEEP and not _BLIND:  # after the last test's run
        _BLIND.append(_TOO_DEEP_ELSEWHERE)
    _DONE.append(True)
    sys.settrace(None)
    threading.settrace(None)
    record = _RECORD[0]
    if record and _LINES:
        with open(record, "w", encoding="utf-8") as file:
            tests = {test: ran or _FILES.get(test) in _SHAPED for test, ran in _RAN.items()}
            json.dump(
                {
                    "tests": tests,
                    "outside": bool(_OUTSIDE),
                    "again": _AGAIN,
                    "unseen": _UNSEEN,
                    "blind": _BLIND[0] if _BLIND else "",
                },
                file,
            )
