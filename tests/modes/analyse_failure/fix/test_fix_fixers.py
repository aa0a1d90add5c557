"""The no-model floor on real failing projects: the repository's own ruff, black, isort and eslint
run in their fixing form inside the sandbox, and their patch passes the same verification.

ruff comes from the dev venv; black, isort and eslint from the corpus toolbox the harness installs
(tests/corpus/tools.py); a tool the toolbox lacks skips its test. prettier is not installed by
the harness (adding it would reinstall the shared toolbox), so its fixer is tested only as a
command rewrite.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.command import parse_failing_command
from cicd_agent.modes.analyse_failure.fix.fixers import fixing_command, run_fixer
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.corpus.build import TOOLS_DIR
from tests.corpus.runner_log import Job, Step, render
from tests.corpus.tools import Toolbox
from tests.helpers.fix_projects import FORMAT, IMPORTS, LINT, commit_project, git, tool_output
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

TOOL_BINS = [TOOLS_DIR / "venv" / "bin", TOOLS_DIR / "node" / "node_modules" / ".bin"]


def _path() -> str:
    """The toolbox's venv first (its ``python -m black``), then the dev venv (ruff), then node's.

    The toolbox's console scripts name the interpreter of the clone that built it, so black and
    isort are run as ``python -m``, the way many workflows run them too."""
    return os.pathsep.join([str(TOOL_BINS[0]), path_env(), str(TOOL_BINS[1])])


def _needs(tool: str) -> None:
    """Install the corpus toolbox (once; it is reused while its package list holds) rather than
    depend on the corpus test having built it earlier in the session. Only a machine that
    cannot install it skips, and never on CI."""
    if tool == "ruff":
        return
    Toolbox(TOOLS_DIR).prepare()
    if not any((folder / tool).exists() for folder in TOOL_BINS):
        if os.environ.get("CI"):
            pytest.fail(f"{tool} could not be installed into the corpus toolbox ({TOOLS_DIR})")
        pytest.skip(f"{tool} is not in the corpus toolbox ({TOOLS_DIR})")


def _failed_in_ci(
    tmp_path: Path, files: dict[str, str], script: str
) -> tuple[Path, FailingCommand]:
    """Commit ``files``, run ``script``'s last line for real, read the command back from a log."""
    repo = tmp_path / "checkout"
    commit_project(repo, files)
    code, output = tool_output(repo, script.splitlines()[-1], _path())
    assert code != 0, output.decode()  # the project really fails
    job = Job("lint", [Step("Lint", run=script, output=output, exit_code=code)])
    whole, _ = render(job)
    command = parse_failing_command("lint", whole.decode().splitlines())
    assert command is not None
    return repo, command


