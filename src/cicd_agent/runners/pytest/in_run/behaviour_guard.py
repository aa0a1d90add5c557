"""The fail-to-pass test's guard inside pytest: the proposed test may run the code under test, never
read it.

A test that tells the fixed code from the unfixed by its compiled form (``__code__.co_consts``,
``dis``, the ``.pyc``, a frame of the code it calls) fails without the fix and passes with it, and
shows nothing about the bug. No rule over the test's text can close that
(``getattr(f, "__co" + "de__")``); the interpreter can: it raises an audit event for every way to a
code object or a frame, however the name was built, and an audit hook cannot be removed once added.

This plugin is loaded first, under a module name chosen per claim, and adds that hook.
``CICD_F2P_GUARD`` names the test's file, the fixed files, and the exit status and line the run ends
with when the test's own code:

- reads a function, generator, frame or traceback of the code under test: the test's own where the
  first frame not the interpreter's is the test's (directly, or through ``dis`` or ``inspect``), or
  code written since pytest started; the code under test reading its own frames as it logs is its
  own business;
- asks for a frame (``sys._getframe``) from inside the code under test (a callback it calls);
- sets a tracer for threads (``threading.settrace``);
- reads code under test on a thread other than pytest's whose stack holds no frame of the code under
  test (a pool running ``dis``);
- finds objects through ``gc``, makes or unmarshals code, traces, uses ``ctypes``, compiles code
  under a real file's name, opens, links or moves a compiled file or a process's memory, or starts
  another process, with a frame of the test's anywhere on the stack.

An import between (a module reading itself as it loads) makes an event of the last kind the
import's, unless the import system is calling a hook the test installed; a read of the code under
test is never the import's. A function's API is no reading: its signature and whether it is async,
as ``inspect.signature`` and ``mock.patch(autospec=True)`` read them (:func:`_api`).

Not closed: a call built from C functions alone (``functools.partial``, ``map``) left for later,
run with no frame of the test on the stack (a finalizer, an ``atexit`` hook); the code under
test's own code that reads code, or calls what the test hands it (``operator.attrgetter``); what
a function carries besides its code (``__doc__``, ``__closure__``, ``__globals__``;
``__defaults__`` is audited); line numbers (``tb_lineno``, a log record's line,
``faulthandler``'s dump); a compiled file's size (``os.stat`` raises no event).
``_posixsubprocess.fork_exec``, which multiprocessing's spawn calls with no event of its own, is
replaced by ours, which raises one first (:func:`_watch_fork_exec`). The cost: a failing
Hypothesis test is never offered (Hypothesis reads its traceback), nor one reading
``excinfo.traceback``. Names are taken as the plugin loads: no function the test could rebind
runs inside the hook."""

from __future__ import annotations

import _posixsubprocess
import _thread
import inspect
import json
import os
import sys
import time
import types
from importlib import _bootstrap, _bootstrap_external
from typing import Any

_TRACERS = frozenset({"sys.settrace", "sys.setprofile"})
_CODE = _TRACERS | {
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "marshal.dumps",
    "marshal.loads",
    "marshal.load",
    "code.__new__",
    "sys._current_frames",
    "sys.monitoring.register_callback",
    "sys.addaudithook",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "pty.spawn",
    "_posixsubprocess.fork_exec",
}
"""Events that reach code or frames, or start a process without the guard."""
_PATHS = frozenset({"open", "os.link", "os.rename", "os.symlink"})
"""Events whose first argument is a path that may be a compiled file (read, linked, moved)."""
_FRAMES = (types.FrameType, types.TracebackType)
_RUNS = (types.FunctionType, types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)


def _setting() -> tuple[frozenset[str], frozenset[str], str, dict[str, Any]]:
    """The test file's spellings, the fixed files' (removed or compiled), the checkout (the
    working folder), and the whole setting."""
    try:
        named = json.loads(os.environ.get("CICD_F2P_GUARD", "") or "{}")
    except ValueError:
        named = {}
    named = named if isinstance(named, dict) else {}
    here = os.getcwd()

    def spellings(path: Any) -> set[str]:
        if not isinstance(path, str) or not path:
            return set()
        full = os.path.normpath(os.path.join(here, path))
        return {path, full, os.path.realpath(full)}

    hidden = frozenset(name for path in named.get("fixed") or () for name in spellings(path))
    return frozenset(spellings(named.get("test"))), hidden, os.path.join(here, ""), named


