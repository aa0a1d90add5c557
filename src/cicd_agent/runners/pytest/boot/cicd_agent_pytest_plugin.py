"""The pytest plugin every pytest session of ours loads (``-p``: the gate, reruns, the fixers,
review's suggestion check): outcomes, shuffling, imports.

``sitecustomize`` imports it first (no file of the checkout stands in for it): PYTEST_DONT_REWRITE.

- ``CICD_GENTESTS_EVIDENCE_FD``: every test's outcome, collection errors, unresolved imports, the
  exit status and coverage go as one JSON line to that pipe, a channel no file write can reach, so
  the gate judges outcomes (a skipped test is not a passing one), not only the exit code.
- ``--cicd-shuffle SEED``, ``--cicd-select FILE``, ``--cicd-order FILE``: a seeded random order,
  only the tests a JSON list names, or exactly those in the list's order, each once.
- ``--keep-duplicates`` with a file named N times: a test is reported with its worst outcome.
- ``--cicd-repeat N``: each selected test run N times in one session as a fresh item (its fixtures
  set up afresh), the selection repeated in turn (``a b a b``), passes and failures counted in
  ``repeats``; ``--cicd-repeat-for S``: no repetition starts after S seconds, so a round planned
  from a faster one's pace still ends with its report.
- ``--cicd-noise N``: N processes burning CPU and touching fresh memory beside the tests (Shaker's
  noise).
- ``--cicd-imports FILE``: after collection, every import in FILE, inside functions too, must
  resolve."""

from __future__ import annotations

import ast
import base64
import importlib
import importlib.util
import json
import os
import random
import site
import subprocess
import sys
import sysconfig
import time
import unittest
from pathlib import Path
from types import TracebackType
from typing import Any

import _pytest
import pytest
from _pytest.unittest import TestCaseFunction

_MAX_ERROR_CHARS = 4000
_CAUGHT = ("ImportError", "ModuleNotFoundError", "Exception")


_NOISE = """
import os, sys
parent = os.getppid()
chunk = 16 << 20
while os.getppid() == parent:
    block = bytearray(chunk)
    for i in range(0, chunk, 4096):
        block[i] = i & 255
    sum(range(200_000))
"""
"""One noise process: CPU and fresh pages in turn, until the pytest that started it is gone."""

_NOISY: list[subprocess.Popen[bytes]] = []

_RECORD: dict[str, Any] = {
    "tests": {},
    "seconds": {},
    "collect_errors": [],
    "unresolved": [],
    "checks": {},
}
"""What this process saw (one per pytest process): the report, but for its exit status and
coverage data, which come at the end."""
_REPEATS: dict[str, list[int]] = {}
"""Each test's passed and failed runs in this session (``--cicd-repeat``)."""
_MAX_ITEMS = 200_000
"""Most items a repeated session holds (each a fresh test object)."""
_COPIES: set[int] = set()
"""The repetitions made (``id`` of each item), the only items a deadline may leave unrun."""
_STARTED: list[float] = []
_SUBFAILED: set[str] = set()
"""The tests whose running call has had a subtest fail: pytest 9 (and the pytest-subtests
plugin before it) reports each subtest under its test's id, a report of its own, which is no
run of the test; the run is one, failed where one of its subtests failed."""
SUBTEST_REPORTS = frozenset({"SubtestReport", "SubTestReport"})
"""The report classes of a subtest: pytest 9's own and the pytest-subtests plugin's."""
_EARLIER: dict[str, str] = {}
"""A repeated test's (``--keep-duplicates``) first outcome that was no pass, kept over a later
pass: its worst is its outcome."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cicd-agent gen-tests")
    group.addoption("--cicd-shuffle", type=int, default=None, help="shuffle tests with this seed")
    group.addoption("--cicd-imports", default=None, help="check every import of this test file")
    group.addoption("--cicd-select", default=None, help="run only the ids this JSON list names")
    group.addoption("--cicd-order", default=None, help="run these ids, in this JSON list's order")
    group.addoption("--cicd-noise", type=int, default=0, help="CPU and memory noise processes")
    group.addoption("--cicd-repeat", type=int, default=1, help="run each selected test N times")
    group.addoption("--cicd-repeat-for", type=float, default=0.0, help="repeat for S seconds")


def pytest_sessionstart(session: pytest.Session) -> None:
    _STARTED.append(time.monotonic())
    for _ in range(min(max(session.config.getoption("cicd_noise"), 0), 8)):
        _NOISY.append(
            subprocess.Popen(
                [sys.executable, "-c", _NOISE],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = config.getoption("cicd_select")
    if chosen:  # the reruns' ids: on a command line, a long one would stop the run
        names = set(json.loads(Path(chosen).read_text(encoding="utf-8")))
        keep = {i for i in items if names & _claimed_as(i.nodeid)}
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = [item for item in items if item in keep]
    order = config.getoption("cicd_order")
    if order:
        wanted = json.loads(Path(order).read_text(encoding="utf-8"))
        first: dict[str, pytest.Item] = {}
        for item in items:
            first.setdefault(item.nodeid, item)
        ordered = list({id(first[t]): first[t] for t in wanted if t in first}.values())
        kept = {id(item) for item in ordered}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = ordered
    times = min(max(config.getoption("cicd_repeat"), 1), _MAX_ITEMS // max(len(items), 1))
    if times > 1:
        copies = [
            _fresh(item)
            for _ in range(times - 1)
            for item in items
            if isinstance(item, pytest.Function) and _repeatable(item)
        ]
        _COPIES.update(id(copy) for copy in copies)
        items[:] = [*items, *copies]
    seed = config.getoption("cicd_shuffle")
    if seed is not None:
        random.Random(seed).shuffle(items)  # noqa: S311 - a reproducible order, not a secret


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A repetition past ``--cicd-repeat-for``'s seconds is not run (True: handled) and reported
    nowhere. The fixtures the item before kept (its module's, its class's) are torn down as far
    as the next item needs, or the next test of another file would meet them still set up and
    error: a stable test named flaky."""
    until = item.config.getoption("cicd_repeat_for")
    if until > 0 and id(item) in _COPIES and _STARTED and time.monotonic() - _STARTED[0] > until:
        item.session._setupstate.teardown_exact(nextitem)
        return True
    return None