@needs_sandbox
@pytest.mark.parametrize(
    ("tool", "files", "script", "removed", "added"),
    [
        ("ruff", LINT, "ruff check .", "-import os\n", ""),
        (
            "ruff",
            FORMAT,
            "ruff format --check .",
            "-def main( ) -> int :\n",
            "+def main() -> int:\n",
        ),
        (
            "black",
            FORMAT,
            "python -m black --check --diff .",
            "-    return  1\n",
            "+    return 1\n",
        ),
        ("isort", IMPORTS, "python -m isort --check-only .", "-import os\n", "+import os\n"),
    ],
)
def test_the_floor_fixes_a_real_lint_or_format_failure_and_the_fix_verifies(
    tmp_path: Path, tool: str, files: dict[str, str], script: str, removed: str, added: str
) -> None:
    _needs(tool)
    repo, command = _failed_in_ci(tmp_path, files, f"echo checking\n{script}")
    assert command.failing == script
    environ = {"PATH": _path(), "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, command, environ)
        assert run.patch is not None, run.note
        assert run.patch.source == "fixer"
        assert removed in run.patch.diff and added in run.patch.diff
        verdict = SandboxVerifier(sandbox, command, watched=PYTEST, redact=str).verify(run.patch)
    assert verdict.verdict is not Verdict.NOT_PASSED, (
        verdict.reason,
        [r.output for r in verdict.runs],
    )
    assert not verdict.runs[0].passed  # it failed before the fix, in the sandbox too
    assert (repo / "app" / "main.py").read_text() == files["app/main.py"]  # checkout untouched


@needs_sandbox
def test_eslint_fixes_in_the_sandbox_and_its_config_cannot_reach_the_host(tmp_path: Path) -> None:
    _needs("eslint")
    planted = tmp_path / "pwned"
    config = (
        "import fs from 'node:fs';\n"
        f"try {{ fs.writeFileSync({str(planted)!r}, String(process.env.GITHUB_TOKEN)); }} "
        "catch (e) {}\n"
        "export default [{ rules: { 'prefer-const': 'error' } }];\n"
    )
    files = {"eslint.config.mjs": config, "src/app.js": "let x = 1;\nconsole.log(x);\n"}
    repo, command = _failed_in_ci(tmp_path, files, "eslint src")
    planted.unlink(missing_ok=True)  # the unsandboxed run above (the "CI") may write it
    environ = {"PATH": _path(), "HOME": str(tmp_path / "home"), "GITHUB_TOKEN": "ghs_secret"}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, command, environ)
        assert run.patch is not None, run.note
        assert "+const x = 1;" in run.patch.diff
        verifier = SandboxVerifier(sandbox, command, watched=PYTEST, redact=str)
        assert verifier.verify(run.patch).verdict is not Verdict.NOT_PASSED
    assert not planted.exists()


@needs_sandbox
def test_a_tool_the_sandbox_cannot_find_is_not_attempted_never_changed_nothing(
    tmp_path: Path,
) -> None:
    """``ruff`` was on the job's ``PATH`` but not the sandbox's (exit 127), and the
    summary said "`ruff check --fix .` changed nothing"."""
    repo, command = _failed_in_ci(tmp_path, LINT, "ruff check .")
    tools = tmp_path / "job-tools"
    tools.mkdir()
    (tools / "ruff").write_text("#!/bin/sh\nexit 1\n")
    (tools / "ruff").chmod(0o755)
    job = {"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    with Sandbox(repo, {**job, "PATH": "/usr/bin:/bin"}) as sandbox:
        run = run_fixer(sandbox, command, job)
    assert run.patch is None
    assert run.note.startswith("not attempted: `ruff check --fix .`: it could not start"), run.note
    assert "exit 127" in run.note and "changed nothing" not in run.note
    assert run.tool is not None and run.tool[0] == "ruff check --fix ."
    assert "exit 127" in run.tool[1]


@needs_sandbox
@pytest.mark.parametrize("named", ["ruff check .", "./node_modules/.bin/eslint src"])
def test_a_fixer_the_pull_request_commits_is_not_attempted(tmp_path: Path, named: str) -> None:
    """ATTACK: the failing step runs a linter the job did not install; the pull
    request commits one (``.venv/bin/ruff``, ``node_modules/.bin/eslint``) that "fixes" as it
    likes. It is no install of the job's: not attempted, and the reason says whose it is."""
    repo, command = _failed_in_ci(tmp_path, LINT, "ruff check .")
    program = ".venv/bin/ruff" if named.startswith("ruff") else "node_modules/.bin/eslint"
    (repo / program).parent.mkdir(parents=True)
    (repo / program).write_text("#!/bin/sh\necho fixed > app/main.py\n")
    (repo / program).chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bring our own linter")
    command = replace(command, script=named, failing=named)
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, command, environ)
    why = f"the checkout's {program} is a file of the pull request, not an install"
    assert run.patch is None and run.note == f"not attempted: {why}", run.note
    assert run.tool is not None and run.tool[1] == why


