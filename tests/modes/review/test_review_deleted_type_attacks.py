"""Review places a Go error naming a deleted declaration on the deleted line that declared it.
A hostile pull request also deletes a comment or a string naming the type, in the untouched
file the error is in or above the declaration, or a file named like it: the finding stays on the
declaration, and its sentence quotes the declaration, not the line that only names it."""

from __future__ import annotations

import pytest

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings

DECLARATION = {8: "type Collection []*Version", 10: "func (v Collection) Len() int {"}
ERROR = BuildError("version_collection_test.go", 31, "typecheck", "undefined: Collection")


def _placed(removed: dict[str, dict[int, str]]) -> tuple[str, int | None, str]:
    [found], unexplained, _ = build_findings("go vet", [ERROR], {}, str, removed=removed)
    assert unexplained == 0
    return found.path, found.line, found.body


HERE, ERRORS_FILE = "version_collection.go", "version_collection_test.go"


@pytest.mark.parametrize(
    "decoy",
    [
        pytest.param({HERE: {6: "// type Collection sorts versions"}}, id="a comment above it"),
        pytest.param({HERE: {9: "\t// the type Collection ends here"}}, id="a comment below it"),
        pytest.param({HERE: {2: 'var help = "type Collection []*V"'}}, id="a string above it"),
        pytest.param(
            {ERRORS_FILE: {4: "// type Collection is used below"}}, id="a comment in its file"
        ),
        pytest.param({ERRORS_FILE: {30: "\tvar c Collection"}}, id="a use in the error's file"),
        pytest.param({"Collection.go": {1: "// func Collection() is gone"}}, id="a file named so"),
    ],
)
def test_attack_a_line_only_naming_the_type_does_not_take_the_blame(
    decoy: dict[str, dict[int, str]],
) -> None:
    removed = {"version_collection.go": dict(DECLARATION)}
    for path, lines in decoy.items():
        removed.setdefault(path, {}).update(lines)
    path, line, body = _placed(removed)
    assert path == "version_collection.go" and line is None, (path, line, body)
    assert "line 8" in body and "`type Collection []*Version`" in body, body
    for text in (t for lines in decoy.values() for t in lines.values()):
        assert text.strip() not in body, body


@pytest.mark.xfail(
    strict=True,
    reason="open: a deleted line is read alone, so a line of a Go raw string reading exactly "
    "like a declaration is one (a lexer over the base's file would tell)",
)
def test_attack_a_raw_string_line_reading_as_the_declaration_does_not_take_the_blame() -> None:
    removed = {
        "version_collection.go": dict(DECLARATION),
        "usage.go": {3: "var usage = `", 4: "type Collection []*Version", 5: "`"},
    }
    path, _, body = _placed(removed)
    assert path == "version_collection.go", (path, body)


def test_attack_a_declaration_of_the_name_in_another_language_does_not_take_the_blame() -> None:
    """Go code cannot use a Python class: a deleted ``class Collection`` (sorted first) is not
    what left ``Collection`` undefined."""
    removed = {"a_tools.py": {1: "class Collection:"}, HERE: dict(DECLARATION)}
    path, _, body = _placed(removed)
    assert path == HERE and "`type Collection []*Version`" in body, (path, body)
