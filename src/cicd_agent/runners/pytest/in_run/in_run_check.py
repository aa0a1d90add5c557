"""pytest's in-run check: whether pytest's own machinery ran each test. The fix judge, review's
suggestion check and every pytest session (:mod:`cicd_agent.runners.pytest.runner`) believe a
pytest pass only with its records.

An exit code and a JUnit report are the word of a process the code under test runs in: a patch that
sets ``Function.runtest`` to a no-op makes pytest report the failing test passed. This plugin is
loaded first, under a module name chosen per sandbox, before the project's conftests, and:

- snapshots the functions that run and report a test (:data:`WATCHED`) and their code, and at the
  end of collection and before each call writes down every function replaced, code object swapped
  and ``sys.modules`` entry put in another's place;
- writes where ``pytest``, ``_pytest`` and ``pluggy`` were imported from, and the file of every
  implementation of the hooks that run and report a test;
- during each failing test's call (``CICD_FIX_CHECK_TESTS``; every test when it names none) watches
  for the test function's own code being entered and left: through ``sys.monitoring`` on that one
  code object from Python 3.12, else ``sys.setprofile``, which slows every call: hence only the
  failing tests;
- sets the guard (:mod:`.in_run_check_guard`) on the lines the patch changed
  (``CICD_FIX_CHECK_PATCHED``) before the project is imported.

Records stream to the judge's pipe as the run goes, so nothing written at exit changes what it
holds. Code written against this plugin can forge records, or plant a module of the name it reads
where ``python -m pytest`` looks first: the judge therefore refuses a patch that adds import-time
code (``import_time_problem``), and the guard ends a run in which a patched function starts
before the tests, keeping its state in an audit hook's closure. A step that sets its own
``PYTHONPATH`` drops this module's folder, and no fix verifies there (the fix step's judge says
why)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import sys
from typing import Any

import pytest

WATCHED = (
    ("_pytest.python", "Function.runtest"),
    ("_pytest.python", "Function.setup"),
    ("_pytest.python", "pytest_pyfunc_call"),
    ("_pytest.unittest", "TestCaseFunction.runtest"),
    ("_pytest.runner", "pytest_runtest_protocol"),
    ("_pytest.runner", "runtestprotocol"),
    ("_pytest.runner", "call_and_report"),
    ("_pytest.runner", "call_runtest_hook"),
    ("_pytest.runner", "pytest_runtest_call"),
    ("_pytest.runner", "pytest_runtest_makereport"),
    ("_pytest.runner", "CallInfo.from_call"),
    ("_pytest.reports", "TestReport.from_item_and_call"),
    ("_pytest.main", "pytest_runtestloop"),
    ("_pytest.junitxml", "LogXML.pytest_runtest_logreport"),
    ("_pytest.junitxml", "_NodeReporter.append_pass"),
    ("pluggy._callers", "_multicall"),
    ("pluggy._hooks", "HookCaller.__call__"),
    ("pluggy._hooks", "_HookCaller.__call__"),
    ("pluggy._manager", "PluginManager._hookexec"),
)
"""What runs a test and reports it, as ``(module, attribute path)``; names an installed pytest
or pluggy lacks are left out."""

HOOKS = (
    "pytest_runtest_protocol",
    "pytest_runtest_setup",
    "pytest_runtest_call",
    "pytest_pyfunc_call",
    "pytest_runtest_makereport",
    "pytest_runtest_logreport",
    "pytest_report_teststatus",
)
_STREAM = os.environ.get(os.environ.get("CICD_FIX_CHECK_STREAM", "") or "-", "")
"""The write end of the pipe the judge reads as the run goes (its number, from the variable the
sandbox names; "" when none: the records then go nowhere, and the judge sees no in-run check)."""
_SEPARATORS = re.compile(r"\.py::|::|/| › | > |#")


def _canonical(name: str) -> str:
    """A test's name as the judge spells it (``cicd_agent.analysis.history``)."""
    head, bracket, params = name.strip().partition("[")
    head = head[:-3] if head.endswith(".py") else head
    return _SEPARATORS.sub(".", head).replace(" ", ".").strip(".") + bracket + params


def _wanted() -> tuple[list[str], list[str]]:
    try:
        named = json.loads(os.environ.get("CICD_FIX_CHECK_TESTS", "") or "{}")
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
            monitoring.use_tool_id(tool, "cicd-fix-check")  # type: ignore[union-attr]
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


