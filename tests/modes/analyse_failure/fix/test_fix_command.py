"""The failing command read back from the runner's log: real ruff and pytest output wrapped in the
runner's format (tests/corpus), in the three layouts GitHub serves."""

from __future__ import annotations

import dataclasses
import io
import shlex
import sys
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.command import failing_command, parse_failing_command
from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    failing_script,
    rest_script,
)
from cicd_agent.modes.analyse_failure.logs.analyse import scan_jobs
from cicd_agent.modes.analyse_failure.logs.reader import TAIL_BYTES
from cicd_agent.modes.analyse_failure.logs.sources import (
    CHUNK_BYTES,
    MAX_LINE_BYTES,
    JobLog,
    LogPart,
    iter_lines,
    load_logs,
)
from cicd_agent.runners.table import PYTEST
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import zip_of
from tests.helpers.fix_projects import LINT, commit_project, lint_failure_log, tool_output
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

SCRIPT = "ruff format --check .\nruff check .\npython -m pytest -q"


def _lint_run(tmp_path: Path, layout: str) -> Path:
    repo = tmp_path / "repo"
    commit_project(repo, LINT)
    code, output = tool_output(repo, "ruff check .", path_env())
    assert code == 1 and b"F401" in output  # the real tool really failed
    job = Job(
        "lint",
        [
            noise.checkout(),
            noise.setup_python(),
            Step("Install", run="pip install ruff==0.15.0\necho done", output=b"done\n"),
            Step("Lint", run=SCRIPT, output=output, exit_code=code),
        ],
    )
    dest = tmp_path / layout
    dest.mkdir()
    return write_layout([job], dest, layout)


def _read(job: JobLog) -> FailingCommand | None:
    """The failing command as the mode reads it: from the analysis's one pass over the log."""
    (scan,) = scan_jobs([job])
    return failing_command(scan)


@pytest.mark.parametrize("layout", ["zip_steps", "folder", "job_text"])
def test_the_failed_steps_script_shell_env_and_failing_line_are_read_back(
    tmp_path: Path, layout: str
) -> None:
    (job,) = load_logs(_lint_run(tmp_path, layout))
    command = _read(job)
    assert command is not None
    assert command.script == SCRIPT
    assert command.shell == "/usr/bin/bash -e {0}"
    assert dict(command.env)["pythonLocation"] == "/opt/hostedtoolcache/Python/3.11.9/x64"
    assert command.failing == "ruff check ."  # "Found 1 error." names ruff check, not format
    assert failing_script(command) == "ruff format --check .\nruff check ."
    assert rest_script(command) == "ruff format --check .\npython -m pytest -q"


def _log(*lines: str) -> list[str]:
    return [f"2024-05-14T09:12:03.{n:07d}Z {line}" for n, line in enumerate(lines)]


def test_masked_env_values_are_dropped_and_an_action_step_has_no_command() -> None:
    cyan = "\x1b[36;1m{}\x1b[0m"
    lines = _log(
        "##[group]Run make test",
        cyan.format("make test"),
        "shell: /usr/bin/bash -e {0}",
        "env:",
        "  API_TOKEN: ***",
        "  MODE: ci",
        "##[endgroup]",
        "boom",
        "##[error]Process completed with exit code 2.",
    )
    command = parse_failing_command("build", lines)
    assert command is not None
    assert command.env == (("MODE", "ci"),)
    assert command.failing == command.script == "make test"
    action = _log(
        "##[group]Run actions/setup-node@v4",
        "with:",
        "  node-version: 20",
        "##[endgroup]",
        "##[error]Process completed with exit code 1.",
    )
    assert parse_failing_command("build", action) is None


def test_a_script_line_that_looks_like_the_shell_line_stays_script() -> None:
    cyan = "\x1b[36;1m{}\x1b[0m"
    lines = _log(
        "##[group]Run echo start",
        cyan.format("echo start"),
        cyan.format("shell: not-a-header"),
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
        "##[error]Process completed with exit code 127.",
    )
    command = parse_failing_command("j", lines)
    assert command is not None and command.shell == "/usr/bin/bash -e {0}"
    assert command.script == "echo start\nshell: not-a-header"


def test_a_log_without_colours_still_gives_the_script() -> None:
    lines = _log(
        "##[group]Run ruff check .",
        "ruff check .",
        "shell: /usr/bin/bash -e {0}",
        "env:",
        "  pythonLocation: /opt/hostedtoolcache/Python/3.10.19/x64",
        "##[endgroup]",
        "app/main.py:1:8: F401 [*] `os` imported but unused",
        "Found 1 error.",
        "##[error]Process completed with exit code 1.",
    )
    command = parse_failing_command("lint", lines)
    assert command is not None and command.script == command.failing == "ruff check ."


