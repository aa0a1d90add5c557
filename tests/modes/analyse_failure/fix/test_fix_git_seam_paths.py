"""The fix step's reads of a checkout through git, on a repository that tries to steer git (the
hostile repository and the core's paths: tests/unit/local/test_git_seam_paths.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.analyse_failure.fix.attempt import _checkout_head, _checkout_problem
from cicd_agent.modes.analyse_failure.fix.judge.policy import linked_targets
from cicd_agent.modes.analyse_failure.fix.tools import Checkout, GitBlame, GitLog, Search
from tests.git_builder import GitRepoBuilder
from tests.unit.local.test_git_seam_paths import Hostile, _plain, _promisor, hostile

__all__ = ["hostile"]


def test_fix_checkout_checks_and_linked_settings(hostile: Hostile) -> None:
    checkout = hostile.builder.path
    assert _checkout_head(checkout) == hostile.head
    assert _checkout_problem(checkout, hostile.head) == ""
    assert linked_targets(checkout, lambda name: name == "conftest.py") == {
        "qa/hooks.py": "conftest.py"
    }
    hostile.assert_nothing_ran()


def test_fix_tools_search_log_and_blame(hostile: Hostile) -> None:
    """``git grep -I`` skipped every file the checkout's attributes call binary."""
    tools = Checkout(GitCheckout(hostile.builder.path))
    assert "src/app.py:2:secret = 'AKIA'" in tools.read(Search(pattern="AKIA"))
    log = tools.read(GitLog(path="src/app.py"))
    assert "New Comer: newcomer's change" in log and "Senior Dev: newcomer" not in log
    assert "AKIA" in tools.read(GitBlame(path="src/app.py"))
    hostile.assert_nothing_ran()


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_the_index_cannot_hide_a_changed_file_from_the_fix_steps_check(
    tmp_path: Path, flag: str
) -> None:
    """The failed job ran the pull request's code in the checkout: marking a tracked file
    assume-unchanged (or skip-worktree) in the index made ``diff-index`` skip it, so a
    rewritten ``conftest.py`` passed for the failed commit in the copy the judge runs."""
    builder = GitRepoBuilder(tmp_path / "repo")
    head = builder.commit("c", {"conftest.py": "X = 1\n", "src/app.py": "a = 1\n"})
    assert _checkout_problem(builder.path, head) == ""
    builder.git("update-index", flag, "conftest.py")
    (builder.path / "conftest.py").write_text("import os\nos._exit(0)\n")
    assert "assume-unchanged or skip-worktree" in _checkout_problem(builder.path, head)


def test_a_fresh_checkout_with_line_ending_attributes_is_the_commit(tmp_path: Path) -> None:
    """Filters off must not make a checkout differ: ``eol`` and ``text`` are no filters, and a
    fresh clone's files (written in the second its index was) are compared by content."""
    origin = GitRepoBuilder(tmp_path / "origin")
    attributes = "* text=auto eol=lf\n*.bat text eol=crlf\n*.json -diff\n"
    files = {".gitattributes": attributes, "run.bat": "echo 1\n", "a.json": "{}\n"}
    head = origin.commit("files", {**files, "src/app.py": "a = 1\n"})
    origin.git("clone", "-q", str(origin.path), str(tmp_path / "clone"))
    assert (tmp_path / "clone" / "run.bat").read_bytes() == b"echo 1\r\n"
    assert _checkout_problem(tmp_path / "clone", head) == ""
    (tmp_path / "clone" / "run.bat").write_bytes(b"echo 2\r\n")
    assert _checkout_problem(tmp_path / "clone", head) == (
        "tracked files in the checkout differ from the failed commit"
    )


def test_a_promisor_remote_runs_no_program_in_the_fix_steps_check(tmp_path: Path) -> None:
    """The fix step's check that the checkout is the failed commit runs in the working tree:
    a promisor remote pointing at a program the pull request wrote runs nothing."""
    builder, base, _, marker = _plain(tmp_path)
    _promisor(builder, builder.git("rev-parse", f"{base}:.github/cicd-agent.yml"), tmp_path, marker)
    _checkout_problem(builder.path, builder.head())
    assert not marker.exists(), marker.read_text()
