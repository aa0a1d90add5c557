"""Pygments' own lexers and rules, read with fewer calls: :func:`tokens` gives what
``lexer.get_tokens(text)`` gives, token for token.

A ``RegexLexer`` tries each rule in turn, one ``match`` call each: a Python identifier is the
root state's 56th rule, so lexing a change's files cost 2.4 million calls for 52,000 tokens. Here
runs of a state's rules are joined into one alternation, ``(?:rule 1)()|(?:rule 2)()|…``, which
the engine tries in the same order, and the empty group closing it says which rule matched; its
rules' own groups do not capture, so the engine checks each alternative's first character before
entering it. A rule whose action reads its groups is matched again alone; one that cannot be
joined without changing its meaning (a backreference, a verbose pattern, differing flags) or a
very long one is tried alone, in place. A lexer with its own loop or filters is Pygments' alone."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

_UNJOINABLE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
"""Backreferences by number or name and conditionals: their meaning depends on the groups
before them, which a join renumbers."""
_LEADING_FLAGS = re.compile(r"\(\?([aiLmsu]+)\)")
_LONGEST_JOINED = 2_000
"""Characters of a pattern past which it is tried alone."""
_PARSER: Any = importlib.import_module("re._parser")
_COMPILER: Any = importlib.import_module("re._compiler")
_OP: Any = importlib.import_module("re._constants")
"""The standard library's own parser and compiler of regular expressions (what
``re.compile`` runs), to compile a join whose groups are changed after parsing."""

Match = Callable[[str, int], "re.Match[str] | None"]
Rule = tuple[Match, Any, Any]
Step = tuple[Match, dict[int, int] | None, int]
"""One ``match`` call of a state: a joined run of rules with, by the group that wraps each,
its rule's place (the last item unused); or one rule alone (None, then its place)."""


class _Table(dict[str, list[Step]]):
    """A lexer class's states as steps, each state's built on first use."""

    def __init__(self, lexer: RegexLexer) -> None:
        super().__init__()
        self._rules: dict[str, list[Rule]] = lexer._tokens
        self._flags = re.compile("", lexer.flags).flags

    def __missing__(self, state: str) -> list[Step]:
        steps = self[state] = _steps(self._rules[state], self._flags)
        return steps


def _steps(rules: list[Rule], flags: int) -> list[Step]:
    """One state's rules in order, runs of those that join joined."""
    steps: list[Step] = []
    run: list[tuple[int, str, int]] = []  # place, pattern, groups
    for place, (match, _, _) in enumerate(rules):
        pattern = _joinable(match.__self__, flags)  # type: ignore[attr-defined]
        if pattern is None:
            steps += _joined(run, rules, flags)
            run = []
            steps.append((match, None, place))
        else:
            run.append((place, pattern, match.__self__.groups))  # type: ignore[attr-defined]
    return steps + _joined(run, rules, flags)


def _joinable(compiled: re.Pattern[str], flags: int) -> str | None:
    """``compiled``'s pattern as it means the same inside a join, or None."""
    pattern = compiled.pattern
    if compiled.flags & re.VERBOSE or len(pattern) > _LONGEST_JOINED or _UNJOINABLE.search(pattern):
        return None
    if compiled.flags == flags:
        return pattern
    leading = _LEADING_FLAGS.match(pattern)
    if leading is None or re.compile(leading[0], flags).flags != compiled.flags:
        return None
    return f"(?{leading[1]}:{pattern[leading.end() :]})"


def _joined(run: list[tuple[int, str, int]], rules: list[Rule], flags: int) -> list[Step]:
    """A run of joinable rules as one step, ``(?:rule 1)()|(?:rule 2)()|…``, its groups all
    but the closing ones not capturing (:func:`_closers_only`); each rule alone where the run
    is one rule long or its join does not parse to the groups counted (names that clash)."""
    alone: list[Step] = [(rules[place][0], None, place) for place, _, _ in run]
    if len(run) < 2:
        return alone
    closers: dict[int, int] = {}  # the closing group of each rule in the join -> its number
    group = 1
    for number, (_, _, groups) in enumerate(run, start=1):
        closers[group + groups] = number
        group += groups + 1
    try:
        tree = _PARSER.parse("|".join(f"(?:{pattern})()" for _, pattern, _ in run), flags)
    except (re.error, ValueError, RecursionError):
        return alone
    if tree.state.groups != group:
        return alone
    try:
        joined = _compiled(_closers_only(tree, closers), len(run))
    except ValueError:
        return alone
    places = {number: run[number - 1][0] for number in closers.values()}
    return [(joined.match, places, 0)]