def _repeatable(item: pytest.Function) -> bool:
    """Whether ``item`` can be run again as a fresh item: pytest's own test functions and a
    ``unittest.TestCase`` method (whose item makes a new instance of its class for each run);
    an item of another kind (a doctest, a plugin's) keeps state of its own and runs once."""
    return type(item) is pytest.Function or type(item) is TestCaseFunction


def _fresh(item: pytest.Function) -> pytest.Function:
    """Another run of ``item``: a new item of its parent (its own fixture request and, in a
    class, its own instance: every function fixture is set up and torn down again), of the
    same id. A TestCase method's item is made as pytest's collector makes it, from its name."""
    if type(item) is TestCaseFunction:
        return TestCaseFunction.from_parent(item.parent, name=item.name)
    return pytest.Function.from_parent(
        item.parent,
        name=item.name,
        callspec=getattr(item, "callspec", None),
        keywords=item.keywords,
        fixtureinfo=item._fixtureinfo,
        originalname=item.originalname,
    )


def _claimed_as(nodeid: str) -> set[str]:
    """The ids that claim the test ``nodeid``: itself, without its parameters, and each of its
    file and classes (``f.py``, ``f.py::TestC``, ``f.py::TestC::test_x`` for ``...[1]``)."""
    parts = nodeid.split("::")
    head = "::".join(parts[1:]).partition("[")[0]
    named = [parts[0], *head.split("::")] if head else parts[:1]
    return {nodeid} | {"::".join(named[: n + 1]) for n in range(len(named))}


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _RECORD["collect_errors"].append(
            f"{report.nodeid}: {report.longreprtext}"[-_MAX_ERROR_CHARS:]
        )


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """A test's failed call whose error is its own check: an ``AssertionError`` or pytest's
    explicit failure (``pytest.fail``, ``pytest.raises``' "DID NOT RAISE") whose innermost
    frame a library does not hide (:func:`_hidden`) is code of the test's own module.
    Recorded as ``file:line: error``; any other failure (an error raised inside the code under
    test, or an ``AssertionError`` raised there) is none: the gate reads it as a crash."""
    info = call.excinfo
    if (
        call.when != "call"
        or info is None
        or not info.errisinstance((AssertionError, pytest.fail.Exception))
    ):
        return
    inner: TracebackType | None = None
    tb: TracebackType | None = info.tb
    while tb is not None:
        inner = inner if _hidden(tb) else tb
        tb = tb.tb_next
    module = getattr(item, "module", None)
    # its module's namespace, not only its file's name: code compiled under the test file's
    # name (``compile(src, "test_x.py", "exec")`` in the code under test) passed as the test
    if (
        inner is not None
        and module is not None
        and inner.tb_frame.f_globals is vars(module)
        and Path(inner.tb_frame.f_code.co_filename).resolve() == item.path.resolve()
    ):
        words = " ".join(str(info.value).strip().split("\n", 1)[0].split())[:160]  # its first line
        _RECORD["checks"][item.nodeid] = (
            f"{item.nodeid.split('::')[0]}:{inner.tb_lineno}: {info.typename}: {words}"
        )


_LIBRARIES = tuple(
    {
        Path(folder).resolve()
        for folder in (
            *(
                str(sysconfig.get_paths()[key])
                for key in ("stdlib", "platstdlib", "purelib", "platlib")
            ),
            *site.getsitepackages(),
            *(str(Path(module.__file__ or "").parent) for module in (pytest, _pytest, unittest)),
        )
    }
)
"""Where installed code lives (Debian's ``dist-packages`` too, wherever pytest and unittest
are): only its frames may hide themselves, never the checkout's."""


