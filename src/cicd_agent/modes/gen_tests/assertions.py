"""Stage 2 of the gate: does every test check the code under test, not only its own mocks?

A test without a real assertion "passes" whatever the code does, and coverage it adds is
coverage nobody checks. Read statically from the candidate's syntax tree:

- a real assertion is an ``assert``, a ``pytest.raises``/``pytest.warns`` block or call, or an
  ``assert*`` call (``assert_called_once_with``, ``self.assertEqual``, ``np.testing.assert_…``)
  that mentions at least one name that is neither a builtin, a test-framework name nor a mock the
  test made (``assert True``, ``assert len([1]) == 1`` and ``m.assert_called()`` on a Mock
  ``m`` that nothing else touched are not real);
- an assertion on a mock still counts when the test also calls code that is not a mock
  (checking how the code under test used a collaborator is a real check);
- an assertion inside a helper of the same module counts for the tests that call the helper;
- a comparison whose two sides are the same expression (``assert version == version``,
  ``self.assertEqual(f(1), f(1))``, ``assert x is x``) is no assertion: it checks that the
  expression is deterministic, nothing about its value, and a candidate made of such checks was
  kept on a real commit because a mutant that raises counts as a kill.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import re
from collections.abc import Iterable

_BUILTINS = frozenset(dir(builtins))
_FRAMEWORK = frozenset({"pytest", "unittest", "mock", "self", "cls", "mocker", "monkeypatch"})
_MOCK_FACTORIES = frozenset(
    {
        "Mock",
        "MagicMock",
        "AsyncMock",
        "NonCallableMock",
        "NonCallableMagicMock",
        "PropertyMock",
        "create_autospec",
        "patch",
        "spy",
        "stub",
    }
)
_RAISES = frozenset({"raises", "warns", "deprecated_call"})
_COMPARING = re.compile(r"assert(?:not)?(?:is(?:not)?|\w*equals?|greater\w*|less\w*|allclose)")
"""``assert*`` calls whose first two arguments are compared (``assertEqual``, ``assertIs``,
``assert_array_equal``…; lowercased, underscores dropped); ``assert_called_with(x, x)`` is not
one: a mock called with one value twice is a real check."""
Function = ast.FunctionDef | ast.AsyncFunctionDef


def _dotted(node: ast.AST) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _root(node: ast.AST) -> str | None:
    parts = _dotted(node.func if isinstance(node, ast.Call) else node)
    return parts[0] if parts else None


def _makes_mock(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and bool(_MOCK_FACTORIES & set(_dotted(node.func)))


def _mock_names(function: Function) -> set[str]:
    """Names in ``function`` bound to mocks: assigned, ``with patch(...) as m``, ``@patch`` args."""
    names: set[str] = set()
    patches = sum(
        1
        for decorator in function.decorator_list
        if _makes_mock(decorator) and "patch" in _dotted(getattr(decorator, "func", decorator))
    )
    parameters = [arg.arg for arg in function.args.args if arg.arg not in ("self", "cls")]
    names.update(parameters[:patches])
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and _makes_mock(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if _makes_mock(item.context_expr) and isinstance(item.optional_vars, ast.Name):
                    names.add(item.optional_vars.id)
    return names


def _names(nodes: Iterable[ast.AST]) -> set[str]:
    return {
        found.id
        for node in nodes
        for found in ast.walk(node)
        if isinstance(found, ast.Name) and isinstance(found.ctx, ast.Load)
    }


def _meaningful(names: set[str], mocks: set[str]) -> bool:
    return bool(names - _BUILTINS - _FRAMEWORK - mocks)


def _calls_real_code(function: Function, mocks: set[str]) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and not _makes_mock(node):
            root = _root(node)
            if root and root not in mocks and root not in _BUILTINS and root not in _FRAMEWORK:
                return True
    return False


def _is_assert_call(node: ast.Call) -> bool:
    parts = _dotted(node.func)
    return bool(parts) and parts[-1].startswith("assert")


def _is_raises(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and bool(_dotted(node.func))
        and _dotted(node.func)[-1] in _RAISES
    )


def _same(left: ast.AST, right: ast.AST) -> bool:
    """Whether two expressions are one (the same tree; positions, spacing and comments aside)."""
    return ast.dump(left) == ast.dump(right)


def _self_compare(node: ast.AST) -> bool:
    """Whether ``node`` compares an expression only with itself (``a == a``, ``a is a == a``):
    any operator, since ``x < x`` or ``x is x`` says as little about ``x``'s value as ``==``. A
    chain with one differing side (``a == a == 1``) compares something, and so do two calls
    said to differ (``new_id() != new_id()``: a uniqueness check)."""
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    if all(isinstance(op, ast.NotEq | ast.IsNot) for op in node.ops) and any(
        isinstance(found, ast.Call) for found in ast.walk(node.left)
    ):
        return False  # two calls are two values: new_id() != new_id() checks they differ
    return all(_same(one, other) for one, other in itertools.pairwise(sides))


def _always_true(node: ast.AST) -> bool:
    """Whether ``node`` holds whatever the code does: a compare of one expression with itself
    by ``==``, ``is``, ``<=`` or ``>=``, a true constant, or an ``or`` with one such operand
    (``assert v is v or True``, seen in a held-out candidate)."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return any(_always_true(value) for value in node.values) or _negations(node.values)
    if isinstance(node, ast.Constant):
        return bool(node.value)
    return (
        isinstance(node, ast.Compare)
        and _self_compare(node)
        and all(isinstance(op, ast.Eq | ast.Is | ast.LtE | ast.GtE) for op in node.ops)
    )


