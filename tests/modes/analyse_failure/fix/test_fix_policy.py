"""The fix step's side of the fix policy: the patch read back from the copy (``tree_diff``) and the
failing tests it must not edit, as the step reads them from the failed log (the policy itself:
tests/modes/analyse_failure/fix/test_fix_judge_policy.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.policy import policy_verdict
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.modes.analyse_failure.fix.test_fix_judge_policy import FAILING, _edit_lines


def test_a_tree_diff_reads_back_only_what_changed_and_refuses_what_it_cannot_show(
    tmp_path: Path,
) -> None:
    from cicd_agent.modes.analyse_failure.fix.fixers import (
        MAX_FILE_BYTES,
        UnreadableChange,
        tree_diff,
    )

    before, after = tmp_path / "before", tmp_path / "after"
    for root in (before, after):
        (root / "data").mkdir(parents=True)
        (root / "data" / "big.bin").write_bytes(b"\0" * (MAX_FILE_BYTES + 1))  # unchanged
    (before / "a.py").write_text("x = 1\ny = 2")
    (after / "a.py").write_text("x = 1\ny = 3")
    (after / "cache.txt").write_text("new file")
    (after / "link.py").symlink_to(tmp_path / "elsewhere.py")
    diff = tree_diff(before, after)
    assert diff == (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x = 1\n"
        "-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n"
    )
    (after / "a.py").write_bytes(b"\xff\xfe")
    with pytest.raises(UnreadableChange, match=r"a\.py changed and is not UTF-8 text"):
        tree_diff(before, after)


def _plant(root: Path, relative: str, data: bytes) -> None:
    """Write ``relative`` under ``root`` one folder at a time (its whole path is too long)."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in relative.split("/")[:-1]:
            os.mkdir(part, dir_fd=folder)
            deeper = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = deeper
        made = os.open(relative.rsplit("/", 1)[-1], os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
        os.write(made, data)
        os.close(made)
    finally:
        os.close(folder)


def test_a_tree_diff_reads_a_path_that_fits_the_checkout_but_not_the_copy(tmp_path: Path) -> None:
    """Attack (red team, fifth pass): a pull request's file whose path is 4065 bytes fits under
    a short checkout folder; under the sandbox's copy it is past the 4096 bytes the kernel takes,
    and a fixer's read-back by whole paths ended in ENAMETOOLONG. The diff walks and reads both
    trees by descriptors."""
    from cicd_agent.modes.analyse_failure.fix.fixers import tree_diff

    relative = "/".join(["b" * 99] * 40 + ["c" * 60, "t.py"])
    before, after = tmp_path / "before", tmp_path / "after"
    try:
        for root, text in ((before, b"X = 1\n"), (after, b"X = 2\n")):
            root.mkdir()
            _plant(root, relative, text)
            _plant(root, "a.py", b"same\n")
        assert len(str(after / relative).encode()) > 4096
        diff = tree_diff(before, after)
    finally:
        subprocess.run(["rm", "-rf", "--", str(before), str(after)], check=False, timeout=120)
    assert (
        diff == f"diff --git a/{relative} b/{relative}\n--- a/{relative}\n+++ b/{relative}\n"
        "@@ -1 +1 @@\n-X = 1\n+X = 2\n"
    )


def _pytest_output(root: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout.splitlines()


def _test_files(lines: list[str]) -> list[str]:
    """The fix step's failing test files, as ``attempt._test_files`` takes them from the names."""
    return [name.split("::", 1)[0] for name in failing_tests(lines) if "::" in name]


def test_the_failing_test_of_a_sub_project_cannot_be_edited(tmp_path: Path) -> None:
    """Attack: in a monorepo the step runs ``cd backend`` then ``pytest``; pytest names failed
    tests from where it runs, so the log says ``tests/test_total.py::test_total``. The policy
    compared that name with the patch's path from the checkout's root
    (``backend/tests/test_total.py``), so a patch that "fixes" the failing test by editing its
    assertion passed the rule that exists to refuse it."""
    (tmp_path / "backend" / "tests").mkdir(parents=True)
    (tmp_path / "backend" / "tests" / "test_total.py").write_text(FAILING)
    failing = _test_files(_pytest_output(tmp_path / "backend"))
    assert failing == ["tests/test_total.py"]  # from where pytest ran, not the checkout's root
    diff = _edit_lines(
        "backend/tests/test_total.py", "    assert 1 + 1 == 3", "    assert 1 + 1 == 2"
    )
    verdict = policy_verdict(diff, tmp_path, failing_test_files=failing)
    assert not verdict.allowed
    assert verdict.reason == "the patch edits the failing test itself (backend/tests/test_total.py)"


def test_a_failing_test_is_known_even_when_pytest_prints_no_summary(tmp_path: Path) -> None:
    """Attack: the pull request's own ``addopts = -rN`` turns pytest's short summary off; the
    ``FAILED path::name`` lines were the only place the fix step learnt the failing test from,
    so with none the failing-test rule has nothing to refuse."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -rN\n")
    (tmp_path / "tests" / "test_total.py").write_text(FAILING)
    failing = _test_files(_pytest_output(tmp_path))
    diff = _edit_lines("tests/test_total.py", "    assert 1 + 1 == 3", "    assert 1 + 1 == 2")
    assert not policy_verdict(diff, tmp_path, failing_test_files=failing).allowed


def test_one_failed_test_without_its_file_protects_every_test_file() -> None:
    """Attack: a log with one pytest name (``tests/test_a.py::t``) and one jest name without a
    file; only the named file was protected, so the jest test could be "fixed" by editing it."""
    from cicd_agent.modes.analyse_failure.fix.attempt import _test_files
    from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis

    def failed(*tests: str) -> LogAnalysis:
        return LogAnalysis(failed_jobs=(), failure_type=FailureType.TEST_FAILURE, root_cause="",
                           error_line_numbers=(), excerpt="", responsible_files=(),
                           signatures_hit=(), fingerprint="", failed_tests=tests)  # fmt: skip

    named = "tests/test_a.py::t"
    assert _test_files(failed(named, "Calc › adds two numbers").failed_tests) == []
    assert _test_files(failed(named).failed_tests) == ["tests/test_a.py"]
