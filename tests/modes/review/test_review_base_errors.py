"""An error the checker already reports at the base is not the change's: a new user's review of
python-semver (5 mypy errors at the base, in test files importing ``semver.version``) blamed a
one-word docstring fix in ``Version.parse`` for "the change does not build", placing the base's
``Signature of "parse" incompatible with supertype`` on the docstring line saying ``parse``. The
fixture is that project's shape, cut down: a ``Version.parse`` with a docstring and a test
helper whose ``parse`` override mypy rejects at the base."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.review.lint.base_errors import head_line, put_back, split_new
from cicd_agent.modes.review.lint.build_errors import BuildError
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

PYPROJECT = '[project]\nname = "semver"\n\n[tool.mypy]\n'
VERSION = '''\
"""Versions."""

from typing import Optional


class Version:
    def __init__(self, major: int, label: Optional[str] = None) -> None:
        self.major = major
        self.label = label

    @classmethod
    def parse(cls, version: str, optional_minor_and_patch: bool = False) -> "Version":
        """
        Parse a version string to a Version instance.

        :param optional_minor_and_patch: if set to true, the version string to parse \\
           can contain optional minor and patch parts.
        """
        return cls(int(version.split(".")[0]))
'''
VPREFIX = '''\
from semver.version import Version


class SemVerWithVPrefix(Version):
    @classmethod
    def parse(cls, version: str) -> "SemVerWithVPrefix":
        return cls(int(version[1:]))
'''
IS_STABLE = '''
    def is_stable(self) -> bool:
        """
        Return True if this version is a final release.

        >>> Version.parse("1.2.3").is_stable()
        True
        """
        return self.label
'''


def _repo(tmp_path: Path) -> tuple[GitRepoBuilder, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "semver/__init__.py": "",
                                 "semver/version.py": VERSION,
                                 "tests/semverwithvprefix.py": VPREFIX})  # fmt: skip
    return repo, base


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})


def _mypy(done: CliRun) -> list[tuple[str, str, int]]:
    document = done.document or {}
    return [(f["rule"], f["path"], f["line"]) for f in document["findings"]
            if f["rule"].startswith("mypy/")]  # fmt: skip


@needs_sandbox
def test_a_docstring_typo_is_no_build_error_when_the_error_was_at_the_base(
    tmp_path: Path,
) -> None:
    repo, base = _repo(tmp_path)
    head = repo.commit("docs: capitalise True", {
        "semver/version.py": VERSION.replace("if set to true", "if set to True")})  # fmt: skip
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"]
    assert _mypy(done) == []
    assert ("mypy: 1 error(s) were already there at the base (the same check on the base's side "
            "of these files), so they are not this change's and none is placed on its lines."
            ) in done.document["notes"], done.document["notes"]  # fmt: skip
    assert done.code == 0, done.document["headline"]


@needs_sandbox
def test_a_new_type_error_is_still_found_and_the_old_one_not_put_on_the_docstring(
    tmp_path: Path,
) -> None:
    repo, base = _repo(tmp_path)
    head = repo.commit("is_stable", {"semver/version.py": VERSION + IS_STABLE})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    # the new error is on its own line (28: ``return self.label``), and nothing is on the
    # docstring line naming ``Version.parse`` (25)
    assert _mypy(done) == [("mypy/return-value", "semver/version.py", 28)], _mypy(done)
    assert done.code == 1


@needs_sandbox
def test_a_second_copy_of_an_old_error_in_a_new_file_is_the_changes(tmp_path: Path) -> None:
    """The base's error is matched in its own file only: the same words in a file the change
    adds are new, as is a second copy of them in the old file."""
    repo, base = _repo(tmp_path)
    copy = VPREFIX.replace("SemVerWithVPrefix", "Other")
    head = repo.commit("more", {"tests/other.py": copy,
                                "tests/semverwithvprefix.py": VPREFIX + "\n\n" + copy})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    found = _mypy(done)
    assert ("mypy/override", "tests/other.py", 6) in found, found
    assert ("mypy/override", "tests/semverwithvprefix.py", 15) in found, found
    assert ("mypy/override", "tests/semverwithvprefix.py", 6) not in found, found


def _error(path: str, line: int, message: str = 'Signature of "parse" incompatible') -> BuildError:
    return BuildError(path, line, "override", message)


PATCH = """\
diff --git a/t.py b/t.py
--- a/t.py
+++ b/t.py
@@ -2,3 +2,5 @@
 a
