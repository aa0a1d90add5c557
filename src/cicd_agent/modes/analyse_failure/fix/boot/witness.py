"""The fix step's witness inside pytest: whether pytest's own machinery ran each test.

An exit code and a JUnit report are the word of a process the code under test runs in: a
patch to ``calc/__init__.py`` that sets ``Function.runtest`` to a no-op makes pytest report
the failing test passed while ``add`` still subtracts. This plugin is loaded first (``-p``,
under a module name chosen per sandbox, so no file of the project can take its place), before
the project's conftests and modules are imported, and:

- takes a snapshot of the functions that run and report a test (:data:`WATCHED`) and of
  their code; at the end of collection and before each test's call it compares, and writes
  down every function replaced, every code object swapped and every module put in another's
  place in ``sys.modules``;
- writes where ``pytest``, ``_pytest`` and ``pluggy`` were imported from (a folder of the
  project shadowing them is the project's word again);
- writes the file of every implementation of the hooks that run and report a test;
- during the call of each failing test (``CICD_FIX_WITNESS_TESTS`` names them; every test
  when it names none), watches for the test function's own code being entered and left: a
  no-op runner never runs the test's body. On Python 3.12 and later through
  ``sys.monitoring``, on that one code object alone (no cost anywhere else); before, through
  ``sys.setprofile`` (never the tracer a coverage run uses), which slows every call the test
  makes: hence only the failing tests are watched;
- before the project is imported, sets an import guard (:func:`_import_guard`) on the lines the
  patch changed in functions (``CICD_FIX_WITNESS_PATCHED``): the run ends as one is entered
  before the tests (a body the base runs at import).

Records go, one JSON line each, to a file of its own process in the folder
``CICD_FIX_WITNESS`` names (the judge reads them: :mod:`..witnessed`). Code written against
this plugin can forge its records, in pytest's process or, run by a command of the step before
pytest, by planting a module of the name it reads in ``PYTEST_ADDOPTS`` where
``python -m pytest`` looks first: the judge therefore refuses a patch that adds code running
as a module is imported (``import_time_problem``), and the guard ends a run in which a
function the patch changed starts before the tests; what is left is the pull request's own
import-time code changing this plugin's objects in place. The cost: a step that sets its own
``PYTHONPATH`` drops this module's folder, and no fix verifies there (the verifier says why).
"""

from __future__ import annotations

import _thread
import inspect
import json
import os
import re
import sys
import threading
from typing import Any

import pytest

WATCHED = (
    ("_pytest.python", "Function.runtest"), ("_pytest.python", "Function.setup"),
    ("_pytest.python", "pytest_pyfunc_call"), ("_pytest.unittest", "TestCaseFunction.runtest"),
    ("_pytest.runner", "pytest_runtest_protocol"), ("_pytest.runner", "runtestprotocol"),
    ("_pytest.runner", "call_and_report"), ("_pytest.runner", "call_runtest_hook"),
    ("_pytest.runner", "pytest_runtest_call"), ("_pytest.runner", "pytest_runtest_makereport"),
    ("_pytest.runner", "CallInfo.from_call"), ("_pytest.reports", "TestReport.from_item_and_call"),
    ("_pytest.main", "pytest_runtestloop"), ("_pytest.junitxml", "LogXML.pytest_runtest_logreport"),
    ("_pytest.junitxml", "_NodeReporter.append_pass"), ("pluggy._callers", "_multicall"),
    ("pluggy._hooks", "HookCaller.__call__"), ("pluggy._hooks", "_HookCaller.__call__"),
    ("pluggy._manager", "PluginManager._hookexec"),
)  # fmt: skip
"""What runs a test and reports it, as ``(module, attribute path)``; names an installed pytest
or pluggy lacks are left out."""

HOOKS = ("pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
         "pytest_pyfunc_call", "pytest_runtest_makereport", "pytest_runtest_logreport",
         "pytest_report_teststatus")  # fmt: skip
_FOLDER = os.environ.get("CICD_FIX_WITNESS", "")
_SEPARATORS = re.compile(r"\.py::|::|/| › | > |#")


def _canonical(name: str) -> str:
    """A test's name as the judge spells it (``cicd_agent.analysis.logs.history``)."""
    head, bracket, params = name.strip().partition("[")
    head = head[:-3] if head.endswith(".py") else head
    return _SEPARATORS.sub(".", head).replace(" ", ".").strip(".") + bracket + params


