"""Which linters review plans to run (:mod:`cicd_agent.modes.review.lint.lint_plan`): a change that
takes a tool's configuration away, or edits it, is read from the diff, so a note says the base's
settings were run; which files are a tool's settings, read from the base."""

from __future__ import annotations

from cicd_agent.analysis.diff import Diff, parse_diff
from cicd_agent.analysis.known_tools import TOOLS
from cicd_agent.modes.review.lint.lint_plan import reconfigured

CHECKING = {tool.name: tool.checking for tool in TOOLS if tool.checking}
MYPY = CHECKING["mypy"]


def _diff(text: str) -> Diff:
    return parse_diff(text, base="a" * 40, head="b" * 40)


DELETED_INI = """diff --git a/mypy.ini b/mypy.ini
deleted file mode 100644
--- a/mypy.ini
+++ /dev/null
@@ -1,2 +0,0 @@
-[mypy]
-strict = True
"""

SECTION_DROPPED = """diff --git a/pyproject.toml b/pyproject.toml
--- a/pyproject.toml
+++ b/pyproject.toml
@@ -1,3 +1,1 @@
 [project]
-[tool.mypy]
-strict = true
"""

EXCLUDE_ADDED = """diff --git a/pyproject.toml b/pyproject.toml
--- a/pyproject.toml
+++ b/pyproject.toml
@@ -1,2 +1,3 @@
 [tool.mypy]
 strict = true
+exclude = ["src/"]
"""

OTHER_SECTION = """diff --git a/pyproject.toml b/pyproject.toml
--- a/pyproject.toml
+++ b/pyproject.toml
@@ -1,2 +1,3 @@
 [project]
 name = "app"
+version = "2"
"""


def test_a_change_that_deletes_or_drops_the_checkers_settings_is_a_change_to_them() -> None:
    assert reconfigured(MYPY, _diff(DELETED_INI)) == ["mypy.ini"]
    assert reconfigured(MYPY, _diff(SECTION_DROPPED)) == ["pyproject.toml"]


def test_a_builds_manifest_is_never_a_setting_read_from_the_base() -> None:
    """go.mod and Cargo.toml say what the head's code builds with (a new dependency): the
    base's would make the head's imports errors. A linter's own files are settings."""
    assert CHECKING["go vet"].setting_files() == ()
    assert "Cargo.toml" not in CHECKING["clippy"].setting_files()
    assert "clippy.toml" in CHECKING["clippy"].setting_files()
    assert MYPY.setting_files() == ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
    assert "package.json" in CHECKING["xo"].setting_files()


def test_an_edit_inside_the_checkers_section_reconfigures_it_and_one_outside_does_not() -> None:
    assert reconfigured(MYPY, _diff(EXCLUDE_ADDED)) == ["pyproject.toml"]
    assert reconfigured(MYPY, _diff(OTHER_SECTION)) == []