def _origin(test: frozenset[str], hidden: frozenset[str], checkout: str) -> Any:
    """What tells whose a file named in a code object is: ``test``, ``ours`` (the
    interpreter's and its packages', there before pytest started, or compiled text),
    ``checkout`` (the code under test: there before, or a fixed file) or ``new`` (since)."""
    kind, is_str, stat, started = type, str, os.stat, time.time_ns()
    trusted = tuple(
        {
            os.path.join(f(p), "")
            for p in (
                sys.prefix,
                sys.base_prefix,
                sys.exec_prefix,
                sys.base_exec_prefix,
                os.path.dirname(__file__),
            )
            for f in (str, os.path.realpath)
        }
        - {"/"}
    )

    def origin(name: Any) -> str:
        if kind(name) is not is_str:
            return "new"
        if name in test:
            return "test"
        if name[:1] == "<" and name[-1:] == ">":
            return "ours"  # compiled text: a test's own exec runs with its frame below
        if name in hidden:
            return "checkout"
        try:  # no path helper the test could rebind
            born = stat(name if name[:1] == "/" else checkout + name).st_ctime_ns
        except (OSError, ValueError):
            return "new"
        if born >= started:  # written since pytest started: by the test, maybe
            return "new"
        return "ours" if name.startswith(trusted) else "checkout"

    return origin


def _asker(origin: Any) -> Any:
    """What tells where on a stack the test's code asks ("" where it does not),
    as ``how`` says: ``anywhere`` below the nearest import; ``first``, as the first frame not
    the interpreter's own (the code under test reading its own frames as it logs); as a
    ``callback`` the code under test calls."""
    imports = _bootstrap._find_and_load.__code__  # type: ignore[attr-defined]
    finder = _bootstrap_external.PathFinder
    hooks = tuple(
        f.__code__
        for f in (  # where the import system calls what sys's lists hold
            getattr(finder, "_path_hooks", None),
            getattr(finder, "_get_spec", None),
            getattr(finder, "_legacy_get_spec", None),
            getattr(_bootstrap, "_find_spec", None),
            getattr(_bootstrap, "_load_unlocked", None),
            getattr(_bootstrap, "module_from_spec", None),
        )
        if isinstance(f, types.FunctionType)
    )

    def asks(frame: Any, how: str, thread: bool) -> str:
        found_at, ran = "", False
        # an import is no excuse for a read of the code under test (a module reading itself
        # stops the walk first), nor for a call the import system makes to a hook the test
        # put in `sys.path_hooks` (`functools.partial(getattr, f)`, `io.open_code`)
        bounded = how != "first" and not (
            frame is not None and any(frame.f_code is c for c in hooks)
        )
        while frame is not None:
            if frame.f_code is imports and bounded:
                return ""
            name = frame.f_code.co_filename
            found = origin(name)
            if found in ("test", "new") and how != "callback":
                return f"{name}:{frame.f_lineno}"
            if found == "test":
                found_at = found_at or f"{name}:{frame.f_lineno}"
            elif found != "ours" and how != "anywhere":
                return found_at if found == "checkout" else ""
            ran = ran or found == "checkout"
            frame = frame.f_back
        # another thread's stack of the interpreter's frames alone (a pool running `dis`, text
        # the test compiled): the test handed it the read, none of its frames is there
        return (
            "a thread that runs no code under test"
            if thread and how != "callback" and not ran
            else ""
        )

    return asks


def _reader(origin: Any) -> tuple[Any, Any]:
    """What tells whose code an audited attribute belongs to (a function's, a generator's, a
    frame's or a traceback's; ``new`` for anything else), and whether a path is a compiled
    file or a process's memory."""
    kind, get = type, getattr

    def whose(target: Any) -> str:
        if kind(target) in _FRAMES:
            target = target.tb_frame if kind(target) is types.TracebackType else target
            return str(origin(target.f_code.co_filename))
        for attr in ("__code__", "gi_code", "cr_code", "ag_code"):
            code = get(target, attr, None) if kind(target) in _RUNS else None
            if code is not None:
                return str(origin(code.co_filename))
        return "new"

    def compiled(path: Any) -> bool:
        if kind(path) is bytes:
            path = path.decode("utf-8", "surrogateescape")
        if kind(path) is not str:
            return False
        memory = path.startswith("/proc/") and path.endswith(("/mem", "/maps", "/pagemap"))
        return path.endswith((".pyc", ".pyo")) or "__pycache__" in path or memory

    return whose, compiled


