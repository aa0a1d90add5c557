"""What the fix step's witness saw (:mod:`.boot.witness`): a verified fix needs pytest's own
machinery to have run the failing tests, not only a report that says they passed.

The witness is a pytest plugin written into the sandbox's own folder (read-only inside) under
a module name chosen per sandbox, loaded with ``-p`` before anything of the project: a file
the patch adds cannot take its place, as it cannot know the name. Its records come back in a
folder of ours (:class:`Witness`); :func:`witness_problem` reads them. A patch is refused when
pytest's runner or its hooks changed after pytest started (``Function.runtest`` set to a
no-op, a ``sys.modules`` entry replaced, a function's code swapped), when pytest or pluggy
came from the checkout, when a file the patch touched implements a hook that runs or reports
a test, or when the failing test's own function was never entered and left during its call
(a test without one, a doctest or a plugin's item, is not witnessed: its runner is not
among those the witness watches, and a no-op there went unseen).

:func:`unnamed_by_the_linter` holds a fix judged by a linter's exit code alone to the files that
linter named as it failed: the exit code is the word of every module the linter loads (a module
an ``eslint.config.mjs`` imports can set it to 0 as eslint ends), so a patch may change only
the code the failure is about, never what the linter runs.

:func:`import_time_problem` closes what the witness cannot: it runs in the process it judges,
so code that runs before the failing test (as a module is imported, during collection) can
find it in ``sys.modules`` and tell it what to see, or install a tracer that rebinds the test's
names as it is called. A patched module's import-time code (everything outside function
bodies: top-level and class-level statements, decorators, defaults) may only lose statements
or gain imports, definitions and names bound to expressions that call nothing; the patch's
code then runs only when something calls it, which the witness watches.

:func:`cookie_problem` refuses a patch that adds or changes a Python file's encoding
declaration to anything but UTF-8: ``# coding: utf-7`` turns ``+AAo-`` inside what reads as a
comment into a new line of code.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import secrets
import shlex
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from cicd_agent.analysis.logs.history import canonical_test
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes

WITNESS_VARIABLE = "CICD_FIX_WITNESS"
"""Names the folder the witness writes its records to (its boot module reads it)."""
_RECORDS_BYTES = 16 << 20
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "utf-8-sig"})
_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"


@dataclass(frozen=True)
class Witness:
    """The witness installed in one sandbox: its folder (put first on ``PYTHONPATH``) and its
    module's name (given to pytest as ``-p NAME``)."""

    folder: Path
    module: str

    @classmethod
    def install(cls, root: Path) -> Witness:
        """Write the witness into ``root`` (the sandbox's own folder) under a fresh name."""
        module = f"cicd_witness_{secrets.token_hex(8)}"
        folder = root / "fix-boot"
        folder.mkdir(exist_ok=True)
        text = resources.files("cicd_agent.modes.analyse_failure.fix.boot").joinpath("witness.py")
        (folder / f"{module}.py").write_text(text.read_text("utf-8"), "utf-8")
        return cls(folder, module)

    def environment(
        self,
        lent: dict[str, str],
        records: Path,
        failed_tests: Collection[str],
        test_files: Collection[str],
    ) -> dict[str, str]:
        """The variables one judged run gets on top of ``lent`` (its environment as the
        sandbox gives it): our folder first on ``PYTHONPATH``, ``-p`` our module, the failing
        tests it watches (by name, else by file; every test when neither is known)."""
        path = os.pathsep.join(filter(None, [str(self.folder), lent.get("PYTHONPATH", "")]))
        wanted = {
            "names": [canonical_test(name) for name in failed_tests],
            "modules": [] if failed_tests else [canonical_test(path) for path in test_files],
        }
        return {
            "PYTHONPATH": path,
            WITNESS_VARIABLE: str(records),
            "CICD_FIX_WITNESS_TESTS": json.dumps(wanted),
            "PYTEST_ADDOPTS": shlex.join(["-p", self.module]),
        }