def _hidden(tb: TracebackType) -> bool:
    """A library's frame its assertion helpers mark as not the failure's place: pytest's and
    numpy's ``__tracebackhide__``, unittest's ``__unittest`` (``self.assertEqual`` fails in
    ``unittest/case.py``). Honoured only for installed code: the code under test marking
    itself so had its own ``AssertionError`` read as the test's check."""
    frame = tb.tb_frame
    marked = (
        frame.f_locals.get("__tracebackhide__", frame.f_globals.get("__tracebackhide__")) is True
        or frame.f_globals.get("__unittest") is True
    )
    return marked and any(
        root in Path(frame.f_code.co_filename).resolve().parents for root in _LIBRARIES
    )


def is_subtest(report: pytest.TestReport) -> bool:
    """Whether ``report`` is a subtest's (:data:`SUBTEST_REPORTS`), not its test's."""
    return any(kind.__name__ in SUBTEST_REPORTS for kind in type(report).__mro__)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Its setup, call and teardown: how long the test takes sets how often it is run again.
    if is_subtest(report):  # within its test's call: its time is the call's, its failure too
        if report.failed:
            _SUBFAILED.add(report.nodeid)
        return
    seconds, tests = _RECORD["seconds"], _RECORD["tests"]
    outcome = report.outcome
    if report.when == "call" and report.nodeid in _SUBFAILED:
        _SUBFAILED.discard(report.nodeid)
        outcome = "failed"
    if report.when == "setup" and tests.get(report.nodeid, "passed") != "passed":
        _EARLIER.setdefault(report.nodeid, tests[report.nodeid])
    seconds[report.nodeid] = seconds.get(report.nodeid, 0.0) + report.duration
    counts = _REPEATS.setdefault(report.nodeid, [0, 0])
    if report.when == "call" and outcome == "passed" and not hasattr(report, "wasxfail"):
        counts[0] += 1
    elif outcome == "failed" and report.when != "teardown":
        counts[1] += 1
    elif report.failed and tests.get(report.nodeid) == "passed":  # its passed call's teardown
        counts[0], counts[1] = counts[0] - 1, counts[1] + 1
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            tests[report.nodeid] = "xfailed" if report.skipped else "xpassed"
        else:
            tests[report.nodeid] = outcome
    elif report.failed:
        tests[report.nodeid] = "error"
    elif report.skipped and report.when == "setup":
        tests[report.nodeid] = "skipped"


def pytest_collection_finish(session: pytest.Session) -> None:
    target = session.config.getoption("cicd_imports")
    if target:
        _RECORD["unresolved"] = unresolved_imports(Path(target))


def _coverage_data() -> str | None:
    """This process's coverage data, serialised, when coverage was started at boot."""
    coverage = sys.modules.get("coverage")
    if coverage is None or not os.environ.get("COVERAGE_PROCESS_START"):
        return None
    current = coverage.Coverage.current()
    if current is None:
        return None
    current.stop()
    return base64.b64encode(current.get_data().dumps()).decode("ascii")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for process in _NOISY:
        process.kill()
        process.wait()
    fd = os.environ.get("CICD_GENTESTS_EVIDENCE_FD", "")
    if not fd.isdigit():
        return
    _RECORD["tests"].update(_EARLIER)
    repeats = {test: counts for test, counts in _REPEATS.items() if sum(counts)}
    document = {
        "exitstatus": int(exitstatus),
        **_RECORD,
        "repeats": repeats,
        "coverage": _coverage_data(),
    }
    with os.fdopen(int(fd), "wb") as pipe:  # closed after: nothing more can be added
        pipe.write(json.dumps(document).encode() + b"\n")


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether an import sits in ``try: … except ImportError`` or ``if TYPE_CHECKING``."""
    current = parents.get(node)
    while current is not None:
        if isinstance(current, ast.Try) and any(
            handler.type is None or any(word in ast.unparse(handler.type) for word in _CAUGHT)
            for handler in current.handlers
        ):
            return True
        if isinstance(current, ast.If) and "TYPE_CHECKING" in ast.unparse(current.test):
            return True
        current = parents.get(current)
    return False


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _from_import_missing(base: str, names: list[str]) -> list[str]:
    if not _module_exists(base):
        return [base]
    try:
        module: Any = importlib.import_module(base)
    except Exception as exc:  # noqa: BLE001 - project code may raise anything on import
        return [f"{base} ({type(exc).__name__})"]
    return [
        f"{base}.{name}"
        for name in names
        if name != "*" and not hasattr(module, name) and not _module_exists(f"{base}.{name}")
    ]


def _package_of(path: Path) -> str:
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename and Path(filename).resolve() == path.resolve():
            return getattr(module, "__package__", "") or ""
    return ""


def unresolved_imports(path: Path) -> list[str]:
    """Imports of ``path`` that do not resolve here (nothing is ever installed to fix them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    missing: list[str] = []
    for node in ast.walk(tree):
        if _guarded(node, parents):
            continue
        if isinstance(node, ast.Import):
            missing += [alias.name for alias in node.names if not _module_exists(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                try:
                    base = importlib.util.resolve_name("." * node.level + base, _package_of(path))
                except (ImportError, ValueError):
                    missing.append("." * node.level + base)
                    continue
            missing += _from_import_missing(base, [alias.name for alias in node.names])
    return sorted(set(missing))
