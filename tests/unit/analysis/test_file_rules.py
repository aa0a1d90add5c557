"""The one-file review rules, called on a single changed file: each decides from that file's
added lines (or its name and size) alone."""

from __future__ import annotations

from cicd_agent.analysis.diff import FileDiff, parse_diff
from cicd_agent.analysis.file_rules import (
    LARGE_BINARY_BYTES,
    conflict_markers,
    debugger_calls,
    git_settings,
    governing,
    large_binary,
)
from cicd_agent.analysis.severity import Severity
from tests.helpers.diffs import added_file


def _file(path: str, text: str) -> FileDiff:
    return parse_diff(added_file(path, text)).files[0]


def test_a_heading_underline_alone_is_no_conflict_and_a_real_marker_is() -> None:
    assert list(conflict_markers(_file("docs/a.md", "Title\n=======\n"))) == []
    found = list(conflict_markers(_file("a.py", "x = 1\n<<<<<<< HEAD\ny\n=======\nz\n")))
    assert [(f.rule, f.line, f.severity) for f in found] == [("merge-conflict", 2, Severity.HIGH)]


def test_a_debugger_call_counts_only_in_its_own_language() -> None:
    assert [f.line for f in debugger_calls(_file("a.py", "x = 1\nbreakpoint()\n"))] == [2]
    assert list(debugger_calls(_file("notes.txt", "breakpoint()\n"))) == []
    # the import alone is reported only when no call is
    both = _file("b.py", "import pdb\npdb.set_trace()\n")
    assert [f.line for f in debugger_calls(both)] == [2]


def test_a_call_after_an_import_on_its_line_is_a_call_of_its_own() -> None:
    # A new user's change to munch: two calls one under the other, the second after its import.
    text = "def debug_me(x):\n    breakpoint()\n    import pdb; pdb.set_trace()\n    return x\n"
    assert [f.line for f in debugger_calls(_file("munch/__init__.py", text))] == [2, 3]
    assert [f.line for f in debugger_calls(_file("a.py", "x = 1; breakpoint()\n"))] == [1]


def test_a_binary_is_reported_from_its_size() -> None:
    small = FileDiff(path="a.png", status="added", is_binary=True, size=LARGE_BINARY_BYTES - 1)
    big = FileDiff(path="a.png", status="added", is_binary=True, size=LARGE_BINARY_BYTES)
    assert list(large_binary(small)) == []
    assert [f.severity for f in large_binary(big)] == [Severity.MEDIUM]


def test_git_settings_at_the_top_and_attributes_at_any_depth() -> None:
    assert git_settings(_file("sub/.mailmap", "a <b>\n")) is None
    nested = git_settings(_file("sub/.gitattributes", "* -diff\n"))
    assert nested is not None and nested.rule == "git-settings"
    assert governing(_file("CODEOWNERS", "* @a\n")).rule == "governing-file"