def _wanted() -> tuple[list[str], list[str]]:
    try:
        named = json.loads(os.environ.get("CICD_FIX_WITNESS_TESTS", "") or "{}")
    except ValueError:
        named = {}
    names = named.get("names") if isinstance(named, dict) else None
    modules = named.get("modules") if isinstance(named, dict) else None
    return (
        [str(name) for name in names] if isinstance(names, list) else [],
        [str(module) for module in modules] if isinstance(modules, list) else [],
    )


_NAMES, _MODULES = _wanted()


def _watched(nodeid: str) -> bool:
    """Whether the test ``nodeid`` is one the judge asks about (every test when none named)."""
    if not _NAMES and not _MODULES:
        return True
    key = _canonical(nodeid)
    return any(key == name or key.endswith(f".{name}") for name in _NAMES) or any(
        f".{module}." in f".{key}" for module in _MODULES
    )


def _tool() -> int | None:
    """A ``sys.monitoring`` tool id of our own (None before Python 3.12, or none free)."""
    monitoring = getattr(sys, "monitoring", None)
    for tool in (4, 3, 5):
        try:
            monitoring.use_tool_id(tool, "cicd-fix-witness")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            continue
        return tool
    return None


_TOOL = _tool()


def _resolve(module: Any, path: str) -> Any:
    value = module
    for part in path.split("."):
        value = inspect.getattr_static(value, part, None)
        if value is None:
            return None
    return value


def _snapshot() -> dict[tuple[str, str], tuple[Any, Any, Any]]:
    taken = {}
    for name, path in WATCHED:
        module = sys.modules.get(name)
        value = _resolve(module, path) if module is not None else None
        if value is not None:
            taken[(name, path)] = (module, value, getattr(value, "__code__", None))
    return taken


_TAKEN = _snapshot()


def _changes() -> list[str]:
    """What differs from the snapshot, in words."""
    found = []
    for (name, path), (module, value, code) in _TAKEN.items():
        if sys.modules.get(name) is not module:
            found.append(f"sys.modules[{name!r}] replaced")
            continue
        now = _resolve(module, path)
        if now is not value:
            found.append(f"{name}.{path} replaced")
        elif getattr(now, "__code__", None) is not code:
            found.append(f"the code of {name}.{path} replaced")
    return found