@pytest.mark.parametrize(
    "shell",
    [
        "pwsh -command \". '{0}'\"",
        "/usr/bin/pwsh -command \". '{0}'\"",
        "powershell -command \". '{0}'\"",
        'cmd /D /E:ON /V:OFF /S /C "CALL "{0}""',
        "python {0}",
        "/usr/bin/python3 {0}",
        "C:\\Program Files\\Git\\bin\\bash.EXE --noprofile --norc -e -o pipefail {0}",
    ],
)
def test_a_step_whose_shell_is_not_bash_or_sh_gets_no_floor_fix(tmp_path: Path, shell: str) -> None:
    repo, command = _failed_in_ci(tmp_path, LINT, "ruff check .")
    environ = {"PATH": _path(), "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, replace(command, shell=shell), environ)
    assert run.patch is None
    assert run.note == f"the step's shell is not bash or sh ({shell})"


@needs_sandbox
@pytest.mark.parametrize(
    "shell", ["sh -e {0}", "/usr/bin/bash --noprofile --norc -eo pipefail {0}"]
)
def test_a_step_under_sh_or_bash_gets_its_floor_fix(tmp_path: Path, shell: str) -> None:
    repo, command = _failed_in_ci(tmp_path, LINT, "ruff check .")
    environ = {"PATH": _path(), "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, replace(command, shell=shell), environ)
    assert run.patch is not None and "-import os\n" in run.patch.diff, run.note


@pytest.mark.parametrize(
    ("command", "fixed"),
    [
        ("ruff check --output-format=github src", "ruff check --fix --output-format=github src"),
        (".venv/bin/ruff check --no-fix .", ".venv/bin/ruff check --fix ."),
        ("uv run ruff format --check --diff src", "uv run ruff format src"),
        ("python -m black --check .", "python -m black ."),
        ("isort --check-only --diff src tests", "isort src tests"),
        ("npx eslint --max-warnings 0 src", "npx eslint --fix --max-warnings 0 src"),
        ("npx prettier --check 'src/**/*.ts'", "npx prettier --write 'src/**/*.ts'"),
    ],
)
def test_the_fixing_form_keeps_the_commands_own_arguments(command: str, fixed: str) -> None:
    found = fixing_command(command)
    assert found is not None and found[1] == fixed


@pytest.mark.parametrize(
    "command", ["ruff check . | tee out.txt", "black --check . && rm -rf /", "make lint", "pytest"]
)
def test_commands_with_shell_syntax_or_no_known_tool_are_not_rewritten(command: str) -> None:
    assert fixing_command(command) is None


@needs_sandbox
def test_a_module_the_eslint_config_imports_cannot_pass_the_lint_step(tmp_path: Path) -> None:
    """Attack: ``eslint.config.mjs`` imports ``lint/rules.mjs``; the patch adds to it a
    handler that sets eslint's exit code to 0 as it ends. eslint still prints its error, and
    the step "passes"."""
    _needs("eslint")
    files = {
        "eslint.config.mjs": "import rules from './lint/rules.mjs';\nexport default [{ rules }];\n",
        "lint/rules.mjs": "export default { 'prefer-const': 'error' };\n",
        "src/app.js": "let x = 1;\nconsole.log(x);\n",
    }
    repo, command = _failed_in_ci(tmp_path, files, "eslint src")
    diff = (
        "diff --git a/lint/rules.mjs b/lint/rules.mjs\n--- a/lint/rules.mjs\n+++ b/lint/rules.mjs\n"
        "@@ -1 +1,2 @@\n+process.on('exit', () => { process.exitCode = 0; });\n"
        " export default { 'prefer-const': 'error' };\n"
    )
    environ = {"PATH": _path(), "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        verdict = SandboxVerifier(sandbox, command, watched=PYTEST, redact=str).verify(
            Patch(diff=diff, source="model", summary="a fix")
        )
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert "and lint/rules.mjs is no file it named as it failed" in verdict.reason, verdict.reason