_NEGATION = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


def _negations(values: list[ast.expr]) -> bool:
    """Whether two of an ``or``'s ``values`` are one comparison and its negation (``a == b or
    a != b``, ``a < b or a >= b``): one of them holds whatever the code computes."""
    compared = {
        (ast.dump(value.left), type(value.ops[0]), ast.dump(value.comparators[0]))
        for value in values
        if isinstance(value, ast.Compare) and len(value.ops) == 1
    }
    return any((left, _NEGATION[op], right) in compared for left, op, right in compared)


def _self_compare_call(node: ast.Call) -> bool:
    """Whether an ``assert*`` call compares one expression with itself: a comparing call on
    two same arguments (``assertEqual(a, a)``), or any call whose first argument is such a
    compare (``assertTrue(a == a)``), or ``assertTrue`` of an ``or`` that holds anyway."""
    name = _dotted(node.func)[-1].lower().replace("_", "")
    if _COMPARING.fullmatch(name) and len(node.args) > 1 and _same(node.args[0], node.args[1]):
        return True
    return bool(node.args) and (
        _self_compare(node.args[0])
        or (
            name == "asserttrue"
            and isinstance(node.args[0], ast.BoolOp)
            and _always_true(node.args[0])
        )
    )


def has_real_assertion(function: Function, helpers: set[str]) -> bool:
    """Whether ``function`` checks something real (see the module doc)."""
    mocks = _mock_names(function)
    calls_real = _calls_real_code(function, mocks)
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assert)
            and not _self_compare(node.test)
            and not _always_true(node.test)
            and _meaningful(_names([node.test]), mocks)
        ):
            return True
        if (
            isinstance(node, ast.With | ast.AsyncWith)
            and any(_is_raises(item.context_expr) for item in node.items)
            and _meaningful(_names(node.body), mocks)
        ):
            return True
        if isinstance(node, ast.Call):
            if (
                _is_raises(node)
                and len(node.args) > 1
                and _meaningful(_names(node.args[1:]), mocks)
            ):
                return True
            if _is_assert_call(node) and not _self_compare_call(node):
                mentioned = _names([node.func, *node.args, *(k.value for k in node.keywords)])
                if _meaningful(mentioned, mocks):
                    return True
                if (_root(node) in mocks) and calls_real:
                    return True
            parts = _dotted(node.func)
            if parts and parts[-1] in helpers and (len(parts) == 1 or parts[0] == "self"):
                return True
    return False


def _functions(tree: ast.Module) -> list[tuple[str, Function]]:
    """The module's functions and its classes' methods, each with its class's name ("" for
    none)."""
    found: list[tuple[str, Function]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(("", node))
        elif isinstance(node, ast.ClassDef):
            found += [
                (node.name, item)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return found


def assertion_problems(source: str) -> list[str]:
    """Why the module fails stage 2, one line per test; empty when every test checks something."""
    try:
        return _problems(source)
    except RecursionError:  # a check 1,500 calls deep parses, but no recursive reading ends
        return ["a test nests an expression too deeply for its checks to be read"]


def _problems(source: str) -> list[str]:
    functions = _functions(ast.parse(source))
    tests = [
        (f"{owner}.{function.name}" if owner else function.name, function)
        for owner, function in functions
        if function.name.startswith("test") and (not owner or owner.startswith("Test"))
    ]
    if not tests:
        return ["the module defines no test functions"]
    # Non-test functions (module level or in classes) that hold a real assertion.
    helpers = {
        function.name
        for _owner, function in functions
        if not function.name.startswith("test") and has_real_assertion(function, set())
    }
    return [
        f"{name} has no assertion that checks the code under test (only constants, builtins "
        "or its own mocks)"
        for name, function in tests
        if not has_real_assertion(function, helpers)
    ]
