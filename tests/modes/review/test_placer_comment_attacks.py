"""A pull request writes both the code and the comments a compiler's error may be placed on:
a line of code that opens like a comment in some language keeps its rank as code, and a line
inside a comment never outranks the code the error is about, however many of the message's
names the comment repeats."""

from __future__ import annotations

import time

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from cicd_agent.modes.review.lint.placer import _comment_lines

VET = "l.Cap undefined (type *Cache[int, int] has no field or method Cap)"
# a comment that repeats every name of the message, so only its rank as a comment keeps it
# from taking the error
NAMING = "// l.Cap undefined: Cache has no field or method Cap"


def _comment_only(path: str, text: str) -> bool:
    return bool(_comment_lines(path, {1: text}))


def _placed(added: dict[str, dict[int, str]]) -> tuple[str, int | None]:
    error = BuildError("b.go", 90, "typecheck", VET)
    (found,), _, _ = build_findings("go vet", [error], added, str)
    return found.path, found.line


def test_attack_code_after_a_closed_block_comment_on_its_line_ranks_as_code() -> None:
    """ATTACK: ``/* why */ x := l.Cap`` is a line of code; were it ranked as a comment, the
    comment line naming more of the message would take the error."""
    added = {"a.go": {3: NAMING, 4: "/* kept for old callers */ x := l.Cap"}}
    assert _placed(added) == ("a.go", 4)


def test_attack_go_code_with_a_trailing_comment_ranks_as_code() -> None:
    added = {"a.go": {3: NAMING, 4: "x := l.Cap // the old name"}}
    assert _placed(added) == ("a.go", 4)


def test_attack_rust_attribute_ranks_as_code() -> None:
    error = BuildError("src/b.rs", 90, "E0425", "cannot find value `cap_of` in this scope")
    added = {"src/a.rs": {3: "// cap_of cap_of cap_of", 4: "#[inline] pub fn cap_of() {}"}}
    (found,), _, _ = build_findings("clippy", [error], added, str)
    assert (found.path, found.line) == ("src/a.rs", 4)


def test_attack_python_hash_inside_a_string_is_code() -> None:
    assert not _comment_only("a.py", 'x = "#" + l.Cap')
    assert _comment_only("a.py", "  # l.Cap")


def test_attack_a_line_inside_a_block_comment_does_not_take_the_error() -> None:
    """ATTACK: the lines between ``/*`` and ``*/`` are comment, with or without a leading
    ``*``; one that repeats the message's names must still rank below the line of code."""
    added = {
        "a.go": {
            3: "/*",
            4: "l.Cap undefined: Cache has no field or method Cap",
            5: "*/",
            6: "x := l.Cap",
        }
    }
    assert _placed(added) == ("a.go", 6)


def test_attack_a_string_holding_a_comment_opener_opens_no_block() -> None:
    """ATTACK: ``s := "/*"`` is code, and the code after it is not taken for a comment."""
    added = {"a.go": {3: 's := "/*"', 4: "x := l.Cap", 5: NAMING}}
    assert _comment_lines("a.go", added["a.go"]) == {5}
    assert _placed(added) == ("a.go", 4)


def test_attack_a_long_line_of_spaces_does_not_stall_the_comment_rule() -> None:
    line = " " * 2_000_000 + "x"
    started = time.monotonic()
    assert not _comment_only("a.go", line)
    assert not _comment_only("a.c", " " * 2_000_000 + "*" * 2_000_000)
    assert time.monotonic() - started < 2.0
