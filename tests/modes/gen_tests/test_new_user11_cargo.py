"""What an eleventh new user met in gen-tests on a Rust crate (servo/rust-fnv): the suite's run at
head named ``b_starts_empty`` by no file (``cargo test › b_starts_empty``), so its own
``assert!`` at tests/shared.rs:15 was not seen as its own and it "stopped on an error outside
its own checks"; and a rerun's replay read "cargo test on tests/shared.rs", which is no command.
The log is the trial's (tests/fixtures/logs/new_user11)."""

from __future__ import annotations

import re
from pathlib import Path

from cicd_agent.modes.gen_tests.runner_reruns import _replay
from cicd_agent.runners.base import TestReport
from cicd_agent.runners.cargo.report import read_checks
from cicd_agent.runners.cargo.runner import CargoTest

LOG = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11" / "rs-failed-run.log"
_STAMP = re.compile(r"^\S+Z ")


def _cargo_output() -> str:
    """The job log's lines without the runner's timestamps: what cargo printed."""
    text = LOG.read_text(encoding="utf-8")
    return "\n".join(_STAMP.sub("", line) for line in text.splitlines())


def test_a_whole_suite_runs_failure_on_its_own_assert_is_its_own_check() -> None:
    outcomes = {"cargo test › b_starts_empty": "failed", "cargo test › a_records_hash": "passed"}
    checks = read_checks(_cargo_output(), outcomes)
    assert list(checks) == ["cargo test › b_starts_empty"], checks
    assert checks["cargo test › b_starts_empty"].startswith("tests/shared.rs:15: SEEN was ")


def test_attack_a_panic_in_the_crates_code_is_no_check_of_a_test_of_no_file() -> None:
    moved = _cargo_output().replace(
        "panicked at tests/shared.rs:15:5", "panicked at src/lib.rs:15:5"
    )
    assert read_checks(moved, {"cargo test › b_starts_empty": "failed"}) == {}


def test_a_cargo_reruns_replay_is_a_command() -> None:
    report = TestReport("cargo test", returncode=101)
    rerun = CargoTest().rerun_file
    assert _replay(report, "tests/shared.rs › b_starts_empty", "", rerun) == (
        "cargo test --test shared"
    )
    assert _replay(report, "src/lib.rs › tests::t", ", TZ=Asia/Kolkata", rerun) == (
        "TZ=Asia/Kolkata cargo test"
    )