def _write(record: dict[str, Any]) -> None:
    if not _FOLDER:
        return
    line = (json.dumps(record) + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(os.path.join(_FOLDER, f"witness-{os.getpid()}.jsonl"), flags, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _origin(name: str) -> str:
    module = sys.modules.get(name)
    return str(getattr(module, "__file__", "") or "")


_write({"loaded": True, "origins": {n: _origin(n) for n in ("pytest", "_pytest", "pluggy")}})

GUARD_EXIT = 86
"""The status a run ends with when :func:`_import_guard` stops it."""
_TAMPERING = ((sys, "getprofile"), (_thread, "start_new_thread"),
              (_thread, "start_joinable_thread"))  # fmt: skip
"""C functions that find the guard or start a thread it does not follow (no audit event)."""
_TRACERS = frozenset({"sys.settrace", "sys.setprofile"})
"""Audit events that stop the run as tests run too, but for this plugin's own (:data:`_OWN`)."""
_OWN: list[Any] = []
_AUDITED = _TRACERS | {"gc.get_objects", "gc.get_referrers", "gc.get_referents",
                       "object.__setattr__", "object.__delattr__"}  # fmt: skip
"""Audit events (however the call is made: ``map``, ``functools.partial``, C; a hook stays) that
remove the guard, set a tracer, find its objects or swap a function's code (the checkout's, not
``types.coroutine``'s) or a special attribute of the guard's or runner's objects; ``ctypes.``"""


def _patched_lines() -> tuple[tuple[str, ...], dict[Any, frozenset[int]]]:
    """Where the checkout is and the lines each patched file has new (``CICD_FIX_WITNESS_PATCHED``),
    by device and inode and by the ways a code object may spell the path: the guard resolves
    no path (``os.path`` could be rebound by then), it asks ``stat`` (C)."""
    try:
        named = json.loads(os.environ.get("CICD_FIX_WITNESS_PATCHED", "") or "{}")
    except ValueError:
        named = {}
    repo = named.get("repo") if isinstance(named, dict) else None
    files = named.get("lines") if isinstance(named, dict) else None
    if not isinstance(repo, str) or not repo or not isinstance(files, dict):
        return (), {}
    here = os.getcwd()
    spelled: dict[Any, frozenset[int]] = {}
    for path, lines in files.items():
        if isinstance(path, str) and isinstance(lines, list):
            changed = frozenset(line for line in lines if isinstance(line, int))
            for name in (path, os.path.realpath(path), os.path.relpath(path, here)):
                spelled[name] = changed
            try:
                found = os.stat(path)
            except (OSError, ValueError):
                continue
            spelled[(found.st_dev, found.st_ino)] = changed
    return tuple(
        dict.fromkeys(os.path.join(r, "") for r in (repo, os.path.realpath(repo)))
    ), spelled


def _lines_of(patched: dict[Any, frozenset[int]]) -> Any:
    """What tells the changed lines of the file a code object's name is (None: no patched
    file); a module's code asks ``stat`` again, so a patched file moved over a name seen before
    is seen. Every name it uses is taken now, before the project can rebind one."""
    is_str, kind, stat = str, type, os.stat
    known: dict[str, frozenset[int] | None] = {}

    def lines_of(name: Any, module: bool) -> frozenset[int] | None:
        if kind(name) is not is_str:
            return None
        if module or name not in known:
            try:
                found = stat(name)
            except (OSError, ValueError):
                known[name] = patched.get(name)
            else:
                known[name] = patched.get(name) or patched.get((found.st_dev, found.st_ino))
        return known[name]

    return lines_of


def _from_checkout(inside: tuple[str, ...]) -> tuple[Any, Any]:
    """What tells whether the checkout's code is on a frame's stack (in ``inside``, of a relative
    path, outside ``sys.path`` and the interpreter's folders, or named as it compiled code)."""
    is_str, kind, real = str, type, os.path.realpath
    named: set[Any] = set()
    trusted = tuple({os.path.join(f(p), "") for p in (*sys.path, sys.prefix, sys.base_prefix)
                     if os.path.isabs(p) for f in (str, real)} - {"/"})  # fmt: skip

    def from_checkout(frame: Any, up: bool = True) -> bool:
        while frame is not None:
            name = frame.f_code.co_filename
            if kind(name) is not is_str or name in named or name.startswith(inside):
                return True
            if not name.startswith(trusted) and name[:1] != "<":  # a relative path, a planted file
                return True
            frame = frame.f_back if up else None
        return False

    return from_checkout, named.add


def _import_guard(inside: tuple[str, ...], patched: dict[Any, frozenset[int]]) -> tuple[Any, Any]:
    """A profile function, set before any module of the project is imported, that ends the process
    the moment a function's code holding a line the patch changed starts before the tests (or code
    of the checkout, in ``inside``, makes a call that could blind it); and what ends its watch.
    Tools beside pytest (coverage) may make those calls. It decides as code is entered (the patch's
    code runs no instruction first), with names taken now, before the project can rebind one."""
    exit_now, started, lines_of = os._exit, threading.settrace.__code__, _lines_of(patched)
    function = inspect.CO_OPTIMIZED  # a function's code; a module's or class's body is not
    get_profile, set_profile, get_frame = sys.getprofile, sys.setprofile, sys._getframe
    stops = {getattr(module, name): f"{module.__name__}.{name}" for module, name in _TAMPERING
             if hasattr(module, name)}  # fmt: skip
    (from_checkout, name_code), armed, ident = _from_checkout(inside), [True], id
    kept = {ident(item) for (_name, path), (module, value, _code) in _TAKEN.items()
            for item in (module, value, _resolve(module, path.rpartition(".")[0]))}  # fmt: skip

    def stop(record: dict[str, Any]) -> None:
        try:
            _write({"import_guard": record})
        finally:
            exit_now(GUARD_EXIT)

    def guard(frame: Any, event: str, arg: Any) -> None:
        if not armed[0]:
            return
        if event == "c_call":
            try:
                said = stops.get(arg)
            except TypeError:
                return
            if said and from_checkout(frame):
                stop({"tamper": said})
            return
        if event != "call":
            return
        code = frame.f_code
        if code is started and from_checkout(frame.f_back):
            stop({"tamper": "threading.settrace"})
        changed = lines_of(code.co_filename, code.co_name == "<module>")
        for _start, _end, line in code.co_lines() if changed and code.co_flags & function else ():
            if line in changed:
                stop({"file": code.co_filename, "line": line, "code": code.co_name})

    own = _OWN

    def audit(event: str, args: Any) -> None:
        if event in ("compile", "code.__new__") and from_checkout(get_frame(1), False):
            name_code(args[1])  # whatever file it names (a hook pytest calls with no frame of ours)
        tampers = event in _AUDITED or event.startswith("ctypes.")
        if tampers and event.startswith("object."):  # the checkout's own swap, or of ours
            own_swap = args[1] == "__code__" and from_checkout(get_frame(1), False)
            tampers = own_swap or ident(args[0]) in kept
        if armed[0] and tampers and from_checkout(get_frame(1)):
            stop({"tamper": event})
        elif event in _TRACERS and not armed[0]:
            caller = get_frame(1)
            if not any(caller.f_code is code for code in own) and from_checkout(caller):
                stop({"tamper": event, "late": True})

    sys.addaudithook(audit)

    def finish() -> bool:
        """End the watch: whether the guard was still the profile function at its end."""
        armed[0] = False
        intact = get_profile() is guard
        set_profile(None)
        return intact

    own.append(finish.__code__)
    kept.update(map(ident, (stop, guard, audit, finish, lines_of, from_checkout)))
    return guard, finish


_INSIDE, _PATCHED = _patched_lines()
_GUARD, _END_GUARD = _import_guard(_INSIDE, _PATCHED) if _INSIDE else (None, None)
if _GUARD is not None:
    sys.setprofile(_GUARD)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    manager = session.config.pluginmanager
    hooked = []
    for hook in HOOKS:
        caller = getattr(manager.hook, hook, None)
        for impl in caller.get_hookimpls() if caller is not None else ():
            code = getattr(inspect.unwrap(impl.function), "__code__", None)
            hooked.append([hook, code.co_filename if code is not None else ""])
    _write({"collected": True, "changed": _changes(), "hooks": hooked})
    _end_guard()


def _end_guard() -> None:
    """End the import guard's watch (once) as the tests are about to run, and write whether
    it lasted."""
    if _END_GUARD is not None and not _ENDED:
        _ENDED.append(True)
        _write({"guard_intact": _END_GUARD()})


_ENDED: list[bool] = []


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    """A run that collects nowhere here (xdist's controller) ends the guard as its tests start."""
    _end_guard()
    yield


def _test_code(item: pytest.Item) -> Any:
    function = getattr(item, "obj", None)
    if function is None:
        return None
    try:
        function = inspect.unwrap(function)
    except ValueError:
        return None
    return getattr(getattr(function, "__func__", function), "__code__", None)


def _watch(code: Any) -> Any:
    """Start watching ``code`` being entered and left; returns what stops it and tells."""
    seen = {"entered": False, "left": False}
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None and _TOOL is not None:
        events = monitoring.events

        def started(found: Any, offset: int) -> None:
            if found is code:
                seen["entered"] = True

        def returned(found: Any, offset: int, value: Any) -> None:
            if found is code:
                seen["left"] = True

        monitoring.register_callback(_TOOL, events.PY_START, started)
        monitoring.register_callback(_TOOL, events.PY_RETURN, returned)
        monitoring.set_local_events(_TOOL, code, events.PY_START | events.PY_RETURN)

        def stop_monitoring() -> dict[str, bool]:
            monitoring.set_local_events(_TOOL, code, 0)
            return seen

        return stop_monitoring
    previous = sys.getprofile()

    def watch(frame: Any, event: str, arg: Any) -> None:
        if frame.f_code is code:
            if event == "call":
                seen["entered"] = True
            elif event == "return":
                seen["left"] = True
        if previous is not None:
            previous(frame, event, arg)  # type: ignore[arg-type]  # the event it was given

    sys.setprofile(watch)

    def stop_profiling() -> dict[str, bool]:
        sys.setprofile(previous)
        return seen

    return stop_profiling


_OWN.extend([_watch.__code__, *(c for c in _watch.__code__.co_consts if inspect.iscode(c))])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    if not _watched(item.nodeid):
        yield
        return
    code = _test_code(item)
    changed = _changes()
    stop = _watch(code) if code is not None else None
    try:
        yield
    finally:
        seen = stop() if stop is not None else {}
        _write(
            {
                "test": item.nodeid,
                "function": code is not None,
                "file": code.co_filename if code is not None else "",
                "ran": bool(seen.get("entered") and seen.get("left")),
                "changed": changed,
            }
        )
