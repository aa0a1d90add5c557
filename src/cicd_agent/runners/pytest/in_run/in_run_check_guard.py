"""The in-run check's import guard: nothing of the patch runs, is read or is copied before the
failing test's call, but through the import system.

Its profile function is ``sys.audit`` bound to a tag (:data:`BRIDGE_TAG`), an object with no state
to change in place; every decision and piece of state lies in the closure of an audit hook
(:func:`install`), which cannot be removed and which no code reaches but through ``gc`` or a frame,
both audited and stopped. It watches from the in-run check's start to the end of collection and
again through each test's setup, and ends the process (:data:`GUARD_EXIT`) when in those windows:

- a function's code holding a line the patch changed is entered (by the file its code object names,
  or its device and inode);
- the checkout's code reads a patched file other than through the import system, makes a code object
  (a copy of a patched body), or starts a process (one with no guard);
- the checkout's code sets a profile or trace function, adds an audit hook, finds objects through
  ``gc``, uses ``ctypes``, starts a thread, swaps a function's code or sets a special attribute of
  the runner's objects.

Only the in-run check ends a window (:func:`end`), on the thread that opened it with no frame of
the checkout on the stack, and each watched test must have had its setup watched
(:func:`called`). Names are taken at start: no function the project could rebind runs inside the
hook."""

from __future__ import annotations

import _thread
import inspect
import json
import os
import sys
import threading
import types
from importlib import machinery
from typing import Any

GUARD_EXIT = 86
"""The status a run ends with when the guard stops it."""
BRIDGE_TAG = "cicd.check.guard"
_CONTROL = "cicd.check"
_TRACERS = frozenset({"sys.settrace", "sys.setprofile"})
_AUDITED = _TRACERS | {
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "object.__setattr__",
    "object.__delattr__",
    "sys.addaudithook",
}
"""Events that stop the run while the checkout's code is on the stack (``ctypes.`` too)."""
_MAKES = frozenset({"code.__new__", "marshal.loads", "marshal.load"})
"""Events that make a code object: stopped when the checkout's code makes the call itself."""
_SPAWNS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.startfile",
        "pty.spawn",
    }
)
"""Events that start another process (a fork keeps the guard; its exec is seen there)."""
_READS = ("object.__getattr__", "sys._getframe")  # compared, not hashed: each is a fresh string
_READS_PATH = frozenset({"open", "os.link", "os.rename", "os.symlink"})
"""Events whose first argument is a path that may be the patch's: read, linked or moved."""
_THREADS = ((_thread, "start_new_thread"), (_thread, "start_joinable_thread"))
_AUDIT = sys.audit


def arm() -> None:
    """Open a window of the watch (each test's setup)."""
    _AUDIT(_CONTROL, "arm")


def end(kind: str) -> None:
    """Close a window: ``collected`` (the first, open since the start) or ``setup``."""
    _AUDIT(_CONTROL, "end", kind)


def called() -> None:
    """A watched test's call begins: the guard writes whether its setup was watched."""
    _AUDIT(_CONTROL, "called")


def patched_lines() -> tuple[tuple[str, ...], dict[Any, frozenset[int]]]:
    """Where the checkout is and the lines each patched file has new (``CICD_FIX_CHECK_PATCHED``),
    by device and inode and by the ways a code object may spell the path: the guard resolves
    no path (``os.path`` could be rebound by then), it asks ``stat`` (C)."""
    try:
        named = json.loads(os.environ.get("CICD_FIX_CHECK_PATCHED", "") or "{}")
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


def _lines_of(patched: dict[Any, frozenset[int]], known: dict[str, frozenset[int] | None]) -> Any:
    """What tells the changed lines of the file a name is (None: no patched file), each name's
    kept in ``known``; a module's code asks ``stat`` again, so a patched file moved over a name
    seen before is seen."""
    is_str, kind, stat = str, type, os.stat

    def lines_of(name: Any, again: bool) -> frozenset[int] | None:
        if kind(name) is not is_str:
            return None
        if again or name not in known:
            lines = patched.get(name)
            try:
                found = stat(name)
            except (OSError, ValueError):
                pass
            else:
                lines = patched.get((found.st_dev, found.st_ino)) if lines is None else lines
            known[name] = lines
        return known[name]

    return lines_of


def _from_checkout(inside: tuple[str, ...]) -> tuple[Any, Any]:
    """What tells whether the checkout's code is on a frame's stack (in ``inside``, of a relative
    path, outside ``sys.path`` and the interpreter's folders, or named as it compiled code)."""
    is_str, kind, real = str, type, os.path.realpath
    named: set[Any] = set()
    trusted = tuple(
        {
            os.path.join(f(p), "")
            for p in (*sys.path, sys.prefix, sys.base_prefix)
            if os.path.isabs(p)
            for f in (str, real)
        }
        - {"/"}
    )

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


