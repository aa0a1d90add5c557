"""The test step names each ``cargo test`` result by the target cargo said it started, from the
step's own output, where a test prints too (a process it starts writes there, uncaptured). On
its retry, a quarantined test beside the broken one prints the broken one's pass, and the
broken one, before its result, a ``Running`` line of another target, which takes its failure
there: the broken test read as passed on retry, flaky, and the step passed."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_cargo

TESTS = """\
fn on_retry(name: &str, line: &str) {
    let count = format!("{}/{name}.count", env!("CARGO_MANIFEST_DIR"));
    if std::fs::metadata(&count).is_ok() {
        std::process::Command::new("echo").arg(line).status().unwrap();
    }
    std::fs::write(count, "").unwrap();
}

#[test]
fn a_quarantined() {
    on_retry("a", "test shared ... ok");
    panic!("quarantined, and failing");
}

#[test]
fn shared() {  // after the other's result: each result line is written whole as its test ends
    std::thread::sleep(std::time::Duration::from_secs(1));
    on_retry("b", "     Running tests/c.rs (target/debug/deps/c-0123456789abcdef)");
    panic!("broken");
}
"""


@needs_cargo
def test_attack_lines_a_retry_prints_make_no_broken_test_flaky(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
                          "src/lib.rs": "", "tests/a.rs": TESTS})  # fmt: skip
    keep = ("HOME", "CARGO_HOME", "RUSTUP_HOME")
    env = {"PATH": os.environ["PATH"], **{k: os.environ[k] for k in keep if k in os.environ}}
    attempts = run_attempts(["cargo", "test", "--offline"], 1, cwd=repo.path, run=JobRun(env))
    assert len(attempts) == 2, attempts
    entry = QuarantineEntry("tests/a.rs › a_quarantined", "owner", date(2026, 12, 30))
    found = judge_step(attempts, (entry,), date(2026, 11, 30), code_is_proof=True, policy="pass")
    assert "tests/a.rs › shared" not in dict(found.flaky), found
    assert not found.passed, found
    assert any("printed cargo" in line for line in found.said), found.said