def _records(folder: Path) -> Iterator[dict[str, Any]]:
    """Every record the witness wrote in ``folder`` (links, FIFOs and huge files unread)."""
    try:
        names = sorted(name for name in os.listdir(folder) if name.startswith("witness-"))
    except OSError:
        return
    for name in names:
        try:
            data = read_bytes(folder, name, _RECORDS_BYTES)
        except CheckoutFileError:
            continue
        for line in data.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def witness_problem(
    folder: Path,
    repo: Path,
    patched: Collection[str],
    failed_tests: Collection[str],
    test_files: Collection[str],
) -> str:
    """Why the witness's records in ``folder`` do not show pytest running the failing tests
    itself ("" when they do). ``repo``: the copy the run worked in; ``patched``: the files the
    patch writes (relative to it)."""
    records = list(_records(folder))
    if not _loaded(records):
        return "not verified: pytest never loaded the fix step's witness (its runs went unseen)"
    for record in records:
        origins = record.get("origins")
        for name, origin in origins.items() if isinstance(origins, dict) else ():
            if isinstance(origin, str) and origin and Path(origin).is_relative_to(repo):
                return f"not verified: {name} was imported from the checkout ({origin[:200]})"
        changed = record.get("changed")
        if isinstance(changed, list) and changed:
            said = "; ".join(dict.fromkeys(str(item)[:120] for item in changed[:3]))
            return f"not verified: pytest's runner changed after it started ({said})"
        hooks = record.get("hooks")
        for entry in hooks if isinstance(hooks, list) else ():
            hook, where = [*entry, "", ""][:2] if isinstance(entry, list) else ("", "")
            if isinstance(where, str) and _patched_file(where, repo, patched):
                shown = Path(where).relative_to(repo).as_posix()[:200]
                return f"not verified: {shown}, which the patch writes, implements pytest's {hook}"
    ran = {
        canonical_test(str(record["test"])): bool(record.get("ran") and record.get("function"))
        for record in records
        if "test" in record
    }
    return _unseen(ran, failed_tests, test_files)


def witness_loaded(folder: Path) -> bool:
    """Whether a pytest of the run loaded the witness (its records in ``folder`` say so)."""
    return _loaded(_records(folder))


def _loaded(records: Iterable[dict[str, Any]]) -> bool:
    return any(record.get("loaded") for record in records)


def _patched_file(where: str, repo: Path, patched: Collection[str]) -> bool:
    path = Path(where)
    if not path.is_absolute() or not path.is_relative_to(repo):
        return False
    return path.relative_to(repo).as_posix() in patched


def _unseen(
    ran: dict[str, bool], failed_tests: Collection[str], test_files: Collection[str]
) -> str:
    """Why ``ran`` (a test's canonical name: whether its own function ran) does not cover the
    failing tests ("" when it does)."""
    never = (
        "not verified: the witness saw {} reported without its own function running (or with "
        "no function it can watch: a doctest, a plugin's item, whose runner no-ops unseen)"
    )
    if failed_tests:
        for name in failed_tests:
            key = canonical_test(name)
            seen = [value for test, value in ran.items() if test == key or test.endswith(f".{key}")]
            if not seen or not all(seen):
                return never.format(name[:200])
        return ""
    if test_files:
        for path in test_files:
            module = canonical_test(str(PurePosixPath(path)))
            seen = [value for test, value in ran.items() if f".{module}." in f".{test}"]
            if not seen or not all(seen):
                return never.format(f"a test of {path[:200]}")
        return ""
    if not ran or not all(ran.values()):
        return never.format("a test")
    return ""


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
    whole path: relative, or below the sandbox copy's repository folder."""
    for path in paths:
        named = re.compile(
            rf"(?:^|(?<=[\s'\"(\[=,])|(?<=/live/repo/)|(?<=\./)){re.escape(path)}(?=$|[\s'\":)\],;])",
            re.MULTILINE,
        )
        if named.search(failed_output) is None:
            return (
                f"the failing command is judged by its exit code alone, and {path} "
                "is no file it named as it failed: a fix changes the code the linter reported, "
                "never code the linter itself loads"
            )
    return ""


