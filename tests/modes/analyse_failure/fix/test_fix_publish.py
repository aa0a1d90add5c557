"""Where a verified fix may go on a pull request: the lines GitHub takes comments on, and the
suggestion blocks written there."""

from __future__ import annotations

import difflib

from cicd_agent.job.suggested_patch import right_side_lines, suggestions

# Two hunks as the pull request's file list gives them: no file headers, no final newline.
API_PATCH = (
    "@@ -1,3 +1,4 @@\n import os\n+import sys\n \n def main():\n"
    "@@ -20,2 +21,3 @@ def main():\n     run()\n+    stop()\n     return 0"
)
FIX = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,2 +1,2 @@\n import os\n-x = 1\n+x = '{code}'\n"
)


def test_the_right_side_lines_are_every_hunks_added_and_context_lines() -> None:
    lines = right_side_lines(API_PATCH)
    assert set(lines) == {1, 2, 3, 4, 21, 22, 23}
    assert (lines[2], lines[3], lines[22]) == ("import sys", "", "    stop()")


def test_a_patch_the_api_cut_short_offers_no_lines_instead_of_failing() -> None:
    assert right_side_lines("@@ -1,3 +1,9 @@\n import os\n+import sys") == {}


L = "Fix checked: 2 tests pass with it"


def _at(text: str, *numbers: int) -> dict[int, str]:
    """Lines ``numbers`` of ``text`` as the pull request's diff shows them at its head."""
    lines = text.splitlines()
    return {number: lines[number - 1] for number in numbers}


APP = "import os\nx = 1\ny = 2\n"


def test_a_hunk_on_the_diff_lines_becomes_a_suggestion_over_its_old_lines() -> None:
    found = suggestions(FIX.format(code="y"), {"app.py": _at(APP, 1, 2, 3)}, L)
    (comment,) = found or []
    assert (comment.path, comment.start_line, comment.line) == ("app.py", 1, 2)
    assert comment.body.startswith(f"{L} (cicd-agent):")
    assert comment.body.endswith("```suggestion\nimport os\nx = 'y'\n```")
    assert suggestions(FIX.format(code="y"), {"app.py": _at(APP, 2, 3)}, L) is None


def test_backticks_in_the_fix_get_a_longer_fence_and_too_many_get_none() -> None:
    (comment,) = suggestions(FIX.format(code="````"), {"app.py": _at(APP, 1, 2)}, L) or []
    assert "`````suggestion\n" in comment.body and comment.body.endswith("\n`````")
    assert suggestions(FIX.format(code="`" * 64), {"app.py": _at(APP, 1, 2)}, L) is None


def _difflib_patch(old: str, new: str) -> str:
    """A patch as the test step's fixer writes it (``difflib``: a last line without a line
    break is written without one, and no 'No newline at end of file' marker)."""
    lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    return "".join(difflib.unified_diff(*lines, "a/t.py", "b/t.py"))


def test_attack_a_file_without_a_final_newline_commits_no_fence_into_it() -> None:
    """Attack: a test file whose last line has no line break (the pull request's to write):
    the fence closing the suggestion landed on that line, and GitHub's suggestion block, as
    posted, held ``< 2```` as the last line of code its author would commit."""
    old = "import random\n\ndef test_a():\n    assert random.random() < 2"
    new = "import random\n\ndef test_a():\n    random.seed(1)\n    assert random.random() < 2"
    (comment,) = suggestions(_difflib_patch(old, new), {"t.py": _at(old, 1, 2, 3, 4)}, L) or []
    assert comment.body.endswith("    random.seed(1)\n    assert random.random() < 2\n```")


def test_attack_a_patch_that_does_not_parse_is_not_suggested_and_no_crash() -> None:
    """Attack: the last line changed, without a line break: difflib writes the old and the new
    line as one, which unidiff refuses (``UnidiffParseError``), and the step's publishing
    ended there. Such a patch is not suggested (the caller shows it whole)."""
    old = "def test_a():\n    assert f() == 1"
    new = "def test_a():\n    assert f() == 1  # fixed"
    assert suggestions(_difflib_patch(old, new), {"t.py": _at(old, 1, 2)}, L) is None


def test_attack_a_suggestion_commits_exactly_the_patchs_lines_or_is_not_posted() -> None:
    """Attack: a bidirectional control or a lone carriage return in a fixed line (a model's
    rewrite of a pull request's test file) is shown by neutralising as ``<U+202E>`` or a
    space, inside the suggestion block too: committing it would write those into the file,
    not the lines that were checked. Only ``<!--`` was refused; now any block neutralising
    would change is not suggested."""
    for code in ("a\u202eb", "a\rb", "<!-- hidden -->"):
        assert suggestions(FIX.format(code=code), {"app.py": _at(APP, 1, 2)}, L) is None, code
    shown = suggestions(FIX.format(code="@octocat <b>x</b>"), {"app.py": _at(APP, 1, 2)}, L)
    assert shown is not None


def test_attack_a_suggestion_lands_only_on_the_lines_its_patch_was_made_against() -> None:
    """Attack: the fix is found on the checkout, for a pull request a merge commit (the base
    added a line above the test since), and suggested against the head, where the same line
    numbers hold other code. The line numbers were checked against the diff, not the text:
    the suggestion replaced ``import os`` and ``x = 1`` with the merge's lines, and its author
    would commit them over other code. A hunk's old lines must read, at the head, as the
    pull request's diff shows them there."""
    head = "@@ -0,0 +1,3 @@\n+import os\n+x = 1\n+y = 2"
    headers = "--- a/app.py\n+++ b/app.py\n"
    shifted = headers + "@@ -1,2 +1,2 @@\n import sys\n-import os\n+import re\n"
    assert suggestions(shifted, {"app.py": right_side_lines(head)}, L) is None
    matching = headers + "@@ -1,2 +1,2 @@\n import os\n-x = 1\n+x = 3\n"
    (comment,) = suggestions(matching, {"app.py": right_side_lines(head)}, L) or []
    assert comment.body.endswith("```suggestion\nimport os\nx = 3\n```")
