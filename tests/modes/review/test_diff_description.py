"""The description's floor: file groups, lines and functions touched, from the diff alone."""

from __future__ import annotations

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.modes.review.diff_description import (
    ModelText,
    describe_diff,
    functions_touched,
    render,
)
from tests.helpers.diffs import added_file

EDIT = """diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -10,2 +10,3 @@ def compute(value):
     total = value
-    return total
+    total += 1
+    return total
@@ -40,1 +41,4 @@ class Store:
     pass
+
+def helper():
+    return 2
"""


def test_files_fall_into_groups_by_path() -> None:
    diff = parse_diff(
        EDIT
        + added_file("tests/test_app.py", "def test_x():\n    assert True")
        + added_file("docs/guide.md", "# Guide")
        + added_file(".github/workflows/ci.yml", "on: push")
        + added_file("requirements.txt", "requests==2.32.3")
        + added_file("migrations/0002_add_user.py", "ops = []")
        + added_file("poetry.lock", "lock")
        + added_file("ignored/big.py", "x = 1"),
        base="a" * 40,
        head="b" * 40,
    )
    facts = describe_diff(diff, left_out={"ignored/big.py"})
    grouped = {g.name: [f.path for f in g.files] for g in facts.groups}
    assert grouped == {
        "source": ["src/app.py"],
        "tests": ["tests/test_app.py"],
        "docs": ["docs/guide.md"],
        "config/CI": [".github/workflows/ci.yml"],
        "dependencies": ["requirements.txt", "poetry.lock"],
        "migrations": ["migrations/0002_add_user.py"],
    }
    assert facts.left_out == 1 and facts.files == 7
    [source] = [g for g in facts.groups if g.name == "source"]
    assert (source.added, source.removed) == (5, 1)


def test_functions_touched_come_from_hunk_context_and_changed_definitions() -> None:
    [changed] = parse_diff(EDIT).files
    assert functions_touched(changed) == ["compute", "helper"]


GO_ADDED = """diff --git a/glob.go b/glob.go
index 1111111..2222222 100644
--- a/glob.go
+++ b/glob.go
@@ -78,2 +78,7 @@ func QuoteMeta(s string) string {
 \treturn string(b[:j])
 }
+
+// MatchAny reports whether any pattern matches.
+func MatchAny(patterns []Glob, s string) bool {
+\treturn false
+}
@@ -90,2 +95,3 @@ func Other() {
 \tx := 1
+\t// a comment inside Other
 \treturn
"""


def test_a_new_functions_blank_and_comment_lines_are_its_own() -> None:
    """gobwas/glob: a function added after ``QuoteMeta`` with a blank line and a doc comment
    before it listed ``QuoteMeta`` as touched; a comment inside a function is that one's."""
    [changed] = parse_diff(GO_ADDED).files
    assert functions_touched(changed) == ["MatchAny", "Other"]


def test_the_rendered_description_shows_risk_groups_and_the_models_words() -> None:
    facts = describe_diff(parse_diff(EDIT + added_file("README.md", "hello")))
    text = render(
        facts,
        risk_level="high",
        risk_reasons=["touches <b>auth</b> code"],
        model=ModelText("Adds a helper.", "Not stated.", {"source": "compute() counts one more."}),
    )
    assert "**Risk: high** — touches &lt;b&gt;auth&lt;/b&gt; code" in text
    assert "**What:** Adds a helper." in text and "compute() counts one more." in text
    assert "| Source | 1 | +5 −1 |" in text and "| Documentation | 1 | +1 −0 |" in text
    assert "`src/app.py` (modified, +5 −1): `compute`, `helper`" in text
