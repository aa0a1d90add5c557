"""gen-tests' collect step: the changed Python files (or ``source``), and the project's suite
run once under coverage in the sandbox: the baseline every candidate is judged against."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.gen_tests.collect import collect
from cicd_agent.modes.gen_tests.coverage_gaps import percent
from cicd_agent.modes.gen_tests.suite import failing_said
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import gen_tests_context


def test_the_changed_lines_of_the_changed_files_are_measured_at_head(tmp_path: Path) -> None:
    base, head = make_repo(tmp_path / "shop")
    argv = ["--repo", str(tmp_path / "shop"), "--base", base, "--head", head, "--provider", "none"]
    ctx = gen_tests_context(tmp_path, argv)
    with ctx.resources:
        facts, sandbox = collect(ctx, ctx.resources)
        assert facts.isolation is not None and facts.isolation.sandboxed
        assert sandbox is not None and sandbox.pristine == facts.pristine
    assert facts.targets.paths == ["src/shop/pricing.py"]
    changed = facts.targets.files["src/shop/pricing.py"]
    assert changed is not None and {11, 27, 37} <= changed and 1 not in changed
    assert (facts.targets.base, facts.targets.head) == (base, head)
    assert facts.baseline is not None and facts.baseline.returncode == 0
    assert facts.coverage is not None and percent(facts.coverage) == 12.82
    assert facts.patch_path == tmp_path / "cicd-agent-gen-tests.patch"  # under RUNNER_TEMP
    assert facts.warnings == [] and facts.unimported == [] and ctx.notes == []


def test_source_covers_whole_files_and_a_shard_names_its_own_patch(tmp_path: Path) -> None:
    make_repo(tmp_path / "shop")
    argv = ["--repo", str(tmp_path / "shop"), "--source", "src", "--shard", "2/3", "--provider", "none"]
    ctx = gen_tests_context(tmp_path, argv)
    with ctx.resources:
        facts, _sandbox = collect(ctx, ctx.resources)
    assert facts.targets.paths == ["src/shop/__init__.py", "src/shop/pricing.py", "src/shop/units.py"]
    assert set(facts.targets.files.values()) == {None}  # the whole file counts
    assert facts.patch_path == tmp_path / "cicd-agent-gen-tests-2.patch"


def test_a_change_without_python_source_runs_only_the_tests_it_adds(tmp_path: Path) -> None:
    """No suite and no coverage without source to cover; the test file the change adds is run
    again (flaky tests caught before merge), and a docs-only change runs nothing."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "A = 1\n"})
    docs = repo.commit("Docs", {"README.md": "# app\n"})
    head = repo.commit("Tests", {"tests/test_app.py": "def test(): pass\n"})
    for until, ran in ((docs, None), (head, {"tests/test_app.py::test": "stable"})):
        # twice (not the hunt's twelve, test_gen_tests_pr_tests.py's): run again all the same
        subprocess.run(["git", "-C", str(repo.path), "checkout", "-q", until], check=True)
        argv = ["--repo", str(repo.path), "--base", base, "--head", until, "--pr-test-runs", "2"]
        ctx = gen_tests_context(tmp_path, argv)
        with ctx.resources:
            facts, _sandbox = collect(ctx, ctx.resources)
        assert facts.targets.paths == [] and facts.coverage is None and facts.baseline is None
        found = facts.pr_tests
        assert (found and {t: c.verdict for t, c in found.tests.items()}) == ran
        assert (facts.isolation is None) == (ran is None)


def test_a_file_named_with_a_newline_is_left_out_with_a_warning(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "A = 1\n"})
    head = repo.commit("Add", {"evil\nname.py": "B = 2\n"})
    ctx = gen_tests_context(tmp_path, ["--repo", str(repo.path), "--base", base, "--head", head])
    with ctx.resources:
        facts, _sandbox = collect(ctx, ctx.resources)
    assert facts.targets.paths == []
    (warning,) = facts.warnings
    assert warning.startswith("Left out 1 file(s) whose names hold control characters")
    assert "evil\nname" not in warning


def test_a_suite_that_fails_at_head_names_its_failing_tests(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
        "tests/test_app.py": "import app\n\ndef test_a():\n    assert app.A == 2\n",
        "app.py": "A = 1\n",
    })  # fmt: skip
    head = repo.commit("Add", {"app.py": "A = 1\n\n\ndef f(x):\n    return x\n"})
    ctx = gen_tests_context(tmp_path, ["--repo", str(repo.path), "--base", base, "--head", head])
    with ctx.resources:
        facts, _sandbox = collect(ctx, ctx.resources)
    assert facts.baseline is not None and facts.baseline.returncode == 1
    # which test failed is said, once: the headline names it (``failing_at_head``), so no
    # note says it again (a suite that fails only in the sandbox is otherwise a riddle)
    assert facts.baseline.failed == ("tests/test_app.py::test_a",)
    assert "1 existing test already fails at head" in failing_said(facts.baseline.failed)
    assert ctx.notes == [], ctx.notes


def test_without_a_change_to_cover_the_run_is_told_how_to_name_one(tmp_path: Path) -> None:
    make_repo(tmp_path / "shop")
    ctx = gen_tests_context(tmp_path, ["--repo", str(tmp_path / "shop")])
    with ctx.resources, pytest.raises(UsageError, match="gen-tests needs the change to cover"):
        collect(ctx, ctx.resources)
