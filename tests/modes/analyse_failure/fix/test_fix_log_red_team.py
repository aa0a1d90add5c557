"""Red-team attacks on the fix step through the failed run's log, end to end through the CLI:
the real ruff failure of a real git checkout, its log shaped by the pull request."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.failed_run import zip_of
from tests.helpers.fix_projects import LINT, commit_project, lint_failure_log
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _shaped_log(checkout: Path, header_line: bytes) -> bytes:
    """The failed lint step's log with ``header_line`` put in its ``Run`` header, after
    ``env:`` (an ``env:`` entry) or in place of ``shell:`` (a shell line)."""
    lines = lint_failure_log(checkout, path_env()).split(b"\n")
    at = next(
        number
        for number, line in enumerate(lines)
        if line.endswith(b"shell: /usr/bin/bash -e {0}") and b"ruff" in lines[number - 1]
    )
    stamp = lines[at].split(b" ", 1)[0]
    if header_line.startswith(b"shell: "):
        lines[at] = stamp + b" " + header_line
    else:
        assert lines[at + 1].endswith(b" env:")
        lines.insert(at + 2, stamp + b" " + header_line)
    return b"\n".join(lines)


@needs_sandbox
@pytest.mark.parametrize(
    "header_line",
    [b"  LINT_FLAGS: a\x00b", b"shell: /usr/bin/bash -e\x00 {0}"],
    ids=["env-value", "shell"],
)
def test_a_nul_byte_in_the_failed_steps_header_loses_no_output(
    tmp_path: Path, header_line: bytes
) -> None:
    """Attack: a NUL byte in the failed step's logged ``env:`` or ``shell:`` line went into
    bwrap's argv (``--setenv``, the shell's words); ``subprocess`` refuses such argv with a
    ValueError, not an OSError, so analyse-failure ended in an internal error (exit 3) without
    its failure type, root cause or fix status."""
    checkout = tmp_path / "checkout"
    sha = commit_project(checkout, LINT)
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_lint.txt": _shaped_log(checkout, header_line)}))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path / "home"),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(logs), "--repo", str(checkout),
         "--head", sha, "--fix", "suggest"],
        tmp_path, environ,
    )  # fmt: skip
    outputs = done.outputs
    assert done.code == 0, done.stderr + outputs.get("error", "")
    assert outputs["failure_type"] == "lint_error"
    assert outputs["fix_status"] in ("verified", "none")


@needs_sandbox
def test_a_run_that_nests_folders_thousands_deep_loses_no_output(tmp_path: Path) -> None:
    """Attack: the failing command (the pull request's) nests 1,500 folders in its copy, then
    fails. Measuring the copy during the run (``os.walk``, recursive before Python 3.12) and
    deleting it after (``shutil.rmtree``, recursive before 3.13, the action's default Python
    being 3.12) raised RecursionError, which ``ignore_errors`` does not cover: the fix step,
    and with it the whole mode, ended in an internal error."""
    from cicd_agent.modes.analyse_failure.fix.contract import FailingCommand
    from cicd_agent.modes.analyse_failure.fix.verify import SandboxVerifier
    from cicd_agent.sandbox import Sandbox

    checkout = tmp_path / "checkout"
    commit_project(checkout, LINT)
    nest = "import os\nfor _ in range(1500):\n    os.mkdir('a')\n    os.chdir('a')"
    script = f"{sys.executable} -c {shlex.quote(nest)}\nexit 1"
    failing = FailingCommand(
        job="lint", step="Run nest", script=script, failing=script, shell="bash -e {0}"
    )
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    with sandbox:
        outcome = SandboxVerifier(sandbox, failing, redact=str).run_failing(None)
    assert outcome.exit_code == 1 and not outcome.passed, outcome.output
