"""Whether a rewrite of a pytest test checks a value less exactly than the test did: the test
step's model fix of a flaky test is refused when it does (a check loosened to accept both of
the flaky outcomes still fails on the mutants that break the code outright, so the mutation
check cannot tell it)."""

from __future__ import annotations

import ast
import copy

from cicd_agent.runners.pytest.set_up import find

_EXACT = frozenset(
    {
        "assertEqual",
        "assertEquals",
        "assertIs",
        "assertListEqual",
        "assertTupleEqual",
        "assertDictEqual",
        "assertSetEqual",
        "assertSequenceEqual",
        "assertMultiLineEqual",
    }
)
_SYMBOLS = {
    ast.In: "in",
    ast.NotIn: "not in",
    ast.NotEq: "!=",
    ast.IsNot: "is not",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_GUARDS: dict[type[ast.AST], str] = {
    ast.If: "if",
    ast.IfExp: "if",
    ast.While: "while",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.Match: "match",
}
"""Statements under which a check is made only on some runs (or its failure caught)."""
_MAX_INLINED = 20_000
"""The most nodes of helpers read into a test's checks, all calls together (a large helper
called often would cost minutes): more is left to the mutation check."""
_MAX_VALUE = 50
"""The most nodes of a value a name is read as (a bigger one stays its name)."""


def loosened(original: str, rewritten: str, test: str) -> str:
    """Why ``rewritten`` accepts values ``original`` refused ("" when it does not seem to): a
    value ``test`` checked exactly (``==``, ``is``, ``assertEqual``) is now checked only in a
    looser form (``in``, an ordering, ``or``, ``pytest.approx``, ``assertIn``, a check some
    runs skip or whose failure is caught). A value the rewrite still checks exactly on every
    run, or no longer compares by itself (it compares something else), is left to the mutation
    check."""
    after: dict[str, set[str]] = {}
    for side, kind, _ in _checks(rewritten, test):
        after.setdefault(side, set()).add(kind)
    for side, kind, line in _checks(original, test):
        kinds = after.get(side, set())
        if kind == "==" and kinds and "==" not in kinds:
            return (
                f"it loosens the exact check at line {line} of its file to one that accepts "
                f"other values (`{sorted(kinds)[0]}`)"
            )
    return ""


def _checks(text: str, test: str) -> list[tuple[str, str, int]]:
    """Each value ``test``'s function checks (its ``ast.dump``, a name assigned once read as
    its value), the kind of check ("==" for an exact one every run makes) and the check's line.
    A check inside a helper of the file is read where the test calls it, on the test's values."""
    try:
        found = find(text, test)
        if found is None:
            return []
        helpers = {
            node.name: node
            for node in ast.walk(found.module)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        reader = _Reader(helpers)
        for statement in _named(found.function).body:
            reader.visit(statement, "")
        return reader.checks
    except (RecursionError, MemoryError):
        return []


class _Reader:
    """The checks of a function's statements, with the condition a check is made under. A
    helper's statements are read where it is called (``values``: its parameters' arguments,
    ``line``: the call's line), and never copied: only a check's compared values are."""

    def __init__(self, helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> None:
        self.helpers = helpers
        self.checks: list[tuple[str, str, int]] = []
        self.inlined = 0
        self.sizes: dict[str, int] = {}

    def visit(
        self,
        node: ast.AST,
        guard: str,
        values: dict[str, ast.expr] | None = None,
        line: int = 0,
    ) -> None:
        at = line or getattr(node, "lineno", 0)
        if isinstance(node, ast.Assert):
            self.checks += [
                (_dumped(side, values), guard or kind, at) for side, kind in _sides(node.test)
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("assert")
            and len(node.args) >= 2
        ):
            kind = "==" if node.func.attr in _EXACT else node.func.attr
            self.checks += [(_dumped(side, values), guard or kind, at) for side in node.args[:2]]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            self._inline(node, self.helpers.get(node.func.id), guard, values, at)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return  # run only where it is called
        inner = guard or _GUARDS.get(type(node), "")
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            "suppress" in ast.unparse(item.context_expr) for item in node.items
        ):
            inner = guard or "suppress"
        if isinstance(node, ast.Try | ast.TryStar) and not node.handlers:
            inner = guard  # a try with only a finally swallows no failed check
        for child in ast.iter_child_nodes(node):
            self.visit(child, inner, values, line)

    def _inline(
        self,
        call: ast.Call,
        helper: ast.AST | None,
        guard: str,
        values: dict[str, ast.expr] | None,
        line: int,
    ) -> None:
        """The checks ``helper`` makes on the values ``call`` hands it, at the call's line."""
        if not isinstance(helper, ast.FunctionDef | ast.AsyncFunctionDef):
            return
        if helper.name not in self.sizes:
            self.sizes[helper.name] = sum(1 for _ in ast.walk(helper))
        size = self.sizes[helper.name]
        if self.inlined + size > _MAX_INLINED:
            return
        self.inlined += size
        names = [argument.arg for argument in (*helper.args.posonlyargs, *helper.args.args)]
        given = dict(zip(names, call.args, strict=False))
        given |= {k.arg: k.value for k in call.keywords if k.arg is not None}
        inner = {name: _put(value, values) for name, value in given.items()}
        for statement in helper.body:
            self.visit(statement, guard, inner, line)


def _put(side: ast.expr, values: dict[str, ast.expr] | None) -> ast.expr:
    """``side`` with each name in ``values`` read as its value (``side`` itself: none)."""
    if not values:
        return side
    put = _Substitute(values).visit(copy.deepcopy(side))
    assert isinstance(put, ast.expr)
    return put


def _dumped(side: ast.expr, values: dict[str, ast.expr] | None) -> str:
    return ast.dump(_put(side, values))


class _Substitute(ast.NodeTransformer):
    """Each read of a name in ``values`` replaced by its value's expression."""

    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        value = self.values.get(node.id)
        if value is None or not isinstance(node.ctx, ast.Load):
            return node
        return copy.deepcopy(value)


def _named(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """A copy of ``function`` where each name assigned once (to a small expression) is read as
    that expression: ``got = f(); assert got in (1, 2)`` checks ``f()``."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.NamedExpr | ast.For):
            for name in ast.walk(node.target):
                if isinstance(name, ast.Name):
                    assigned.setdefault(name.id, []).extend([name, name])
    values = {
        name: found[0]
        for name, found in assigned.items()
        if len(found) == 1 and sum(1 for _ in ast.walk(found[0])) <= _MAX_VALUE
    }
    named = _Substitute(values).visit(copy.deepcopy(function))
    assert isinstance(named, ast.FunctionDef | ast.AsyncFunctionDef)
    return named


def _sides(test: ast.expr, kind: str = "") -> list[tuple[ast.expr, str]]:
    """The values an assertion's ``test`` compares, each with its check's kind: an ``and``'s
    parts are checks of their own, an ``or``'s accept either (``kind`` "or", and "|" for a
    bitwise one), a call's arguments are checked as the call does (``math.isclose``), and a
    value compared only to itself is no check."""
    if isinstance(test, ast.BoolOp):
        inner = "or" if isinstance(test.op, ast.Or) else kind
        return [found for value in test.values for found in _sides(value, inner)]
    if isinstance(test, ast.BinOp) and isinstance(test.op, ast.BitOr | ast.BitAnd):
        inner = "|" if isinstance(test.op, ast.BitOr) else kind
        return [found for value in (test.left, test.right) for found in _sides(value, inner)]
    if isinstance(test, ast.Call):
        return [(argument, kind or _called(test.func)) for argument in test.args[:2]]
    if not isinstance(test, ast.Compare):
        return []
    sides = [test.left, *test.comparators]
    if len({ast.dump(side) for side in sides}) == 1:
        return []
    if kind:
        return [(side, kind) for side in sides]
    loose = next((_SYMBOLS[type(op)] for op in test.ops if type(op) in _SYMBOLS), "")
    approx = any(isinstance(s, ast.Call) and ast.unparse(s.func).endswith("approx") for s in sides)
    said = loose or ("pytest.approx" if approx else "==")
    return [(side, said) for side in sides]


def _called(function: ast.expr) -> str:
    """A call's dotted name (``math.isclose``), or "a call": the rewrite is the model's text, and
    the name is quoted in what is posted."""
    parts: list[str] = []
    while isinstance(function, ast.Attribute):
        parts.append(function.attr)
        function = function.value
    if not isinstance(function, ast.Name):
        return "a call"
    return ".".join([function.id, *reversed(parts)])