def import_time_problem(path: str, before: str | None, after: str | None) -> str:
    """Why the patch's change to the Python file ``path`` is refused: it adds a statement
    that runs as the module is imported (:func:`_import_time`), before the witness can see a
    test run ("" when it adds none)."""
    if not path.endswith((".py", ".pyw")) or after is None:
        return ""
    read = _import_time(after)
    if read is None:
        return (
            f"the patched {path} does not parse here, so what it runs as it is imported cannot "
            "be read"
        )
    now, lines = read
    added = now - (_import_time(before or "") or (Counter(), {}))[0]
    if not added:
        return ""
    return (
        f"the patch adds code that runs as {path} is imported (line {min(lines[d] for d in added)}"
        "): a fix judged by tests in the same process may change what runs when it is called, "
        "not what runs before the tests do"
    )


_RUN_WITHOUT_A_CALL = frozenset(
    {"__getattr__", "__dir__", "__init_subclass__", "__class_getitem__", "__mro_entries__",
     "__set_name__"}
)  # fmt: skip
"""Special methods Python runs on an attribute read, a subscript or a class statement."""


def _import_time(text: str) -> tuple[Counter[str], dict[str, int]] | None:
    """Each statement of ``text`` that runs as the module is imported, function bodies left
    out, as its ``ast.dump``, and the first line each starts on; imports, docstrings, plain
    definitions and names bound to what calls nothing are left out. Parsed from the file's bytes, so its
    encoding declaration is read as Python reads it; None when it does not parse here."""
    found: Counter[str] = Counter()
    lines: dict[str, int] = {}
    try:
        body: list[ast.stmt] = list(ast.parse(text.encode("utf-8", "surrogateescape")).body)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    while body:
        node = body.pop()
        if isinstance(node, ast.Import | ast.ImportFrom) or _inert(node):
            continue
        shown: ast.AST = node
        if isinstance(node, ast.ClassDef):
            body.extend(node.body)  # a class body runs as the class statement does
            if _plain_class(node):
                continue
        if isinstance(node, ast.If):
            body.extend([*node.body, *node.orelse])
            shown = node.test
        elif isinstance(node, ast.Try):
            body.extend([*node.body, *node.orelse, *node.finalbody])
            body.extend(part for handler in node.handlers for part in handler.body)
            shown = ast.Tuple([h.type for h in node.handlers if h.type is not None], ast.Load())
        elif isinstance(node, ast.ClassDef):
            shown = copy.copy(node)
            shown.body = []
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            shown = _signature(node)
        dumped = ast.dump(shown)
        found[dumped] += 1
        lines[dumped] = min(lines.get(dumped, node.lineno), node.lineno)
    return found, lines


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
    """``node`` without its body, and without annotations and defaults that call nothing (a
    linter's fix rewrites ``Optional[int]`` as ``int | None``; neither runs code of the
    patch)."""
    shown = copy.deepcopy(node)
    shown.body = []
    every = [*shown.args.posonlyargs, *shown.args.args, *shown.args.kwonlyargs]
    every += [a for a in (shown.args.vararg, shown.args.kwarg) if a is not None]
    for argument in every:
        if argument.annotation is not None and not _calls(argument.annotation):
            argument.annotation = None
    if shown.returns is not None and not _calls(shown.returns):
        shown.returns = None
    shown.args.defaults = [d for d in shown.args.defaults if _calls(d)]
    shown.args.kw_defaults = [d if d is not None and _calls(d) else None
                              for d in shown.args.kw_defaults]  # fmt: skip
    return shown


def _calls(node: ast.AST) -> bool:
    return any(isinstance(part, ast.Call) for part in ast.walk(node))


def _inert(node: ast.stmt) -> bool:
    """A docstring, a name bound to an expression that calls nothing (a constant, a type
    alias), or a function made without calling anything (no decorator, defaults and
    annotations that call nothing, none of the special methods Python runs without a call).
    An attribute or item set (``Function.runtest = …``) is never inert."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = all(isinstance(part, ast.Name | ast.Tuple | ast.Store) for t in targets
                    for part in ast.walk(t))  # fmt: skip
        return names and not _calls(node)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return (
            not node.decorator_list
            and node.name not in _RUN_WITHOUT_A_CALL
            and not _calls(node.args)
            and not (node.returns is not None and _calls(node.returns))
        )
    return False


def _plain_class(node: ast.ClassDef) -> bool:
    """A class made from named bases alone: its body runs at import, and is read as such."""
    return (
        not node.decorator_list
        and not node.keywords
        and all(isinstance(base, ast.Name) for base in node.bases)
    )