def _api() -> Any:
    """What tells whether a frame reading a function is one of the interpreter's readers that
    return only its API (a signature with its defaults; whether it is a coroutine, generator
    or async generator function, ``inspect._has_code_flag`` only as those ask it, never for a
    flag the test picks), as ``inspect.signature`` and ``mock.patch(autospec=True)`` read it
    (mock also gets every attribute of its spec to ask that): compared by identity, so no copy
    of one passes."""
    from unittest import mock

    def code(*readers: object) -> tuple[types.CodeType, ...]:
        return tuple(r.__code__ for r in readers if isinstance(r, types.FunctionType))

    readers = code(
        getattr(inspect, "_signature_from_function", None),
        getattr(mock, "_is_async_func", None),
        getattr(mock.NonCallableMock, "_mock_add_spec", None),
        getattr(mock, "_copy_func_details", None),
    )
    flags = code(getattr(inspect, "_has_code_flag", None))
    askers = code(
        inspect.iscoroutinefunction, inspect.isgeneratorfunction, inspect.isasyncgenfunction
    )

    def api(frame: Any) -> bool:
        reader = frame.f_code
        if any(reader is c for c in flags):
            caller = frame.f_back
            return caller is not None and any(caller.f_code is c for c in askers)
        return any(reader is c for c in readers)

    return api


def install() -> None:
    test, hidden, checkout, named = _setting()
    status, said = named.get("exit"), named.get("said")
    if not test or not isinstance(status, int) or not isinstance(said, str):
        return
    exit_now, write, get_frame, ident, err, watched = (
        os._exit,
        os.write,
        sys._getframe,
        _thread.get_ident,
        os.dup(2),
        _watch_fork_exec(),
    )
    origin = _origin(test, hidden, checkout)
    asks, (whose, compiled) = _asker(origin), _reader(origin)
    api, kind = _api(), type
    busy: set[int] = set()  # threads inside the hook: its own frame reads raise events too
    opener = ident()

    def inside(frame: Any) -> bool:
        """Whether ``frame`` runs inside an API reader (:func:`_api`), whose locals hold the
        code it read (a ``Signature`` subclass of the test's is called from there)."""
        while frame is not None:
            if api(frame):
                return True
            frame = frame.f_back
        return False

    def attribution(event: str, args: tuple[Any, ...]) -> str:
        """ "": not a read; else how the stack counts."""
        if event == "sys._getframe":
            return "callback"
        if (event == "import" and args[0] == "_posixsubprocess") or (
            event == "object.__getattr__" and args[0] is watched
        ):  # a fresh copy of the module, or our fork_exec's default, holds the real one
            return "anywhere"
        if event == "object.__getattr__":  # a dataclass's own __init__, a test's function
            target = args[0].tb_frame if kind(args[0]) is types.TracebackType else args[0]
            if kind(target) is types.FrameType and inside(target):
                return "first"  # a frame on the way to a reader's locals
            return "first" if whose(args[0]) not in ("ours", "test") else ""
        if event == "code.__new__" and origin(args[1]) == "test":
            return ""  # code passing for the test's own (Hypothesis' `impersonate`) is the test's
        if event in _CODE or event[:7] == "ctypes." or (event in _PATHS and compiled(args[0])):
            return "anywhere"
        if event == "compile" and origin(args[1]) not in ("ours", "test"):
            return "anywhere"  # code under a real file's name would pass for that file's
        return ""

    def audit(event: str, args: tuple[Any, ...]) -> None:
        me = ident()
        if me in busy:
            return
        busy.add(me)
        try:
            how = attribution(event, args)
            try:
                frame = get_frame(1)
            except ValueError:  # no frame at all: a thread started on a C function
                frame = None
            if frame is not None and how == "first" and api(frame):
                how = ""  # the function's API: its signature, whether it is async
            where = asks(frame, how, me != opener) if how else ""
            if how == "callback" and not where and inside(frame):  # from a reader's callee
                where = asks(frame, "anywhere", False)
            if event in _TRACERS and me != opener:  # `threading.settrace`: set as a thread
                where = where or "a thread's start"  # starts, with none of the test's frames
        finally:
            busy.discard(me)
        if where:
            name = f" {args[1]}" if event == "object.__getattr__" else ""
            write(err, f"\n{said} ({event}{name} at {where})\n".encode("utf-8", "replace"))
            exit_now(status)

    sys.addaudithook(audit)


def _watch_fork_exec() -> Any:
    """Make ``_posixsubprocess.fork_exec`` raise an event (:data:`_CODE`) before it starts a
    process: multiprocessing's spawn and forkserver call it directly, with no event of their
    own, and the new interpreter has no guard. ``subprocess`` and ``multiprocessing``
    look it up on the module at each call, so the module's attribute is the one seam."""

    def fork_exec(*args: Any, _real: Any = _posixsubprocess.fork_exec) -> Any:
        sys.audit("_posixsubprocess.fork_exec")
        return _real(*args)

    _posixsubprocess.fork_exec = fork_exec
    return fork_exec


install()