def _importing() -> dict[Any, type]:
    """The code that reads a module's source for the import system, and the one loader type
    each trusts (a loader the checkout subclasses may compile the text under any name)."""
    readers: dict[Any, type] = {
        machinery.SourceFileLoader.get_code.__code__: machinery.SourceFileLoader
    }
    rewrite = sys.modules.get("_pytest.assertion.rewrite")
    hook = getattr(rewrite, "AssertionRewritingHook", None)
    if hook is not None:
        readers[hook.exec_module.__code__] = hook
    return readers


def _writer(stream: str) -> Any:
    """What writes one record, a flat ``{key: str | int | bool}`` under ``key``, as a JSON line
    with this process's id to the judge's pipe (fd ``stream``), with names taken now (no
    ``json`` module function)."""
    encode = getattr(json.encoder, "c_encode_basestring_ascii", None)
    encode = encode or json.encoder.py_encode_basestring_ascii
    write, pid, kind, text = os.write, os.getpid, type, str
    fd = int(stream) if stream.isdigit() else -1

    def value(item: Any) -> str:
        if item is True or item is False:
            return "true" if item else "false"
        return text(item) if kind(item) is int else encode(item)

    def write_record(key: str, record: dict[str, Any]) -> None:
        if fd < 0:
            return
        body = ", ".join(encode(name) + ": " + value(item) for name, item in record.items())
        line = ('\n{"pid": ' + text(pid()) + ", " + encode(key) + ": {" + body + "}}\n").encode(
            "ascii"
        )
        try:
            while line:  # every byte: a stopped process's blocked write returns part-done
                line = line[write(fd, line) :]
        except OSError:  # closed by the checkout's code: the judge misses the record, refuses
            pass

    return write_record


def _patch_reader(lines_of: Any, from_checkout: Any) -> Any:
    """What tells whether the checkout's code, not the import system, opens (links, moves) a
    patched file, or a relative path that does not lead anywhere from the working folder (one
    opened from a folder's descriptor could be the patch: the event does not say)."""
    readers, kind, is_str, stat = _importing(), type, str, os.stat

    def reads_patch(path: Any, caller: Any) -> bool:
        if kind(path) is bytes:
            path = path.decode("utf-8", "surrogateescape")
        if kind(path) is not is_str:
            return False
        if lines_of(path, True) is None:  # no file of the patch's (one without lines is)
            if path[:1] == "/":
                return False
            try:
                stat(path)
            except (OSError, ValueError):
                pass
            else:
                return False
        frame = caller
        while frame is not None:
            trusted = readers.get(frame.f_code)
            if trusted is not None:
                return kind(frame.f_locals.get("self")) is not trusted
            if from_checkout(frame, False):
                return True
            frame = frame.f_back
        return False

    return reads_patch


def _watcher(stop: Any, from_checkout: Any, lines_of: Any) -> Any:
    """What reads a call event the bridge raises while a window is open: a function's code
    holding a changed line entered, or ``threading.settrace`` called by the checkout's code."""
    kind, is_str, text = type, str, str.__str__
    started, function = threading.settrace.__code__, inspect.CO_OPTIMIZED

    def entered(frame: Any, code: Any) -> None:
        if code is started and from_checkout(frame.f_back):
            stop({"tamper": "threading.settrace"})
        name = code.co_name
        changed = lines_of(code.co_filename, kind(name) is is_str and name == "<module>")
        for _start, _end, line in code.co_lines() if changed and code.co_flags & function else ():
            if line in changed:
                stop({"file": code.co_filename, "line": line, "code": text(name)})

    return entered


def _controller(state: dict[str, int], bridge: Any, write: Any, stop: Any, checkout: Any) -> Any:
    """What takes the in-run check's own word: a window opens, ends, or a watched test is called.
    Only :func:`end`, on the thread that set the guard, with no frame of the checkout on the
    stack, ends a window, each in its turn (the first at the end of collection)."""
    get_profile, set_profile, thread_id, kind, is_str = (
        sys.getprofile,
        sys.setprofile,
        _thread.get_ident,
        type,
        str,
    )
    opener, ends = thread_id(), frozenset({end.__code__})

    def control(args: tuple[Any, ...], caller: Any) -> None:
        said = tuple(item if kind(item) is is_str else "" for item in args)
        if said == ("arm",):
            state["open"] += 1
            if get_profile() is not bridge:
                set_profile(bridge)
        elif said == ("called",):
            write("setup_watched", {"watched": state["setups"] > 0})
            state["setups"] = 0
        elif said[:1] == ("end",):
            if caller.f_code not in ends or thread_id() != opener or checkout(caller):
                stop({"broken": "ended by other code"})
            if state["open"] < 1 or get_profile() is not bridge:
                stop({"broken": "left without its profile function"})
            first = said == ("end", "collected")
            if first != (state["open"] == state["first"] == 1):
                stop({"broken": "ended out of turn"})
            state["open"] -= 1
            if first:
                state["first"] = 0
                write("guard", {"intact": True})
            else:
                state["setups"] += 1
            if state["open"] == 0:
                set_profile(None)

    return control


