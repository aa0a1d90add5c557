"""A Python test's statements moved into another test, by Python's own parser: the flaky-test
fixer's set-up, after iFixFlakies (a donor test whose run makes a failing one pass).

Only statements move: never an assertion, nothing naming a donor's fixture the victim does not take,
no ``self`` of another class, no name the donor's file defines unless both share that file. What is
written must parse; the sandbox's runs judge whether it works."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from cicd_agent.runners.orders import SetUp

MAX_STATEMENTS = 12
"""The most statements one donor gives (each is tried out one at a time when the set is made
smaller)."""
_BUILTINS = frozenset(dir(builtins))
_NEVER_MOVED = (
    ast.Assert,
    ast.Return,
    ast.Raise,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.Global,
    ast.Nonlocal,
)
"""Statements never moved into another test: an assertion (what the donor checks stays its
own), and what ends the test early or changes how its body runs."""
_ENDS = frozenset(
    {
        "skip",
        "xfail",
        "fail",
        "exit",
        "_exit",
        "importorskip",
        "abort",
        "raises",
        "warns",
        "deprecated_call",
        "approx",
    }
)
"""Calls that end a test where it stands (``pytest.skip``, ``sys.exit``, ``os._exit``) or
check something (``pytest.raises``): a statement holding one is never moved."""


@dataclass(frozen=True)
class Found:
    """A test's function in its file's tree, and the class it is a method of (None: a function)."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    owner: ast.ClassDef | None
    module: ast.Module


def split_id(test: str) -> tuple[str, list[str], str]:
    path, _, rest = test.partition("::")
    parts = rest.partition("[")[0].split("::")
    return path, parts[:-1], parts[-1]


def find(text: str, test: str) -> Found | None:
    """``test``'s function in ``text`` (its file), or None when it is not written there."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    _, classes, name = split_id(test)
    body: Sequence[ast.stmt] = module.body
    owner: ast.ClassDef | None = None
    for wanted in classes:
        owner = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == wanted), None)
        if owner is None:
            return None
        body = owner.body
    function = next(
        (
            n
            for n in body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
        ),
        None,
    )
    return Found(function, owner, module) if function is not None else None


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    arguments = function.args
    return {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = function.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return list(body)


def _ends_test(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    called = node.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in _ENDS


def _names(statement: ast.stmt) -> tuple[set[str], set[str]]:
    read, bound = set[str](), set[str]()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
    return read, bound


def _module_names(module: ast.Module) -> tuple[dict[str, str], set[str]]:
    """The names ``module`` binds at its top: those its imports bind (each with the import that
    binds it alone, as a line) and the others (its own functions, classes and variables)."""
    imported: dict[str, str] = {}
    own: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imported[alias.asname] = f"import {alias.name} as {alias.asname}"
                else:
                    imported[alias.name.split(".")[0]] = f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            source = "." * node.level + (node.module or "")
            for alias in node.names:
                named = f" as {alias.asname}" if alias.asname else ""
                imported[alias.asname or alias.name] = f"from {source} import {alias.name}{named}"
        else:
            own |= _names(node)[1] if not isinstance(node, ast.Expr) else set()
    return imported, own


def set_up_of(texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
    """``donor``'s statements to run first in ``victim``."""
    donor_path, victim_path = split_id(donor)[0], split_id(victim)[0]
    found = find(texts.get(donor_path, ""), donor)
    target = find(texts.get(victim_path, ""), victim)
    if found is None or target is None:
        return SetUp(donor, why_not="its function or the failing test's was not found in the file")
    given = _parameters(target.function)
    if (found.owner is None) != (target.owner is None) or (
        found.owner is not None
        and target.owner is not None
        and (donor_path, found.owner.name) != (victim_path, target.owner.name)
    ):
        given.discard("self")
    imported, own = _module_names(found.module)
    lines = texts[donor_path].splitlines()
    kept: list[str] = []
    needs: dict[str, str] = {}
    local: set[str] = set()
    donor_parameters = _parameters(found.function)
    for statement in _body(found.function):
        if any(isinstance(n, _NEVER_MOVED) or _ends_test(n) for n in ast.walk(statement)):
            continue  # what it checks stays with it, and nothing that ends the test early
        read, bound = _names(statement)
        free = read - local - _BUILTINS
        if free & (donor_parameters - given):
            continue  # a fixture, or self, the failing test does not have
        if donor_path != victim_path:
            if free & own - local:
                continue  # a name of the donor's own file, not reachable from the other
            if any(imported.get(n, "").startswith("from .") for n in free):
                continue  # a relative import means another package there
            needs.update({n: imported[n] for n in sorted(free) if n in imported})
        local |= bound
        kept.append(_source(lines, statement))
        if len(kept) == MAX_STATEMENTS:
            break
    if not kept:
        return SetUp(
            donor,
            why_not="none of its statements can run in the failing test (only "
            "assertions, or names the failing test cannot reach)",
        )
    return SetUp(donor, tuple(kept), tuple(dict.fromkeys(needs.values())))


def _source(lines: Sequence[str], statement: ast.stmt) -> str:
    """``statement``'s lines, its own indentation taken off each."""
    end = statement.end_lineno or statement.lineno
    chunk = lines[statement.lineno - 1 : end]
    cut = statement.col_offset
    return "\n".join(
        line[cut:] if line[:cut].isspace() or not line[:cut] else line.lstrip() for line in chunk
    )


def with_set_up(text: str, victim: str, set_up: SetUp, keep: Collection[int]) -> str:
    """``victim``'s file with the statements numbered in ``keep`` first in its body, under a
    comment naming the donor; "" when the file does not parse after, or the test's body shares
    its ``def`` line."""
    target = find(text, victim)
    if target is None or not set_up.statements:
        return ""
    body = _body(target.function)
    anchor = body[0] if body else None
    if anchor is None or anchor.lineno == target.function.lineno:
        return ""
    indent = " " * anchor.col_offset
    chosen = [set_up.statements[n] for n in sorted(keep) if 0 <= n < len(set_up.statements)]
    if not chosen:
        return ""
    donor = set_up.donor.replace("\n", " ")[:200]
    block = [
        f"# set-up moved from {donor}: it leaves the state this test needs",
        *set_up.imports,
        *chosen,
    ]
    added = [indent + line if line else line for part in block for line in part.split("\n")]
    lines = text.splitlines(keepends=True)
    ending = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    at = anchor.lineno - 1
    patched = "".join([*lines[:at], *(line + ending for line in added), *lines[at:]])
    try:
        ast.parse(patched)
    except (SyntaxError, ValueError):
        return ""
    return patched


def file_of(test: str) -> str:
    return str(PurePosixPath(split_id(test)[0]))
