"""The test-runner seam (``runners``): each runner recognises its repository, its failed
step's command and its tests by the files a user has; a tool the pull request commits is never
the job's install. No sandbox here: the runs are tested per runner with real tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.runners.base import Selection, TestReport, could_not_run
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.lookups import NO_TESTS, configured, file_tests, for_file, running
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.table import RUNNERS


def _checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    """A checkout is a git repository: whether a tool is the job's is asked of its index."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_every_runner_is_one_line_of_the_table_under_its_own_name() -> None:
    assert [runner.name for runner in RUNNERS][:3] == ["pytest", "jest", "vitest"]
    assert len({runner.name for runner in RUNNERS}) == len(RUNNERS)


def test_a_failed_steps_command_names_its_runner() -> None:
    said = {
        "python -m pytest tests -x": "pytest",
        "npx jest --ci": "jest",
        "pnpm exec vitest run": "vitest",
        "yarn jest": "jest",
        "echo pytest-cov is great": None,
        "eslint .": None,
    }
    for command, runner in said.items():
        found = running(command)
        assert (found.name if found else None) == runner, command


def test_a_package_managers_test_script_runs_the_runner_it_names(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path, {"package.json": '{"scripts": {"test": "vitest run --coverage"}}'})
    for command in ("npm test", "yarn test", "pnpm run test", "npm t -- --watch=false"):
        found = running(command, checkout)
        assert found is not None and found.name == "vitest", command
    assert running("npm test") is None  # no checkout to read its script in
    assert running("npm run lint", checkout) is None


def test_a_repository_is_recognised_by_its_own_configuration(tmp_path: Path) -> None:
    js = _checkout(tmp_path / "js", {"package.json": '{"devDependencies": {"vitest": "1"}}'})
    py = _checkout(tmp_path / "py", {"pyproject.toml": "[tool.pytest.ini_options]\n"})
    plain = _checkout(tmp_path / "plain", {"pyproject.toml": "[project]\nname = 'x'\n"})
    assert [r.name for r in configured(js)] == ["vitest"]
    assert [r.name for r in configured(py)] == ["pytest"]
    assert "pytest" not in [r.name for r in configured(plain)]


def test_of_two_installed_runners_the_repositorys_choice_runs(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path, {"package.json": '{"devDependencies": {"vitest": "1"}}'})
    folder = checkout / "node_modules" / ".bin"
    folder.mkdir(parents=True)
    for name in ("jest", "vitest"):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    chosen = for_file("src/a.ts", checkout, {})
    assert not isinstance(chosen, str) and chosen.name == "vitest"
    (folder / "vitest").unlink()
    chosen = for_file("src/a.ts", checkout, {})
    assert not isinstance(chosen, str) and chosen.name == "jest"
    (folder / "jest").unlink()
    assert for_file("src/a.ts", checkout, {}) == (
        "no tests were run: vitest could not run: install vitest before this step (`npm ci`, "
        "with it among the devDependencies)"
    )
    assert for_file("README.md", checkout, {}) == ""


def test_a_files_tests_come_with_the_runner_that_runs_them_or_why_none_runs(
    tmp_path: Path,
) -> None:
    """Review's one question: the tests named after a file with the runner chosen for them; a
    runner that cannot run is said only where it had tests to run, else that none is named."""
    checkout = _checkout(tmp_path, {"package.json": '{"devDependencies": {"vitest": "1"}}'})
    named = ["src/a.ts", "src/a.test.ts", "src/b.ts"]
    missing = file_tests("src/a.ts", named, checkout, {})
    assert isinstance(missing, str) and missing.startswith("no tests were run: vitest could not")
    assert file_tests("src/b.ts", named, checkout, {}) == NO_TESTS
    assert file_tests("README.md", named, checkout, {}) == ""
    (checkout / "node_modules" / ".bin").mkdir(parents=True)
    (checkout / "node_modules" / ".bin" / "vitest").write_text("#!/bin/sh\n")
    (checkout / "node_modules" / ".bin" / "vitest").chmod(0o755)
    found = file_tests("src/a.ts", named, checkout, {})
    assert not isinstance(found, str)
    runner, tests = found
    assert tests == ("src/a.test.ts",) and getattr(runner, "name", "") == "vitest"
    assert file_tests("src/b.ts", named, checkout, {}) == NO_TESTS


