"""Loading logs: the run-logs zip in both of GitHub's layouts, a folder, a file, damaged input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, iter_chunks, load_logs
from tests.corpus.runner_log import Job, Step, write_layout

FAILING = Step("Build", run="make", output=b"main.c:3:1: error: expected ';'\n", exit_code=2)
PASSING = Step("Test", run="make test", output=b"all 12 tests passed\n")


def _run() -> list[Job]:
    return [Job("lint", [PASSING], conclusion="success"), Job("build / linux", [FAILING])]


def _read(job: JobLog) -> bytes:
    return b"".join(chunk for part in job.parts for chunk in iter_chunks(part))


@pytest.mark.parametrize("layout", ["zip_steps", "folder"])
def test_step_files_become_named_parts_in_order(tmp_path: Path, layout: str) -> None:
    jobs = load_logs(write_layout(_run(), tmp_path, layout))
    assert [job.name for job in jobs] == ["lint", "build  linux"]  # "/" dropped, as GitHub does
    steps = [part.step for part in jobs[1].parts]
    assert steps == ["Set up job", "Build", "Complete job"]
    assert b"error: expected ';'" in _read(jobs[1])


def test_a_zip_without_step_files_reads_the_whole_job(tmp_path: Path) -> None:
    jobs = load_logs(write_layout(_run(), tmp_path, "zip_jobs"))
    assert [len(job.parts) for job in jobs] == [1, 1]
    assert jobs[1].parts[0].step is None


def test_a_text_file_is_one_job(tmp_path: Path) -> None:
    path = write_layout([Job("test", [FAILING])], tmp_path, "job_text")
    (job,) = load_logs(path)
    assert job.name == "test"
    assert analyse_scans(scan_jobs([job])).failed_jobs[0].failed_step == "Run make"


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_logs(tmp_path / "nope.zip")


def test_an_empty_zip_says_so(tmp_path: Path) -> None:
    path = tmp_path / "logs.zip"
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(UsageError, match="holds no job logs"):
        load_logs(path)


def test_a_file_that_is_not_a_zip_says_so(tmp_path: Path) -> None:
    path = tmp_path / "logs.zip"
    path.write_bytes(b"PK\x03\x04 this is not really an archive")
    with pytest.raises(UsageError, match="not a readable zip archive"):
        load_logs(path)


def test_a_damaged_member_fails_with_a_usage_error_when_read(tmp_path: Path) -> None:
    path = write_layout([Job("build", [FAILING])], tmp_path, "zip_jobs")
    data = bytearray(path.read_bytes())
    start = data.index(b"0_build.txt") + len(b"0_build.txt")
    data[start + 40 : start + 60] = b"\x00" * 20  # corrupt the compressed bytes
    path.write_bytes(bytes(data))
    jobs = load_logs(path)
    with pytest.raises(UsageError, match="Could not read the log"):
        analyse_scans(scan_jobs(jobs))


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="holds no log files"):
        load_logs(tmp_path)
