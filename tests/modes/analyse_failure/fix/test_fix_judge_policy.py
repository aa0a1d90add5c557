"""Attacks on the fix policy: patches that write outside the checkout, into git, workflows, lock
files, the failing test, through symlinks, or too much. Each is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.modes.analyse_failure.fix.judge.policy import MAX_CHANGED_LINES, policy_verdict


def _edit(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"


def _new(path: str, mode: str = "100644") -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+new\n"
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("old\n")
    (root / "outside").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "src" / "alias.py").symlink_to(root / "src" / "app.py")
    return root


def test_an_ordinary_edit_is_allowed(checkout: Path) -> None:
    verdict = policy_verdict(_edit("src/app.py"), checkout)
    assert verdict.allowed and verdict.paths == ("src/app.py",)


@pytest.mark.parametrize(
    ("diff", "reason"),
    [
        (_edit("../escape.py"), "the patch writes outside the checkout (../escape.py)"),
        (
            _edit("src/../../escape.py"),
            "the patch writes outside the checkout (src/../../escape.py)",
        ),
        (
            "--- a//etc/passwd\n+++ b//etc/passwd\n@@ -1 +1 @@\n-old\n+new\n",
            "the patch writes outside the checkout (/etc/passwd)",
        ),
        (
            "--- src/app.py\n+++ src/app.py\n@@ -1 +1 @@\n-old\n+new\n",
            "the patch names a path without a/ or b/ (src/app.py)",
        ),
        (
            "diff --git a/../x.py b/../x.py\ndeleted file mode 100644\n",
            "the patch writes outside the checkout (../x.py)",
        ),
        (_edit(".git/config"), "the patch edits git metadata (.git/config)"),
        (
            _edit("sub/.GIT/hooks/pre-commit"),
            "the patch edits git metadata (sub/.GIT/hooks/pre-commit)",
        ),
        (
            _new(".github/workflows/ci.yml"),
            "the patch edits a workflow file (.github/workflows/ci.yml)",
        ),
        (
            _edit(".github/Workflows/release.yaml"),
            "the patch edits a workflow file (.github/Workflows/release.yaml)",
        ),
        (_edit("action.yml"), "the patch edits an action definition (action.yml)"),
        (
            _edit(".github/actions/setup/action.yaml"),
            "the patch edits an action definition (.github/actions/setup/action.yaml)",
        ),
        (_edit("poetry.lock"), "the patch edits a lock file (poetry.lock)"),
        (_edit("web/package-lock.json"), "the patch edits a lock file (web/package-lock.json)"),
        (_edit("ios/Podfile.lock"), "the patch edits a lock file (ios/Podfile.lock)"),
        (_edit("app/pubspec.lock"), "the patch edits a lock file (app/pubspec.lock)"),
        (_edit("gradle.lockfile"), "the patch edits a lock file (gradle.lockfile)"),
        (_edit("linked/evil.py"), "the patch writes through a symbolic link (linked)"),
        (_edit("src/alias.py"), "the patch writes through a symbolic link (src/alias.py)"),
        (_new("src/link", "120000"), "the patch changes a file's mode or creates a symbolic link"),
        (
            "diff --git a/src/app.py b/src/app.py\nold mode 100644\nnew mode 100755\n",
            "the patch changes a file's mode or creates a symbolic link",
        ),
        (
            "diff --git a/src/app.py b/src/x.py\nsimilarity index 100%\nrename from src/app.py\n"
            "rename to ../x.py\n",
            "the patch writes outside the checkout (../x.py)",
        ),
        (
            "diff --git a/logo.png b/logo.png\nnew file mode 100644\nGIT binary patch\n"
            "literal 4\nLcmZQzU|;|M00aO5\n",
            "the patch holds a binary change (logo.png)",
        ),
        ("not a diff at all\n", "the patch changes nothing"),
    ],
)
def test_attacks_are_refused_with_their_reason(checkout: Path, diff: str, reason: str) -> None:
    verdict = policy_verdict(diff, checkout)
    assert not verdict.allowed
    assert verdict.reason == reason


def test_a_patch_to_the_failing_test_itself_is_refused(checkout: Path) -> None:
    diff = _edit("tests/test_app.py")
    verdict = policy_verdict(diff, checkout, failing_test_files=["tests/test_app.py"])
    assert verdict.reason == "the patch edits the failing test itself (tests/test_app.py)"


def test_a_patch_to_another_test_is_refused_too(checkout: Path) -> None:
    """pytest imports every test module before the failing test runs: another test can
    replace the code under test at import, so a fix changes no test at all."""
    verdict = policy_verdict(
        _edit("tests/test_app.py"), checkout, failing_test_files=["tests/test_other.py"]
    )
    assert verdict.reason == (
        "the patch edits a test file (tests/test_app.py): tests judge the fix, and any test "
        "module pytest imports can replace the code under test"
    )


@pytest.mark.parametrize(
    "path",
    [
        "tests/helpers.py",
        "pkg/test_app.py",
        "pkg/app_test.py",
        "cmd/app_test.go",
        "web/__tests__/app.js",
        "web/app.spec.ts",
        "web/app.test.mjs",
    ],
)
def test_no_test_file_changes_when_the_log_names_no_failing_test(checkout: Path, path: str) -> None:
    """With no failing test known (``-rN``, jest names without a file) any test file may be
    the one the fix is judged by (and any may replace the code under test); a source file may
    still change."""
    verdict = policy_verdict(_edit(path), checkout)
    assert verdict.reason == (
        f"the patch edits a test file ({path}): tests judge the fix, and any test module "
        "pytest imports can replace the code under test"
    )
    assert policy_verdict(_edit("pkg/app.py"), checkout).allowed


def test_a_patch_above_the_size_cap_is_refused(checkout: Path) -> None:
    old = "".join(f"line {n}\n" for n in range(MAX_CHANGED_LINES))
    new = "".join(f"line {n} changed\n" for n in range(MAX_CHANGED_LINES))
    verdict = policy_verdict(file_diff("src/app.py", old, new), checkout)
    assert not verdict.allowed
    assert verdict.reason == (
        f"the patch changes {2 * MAX_CHANGED_LINES} lines (at most {MAX_CHANGED_LINES} are offered)"
    )
    small = file_diff("src/app.py", old, old.replace("line 7\n", "line seven\n"))
    assert policy_verdict(small, checkout).allowed


_OPS_FIX = _edit("calc/ops.py")
_RENAME_TEST = (
    "diff --git a/tests/test_ops.py b/tests/ops_disabled.txt\nsimilarity index 100%\n"
    "rename from tests/test_ops.py\nrename to tests/ops_disabled.txt\n"
)


@pytest.mark.parametrize(
    ("diff", "reason"),
    [
        (  # fixes the code and renames the failing test away: pytest then finds no test
            _OPS_FIX + _RENAME_TEST,
            "the patch edits the failing test itself (tests/test_ops.py)",
        ),
        (  # the rename lines, not the diff --git line, say what git moves
            "diff --git a/calc/x.py b/calc/x.py\nsimilarity index 100%\n"
            "rename from calc/ops.py\nrename to calc/off.txt\n",
            "the patch renames or copies a file (rename calc/{ops.py => off.txt} (100%))",
        ),
        (
            _OPS_FIX
            + "diff --git a/calc/ops.py b/.github/workflows/pwn.yml\nsimilarity index 90%\n"
            "copy from calc/ops.py\ncopy to .github/workflows/pwn.yml\n"
            "--- a/calc/ops.py\n+++ b/.github/workflows/pwn.yml\n@@ -1 +1 @@\n-old\n+on: push\n",
            "the patch edits a workflow file (.github/workflows/pwn.yml)",
        ),
        (  # the copy lines, not the diff --git line, say what git writes
            _OPS_FIX + "diff --git a/calc/x.py b/calc/x.py\nsimilarity index 100%\n"
            "copy from calc/x.py\ncopy to .github/workflows/pwn.yml\n",
            "the patch edits a workflow file (.github/workflows/pwn.yml)",
        ),
        (  # no copy header at all: git writes the +++ file from the --- file's text
            "diff --git a/calc/ops.py b/.github/workflows/pwn.yml\n"
            "--- a/calc/ops.py\n+++ b/.github/workflows/pwn.yml\n@@ -1 +1 @@\n-old\n+on: push\n",
            "the patch edits a workflow file (.github/workflows/pwn.yml)",
        ),
        (
            "diff --git a/calc/ops.py b/calc/other.py\n"
            "--- a/calc/ops.py\n+++ b/calc/other.py\n@@ -1 +1 @@\n-old\n+new\n",
            "the patch writes one file from another (calc/ops.py, calc/other.py)",
        ),
    ],
)
def test_every_header_git_applies_passes_the_policy(checkout: Path, diff: str, reason: str) -> None:
    verdict = policy_verdict(diff, checkout, failing_test_files=["tests/test_ops.py"])
    assert not verdict.allowed
    assert verdict.reason == reason


def test_the_paths_are_the_files_git_would_write(checkout: Path) -> None:
    created = (
        "diff --git a/calc/new.py b/calc/new.py\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/calc/new.py\n@@ -0,0 +1 @@\n+new\n"
    )
    deleted = (
        "diff --git a/src/old.py b/src/old.py\ndeleted file mode 100644\n--- a/src/old.py\n"
        "+++ /dev/null\n@@ -1 +0,0 @@\n-old\n"
    )
    verdict = policy_verdict(_edit("src/app.py") + created + deleted, checkout)
    assert verdict.allowed, verdict.reason
    assert verdict.paths == ("src/app.py", "calc/new.py", "src/old.py")


# --------------------------------------------- Attacks: names and files the policy did not know
# Red-team attacks on the fix policy: the failing test named other than by its path from the
# checkout's root, lock files the policy did not know, and files that govern the repository.


FAILING = "def test_total() -> None:\n    assert 1 + 1 == 3\n"


def _edit_lines(path: str, old: str = "old", new: str = "new") -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{old}\n+{new}\n"
    )


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
    verdict = policy_verdict(_edit_lines(lock), tmp_path)
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
    assert not policy_verdict(_edit_lines(path), tmp_path).allowed


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
        verdict = policy_verdict(diff, tmp_path)
    finally:  # a recursive delete of this tree would crash
        remove_tree(tmp_path / "deps")
    assert not verdict.allowed
    assert "through a link" in verdict.reason, verdict.reason
