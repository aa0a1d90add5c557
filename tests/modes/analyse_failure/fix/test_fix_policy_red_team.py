"""Red-team attacks on the fix policy: the failing test named other than by its path from the
checkout's root, lock files the policy did not know, and files that govern the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cicd_agent.analysis.logs.flaky import failed_tests
from cicd_agent.modes.analyse_failure.fix.policy import check_patch

FAILING = "def test_total() -> None:\n    assert 1 + 1 == 3\n"


def _edit(path: str, old: str = "old", new: str = "new") -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{old}\n+{new}\n"
    )


def _pytest_output(root: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout.splitlines()


def _test_files(lines: list[str]) -> list[str]:
    """The fix step's failing test files, as ``attempt.test_files`` takes them from the names."""
    return [name.split("::", 1)[0] for name in failed_tests(lines) if "::" in name]


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
    diff = _edit("backend/tests/test_total.py", "    assert 1 + 1 == 3", "    assert 1 + 1 == 2")
    verdict = check_patch(diff, tmp_path, failing_tests=failing)
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
    diff = _edit("tests/test_total.py", "    assert 1 + 1 == 3", "    assert 1 + 1 == 2")
    assert not check_patch(diff, tmp_path, failing_tests=failing).allowed


@pytest.mark.parametrize(
    "lock",
    [
        "deno.lock",
        "pixi.lock",
        ".terraform.lock.hcl",
        "infra/.terraform.lock.hcl",
        "MODULE.bazel.lock",
        "gems.locked",
        "renv.lock",
        "shard.lock",
        "Manifest.toml",
        "cabal.project.freeze",
    ],
)
def test_lock_files_of_every_ecosystem_are_refused(tmp_path: Path, lock: str) -> None:
    """Attack: a patch swapping pinned checksums in a lock file the list did not name
    (Terraform's provider hashes, Deno's, pixi's, Bazel's module lock, Julia's manifest)."""
    verdict = check_patch(_edit(lock), tmp_path)
    assert not verdict.allowed
    assert verdict.reason == f"the patch edits a lock file ({lock})"


@pytest.mark.parametrize(
    "path", [".github/cicd-agent.yml", ".github/CODEOWNERS", "CODEOWNERS", "AGENTS.md"]
)
def test_a_fix_never_edits_what_governs_review(tmp_path: Path, path: str) -> None:
    """Attack: a model talked round by the pull request proposes, beside a real fix, a line
    in ``.github/cicd-agent.yml`` (an ignore, ``fail-on`` off), ``CODEOWNERS`` (no owner for
    a folder) or ``AGENTS.md`` (instructions for the next review). The fix is verified (the
    failing command passes) and offered one click from a merge, which loosens every later
    review; verifying it proves nothing about those files."""
    assert not check_patch(_edit(path), tmp_path).allowed


def test_one_failed_test_without_its_file_protects_every_test_file() -> None:
    """Attack: a log with one pytest name (``tests/test_a.py::t``) and one jest name without a
    file; only the named file was protected, so the jest test could be "fixed" by editing it."""
    from cicd_agent.analysis.logs.model import LogAnalysis
    from cicd_agent.modes.analyse_failure.fix.attempt import test_files

    named = "tests/test_a.py::t"
    both = LogAnalysis.model_construct(failed_tests=(named, "Calc › adds two numbers"))
    assert test_files(both) == []
    assert test_files(LogAnalysis.model_construct(failed_tests=(named,))) == ["tests/test_a.py"]


def test_a_checkout_git_cannot_list_nested_thousands_deep_gets_a_verdict(tmp_path: Path) -> None:
    """Attack: where ``git ls-files`` cannot read the checkout (no repository, or one git
    refuses as another user's), the policy walked it with ``os.walk``, which recurses once a
    level before Python 3.12: folders 1,100 deep crashed the fix step with RecursionError."""
    from cicd_agent.sandbox import remove_tree

    deep = tmp_path / "deps"
    deep.mkdir()
    try:
        for _ in range(1100):  # one at a time: pathlib's mkdir(parents=True) recurses too
            deep /= "d"
            deep.mkdir()
        (deep / "pytest.ini").symlink_to(tmp_path / "ci.txt")
        diff = "diff --git a/ci.txt b/ci.txt\n--- a/ci.txt\n+++ b/ci.txt\n@@ -1 +1 @@\n-a\n+b\n"
        verdict = check_patch(diff, tmp_path)
    finally:  # a recursive delete of this tree would crash
        remove_tree(tmp_path / "deps")
    assert not verdict.allowed
    assert "through a link" in verdict.reason, verdict.reason
