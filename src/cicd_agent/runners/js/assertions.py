"""Whether each ``it``/``test`` of a JavaScript or TypeScript test file asserts (gen-tests'
assertion stage).

A test that only runs the code adds coverage and checks nothing, and one asserting test does not
vouch for another beside it: each call must hold ``expect`` or ``assert`` in its own arguments,
or call a helper of the same file that does. Read with Pygments' lexers, so ``"expect("`` in a
string or a comment asserts nothing. A check comparing the same tokens on both sides
(``expect(v).toBe(v)``) checks that ``v`` is deterministic, not its value, and one of a
disjunction true whatever the code computes (``assert(v === v || x)``) checks nothing either."""

from __future__ import annotations

from pygments.token import Comment, Name, String

from cicd_agent.runners import same_sides
from cicd_agent.runners.js.scopes import js_lexer

_TESTS = frozenset({"it", "test"})
_CHECKS = frozenset({"expect", "assert"})
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
_SAME_MATCHERS = frozenset({"toBe", "toEqual", "toStrictEqual"})
_MODIFIERS = frozenset({"not", "resolves", "rejects"})
_SAME_ASSERTS = frozenset(
    {"equal", "strictEqual", "deepEqual", "deepStrictEqual"}
    | {"notEqual", "notStrictEqual", "notDeepEqual", "notDeepStrictEqual"}
)
_EQUALITIES = frozenset({"===", "==", "!==", "!="})
Token = tuple[str, str]
"""A significant token: its kind (``name``, ``string`` or ``other``: a keyword, punctuation…)
and its text."""


def js_unasserted(path: str, text: str) -> str:
    """The first ``it``/``test`` of a test file that asserts nothing, named by its title ("" when
    each does; a clause ending in "so it" when the file holds none)."""
    tokens: list[Token] = [
        ("name", value.strip())
        if kind in Name
        else ("string", value)
        if kind in String
        else ("other", value.strip())
        for kind, value in js_lexer(path).get_tokens(text)
        if value.strip() and kind not in Comment
    ]
    aliased = _aliased(tokens)
    if aliased:
        return aliased
    helpers = _asserting_helpers(tokens)
    blocks = list(_blocks(tokens))
    if not blocks:
        return "the file holds no it() or test() call, so it"
    for title, start, end in blocks:
        body = tokens[start:end]
        if not any(
            _checks(body, at)
            or (
                body[at] == ("name", body[at][1])
                and body[at][1] in helpers
                and _next(body, at) == "("
            )
            for at in range(len(body))
        ):
            return f"the test {title[:120]}"
    return ""


def _next(tokens: list[Token], at: int) -> str:
    return tokens[at + 1][1] if at + 1 < len(tokens) else ""


def _checks(tokens: list[Token], at: int) -> bool:
    """Whether ``tokens[at]`` starts an assertion: ``assert(…)``, ``assert.x(…)`` or
    ``expect(…)`` followed by a matcher (``expect(f())`` alone, the bare name ``expect``, a
    member ``x.expect(…)`` or an object's key assert nothing)."""
    kind, value = tokens[at]
    if kind != "name" or value not in _CHECKS or (at and tokens[at - 1][1] in (".", "?.")):
        return False
    following = _next(tokens, at)
    if value == "assert":
        return following in ("(", ".") and not _self_compare(tokens, at)
    if following != "(":
        return False
    end = _close(tokens, at + 1)
    return (
        end < len(tokens)
        and tokens[end][1] in (".", "?.")
        and not _self_compare(tokens, at)
        and not _true_anyway(tokens, at, end)
    )


def _true_anyway(tokens: list[Token], at: int, end: int) -> bool:
    """Whether ``expect(X)`` at ``tokens[at]`` (its ``)`` before ``end``) is ``.toBe(true)``,
    ``.toEqual(true)``, ``.toStrictEqual(true)`` or ``.toBeTruthy()`` of an ``X`` true whatever
    the code computes."""
    actual = _arguments(tokens, at + 1)
    matcher = tokens[end + 1][1] if end + 1 < len(tokens) else ""
    expected = _arguments(tokens, end + 2) if _next(tokens, end + 1) == "(" else []
    return (
        len(actual) == 1
        and (
            matcher == "toBeTruthy"
            or (
                matcher in _SAME_MATCHERS
                and [[value for _, value in side] for side in expected] == [["true"]]
            )
        )
        and same_sides.always_true("".join(value for _, value in actual[0]))
    )


def _arguments(tokens: list[Token], start: int) -> list[list[Token]]:
    """The arguments of the call whose ``(`` is at ``start``, split at its own commas."""
    end = _close(tokens, start)
    found: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[start + 1 : end - 1]:
        if token[0] != "string":
            depth += token[1] in _OPEN
            depth -= token[1] in _CLOSE
        if depth == 0 and token == ("other", ","):
            found.append([])
        else:
            found[-1].append(token)
    return [_unbracketed(side) for side in found]


def _unbracketed(side: list[Token]) -> list[Token]:
    while (
        len(side) > 1
        and side[0] == ("other", "(")
        and side[-1] == ("other", ")")
        and _close(side, 0) == len(side)
    ):
        side = side[1:-1]
    return side


