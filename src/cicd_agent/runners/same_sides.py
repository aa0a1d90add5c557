"""Whether a check in Go or Rust text compares one expression with itself.

``assert_eq!(v, v)`` or ``reflect.DeepEqual(v, v)`` checks that ``v`` is deterministic, nothing
of its value, so a generated test holding only such checks asserts nothing (yet kills a mutant
that raises). The sides are compared as written, whitespace outside quotes, block comments and
brackets around a whole side dropped, so one differing character keeps the check. Read from the
text, not parsed: brackets pair up ignoring those inside quotes, which is all a call's arguments
need. A Go failure call is read with the ``if`` whose block it opens, whose condition may be
never true; a disjunction true whatever the code computes (:func:`always_true`) is no check
either."""

from __future__ import annotations

import re

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_QUOTES = frozenset("\"'`")
_EQUALITIES = ("==", "!=")
_COMPARISONS = ("===", "!==", "==", "!=", "<=", ">=", "<", ">")
NEGATION = {
    "==": "!=",
    "!=": "==",
    "===": "!==",
    "!==": "===",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
}
"""Each comparison's opposite (``a < b`` is false exactly where ``a >= b`` holds); the
mutation check negates by it too."""
_SWAPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
"""The operator that says the same with its sides swapped (``a < b`` is ``b > a``)."""
_REFLEXIVE = frozenset({"==", "===", "<=", ">="})
_GO_IF = re.compile(r"\bif\s")
"""An ``if`` whose block a failure call may open (read back at most :data:`LIMIT` characters,
up to the nearest brace)."""
LIMIT = 1_000
"""Characters read for one call's arguments: a longer call counts as a real check, so a
candidate of many nested calls costs a linear look."""


def _quoted(text: str, at: int, stop: int | None = None) -> int:
    """Where the quoted text opening at ``text[at]`` ends (after its closing quote), read up to
    ``stop`` at most: a quote left open (``\\'`` in every test) is never read to the end of the
    file once per test (quadratic)."""
    end, stop = at + 1, len(text) if stop is None else stop
    while end < stop and text[end] != text[at]:
        end += 2 if text[end] == "\\" else 1
    return end + 1


def _parts(text: str, separators: tuple[str, ...], found: list[str] | None = None) -> list[str]:
    """``text`` split at its top-level ``separators`` (none inside brackets or quotes; the
    first that matches where several do, so a longer one is listed first), each part with its
    whitespace outside quotes dropped (``f("a  b")`` and ``f("a b")`` differ);
    ``found``: where given, the separators met, in order."""
    parts, current, depth, at = [], [], 0, 0
    while at < len(text):
        char = text[at]
        if char in _QUOTES:
            end = _quoted(text, at)
            current.append(text[at:end])
            at = end
            continue
        if char.isspace():
            at += 1
            continue
        if text.startswith("/*", at):  # a block comment is no part of a side
            closed = text.find("*/", at + 2)
            at = len(text) if closed < 0 else closed + 2
            continue
        depth += (char in _PAIRS) - (char in _PAIRS.values())
        separator = (
            next((s for s in separators if text.startswith(s, at)), "") if depth == 0 else ""
        )
        if separator and text[at + len(separator) : at + len(separator) + 1] != "=":
            if found is not None:
                found.append(separator)
            parts.append("".join(current))
            current, at = [], at + len(separator)
            continue
        current.append(char)
        at += 1
    parts.append("".join(current))
    return [_unbracketed(part) for part in parts]


def _unbracketed(side: str) -> str:
    """``side`` without brackets around the whole of it: ``(v)`` is ``v``, ``(a)(b)``
    stays as it is (its first bracket closes before the end)."""
    while side.startswith("(") and side.endswith(")"):
        depth, at = 0, 0
        while at < len(side):
            if side[at] in _QUOTES:
                at = _quoted(side, at)
                continue
            depth += (side[at] in _PAIRS) - (side[at] in _PAIRS.values())
            if depth == 0:
                break
            at += 1
        if at != len(side) - 1:
            return side
        side = side[1:-1]
    return side


def arguments(text: str, start: int) -> list[str]:
    """The arguments of the call whose opening bracket is ``text[start]``, whitespace dropped
    (none when nothing closes it within :data:`LIMIT` characters)."""
    depth, at, stop = 0, start, min(len(text), start + LIMIT)
    while at < stop:
        char = text[at]
        if char in _QUOTES:
            at = _quoted(text, at, stop)
            continue
        depth += (char in _PAIRS) - (char in _PAIRS.values())
        if depth == 0:
            break
        at += 1
    return _parts(text[start + 1 : at], (",",)) if at < stop else []