+new1
+new2
 b
-c
+C
"""


def test_a_base_line_is_carried_through_the_diff() -> None:
    (file,) = parse_diff(PATCH).files
    assert [head_line(file, n) for n in (1, 2, 3, 4, 5, 10)] == [1, 2, 5, None, 7, 12]


def test_the_base_error_matches_one_head_error_at_most() -> None:
    diff = parse_diff(PATCH)
    base = [_error("t.py", 3), _error("u.py", 9, "Name 'x' at u.py:9 is not defined")]
    head = [_error("t.py", 1), _error("t.py", 5), _error("u.py", 40, "Name 'x' at u.py:40 is "
                                                          "not defined")]  # fmt: skip
    new, old = split_new(head, base, diff)
    assert old == 2
    assert new == [_error("t.py", 1)]  # line 3 became 5: that one is the base's


def test_the_base_is_put_back_without_writing_through_a_link_the_change_made(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"lib/mod.py": "x = 1\n", "a.py": "a = 1\n"})
    (repo.path / "lib" / "mod.py").unlink()
    (repo.path / "lib").rmdir()
    os.symlink(outside, repo.path / "lib")
    head = repo.commit("link", {"a.py": "a = 2\n"})
    checkout = GitCheckout(repo.path)
    diff = checkout.diff(base, head, three_dot=False)
    copy = tmp_path / "copy"
    copy.mkdir()
    os.symlink(outside, copy / "lib")
    (copy / "a.py").write_text("a = 2\n")
    put_back(checkout, base, diff, copy)
    assert list(outside.iterdir()) == []
    assert (copy / "lib" / "mod.py").read_text() == "x = 1\n"
    assert not (copy / "lib").is_symlink()
    assert (copy / "a.py").read_text() == "a = 1\n"



HELPER = 'def name() -> str:\n    return "x"\n'
USE = '''\
from vendor.helper import name


def shout() -> str:
    """Shout."""
    return name().upper()
'''


@needs_sandbox
def test_a_file_left_out_by_paths_ignore_is_put_back_too_so_its_new_error_stays_new(
    tmp_path: Path,
) -> None:
    # The pull request changes a file the base's paths-ignore leaves out of the review, and
    # that change breaks an unchanged line of a reviewed file. Left at the head's text in the
    # base's copy, it made the base report the same error, and the new error was called old.
    repo = GitRepoBuilder(tmp_path / "repo")
    settings = "review:\n  paths-ignore: ['vendor/**']\n"
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/__init__.py": "",
                                 "app/use.py": USE, "vendor/__init__.py": "",
                                 "vendor/helper.py": HELPER, ".github/cicd-agent.yml": settings,
                                 })  # fmt: skip
    head = repo.commit("tidy", {"vendor/helper.py": "def name() -> int:\n    return 1\n",
                                "app/use.py": USE.replace("Shout.", "Shout it.")})  # fmt: skip
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    notes = done.document["notes"]
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    assert not any("already there at the base" in note for note in notes), notes
    # new, on a line no change wrote: the change's all the same, and it blocks
    assert ("mypy/attr-defined", "app/use.py", None) in _mypy(done), done.document["findings"]
    assert done.code == 1


FIXED = 'def f() -> str:\n    return 1\n\n\ndef p() -> int:\n    return "p"\n'


@needs_sandbox
@pytest.mark.parametrize(
    "fix",
    [
        # The change fixes line 2 itself: the base's error, its line gone, matched the new one
        # "anywhere in the file", and the new error was called old.
        ("return 1", 'return "1"'),
        # The old error is fixed on the line above it (the return type), so its own line is
        # still there: an error on a line the change wrote is the change's unless the base has
        # it at that very line.
        ("f() -> str", "f() -> int"),
    ],
    ids=["on-its-line", "on-another-line"],
)
def test_an_old_error_the_change_fixed_does_not_hide_a_new_one_with_its_words(
    tmp_path: Path, fix: tuple[str, str]
) -> None:
    # The base has the error on line 2; the change fixes it and writes the same error into a
    # new function.
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/__init__.py": "",
                                 "app/m.py": FIXED})  # fmt: skip
    text = FIXED.replace(*fix) + "\n\ndef g() -> str:\n    return 2\n"
    head = repo.commit("move it", {"app/m.py": text})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    assert ("mypy/return-value", "app/m.py", 10) in _mypy(done), (_mypy(done),
                                                                  done.document["notes"])
