"""Each mode, run with each external tool it starts missing, says so: "could not run:
why, how to fix" in the summary and ``--json``, and a headline that says the result is
incomplete, never a clean result ("no findings", "changed nothing"). A tool that ran says
that too.

The matrix is read from the tables the modes read (review's linters and the fix step's fixers
from :data:`~cicd_agent.analysis.known_tools.TOOLS`), so a tool added there is tested missing here.
command runs review and gen-tests, whose tools are below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cicd_agent.analysis.known_tools import TOOLS, KnownTool
from cicd_agent.local import zizmor
from cicd_agent.modes.deploy_gate import collect as deploy_gate_collect
from tests.corpus.runner_log import Job, Step, render
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.failed_run import zip_of
from tests.helpers.fix_projects import LINT, commit_project
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

FLOW = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
NO_TOOLS = "/usr/bin:/bin"
"""git and a shell, no linter, formatter, test runner or project venv."""
CLEAN = ("no findings", "changed nothing", "0 finding(s)")


def _env(tmp_path: Path, path: str = NO_TOOLS) -> dict[str, str]:
    return {"PATH": path, "HOME": str(tmp_path / "home")}


def _says_it_could_not_run(done: CliRun, tool: str, fix: str) -> None:
    """``tool`` could not run, with why and ``fix``, in ``--json`` and the summary; the
    headline says the result is incomplete."""
    assert done.document is not None, done.stderr
    said = {entry["tool"]: entry["could_not_run"] for entry in done.document["tools"]}
    assert said.get(tool), said  # absent or "" (ran) would pass for a clean result
    assert fix in said[tool], said
    assert f"- `{tool}`: could not run: " in done.summary
    headline = done.document["headline"]
    assert f"Incomplete: {tool}" in headline or f", {tool}" in headline, headline


def _review(
    tmp_path: Path, files: dict[str, str], changed: dict[str, str], path: str = NO_TOOLS
) -> CliRun:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    head = repo.commit("change", changed)
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, _env(tmp_path, path))


LINTERS = [tool for tool in TOOLS if tool.checking is not None]
FIXERS = [tool for tool in TOOLS if tool.fixes]


@pytest.mark.parametrize("tool", LINTERS, ids=lambda tool: tool.name)
def test_review_with_a_configured_linter_missing_says_it_could_not_run(
    tool: KnownTool, tmp_path: Path
) -> None:
    assert tool.checking is not None
    name, start = tool.checking.inside[0] if tool.checking.inside else ("", "")
    config = tool.checking.configs[0] if tool.checking.configs else name
    files = {config: start if config == name else ""}
    if tool.checking.targets == "folders":
        files["go.mod"] = "module a\n"
    # go, whose vet review runs, may live in /usr/bin: a PATH of git alone has none of them
    (tmp_path / "git-only").mkdir()
    (tmp_path / "git-only" / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    done = _review(tmp_path, files, {"src/app" + tool.checking.suffixes[0]: "x = 1\n"},
                   str(tmp_path / "git-only"))  # fmt: skip

    assert done.code == 0, done.stderr
    _says_it_could_not_run(done, tool.label, tool.checking.install)  # the clause naming its fix
    assert tool.checking.install.endswith(("before this step", "before cicd-agent's step"))


@pytest.mark.parametrize("mode", ["review", "deploy-gate"])
def test_zizmor_missing_says_it_could_not_run(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"a.py": "x = 1\n"})
    head = repo.commit("CI", {".github/workflows/ci.yml": FLOW})
    argv = [mode, "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    (tmp_path / "ran").mkdir()
    (tmp_path / "missing").mkdir()

    ran = run_cli(argv, tmp_path / "ran", _env(tmp_path))
    monkeypatch.setattr(zizmor, "zizmor_binary", lambda: None)
    # deploy-gate holds the name it imported (imported above, before the patch: importing it
    # under the patch bound the missing zizmor for every later test of the process)
    monkeypatch.setattr(deploy_gate_collect, "zizmor_binary", lambda: None)
    missing = run_cli(argv, tmp_path / "missing", _env(tmp_path))

    assert ran.document is not None, ran.stderr
    assert {"tool": "zizmor", "could_not_run": ""} in ran.document["tools"]
    assert "- `zizmor`: ran" in ran.summary and "Incomplete" not in ran.document["headline"]
    _says_it_could_not_run(missing, "zizmor", "put zizmor on PATH")


def _fix_run(tmp_path: Path, command: str, path: str = NO_TOOLS) -> CliRun:
    """analyse-failure --fix suggest on a log whose lint step ran ``command`` and failed."""
    checkout = tmp_path / "checkout"
    sha = commit_project(checkout, LINT)
    step = Step("Lint", run=command, output=b"app/main.py: 1 problem\n", exit_code=1)
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_lint.txt": render(Job("lint", [step]))[0]}))
    argv = ["analyse-failure", "--provider", "none", "--json", "--logs", str(logs),
            "--repo", str(checkout), "--head", sha, "--fix", "suggest"]  # fmt: skip
    return run_cli(argv, tmp_path, _env(tmp_path, path))


@needs_sandbox
@pytest.mark.parametrize("tool", FIXERS, ids=lambda tool: tool.name)
def test_analyse_failure_with_its_fixer_missing_is_not_attempted(
    tool: KnownTool, tmp_path: Path
) -> None:
    """``ruff`` missing read "`ruff check --fix src` changed nothing"."""
    command = " ".join(word for word in (tool.executable, tool.subcommand, ".") if word)
    done = _fix_run(tmp_path, command)

    assert done.document is not None, done.stderr
    [fixer] = [t["tool"] for t in done.document["tools"]]
    assert fixer.startswith(tool.executable), fixer
    _says_it_could_not_run(done, fixer, "install it before this step")
    assert "not attempted" in done.summary
    assert not any(clean in done.summary for clean in CLEAN), done.summary


@needs_sandbox
def test_analyse_failure_says_its_fixer_ran(tmp_path: Path) -> None:
    done = _fix_run(tmp_path, "ruff check .", path_env())

    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "ruff check --fix .", "could_not_run": ""}]
    assert "- `ruff check --fix .`: ran" in done.summary
    assert "Incomplete" not in done.document["headline"]


@needs_sandbox
def test_gen_tests_says_its_test_runner_ran_or_could_not(tmp_path: Path) -> None:
    base, head = make_repo(tmp_path / "shop")
    argv = ["gen-tests", "--provider", "none", "--json", "--repo", str(tmp_path / "shop"),
            "--base", base, "--head", head, "--test-command", "pytest -q"]  # fmt: skip

    ran = run_cli(argv, tmp_path, _env(tmp_path, path_env()))
    (tmp_path / "off").mkdir()
    missing = run_cli(argv, tmp_path / "off", _env(tmp_path))

    assert ran.code == 0, ran.stdout
    assert ran.document is not None
    assert {"tool": "pytest -q", "could_not_run": ""} in ran.document["tools"]
    assert "- `pytest -q`: ran" in ran.summary
    # A test runner that cannot start stops gen-tests (exit 2): no tests, no clean result.
    assert missing.code == 2
    assert missing.document is not None
    error = missing.document["error"]
    assert "the test command `pytest -q` could not run" in error and "Install the project" in error
    assert "could not run" in missing.summary and "**How to fix:**" in missing.summary


@pytest.mark.parametrize("mode", ["review", "deploy-gate", "gen-tests", "analyse-failure"])
def test_each_mode_without_git_says_git_could_not_run(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git reads every checkout: without it a mode stops (exit 2) naming git and the fix, not
    "not a git repository" (whose fix, another --repo, is wrong)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"a.py": "x = 1\n"})
    head = repo.commit("change", {"a.py": "x = 2\n"})
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    argv = [mode, "--provider", "none", "--json", "--repo", str(repo.path)]
    if mode == "analyse-failure":
        logs = tmp_path / "logs.zip"
        step = Step("Lint", run="ruff check .", output=b"Found 1 error.\n", exit_code=1)
        logs.write_bytes(zip_of({"0_lint.txt": render(Job("lint", [step]))[0]}))
        argv += ["--logs", str(logs), "--head", head, "--fix", "suggest"]
    else:
        argv += ["--base", base, "--head", head]

    done = run_cli(argv, tmp_path, _env(tmp_path, str(tmp_path / "nothing")))

    if mode == "analyse-failure":  # the log's diagnosis stands; the change and the fix do not
        assert done.code == 0, done.stderr
        _says_it_could_not_run(done, "git", "install git on the runner")
        assert "**No fix offered:** git could not read the checkout" in done.summary
        return
    assert done.code == 2, (done.stdout, done.stderr)
    assert "git could not run: it is not installed" in done.summary
    assert "Install git on the runner" in done.summary


HOSTILE = "ruff check '@admin <img src=x> <!-- cicd-agent --> [x](https://evil.example)' ."


@needs_sandbox
def test_a_fixer_named_by_the_logs_reaches_the_summary_inert(tmp_path: Path) -> None:
    """Attack (red team): the tool a fixer's line names is the failed step's command, read
    from the logs, and goes into ``tools`` and the headline ("Incomplete: X could not run"),
    outside a code span there: mentions, HTML, our marker, a link out. (Step outputs are
    data, the failed step's name raw in them already.)"""
    done = _fix_run(tmp_path, HOSTILE)

    assert done.document is not None, done.stderr
    [fixer] = [t["tool"] for t in done.document["tools"]]
    assert "@admin" in fixer  # the attack reached the tools, as written
    # outside code spans (where the text is shown as written, inert)
    headline = done.summary.split("Incomplete: ", 1)[1].split(" could not run", 1)[0]
    listed = done.summary.split("- `ruff check --fix", 1)[1].split("`: could not run", 1)[0]
    assert headline.startswith("ruff check --fix '@") and "admin" in listed, done.summary
    assert "@admin" not in headline and "<img" not in headline and "<!--" not in headline
    assert "](https://evil.example" not in headline
    assert "`" not in listed


@needs_sandbox
def test_a_failed_step_of_a_long_hostile_command_does_not_stall_the_fix_step(
    tmp_path: Path,
) -> None:
    """Attack (red team): the failed step's command is the pull request's; each tool's
    pattern was tried from every ``cargo`` of it over an unbounded run of words (320 KiB of
    ``cargo a `` held analyse-failure for many minutes). It is read at once now."""
    done = _fix_run(tmp_path, "ruff check . && " + "cargo a " * 40_000)

    assert done.document is not None, done.stderr
    assert done.document["failed_jobs"][0]["name"] == "lint"
