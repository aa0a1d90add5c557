"""Where a verified fix may go on a pull request: the lines GitHub takes comments on, and the
suggestion blocks written there."""

from __future__ import annotations

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
    assert right_side_lines(API_PATCH) == {1, 2, 3, 4, 21, 22, 23}


def test_a_patch_the_api_cut_short_offers_no_lines_instead_of_failing() -> None:
    assert right_side_lines("@@ -1,3 +1,9 @@\n import os\n+import sys") == set()


L = "Fix checked: 2 tests pass with it"


def test_a_hunk_on_the_diff_lines_becomes_a_suggestion_over_its_old_lines() -> None:
    (comment,) = suggestions(FIX.format(code="y"), {"app.py": {1, 2, 3}}, L)  # type: ignore[misc]
    assert (comment.path, comment.start_line, comment.line) == ("app.py", 1, 2)
    assert comment.body.startswith(f"{L} (cicd-agent):")
    assert comment.body.endswith("```suggestion\nimport os\nx = 'y'\n```")
    assert suggestions(FIX.format(code="y"), {"app.py": {2, 3}}, L) is None


def test_backticks_in_the_fix_get_a_longer_fence_and_too_many_get_none() -> None:
    (comment,) = suggestions(FIX.format(code="````"), {"app.py": {1, 2}}, L)  # type: ignore[misc]
    assert "`````suggestion\n" in comment.body and comment.body.endswith("\n`````")
    assert suggestions(FIX.format(code="`" * 64), {"app.py": {1, 2}}, L) is None
