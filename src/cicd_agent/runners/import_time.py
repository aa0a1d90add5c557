"""What a patch may change in a Python module when the fix judge's in-run check decides: what runs
when the module's code is called, never what runs as it is imported.

The in-run check runs in the process it judges, so code run at import can find it in ``sys.modules``
and tell it what to see. A patched module's import-time code may only lose statements or gain
imports, definitions and names bound to expressions that call nothing; the patch's code then runs
only when called, which the in-run check watches.

A body the module's import-time code already calls is not read as import-time code here: read by
name, that refuses most real fixes (a route's body, a schema's method). The import guard judges
those by what runs, and stops a tracer the base's import-time code arms."""

from __future__ import annotations

import ast
import copy
import sys
from collections import Counter


def import_time_problem(path: str, before: str | None, after: str | None) -> str:
    """Why the patch's change to the Python file ``path`` is refused: it adds a statement
    that runs as the module is imported ("" when it adds none)."""
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
    {
        "__getattr__",
        "__dir__",
        "__init_subclass__",
        "__class_getitem__",
        "__mro_entries__",
        "__set_name__",
    }
)
"""Special methods Python runs on an attribute read, a subscript or a class statement."""


def _import_time(text: str) -> tuple[Counter[str], dict[str, int]] | None:
    """Each statement of ``text`` that runs as the module is imported, function bodies left
    out, as its ``ast.dump``, and the first line each starts on; imports, docstrings, plain
    definitions and names bound to what calls nothing are left out. Parsed from the file's bytes, so
    its encoding declaration is read as Python reads it; None when it does not parse here."""
    found: Counter[str] = Counter()
    lines: dict[str, int] = {}
    try:
        tree = ast.parse(text.encode("utf-8", "surrogateescape"))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    values = _value_calls(tree)
    body: list[ast.stmt] = list(tree.body)
    while body:
        node = body.pop()
        if isinstance(node, ast.Import | ast.ImportFrom) or _inert(node, values):
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
            shown = _signature(node, values)
        dumped = ast.dump(shown)
        found[dumped] += 1
        lines[dumped] = min(lines.get(dumped, node.lineno), node.lineno)
    return found, lines


_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _standard(tree: ast.Module) -> frozenset[str]:
    """Names bound only by ``import`` of a standard library module, and never again."""
    imported = {
        alias.asname or alias.name.partition(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.partition(".")[0] in sys.stdlib_module_names
    }
    bound = Counter(
        node.id if isinstance(node, ast.Name) else node.asname or node.name.partition(".")[0]
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load))
        or isinstance(node, ast.alias)
    )
    return frozenset(name for name in imported if bound[name] == 1)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, values: frozenset[str]) -> ast.AST:
    """``node`` without its body, and without annotations and defaults that call nothing (a
    linter's fix rewrites ``Optional[int]`` as ``int | None``; neither runs code of the
    patch)."""
    shown = copy.deepcopy(node)
    shown.body = []
    every = [*shown.args.posonlyargs, *shown.args.args, *shown.args.kwonlyargs]
    every += [a for a in (shown.args.vararg, shown.args.kwarg) if a is not None]
    for argument in every:
        if argument.annotation is not None and not _calls(argument.annotation, values):
            argument.annotation = None
    if shown.returns is not None and not _calls(shown.returns, values):
        shown.returns = None
    shown.args.defaults = [d for d in shown.args.defaults if _calls(d, values)]
    shown.args.kw_defaults = [
        d if d is not None and _calls(d, values) else None for d in shown.args.kw_defaults
    ]
    return shown


_VALUE_CALLS = frozenset(
    {
        "re.compile",
        "re.escape",
        "typing.TypeVar",
        "typing.NewType",
        "typing.ParamSpec",
        "collections.namedtuple",
        "frozenset",
        "tuple",
        "set",
        "dict",
        "list",
        "str",
        "int",
        "float",
        "bytes",
        "range",
        "object",
    }
)
"""Calls that build a value from constants and run no code of the project's: a module-level
``re.compile`` or ``frozenset({...})`` is what a real fix adds. The base could have replaced
``re.compile`` itself, but code the base runs at import can equally react to a new constant,
which is allowed: such a call gives the patch nothing a constant does not."""


def _value_calls(tree: ast.Module) -> frozenset[str]:
    """The names of :data:`_VALUE_CALLS` that mean the standard ones in ``tree``: a module
    bound only by its own ``import``, a builtin the module never binds."""
    plain = {
        a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names if not a.asname
    }
    standard = _standard(tree) & plain
    bound = {
        node.id if isinstance(node, ast.Name) else node.name
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load))
        or isinstance(node, _Definition)
    } | {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return frozenset(
        name
        for name in _VALUE_CALLS
        if (name.partition(".")[0] in standard if "." in name else name not in bound)
    )


def _calls(node: ast.AST, values: frozenset[str]) -> bool:
    return any(
        isinstance(part, ast.Call) and not _value_call(part, values) for part in ast.walk(node)
    )


def _value_call(call: ast.Call, values: frozenset[str]) -> bool:
    func = call.func
    dotted = (
        func.id
        if isinstance(func, ast.Name)
        else f"{func.value.id}.{func.attr}"
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        else ""
    )
    parts = [*call.args, *(keyword.value for keyword in call.keywords)]
    return dotted in values and all(map(_constant, parts)) and all(k.arg for k in call.keywords)


def _constant(node: ast.expr) -> bool:
    """A literal, a literal container of literals, a module's constant (``re.I``), or ``|``."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(map(_constant, node.elts))
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and all(
            map(_constant, node.values)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _constant(node.left) and _constant(node.right)
    return (
        isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.isupper()
    )


def _inert(node: ast.stmt, values: frozenset[str]) -> bool:
    """A docstring, a name bound to an expression that calls nothing (a constant, a type
    alias), or a function made without calling anything (no decorator, defaults and
    annotations that call nothing, none of the special methods Python runs without a call).
    An attribute or item set (``Function.runtest = …``) is never inert."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = all(
            isinstance(part, ast.Name | ast.Tuple | ast.Store)
            for t in targets
            for part in ast.walk(t)
        )
        return names and not _calls(node, values)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return (
            not node.decorator_list
            and node.name not in _RUN_WITHOUT_A_CALL
            and not _calls(node.args, values)
            and not (node.returns is not None and _calls(node.returns, values))
        )
    return False


def _plain_class(node: ast.ClassDef) -> bool:
    """A class made from named bases alone: its body runs at import, and is read as such."""
    return (
        not node.decorator_list
        and not node.keywords
        and all(isinstance(base, ast.Name) for base in node.bases)
    )