def _self_compare(tokens: list[Token], at: int) -> bool:
    """Whether the check starting at ``tokens[at]`` compares one expression with itself:
    ``expect(A).toBe(A)`` (``toEqual``, ``toStrictEqual``, after ``.not``/``.resolves``),
    ``assert.equal(A, A)`` and its strict, deep and negated kin, or ``assert(A === A)``."""
    if tokens[at][1] == "assert" and _next(tokens, at) == "(":
        sides: list[list[Token]] = [[]]
        for token in _arguments(tokens, at + 1)[0]:
            if token[0] == "other" and token[1] in _EQUALITIES:
                sides.append([])
            else:
                sides[-1].append(token)
        return (
            len(sides) == 2 and _unbracketed(sides[0]) == _unbracketed(sides[1])
        ) or same_sides.always_true("".join(value for _, value in _arguments(tokens, at + 1)[0]))
    if tokens[at][1] == "assert":
        compared = _arguments(tokens, at + 3) if _next(tokens, at + 2) == "(" else []
        return (
            tokens[at + 2][1] in _SAME_ASSERTS and len(compared) > 1 and compared[0] == compared[1]
        )
    actual = _arguments(tokens, at + 1)
    at, matcher = _close(tokens, at + 1), "not"
    while matcher in _MODIFIERS and at + 1 < len(tokens) and tokens[at][1] in (".", "?."):
        at, matcher = at + 2, tokens[at + 1][1]
    if matcher not in _SAME_MATCHERS or _next(tokens, at - 1) != "(":
        return False
    expected = _arguments(tokens, at)
    return len(actual) == 1 and bool(expected) and expected[0] == actual[0]


_GLOBALS = frozenset({"globalThis", "global", "window", "self"})


def _aliased(tokens: list[Token]) -> str:
    """Why the file reaches ``it``/``test`` other than by calling them, listing them in an
    import or calling them on the global object ("" when it does not): an alias
    (``const t = it``, ``import { it as t }``, ``[it][0]``) runs a test this check never reads."""
    for at, (kind, value) in enumerate(tokens):
        if kind != "name" or value not in _TESTS:
            continue
        before = tokens[at - 1][1] if at else ""
        if before in (".", "?."):
            if at > 1 and tokens[at - 2][1] in _GLOBALS and _next(tokens, at) != "(":
                return f"the file names {tokens[at - 2][1]}.{value} without calling it, so it"
            continue
        following = _next(tokens, at)
        if following == ":" and at + 2 < len(tokens) and tokens[at + 2][0] != "name":
            continue  # a key (``{ test: true }``, ``test: string``), no ``{ it: t }`` alias
        if following not in ("(", ".", ",", "}"):
            return f"the file names {value} other than to call it (an alias), so it"
    return ""


def _blocks(tokens: list[Token]) -> list[tuple[str, int, int]]:
    """Each ``it``/``test`` call's title (its first string, as written) and the span of its
    arguments."""
    found: list[tuple[str, int, int]] = []
    for index, (kind, value) in enumerate(tokens):
        if (
            kind != "name"
            or value not in _TESTS
            or (
                index
                and tokens[index - 1][1] == "."
                and (index < 2 or tokens[index - 2][1] not in _GLOBALS)
            )
        ):  # ``globalThis.it(`` is one
            continue
        at = index + 1
        while at + 1 < len(tokens) and tokens[at][1] == "." and tokens[at + 1][0] == "name":
            at += 2  # .only, .concurrent, .skip, .each
            if at < len(tokens) and tokens[at][1] == "(" and tokens[at - 1][1] == "each":
                at = _close(tokens, at)  # the table, then the call itself
            if at < len(tokens) and tokens[at] == ("string", "`"):  # a tagged template's table
                at = (
                    tokens.index(("string", "`"), at + 1) + 1
                    if ("string", "`") in tokens[at + 1 :]
                    else len(tokens)
                )
        if at < len(tokens) and tokens[at][1] == "(":
            end = _close(tokens, at)
            title = _title(tokens, at + 1, end)
            found.append((title or f"at token {index}", at, end))
    return found


def _title(tokens: list[Token], start: int, end: int) -> str:
    """A test's title: its first argument when a string (a template literal whole, as written)."""
    if start >= end or tokens[start][0] != "string":
        return ""
    if tokens[start][1] != "`":
        return tokens[start][1]
    closing = next((i for i in range(start + 1, end) if tokens[i] == ("string", "`")), end - 1)
    return "".join(value for _, value in tokens[start : closing + 1])


def _close(tokens: list[Token], start: int, *, statement: bool = False) -> int:
    """The index after the bracket closing the one at ``start`` (the end when none does); with
    ``statement``, where the declaration from ``start`` ends: its body's closing brace (a
    ``function``'s), a ``;`` outside brackets, or the end."""
    depth = 0
    for index in range(start, len(tokens)):
        kind, value = tokens[index]
        if kind == "string":  # a template literal's ``${`` and ``}`` are no brackets
            continue
        if value in _OPEN:
            depth += 1
        elif value in _CLOSE:
            depth -= 1
            if depth < 0 or (depth == 0 and (not statement or value == "}")):
                return index + 1
        elif statement and value == ";" and depth == 0:
            return index
    return len(tokens)


def _asserting_helpers(tokens: list[Token]) -> frozenset[str]:
    """The functions of the file whose body expects or asserts: ``function name(…) {…}`` and
    ``name = (…) => …`` / ``name = function (…) {…}`` up to the statement's end."""
    found: set[str] = set()
    for index, (kind, value) in enumerate(tokens[:-1]):
        if kind != "name" or value in _TESTS or value in _CHECKS:
            continue
        declared = index and tokens[index - 1][1] == "function"
        if not declared and tokens[index + 1][1] != "=":
            continue
        end = _close(tokens, index + 1, statement=True)
        if any(_checks(tokens, at) for at in range(index + 1, end)):
            found.add(value)
    return frozenset(found)
