"""Whether a rewrite of a pytest test checks a value less exactly than the test did: the test
step's model fix of a flaky test is refused when it does (a check loosened to accept both of
the flaky outcomes still fails on the mutants that break the code outright, so the mutation
check cannot tell it)."""

from __future__ import annotations

import ast

from cicd_agent.runners.pytest.set_up import find

_EXACT = frozenset({"assertEqual", "assertEquals", "assertIs", "assertListEqual",
                    "assertTupleEqual", "assertDictEqual", "assertSetEqual",
                    "assertSequenceEqual", "assertMultiLineEqual"})
_SYMBOLS = {ast.In: "in", ast.NotIn: "not in", ast.NotEq: "!=", ast.IsNot: "is not", ast.Lt: "<",
            ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}  # fmt: skip


def loosened(original: str, rewritten: str, test: str) -> str:
    """Why ``rewritten`` accepts values ``original`` refused ("" when it does not seem to): a
    value ``test`` checked exactly (``==``, ``is``, ``assertEqual``) is now checked only in a
    looser form (``in``, an ordering, ``or``, ``pytest.approx``, ``assertIn``). A value the
    rewrite still checks exactly somewhere, or no longer compares by itself (it compares
    something else), is left to the mutation check."""
    after: dict[str, set[str]] = {}
    for side, kind, _ in _checks(rewritten, test):
        after.setdefault(side, set()).add(kind)
    for side, kind, line in _checks(original, test):
        kinds = after.get(side, set())
        if kind == "==" and kinds and "==" not in kinds:
            return (f"it loosens the exact check at line {line} of its file to one that accepts "
                    f"other values (`{sorted(kinds)[0]}`)")  # fmt: skip
    return ""


def _checks(text: str, test: str) -> list[tuple[str, str, int]]:
    """Each value ``test``'s function checks (its ``ast.dump``), the kind of check ("==" for
    an exact one) and the check's line."""
    try:
        found = find(text, test)
    except (RecursionError, MemoryError):
        return []
    if found is None:
        return []
    checks: list[tuple[str, str, int]] = []
    for node in ast.walk(found.function):
        if isinstance(node, ast.Assert):
            checks += [(ast.dump(side), kind, node.lineno) for side, kind in _sides(node.test)]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr.startswith("assert") and len(node.args) >= 2):  # fmt: skip
            kind = "==" if node.func.attr in _EXACT else node.func.attr
            checks += [(ast.dump(side), kind, node.lineno) for side in node.args[:2]]
    return checks


def _sides(test: ast.expr, kind: str = "") -> list[tuple[ast.expr, str]]:
    """The values an assertion's ``test`` compares, each with its check's kind: an ``and``'s
    parts are checks of their own, an ``or``'s accept either (``kind`` "or")."""
    if isinstance(test, ast.BoolOp):
        inner = "or" if isinstance(test.op, ast.Or) else kind
        return [found for value in test.values for found in _sides(value, inner)]
    if not isinstance(test, ast.Compare):
        return []
    sides = [test.left, *test.comparators]
    if kind:
        return [(side, kind) for side in sides]
    loose = next((_SYMBOLS[type(op)] for op in test.ops if type(op) in _SYMBOLS), "")
    approx = any(isinstance(s, ast.Call) and ast.unparse(s.func).endswith("approx") for s in sides)
    said = loose or ("pytest.approx" if approx else "==")
    return [(side, said) for side in sides]
