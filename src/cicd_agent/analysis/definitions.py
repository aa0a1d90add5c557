"""Lines that open a definition (function, class, module, …), in many languages, by one regex.

:func:`definition_name` names what a hunk touches (keyword-led definitions and arrow functions
only); :func:`starts_definition` finds the head of the definition a hunk sits in for prompt
packing, and also takes type-led signatures and modifier-led members: alone these look like a
call or a field, but packing asks only of lines indented less than the change, where a call
seldom sits."""

from __future__ import annotations

import bisect
import re

# A class member's modifiers (Rust pub(crate), Java, C#, Kotlin, Swift, TypeScript) and the
# words JS/TS put before a definition.
_MEMBER = (
    r"(?:pub(?:\([^)]*\))?|public|private|protected|internal|static|override|final|abstract"
    r"|virtual)\s+"
)
_PREFIXES = rf"(?:(?:export|default|async)\s+|{_MEMBER})*"
# def/class (Python, Ruby), defp/defmodule (Elixir), function (JS, PHP, shell), func (Go, with
# a receiver), fn (Rust), sub (Perl), proc (Nim, Tcl), macro, and the kinds of type.
_KEYWORDS = (
    r"def|defp|defmodule|class|function\*?|func|fn|sub|proc|module|interface|struct|enum"
    r"|impl|trait|macro"
)
DEFINITION = re.compile(
    rf"^\s*{_PREFIXES}(?:"
    rf"(?:{_KEYWORDS})(?![\w$])(?:\s+(?:\([^)]*\)\s*)?(?P<name>[A-Za-z_$][\w$]*))?"
    r"|(?:const|let|var)\s+(?P<arrow>[A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?\([^)]*\)\s*=>"
    r")"
    rf"|^\s*{_MEMBER}"  # a class member's modifier (``private handle(``, ``pub field: T``)
)
"""A definition led by its keyword, an arrow function, or a member's modifier. Every
quantifier ends where the next cannot start, so a hostile line costs linear time."""
_PREFIX = re.compile(rf"\s*(?:(?:export|default|async)\s+|{_MEMBER})")
# A signature led by its type (C, Java, Kotlin): ``[class]+ \s+ \**\w+ \s*(`` before the
# first ``(``, no ``;`` after it. As one pattern its quantifiers all took whitespace (cubic on
# a line of spaces), so the part before ``(`` is checked whole by one class and its tail read
# reversed, where each quantifier stops at the next one's first character.
_TYPE_LED_CLASS = re.compile(r"[\w<>\[\],.*&\s]+")
_TYPE_LED_TAIL_REVERSED = re.compile(r"\s*\w+\**\s[\s\S]")


def definition_name(line: str) -> str | None:
    """The name ``line`` defines, when it opens a definition by keyword or an arrow function."""
    match = DEFINITION.match(line)
    return (match.group("name") or match.group("arrow")) if match else None


def starts_definition(line: str) -> bool:
    """Whether ``line`` opens a definition, a type-led signature included."""
    return DEFINITION.match(line) is not None or _type_led(line)


def _type_led(line: str) -> bool:
    """Whether ``line`` is a type-led signature after its leading prefixes (``export``,
    ``public`` …): the earliest place such a signature may start is tried, as it leaves the
    longest type, and only the place after the last character the type cannot hold counts."""
    starts = [0]
    match = _PREFIX.match(line)
    while match and match.end() > starts[-1]:
        starts.append(match.end())
        match = _PREFIX.match(line, match.end())
    paren = line.find("(", starts[-1])
    if paren < 0 or line.find(";", paren) >= 0:
        return False
    # A start before another ``(`` would meet that one first; the earliest after it counts.
    start = starts[bisect.bisect_right(starts, line.rfind("(", 0, paren))]
    head = line[start:paren]
    return _TYPE_LED_CLASS.fullmatch(head) is not None and (
        _TYPE_LED_TAIL_REVERSED.match(head[::-1]) is not None
    )
