"""File names the pull request chose, shown on one line and never as lines of a file."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.file_names import escaped, has_control_characters


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("calc/evil\n[run]\nplugins = x.py", "calc/evil\\n[run]\\nplugins = x.py"),
        ("tab\there.py", "tab\\there.py"),
        ("colour\x1b[31m.py", "colour\\x1b[31m.py"),
        ("next\x85line.py", "next\\x85line.py"),
        ("para\u2029graph.py", "para\\u2029graph.py"),
        ("gpj.\u202eexe", "gpj.\\u202eexe"),
        ("back\\slash\n.py", "back\\\\slash\\n.py"),  # a real backslash cannot fake an escape
    ],
)
def test_control_characters_are_found_and_written_as_escapes(name: str, shown: str) -> None:
    assert has_control_characters(name)
    assert escaped(name) == shown


@pytest.mark.parametrize("name", ["src/app.py", "docs/café.md", "a b/ü-ñ.py", "emoji_🐍.py"])
def test_ordinary_names_are_left_as_they_are(name: str) -> None:
    assert not has_control_characters(name)
    assert escaped(name) == name