def _auditor(
    state: dict[str, int],
    stop: Any,
    control: Any,
    *,
    from_checkout: Any,
    name_code: Any,
    reads_patch: Any,
    kept: set[int],
    own: frozenset[Any],
) -> Any:
    """What reads every audit event but the profile bridge's and the reads of frames: the
    in-run check's word (``control``), and what the checkout's code does (``caller``: the frame
    that raised the event)."""
    ident, kind, is_str = id, type, str
    mine = control.__code__  # the guard's own profile changes

    def other(event: str, args: tuple[Any, ...], caller: Any) -> None:
        if event == _CONTROL:
            control(args, caller)
            return
        if caller.f_code is mine:
            return
        if event in ("compile", "code.__new__") and from_checkout(caller, False):
            name_code(args[1])  # whatever file it names (a hook pytest calls with no frame of ours)
        if not state["open"]:
            late = event in _TRACERS or event == "sys.addaudithook"
            if late and caller.f_code not in own and from_checkout(caller):
                stop({"tamper": event, "late": True})
            return
        tampers = event in _AUDITED or event.startswith("ctypes.") or event in _SPAWNS
        if event.startswith("object."):  # the checkout's own swap, or of ours
            name = args[1]
            swap = kind(name) is not is_str or name == "__code__"
            tampers = (swap and from_checkout(caller, False)) or ident(args[0]) in kept
        elif event in _MAKES:
            tampers = from_checkout(caller, False)
        elif event in _READS_PATH and reads_patch(args[0], caller):
            path = args[0]
            stop({"read": path if kind(path) is is_str else path.decode("utf-8", "replace")})
        if tampers and from_checkout(caller):
            stop({"tamper": event})

    return other


def install(stream: str, kept: set[int], own: frozenset[Any]) -> bool:
    """Set the guard (when ``CICD_FIX_CHECK_PATCHED`` names a checkout): its audit hook and its
    profile bridge, watching from now to the end of collection. ``kept``: the ids of objects none
    of whose special attributes the checkout's code may set (pytest's runner); ``own``: the
    in-run check's code that may set a profile as tests run."""
    inside, patched = patched_lines()
    if not inside:
        return False
    exit_now, get_frame, kind, is_str = os._exit, sys._getframe, type, str
    known: dict[str, frozenset[int] | None] = {}  # each file name's changed lines, once seen
    lines_of, (from_checkout, name_code) = _lines_of(patched, known), _from_checkout(inside)
    write, reads_patch = _writer(stream), _patch_reader(lines_of, from_checkout)
    bridge = types.MethodType(sys.audit, BRIDGE_TAG)
    state = {"open": 1, "first": 1, "setups": 0}  # windows open, the first one's, setups closed

    def stop(record: dict[str, Any]) -> None:
        try:
            write("import_guard", {**record, "when": "start" if state["first"] else "setup"})
        finally:
            exit_now(GUARD_EXIT)

    entered, started = _watcher(stop, from_checkout, lines_of), threading.settrace.__code__
    stops = {
        getattr(module, name): f"{module.__name__}.{name}"
        for module, name in _THREADS
        if hasattr(module, name)
    }
    control = _controller(state, bridge, write, stop, from_checkout)
    other = _auditor(
        state,
        stop,
        control,
        from_checkout=from_checkout,
        name_code=name_code,
        reads_patch=reads_patch,
        kept=kept,
        own=own,
    )

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event == BRIDGE_TAG:  # the profile events, most of all: the common case inline
            if len(args) == 3 and state["open"]:
                what = args[1]
                if what == "call":
                    code = args[0].f_code
                    name, file = code.co_name, code.co_filename
                    # a function of a file seen to hold no changed line returns here
                    if (
                        kind(file) is not is_str
                        or known.get(file, code) is not None
                        or kind(name) is not is_str
                        or name == "<module>"
                        or code is started
                    ):
                        entered(args[0], code)
                elif what == "c_call":  # a thread started by the checkout's code
                    try:
                        said = stops.get(args[2])
                    except TypeError:  # an unhashable callable: none of those
                        said = None
                    if said and from_checkout(args[0]):
                        stop({"tamper": said})
            return
        if event in _READS:  # raised as the hook reads frames
            return
        other(event, args, get_frame(1))

    sys.addaudithook(audit)
    kept.update(map(id, (stop, entered, audit, other, control, lines_of, from_checkout)))
    sys.setprofile(bridge)
    return True