def _closers_only(tree: Any, closers: dict[int, int]) -> Any:
    """``tree`` (a parsed pattern) with every capturing group made non-capturing but those
    ``closers`` names, renumbered as it says. A group only records where it matched: with no
    backreference or conditional (:data:`_UNJOINABLE`) the pattern matches the same text."""
    return _PARSER.SubPattern(tree.state, [_item(op, value, closers) for op, value in tree.data])


def _item(op: Any, value: Any, closers: dict[int, int]) -> tuple[Any, Any]:
    """One item of a parsed pattern, its groups changed as :func:`_closers_only` says."""
    if op is _OP.SUBPATTERN:
        number, add, remove, inner = value
        return op, (closers.get(number), add, remove, _closers_only(inner, closers))
    if op is _OP.BRANCH:
        return op, (value[0], [_closers_only(branch, closers) for branch in value[1]])
    if op in (_OP.MAX_REPEAT, _OP.MIN_REPEAT, _OP.POSSESSIVE_REPEAT):
        return op, (value[0], value[1], _closers_only(value[2], closers))
    if op in (_OP.ASSERT, _OP.ASSERT_NOT):
        return op, (value[0], _closers_only(value[1], closers))
    if op is _OP.ATOMIC_GROUP:
        return op, _closers_only(value, closers)
    if op in (_OP.GROUPREF, _OP.GROUPREF_EXISTS):
        raise ValueError("a group reference, whose numbers the join changes")
    return op, value


def _compiled(tree: Any, groups: int) -> re.Pattern[str]:
    """``tree`` compiled as ``re.compile`` compiles a parsed pattern, with ``groups`` groups,
    unnamed."""
    code = _COMPILER._code(tree, 0)
    compiled: re.Pattern[str] = _COMPILER._sre.compile(
        None, tree.state.flags, code, groups, {}, (None,) * (groups + 1)
    )
    return compiled


_TABLES: dict[type, _Table] = {}


def _drivable(lexer: Lexer) -> bool:
    """A lexer whose loop and input handling are Pygments' own (an older Pygments without
    its input step as a method is read by Pygments)."""
    kind = type(lexer)
    return (
        isinstance(lexer, RegexLexer)
        and hasattr(lexer, "_preprocess_lexer_input")
        and kind.get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed
        and kind.get_tokens is Lexer.get_tokens
        and not lexer.filters
    )


def table(lexer: RegexLexer) -> _Table:
    """The steps of ``lexer``'s class, built once per class (Pygments' lexer classes are a
    fixed set, so the cache is bounded)."""
    kind = type(lexer)
    if kind not in _TABLES:
        _TABLES[kind] = _Table(lexer)
    return _TABLES[kind]


def tokens(lexer: Lexer, text: str) -> Iterator[tuple[_TokenType, str]]:
    """``(token type, value)`` pairs as ``lexer.get_tokens(text)`` gives them."""
    if not _drivable(lexer):
        return iter(lexer.get_tokens(text))
    return _unprocessed(lexer, lexer._preprocess_lexer_input(text), table(lexer))


def _unprocessed(lexer: RegexLexer, text: str, states: _Table) -> Iterator[tuple[_TokenType, str]]:
    """``RegexLexer.get_tokens_unprocessed`` from the root state, with a state's steps for
    its rules, without the positions."""
    pos = 0
    definitions: dict[str, list[Rule]] = lexer._tokens
    stack = ["root"]
    rules, steps = definitions["root"], states["root"]
    while True:
        found = None
        for match, places, alone in steps:
            m = match(text, pos)
            if m is None:
                continue
            group = 0 if places is None else m.lastindex or 0
            found = rules[alone if places is None else places[group]]
            action = found[1]
            if type(action) is _TokenType:
                end = m.end(group)
                yield action, text[pos:end]
                pos = end
            else:
                own = m if places is None else found[0](text, pos)
                assert own is not None  # the same pattern at the same place
                if action is not None:
                    for _, kind, value in action(lexer, own):
                        yield kind, value
                pos = own.end()
            break
        if found is None:
            if pos >= len(text):
                return
            if text[pos] == "\n":  # at the end of a line Pygments goes back to the root
                stack = ["root"]
                rules, steps = definitions["root"], states["root"]
                yield Whitespace, "\n"
            else:
                yield Error, text[pos]
            pos += 1
        elif found[2] is not None:
            _move(stack, found[2])
            rules, steps = definitions[stack[-1]], states[stack[-1]]


def _move(stack: list[str], new_state: object) -> None:
    """Pygments' state transition after a rule with a new state."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif state == "#push":
                stack.append(stack[-1])
            else:
                stack.append(state)
    elif isinstance(new_state, int):
        # pop, but keep at least one state on the stack, as Pygments does
        if abs(new_state) >= len(stack):
            del stack[1:]
        else:
            del stack[new_state:]
    elif new_state == "#push":
        stack.append(stack[-1])
    else:
        raise ValueError(f"wrong state definition: {new_state!r}")
