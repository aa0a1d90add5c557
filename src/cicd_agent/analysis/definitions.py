"""Lines that open a definition (function, class, module, …), in many languages, by one regex.

Two readers share it: the description names what a hunk touches (:func:`definition_name`, only
definitions led by their keyword, or ``name = (…) =>`` arrow functions), and prompt packing
looks above a hunk for the head of the definition it sits in (:func:`starts_definition`). The
latter also takes signatures led by a type (``public static int parse(``, ``fun run(``) and
any line led by a member's modifier (``private handle(``): in a line alone these cannot be told
from a call or a field, but packing only asks of lines indented less than the change, where a
call seldom sits.
"""

from __future__ import annotations

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
    r"|[\w<>\[\],.*&\s]+\s+\**\w+\s*\([^;]*$"  # a signature led by its type (C, Java, Kotlin)
    r")"
    rf"|^\s*{_MEMBER}"  # a class member's modifier (``private handle(``, ``pub field: T``)
)


def definition_name(line: str) -> str | None:
    """The name ``line`` defines, when it opens a definition by keyword or an arrow function."""
    match = DEFINITION.match(line)
    return (match.group("name") or match.group("arrow")) if match else None


def starts_definition(line: str) -> bool:
    """Whether ``line`` opens a definition, a type-led signature included."""
    return DEFINITION.match(line) is not None