def test_a_tool_the_pull_request_commits_is_not_the_jobs(tmp_path: Path) -> None:
    """ATTACK: the checkout commits ``bin/pytest`` and a link ``bin/go`` to a program outside
    it, and the job's ``PATH`` names that folder: each is a file of the pull request, never an
    install (the link passed the old PATH-only check, which looked where it resolves). A tool
    the job installed into an untracked folder of the checkout runs: one answer for every
    runner, linter and fixer (``local/job_tools``)."""
    checkout = _checkout(tmp_path / "repo", {"bin/pytest": "#!/bin/sh\nexit 0\n"})
    (checkout / "bin" / "pytest").chmod(0o755)
    (checkout / "bin" / "go").symlink_to(shutil.which("true") or "/bin/true")
    subprocess.run(["git", "-C", str(checkout), "add", "bin"], check=True)
    (checkout / "tools").mkdir()
    (checkout / "tools" / "mvn").symlink_to(shutil.which("true") or "/bin/true")
    environ = {"PATH": f"{checkout / 'bin'}{os.pathsep}{checkout / 'tools'}{os.pathsep}/usr/bin"}
    assert job_tool("pytest", checkout, environ) == Refused(
        "the checkout's bin/pytest is a file of the pull request, not an install"
    )
    assert GoTest().missing(checkout, environ) == (
        "could not run: the checkout's bin/go is a file of the pull request, not an install"
    )
    assert MavenJUnit().missing(checkout, environ) == ""  # the job's own, untracked
    assert job_tool("sh", checkout, environ) is not None
    assert could_not_run("go") == "could not run: install go before this step"


def test_a_report_with_a_problem_holds_no_pass() -> None:
    report = TestReport("jest", {"a › t": "passed", "a › u": "failed"})
    assert report.passed() == frozenset({"a › t"})
    assert TestReport("jest", {"a › t": "passed"}, problem="forged").passed() == frozenset()
    assert Selection().tests == () and Selection(seed=3).seed == 3


def test_attack_a_python_the_pull_request_commits_or_links_to_is_not_the_checkouts_own(
    tmp_path: Path,
) -> None:
    """review runs a suggestion's tests with the checkout's ``.venv/bin/python``: one the pull
    request commits, one linked to a file it commits, or one under a ``.venv`` it commits as a
    link is its program, and the job's python runs instead; an untracked one (the job's own
    ``python -m venv``, linked out of the checkout) is the checkout's."""
    from cicd_agent.local.job_tools import job_python

    real = shutil.which("python3") or sys.executable
    committed = _checkout(tmp_path / "committed", {".venv/bin/python": "#!/bin/sh\necho 1 passed\n"})
    (committed / ".venv/bin/python").chmod(0o755)
    linked = _checkout(tmp_path / "linked", {"tools/py": "#!/bin/sh\necho 1 passed\n"})
    (linked / "tools/py").chmod(0o755)
    (linked / "venv/bin").mkdir(parents=True)
    (linked / "venv/bin/python").symlink_to("../../tools/py")
    folder = _checkout(tmp_path / "folder", {})
    (tmp_path / "elsewhere/bin").mkdir(parents=True)
    (tmp_path / "elsewhere/bin/python").symlink_to(real)
    (folder / ".venv").symlink_to(tmp_path / "elsewhere")
    for checkout in (committed, linked, folder):
        subprocess.run(["git", "-C", str(checkout), "add", "-f", "."], check=True)
        assert job_python(checkout, {"PATH": "/usr/bin"}) == "", checkout.name
    own = _checkout(tmp_path / "own", {})
    (own / ".venv/bin").mkdir(parents=True)
    (own / ".venv/bin/python").symlink_to(real)
    assert job_python(own, {"PATH": "/usr/bin"}) == ".venv/bin/python"