def self_compare(expression: str, operators: tuple[str, ...] = _EQUALITIES) -> bool:
    """Whether ``expression`` is ``A == A`` or ``A != A`` (one top-level equality of
    ``operators`` whose two sides are the same text; ``a == a == b`` or ``a == b`` is a real
    comparison)."""
    sides = _parts(expression, operators)
    return len(sides) == 2 and sides[0] == sides[1] != ""


def always_true(expression: str) -> bool:
    """Whether ``expression`` holds whatever the code computes: ``A == A`` (``===``, ``<=``,
    ``>=``), or a top-level ``||`` one of whose parts is, or two of whose parts are one
    comparison and its negation (``h == h || h != h``, ``a > b || b >= a``). Longer than
    :data:`LIMIT`: a real check."""
    if len(expression) > LIMIT:
        return False
    compared = {found for part in _disjuncts(expression) if (found := _comparison(part))}
    for left, operator, right in compared:
        negated = NEGATION[operator]
        if (
            (left == right and operator in _REFLEXIVE)
            or (left, negated, right) in compared
            or (right, _SWAPPED.get(negated, negated), left) in compared
        ):
            return True
    return False


def _never_true(condition: str) -> bool:
    """Whether a Go guard's ``condition`` is false whatever the code computes: the negation of
    an :func:`always_true` one (``!(v == v || x)``), or a ``||`` of parts that each compare one
    expression with itself by ``!=``, ``<`` or ``>``."""
    whole = _parts(condition, ())[0]
    if whole.startswith("!") and always_true(whole[1:]):
        return True
    parts = [_comparison(part) for part in _disjuncts(whole)]
    return len(parts) > 1 and all(
        found is not None and found[0] == found[2] and found[1] in ("!=", "<", ">")
        for found in parts
    )


def _disjuncts(expression: str) -> list[str]:
    """``expression``'s top-level ``||`` parts, whitespace dropped, brackets around the whole
    taken off first (``((a) || (b))``)."""
    parts = _parts(expression, ("||",))
    while len(parts) == 1 and "||" in parts[0]:
        again = _parts(parts[0], ("||",))
        if again == parts:
            break
        parts = again
    return parts


def _comparison(part: str) -> tuple[str, str, str] | None:
    operators: list[str] = []
    sides = _parts(part, _COMPARISONS, operators)
    return (sides[0], operators[0], sides[1]) if len(sides) == 2 and "" not in sides else None


def _conjuncts(expression: str) -> list[str]:
    """``expression`` split at its top-level ``&&``, whitespace dropped: one conjunct that is
    never true (``err.Error() != err.Error()``) makes the whole condition never true."""
    return _parts(expression, ("&&",))


def same_pair(text: str, start: int, first: int = 0) -> bool:
    """Whether the call whose bracket is ``text[start]`` gets the same expression as its
    argument ``first`` and the next one (``assert_eq!(v, v)``, ``assert.Equal(t, v, v)`` with
    ``first`` 1)."""
    found = arguments(text, start)
    return len(found) > first + 1 and found[first] == found[first + 1] != ""


def testify_checks(text: str, bracket: int, member: str) -> bool:
    """Whether the testify call ``assert.<member>(t, …)`` whose bracket is ``text[bracket]``
    checks something: not ``assert.Equal(t, v, v)`` nor ``assert.True(t, v == v || …)``."""
    given = arguments(text, bracket) if member == "True" else []
    return not (same_pair(text, bracket, first=1) or (len(given) > 1 and always_true(given[1])))


def go_guarded(text: str, start: int, at: int) -> bool:
    """Whether the Go failure call at ``text[at]``, in the function whose body starts at
    ``start``, may run on a real check: not a ``t.Error…`` that opens a block guarded by
    ``v != v`` or ``!reflect.DeepEqual(v, v)``."""
    before = text[max(start, at - LIMIT) : at].rstrip()
    head = before[:-1][max(before.rfind("{", 0, -1), before.rfind("}")) + 1 :]
    guard = list(_GO_IF.finditer(head)) if before.endswith("{") else []
    if not guard:
        return True
    condition = head[guard[-1].end() :].rsplit(";", 1)[-1]
    if _never_true(condition):
        return False
    parts = _conjuncts(condition)
    if any(
        self_compare(part, ("!=",)) or (part.startswith("!") and _deep_equal_self(part[1:]))
        for part in parts
    ):
        return False  # a conjunct never true: the block never runs
    whole = _unbracketed(parts[0].removeprefix("!"))
    return not (len(parts) == 1 and (self_compare(whole) or _deep_equal_self(whole)))


def _deep_equal_self(condition: str) -> bool:
    call = "reflect.DeepEqual("
    return (
        condition.startswith(call)
        and condition.endswith(")")
        and same_pair(condition, len(call) - 1)
    )
