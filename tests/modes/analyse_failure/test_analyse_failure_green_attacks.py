"""Attacks on "no failure found": a failing run's log must never read green by what a test
printed. Real pytest output, run here, read by the CLI as a plain log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.failure_github import RUN_ID, GitHubState

TESTS = '''\
def test_passes():
    assert 1 + 1 == 2


def test_prints_a_runner_line_then_fails():
    print("\\n{line}")
    assert 2 + 3 == 6
'''


def _failing_pytest(tmp_path: Path, line: str) -> str:
    """The output of a real pytest run in which one test prints ``line`` and fails."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_a.py").write_text(TESTS.format(line=line))
    ran = subprocess.run([sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "tests"],
                         cwd=project, capture_output=True, text=True, check=False)  # fmt: skip
    assert ran.returncode == 1 and f"\n{line}\n" in ran.stdout, ran.stdout
    return ran.stdout


@pytest.mark.parametrize("line", ["Post job cleanup.", "Cleaning up orphan processes"])
def test_attack_a_test_printing_the_runners_closing_line_does_not_make_its_failure_green(
    tmp_path: Path, line: str
) -> None:
    """The runner opens its closing steps with these plain lines, and a closing step never fails
    a job: a test that printed one (its output shown live, ``pytest -s``) put every line after
    it, the failure and pytest's summary too, in a step never read, and the log read "No failure
    found", exit 0."""
    log = tmp_path / "test.log"
    log.write_text(_failing_pytest(tmp_path, line))
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path)
    assert done.code == 0, done.stderr[-2000:]
    assert done.outputs["failure_type"] != "none", done.summary
    assert "No failure found" not in done.summary
    assert "assert (2 + 3) == 6" in done.summary


def test_attack_a_failed_run_with_no_job_is_not_no_failure_found(
    tmp_path: Path, github_api: Any
) -> None:
    """A workflow file GitHub cannot read fails its run before any job starts: the API lists
    no job and there is no log. That read "No failure found ... no line of them reads as an
    error", ``failure_type`` none, of logs nobody read."""
    state = GitHubState(github_api, tmp_path)
    state.standard()
    state.jobs(RUN_ID)
    code, outputs, summary, _ = state.analyse(state.event())
    assert code == 0, summary
    assert outputs["failure_type"] != "none", summary
    assert "No failure found" not in summary
    assert "lists no failed job" in summary


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_log_of_a_failing_run_is_read_not_green(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell 5.1 writes a redirect or ``Tee-Object`` file in UTF-16 with a byte
    order mark: every line of a failing run's log read as bytes that are no error, and the log
    was "No failure found", exit 0."""
    text = _failing_pytest(tmp_path, "printed").replace("\n", "\r\n")
    bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    log = tmp_path / "test.log"
    log.write_bytes(bom + text.encode(encoding))
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path)
    assert done.code == 0, done.stderr[-2000:]
    assert done.outputs["failure_type"] == "test_failure", done.summary
    assert "FAILED tests/test_a.py::test_prints_a_runner_line_then_fails" in done.summary


@pytest.mark.parametrize("suffix", [".log.gz", ".log.xz", ".log.bz2", ".log.zst"])
def test_a_compressed_log_of_a_failing_run_is_refused_not_green(
    tmp_path: Path, suffix: str
) -> None:
    """A log kept compressed (``pytest | gzip > test.log.gz``) was read as its compressed bytes,
    where no line is an error: "No failure found", exit 0. It is exit 2, naming the fix."""
    import bz2
    import gzip
    import lzma

    def zstd(data: bytes) -> bytes:  # a zstd frame's magic number (no zstd in the standard library)
        return b"\x28\xb5\x2f\xfd" + data

    pack = {".log.gz": gzip.compress, ".log.xz": lzma.compress, ".log.bz2": bz2.compress,
            ".log.zst": zstd}[suffix]  # fmt: skip
    log = tmp_path / f"test{suffix}"
    log.write_bytes(pack(_failing_pytest(tmp_path, "printed").encode()))
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path)
    assert done.code == 2, done.summary
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "is compressed" in errors[0], done.stdout
    assert "Decompress it first" in done.summary and "No failure found" not in done.summary