def _split(script: str) -> tuple[str, ...]:
    return FailingCommand("j", "Run", script, script).commands


def test_compound_scripts_stay_whole_and_continuations_join() -> None:
    assert _split("ruff check \\\n  --fix .\n# note\n\npytest") == (
        "ruff check \\\n  --fix .",
        "pytest",
    )
    loop = "for d in a b; do\n  ruff check $d\ndone"
    assert _split(loop) == (loop,)


def test_the_commands_are_those_of_the_failing_commands_own_script() -> None:
    """The split is held by the failing command (no process-wide cache keyed by script): the
    parsed one carries it, and a copy with another script is split anew."""
    lines = _log(
        "##[group]Run ruff format --check .",
        "\x1b[36;1mruff format --check .\x1b[0m",
        "\x1b[36;1mruff check .\x1b[0m",
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
        "Found 1 error.",
        "##[error]Process completed with exit code 1.",
    )
    command = parse_failing_command("lint", lines)
    assert command is not None and command.failing == "ruff check ."
    assert command.commands == ("ruff format --check .", "ruff check .")
    other = dataclasses.replace(command, script="black --check .", failing="black --check .")
    assert other.commands == ("black --check .",)
    assert other == FailingCommand("lint", command.step, "black --check .", "black --check .",
                                   command.shell, command.env)  # fmt: skip


def test_a_huge_line_without_a_newline_is_cut_and_the_command_still_read() -> None:
    """A step that prints megabytes with no newline (a minified bundle, a progress bar) must not
    grow one line without bound: every line read keeps at most its last MAX_LINE_BYTES."""
    lines = _log(
        "##[group]Run ruff check .",
        "ruff check .",
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
    )
    flood = b"\x1b[0m" + b"=" * (5 * MAX_LINE_BYTES)
    tail = _log("Found 1 error.", "##[error]Process completed with exit code 1.")
    data = "\n".join(lines).encode() + b"\n" + flood + b"\n" + "\n".join(tail).encode()
    part = LogPart(lambda: io.BytesIO(data), source="lint.txt")
    assert max(len(raw) for raw in iter_lines(part)) == MAX_LINE_BYTES
    command = _read(JobLog("lint", (part,)))
    assert command is not None and command.failing == "ruff check ."


def test_a_long_step_whose_header_crosses_a_read_chunk_still_gives_its_command() -> None:
    """The one pass keeps the failed step's header as read: its command is found when the
    header straddles two of the reader's chunks and the step's output is far longer than the
    tail kept of it (the header is then not in the tail)."""
    cyan = "\x1b[36;1m{}\x1b[0m"
    before = _log("##[group]Run make deps", cyan.format("make deps"), "##[endgroup]")
    header = _log(
        "##[group]Run ruff format --check .",
        cyan.format("ruff format --check ."),
        cyan.format("ruff check ."),
        "shell: /usr/bin/bash -e {0}",
        "env:",
        "  FORCE_COLOR: 1",
        "##[endgroup]",
    )
    end = _log("Found 2 errors.", "##[error]Process completed with exit code 1.")
    head = "\n".join(before).encode() + b"\n"
    filler = b"x" * 99 + b"\n"
    padding = filler * ((CHUNK_BYTES - len(head) - 150) // len(filler))  # header: across 4 MiB
    output = b"app.py:1:1: F401 `os` imported but unused\n" * (2 * TAIL_BYTES // 40)
    data = head + padding + "\n".join(header).encode() + b"\n" + output
    data += "\n".join(end).encode() + b"\n"
    part = LogPart(lambda: io.BytesIO(data), source="lint.txt")
    command = _read(JobLog("lint", (part,)))
    expected = parse_failing_command("lint", (raw.decode() for raw in iter_lines(part)))
    assert command is not None and command == expected
    assert command.failing == "ruff check ." and dict(command.env) == {"FORCE_COLOR": "1"}


# ---------------------------------------------------------------- Attacks: the failed run's log
# Red-team attacks on the fix step through the failed run's log, end to end through the CLI:
# the real ruff failure of a real git checkout, its log shaped by the pull request.


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
    from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
    from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
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
        outcome = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str).run_failing(None)
    assert outcome.exit_code == 1 and not outcome.passed, outcome.output