def _writer() -> Any:
    """What sends one record to the judge now, one line with this process's id: what the
    process writes later (an ``atexit`` hook) reaches the judge after it and takes nothing back.
    A new line first, so a line another writer left unfinished cannot swallow this one.

    Everything it calls is taken now, before the project is imported: ``os.write``,
    ``json.dumps`` and the like rebound later by the code under test (to drop a failure or
    turn a record) are not what it calls, and it writes to a copy of the pipe's end of its
    own, not inherited by children, so code that moves the named fd onto ``/dev/null``
    (``os.dup2``) does not silence it."""
    write, pid, join = os.write, os.getpid, "".join
    try:
        fd = os.dup(int(_STREAM)) if _STREAM.isdigit() else -1
    except OSError:  # not open here: the judge sees no in-run check
        fd = -1
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "c_encode_basestring_ascii", None)
    encode = (
        make(None, str, escape, None, ": ", ", ", False, False, True)
        if make is not None and escape is not None
        else None
    )
    dumps = json.JSONEncoder().encode  # pure Python, only without the C encoder

    def write_record(record: dict[str, Any]) -> None:
        if fd < 0:
            return
        document = {"pid": pid(), **record}
        text = join(encode(document, 0)) if encode is not None else dumps(document)
        line = ("\n" + text + "\n").encode("utf-8")
        try:
            # Every byte, however many writes it takes: a write blocked on a full pipe returns
            # part-done when the process is stopped (the sandbox stops a run to measure its disk).
            while line:
                line = line[write(fd, line) :]
        except OSError:  # closed by the code under test: the judge misses a record, and says so
            pass

    return write_record


_write = _writer()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each failure as pytest reports it, before any JUnit report is written: a report rewritten
    at exit cannot take back a failure the judge already holds. A subtest's failure (pytest 9
    reports each subtest under its test's id) says so: it fails its test's run, and is none."""
    if report.failed:
        subtest = any(
            kind.__name__ in ("SubtestReport", "SubTestReport") for kind in type(report).__mro__
        )
        _write(
            {"failed": report.nodeid, "when": report.when, **({"subtest": True} if subtest else {})}
        )


def _origin(name: str) -> str:
    module = sys.modules.get(name)
    return str(getattr(module, "__file__", "") or "")


_write({"loaded": True, "origins": {n: _origin(n) for n in ("pytest", "_pytest", "pluggy")}})

_GUARD = importlib.import_module(f"{__name__}_guard")  # the same folder, the same name's
_GUARDED: list[bool] = []
_COLLECTED: dict[str, Any] = {}
"""Each watched test's own code as collection left it: the code its call must enter (one a
test that ran before it put in its place, ``test_b.__code__ = ...``, is not the test)."""


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    manager = session.config.pluginmanager
    hooked = []
    for hook in HOOKS:
        caller = getattr(manager.hook, hook, None)
        for impl in caller.get_hookimpls() if caller is not None else ():
            code = getattr(inspect.unwrap(impl.function), "__code__", None)
            hooked.append([hook, code.co_filename if code is not None else ""])
    for item in session.items:
        if _watched(item.nodeid):
            _COLLECTED[item.nodeid] = _test_code(item)
    _write({"collected": True, "changed": _changes(), "hooks": hooked})
    _end_guard()


def _end_guard() -> None:
    """End the guard's first watch (once) as the tests are about to run."""
    if _GUARDED and len(_GUARDED) == 1:
        _GUARDED.append(True)
        _GUARD.end("collected")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    """A run that collects nowhere here (xdist's controller) ends the guard as its tests start."""
    _end_guard()
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """The guard watches each test's setup too: a conftest's hook or a fixture asking a patched
    body then could change the code under test on its answer."""
    if not _GUARDED:
        yield
        return
    _GUARD.arm()
    try:
        yield
    finally:
        _GUARD.end("setup")


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


_OWN = frozenset([_watch.__code__, *(c for c in _watch.__code__.co_consts if inspect.iscode(c))])
if _GUARD.install(
    _STREAM,
    {
        id(item)
        for (_name, path), (module, value, _code) in _TAKEN.items()
        for item in (module, value, _resolve(module, path.rpartition(".")[0]))
    },
    _OWN,
):
    _GUARDED.append(True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    if not _watched(item.nodeid):
        yield
        return
    code = _COLLECTED.get(item.nodeid) or _test_code(item)
    changed = _changes()
    if _test_code(item) is not code:
        changed.append(f"the code of the test {item.nodeid} replaced after it was collected")
    if _GUARDED:
        _GUARD.called()
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
