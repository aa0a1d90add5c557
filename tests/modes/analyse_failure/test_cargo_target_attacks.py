"""A failed cargo test is named by the target cargo said it started (``Running tests/a.rs``):
a test of the pull request's can print that line too (a child process it starts writes to the
job's log, where libtest captures nothing), and so give its own failure another target's id."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.quarantine import judge
from cicd_agent.runners.cargo.step import step_ids
from tests.corpus.runner_log import Job, Step, render
from tests.git_builder import GitRepoBuilder
from tests.helpers.toolchains import needs_cargo
from tests.modes.analyse_failure.job_logs import job_log

TODAY = date(2026, 11, 30)
FORGED = "     Running tests/b.rs (target/debug/deps/b-0123456789abcdef)"
CRATE = {
    "Cargo.toml": '[package]\nname = "two"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": "pub fn one() -> u8 { 1 }\n",
    # the failing test names itself as tests/b.rs's, through a process libtest does not capture
    "tests/a.rs": "#[test]\nfn shared() {\n"
    f'    std::process::Command::new("echo").arg("{FORGED}").status().unwrap();\n'
    "    assert_eq!(two::one(), 2);\n}\n",
    "tests/b.rs": "#[test]\nfn shared() { assert_eq!(two::one(), 1); }\n",
}


def _cargo_log(tmp_path: Path) -> LogAnalysis:
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("two targets", CRATE)
    keep = ("HOME", "CARGO_HOME", "RUSTUP_HOME")
    env = {"PATH": os.environ["PATH"], "CARGO_TARGET_DIR": str(tmp_path / "target"),
           "CARGO_NET_OFFLINE": "true", **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    done = subprocess.run(["sh", "-c", "cargo test --no-fail-fast 2>&1"], cwd=repo.path, env=env,
                          capture_output=True, check=False, timeout=600)  # fmt: skip
    assert done.returncode == 101, done.stdout
    assert FORGED.encode() in done.stdout, done.stdout  # the forged line reached the log
    step = Step(
        "Run cargo test", run="cargo test --no-fail-fast", output=done.stdout, exit_code=101
    )
    return analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))


@needs_cargo
def test_attack_a_running_line_a_test_prints_gives_its_failure_no_other_targets_id(
    tmp_path: Path,
) -> None:
    """The entry for tests/b.rs's ``shared`` (which passed) excuses nothing of tests/a.rs's
    failure, whatever line the failing test printed before its result."""
    analysis = _cargo_log(tmp_path)
    assert analysis.failed_tests == ("shared",), analysis.failed_tests
    assert all(one != "tests/b.rs › shared" for _, one, _ in analysis.test_ids), analysis.test_ids
    other = [QuarantineEntry("tests/b.rs › shared", "nu10", date(2026, 12, 30))]
    report = judge(analysis, other, TODAY)
    assert report is None or (not report.applies and not report.matched), report


def test_attack_a_running_line_inside_a_binarys_results_places_no_test() -> None:
    """cargo starts a binary only once the last one's summary is written: a ``Running`` line
    between a block's ``running N tests`` and its summary is a test's own output."""
    lines = [
        "     Running tests/a.rs (target/debug/deps/a-0123456789abcdef)",
        "",
        "running 2 tests",
        FORGED,
        "test shared ... FAILED",
        "test other ... ok",
        "",
        "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
    ]
    assert "tests/b.rs › shared" not in step_ids(lines).get("shared", ()), step_ids(lines)


def test_attack_a_summary_a_test_prints_before_its_forged_target_places_no_test() -> None:
    """The test prints a whole binary's end and start: the block it cut short counts fewer
    results than it announced, and the real summary then closes no block."""
    lines = [
        "     Running tests/a.rs (target/debug/deps/a-0123456789abcdef)",
        "",
        "running 1 test",
        "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
        FORGED,
        "running 1 test",
        "test shared ... FAILED",
        "",
        "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
    ]
    assert "tests/b.rs › shared" not in step_ids(lines).get("shared", ()), step_ids(lines)
