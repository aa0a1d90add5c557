"""A change that deletes a definition its callers use breaks files it did not touch: a new
user's pull request removed ``class TLRUCache`` from cachetools while ``tests/test_tlru.py``
still imported it, and review passed it (exit 0, risk low, mypy's error only in a note), where
Go's same deletion was blocked. An error the base check proves new is the change's: it blocks
as a build error does, in the review body (an unchanged line takes no inline comment), naming
the deleted line it depends on, else the file mypy reports it in. Real mypy, in the sandbox."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

PYPROJECT = '[project]\nname = "pkg"\n\n[tool.mypy]\nfiles = ["src"]\n'
KEPT = '''"""Caches."""

__all__ = ("Cache", "TLRUCache")


class Cache:
    def get(self, key: str) -> int:
        return len(key)
'''
DELETED = """

class TLRUCache(Cache):
    def ttl(self) -> int:
        return 1
"""
CALLER = "import os\n\nfrom pkg import TLRUCache\n\n\ndef test_ttl() -> None:\n" + (
    "    assert TLRUCache().ttl() == 1\n"
)
OLD_ERROR = 'def broken() -> int:\n    return "already wrong at the base"\n'


def _review(tmp_path: Path, files: dict[str, str], changed: dict[str, str]) -> CliRun:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, **files})
    head = repo.commit("remove TLRUCache", changed)
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home"), "PATH": path_env()})


@needs_sandbox
def test_deleting_a_class_a_test_imports_blocks_and_names_the_deleted_line(
    tmp_path: Path,
) -> None:
    """cachetools' shape, cut down: the base already has a mypy error in the test file (which
    stays the base's), and the change only deletes lines."""
    files = {"src/pkg/__init__.py": KEPT + DELETED, "tests/test_tlru.py": CALLER + OLD_ERROR}
    done = _review(tmp_path, files, {"src/pkg/__init__.py": KEPT})

    assert done.document is not None, done.stderr
    [found] = [f for f in done.document["findings"] if f["severity"] == "high"]
    assert found["category"] == "build", found
    assert (found["path"], found["line"]) == ("src/pkg/__init__.py", None), found
    assert "tests/test_tlru.py:3" in found["body"], found["body"]
    assert "class TLRUCache(Cache):" in found["body"] and "line 11" in found["body"], found
    assert "already wrong" not in str(done.document["findings"])
    assert done.code == 1


def test_an_error_no_changed_line_explains_is_the_changed_files_or_its_own() -> None:
    """Placed by the words of a line the change took away (a deleted definition), else on the
    file the checker reports it in; never on a line, which the diff does not show."""
    said = 'Module "pkg" has no attribute "TLRUCache"'
    error = BuildError("tests/test_tlru.py", 3, "attr-defined", said)
    removed = {"src/pkg/__init__.py": {11: "class TLRUCache(Cache):", 12: "    def ttl(self):"}}
    [found], unexplained, _ = build_findings("mypy", [error], {}, str, removed=removed)
    assert (found.path, found.line, unexplained) == ("src/pkg/__init__.py", None, 0)
    assert "`tests/test_tlru.py:3`" in found.body and "line 11" in found.body
    [alone], _, _ = build_findings("mypy", [error], {}, str, removed={})
    assert (alone.path, alone.line) == ("tests/test_tlru.py", None)
    assert "`tests/test_tlru.py:3`" in alone.body
    # where the base was not checked, the error may be the base's: counted, not blamed
    assert build_findings("mypy", [error], {}, str, removed=None)[:2] == ([], 1)


def test_attack_the_deleted_lines_words_are_cleaned_as_the_checkers_are() -> None:
    """Attack: the deleted line is the pull request's text (a mention, HTML) quoted into the
    review body; it passes through the same cleaning as the checker's words."""
    said = 'Module "pkg" has no attribute "TLRUCache"'
    error = BuildError("tests/test_tlru.py", 3, "attr-defined", said)
    hostile = "class TLRUCache(Cache): # @octo-org/admins <img src=x onerror=alert(1)>"
    removed = {"src/pkg/__init__.py": {11: hostile}}
    [found], _, _ = build_findings("mypy", [error], {}, lambda t: f"[{t}]", removed=removed)
    assert f"[{hostile}]" in found.body
    assert hostile not in found.body.replace(f"[{hostile}]", "")


def test_errors_of_one_name_deleted_go_to_one_deleted_line() -> None:
    """go-humanize's shape: deleting ``RelTime`` (its comment and its definition) broke calls on
    lines above and below where it was; each went to the deleted line nearest its own number,
    in the head's numbering, and one deletion read as two findings. The one finding quotes the
    deleted definition, not the comment above it."""
    said = "undefined: RelTime"
    errors = [BuildError("times.go", 23, "typecheck", said),
              BuildError("times_test.go", 80, "typecheck", said)]  # fmt: skip
    removed = {
        "times.go": {
            67: "// RelTime formats a time into a relative string.",
            74: "func RelTime(a, b time.Time, albl, blbl string) string {",
        }
    }
    [found], _, _ = build_findings("go vet", errors, {}, str, removed=removed)
    assert "line 74" in found.body and "`times.go:23`, `times_test.go:80`" in found.body
