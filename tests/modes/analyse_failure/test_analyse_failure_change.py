"""The change a failed run brought in, read from a real repository: from the merge base, the
files, commits and each file's last commit in the range; a checkout git cannot read is a
reason, not a crash."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.analyse_failure.change import git_change, try_git_change
from tests.git_builder import GitRepoBuilder


def test_the_range_from_the_merge_base_names_files_commits_and_last_touches(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("Initial", {"src/calc.py": "A = 1\n", "README.md": "# r\n"})
    first = repo.commit("Change calc", {"src/calc.py": "A = 2\n"})
    second = repo.commit("Add a test", {"tests/test_calc.py": "def test_a():\n    assert 0\n"})
    change = git_change(GitCheckout(repo.path), second, base)
    assert (change.base, change.head) == (base, second)
    assert sorted(change.files) == ["src/calc.py", "tests/test_calc.py"]
    assert [subject for _, subject in change.commits] == ["Add a test", "Change calc"]
    assert change.last_touch == {"src/calc.py": first, "tests/test_calc.py": second}


def test_the_change_names_the_lines_it_wrote_at_the_head(tmp_path: Path) -> None:
    """The blame lands on the line the change wrote: each file's added lines, head numbering."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("Initial", {"src/calc.py": "A = 1\nB = 2\nC = 3\n", "old.py": "X = 1\n"})
    head = repo.commit(
        "Change calc", {"src/calc.py": "A = 1\nB = 20\nC = 3\nD = 4\n"}, remove=("old.py",)
    )
    change = git_change(GitCheckout(repo.path), head, base)
    assert change.lines == {"src/calc.py": (2, 4)}


def test_a_comment_or_blank_line_the_change_wrote_is_not_a_line_to_blame(tmp_path: Path) -> None:
    """A reworded comment beside the break drew the blame (the multi-file blame set); C's
    directives, Rust's attributes and doc comments (doctests run) are code."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("Initial", {"a.py": "A = 1\n", "b.go": "x := 1\n", "c.c": "int a;\n",
                                   "d.rs": "fn a() {}\n"})  # fmt: skip
    head = repo.commit("Change", {
        "a.py": "# the value\n\nA = 2\n    #: also\n",
        "b.go": "// x is one\n/* or two\n * three */\nx := 2\n",
        "c.c": "#define N 2\n#include <a.h>\nint a;\n",
        "d.rs": "#[test]\n/// a doc\nfn a() {}\n",
    })  # fmt: skip
    change = git_change(GitCheckout(repo.path), head, base)
    assert change.lines == {"a.py": (3,), "b.go": (4,), "c.c": (1, 2), "d.rs": (1, 2)}


def test_a_folder_that_is_no_repository_or_an_unknown_base_gives_the_reason(tmp_path: Path) -> None:
    change, reason = try_git_change(lambda: GitCheckout(tmp_path), "HEAD", None)
    assert change is None and reason
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("Initial", {"a.py": "A = 1\n"})
    change, reason = try_git_change(lambda: GitCheckout(repo.path), "HEAD", "no-such-base")
    assert change is None and "base" in reason
