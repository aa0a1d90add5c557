"""What a tenth new user's logs met: tomli's pytest run under ``-q``, whose summary line pytest
cut to ``AssertionErro...`` above a report whose ``E`` block holds a blank ``E`` line; and
quick-error's ``cargo test`` run, whose failed tests test-step names by their target
(tests/fixtures/logs/new_user10, taken from the trial's logs)."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from cicd_agent.job.repo_config import QuarantineEntry, parse
from cicd_agent.modes.analyse_failure.log_facts import FlakyTest, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.quarantine import judge
from tests.corpus.runner_log import Job, Step, render
from tests.git_builder import GitRepoBuilder
from tests.helpers.toolchains import needs_cargo
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user10"


def _analysed(name: str) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([job_log("test", data)]),
                         changed_files=[], changed_lines={})  # fmt: skip


def test_a_cut_summary_takes_the_first_line_of_its_tests_whole_e_block() -> None:
    """pytest's ``E`` block of a ``Lists differ`` failure holds a blank ``E`` line: the block
    goes on past it, and the cut summary takes the block's first line (before: "AssertionErro -
    First list contains 1 additional elements.", the cut word and a line from mid-block)."""
    analysis = _analysed("py-failed-run.log")
    assert analysis.root_cause == (
        "FAILED tests/test_cache.py::TestParseCache::test_starts_empty - "
        "AssertionError: Lists differ: [{'t': {'x': 1}}] != []"
    ), analysis.root_cause


TODAY = date(2026, 11, 30)
CACHE = ("tests/cache.rs › b_starts_empty", "tests/cache.rs › c_random_key")


def _proposed(analysis: LogAnalysis, names: tuple[str, ...]) -> list[QuarantineEntry]:
    """The entries analyse-failure proposes for ``names`` (the history's names), as pasted."""
    flaky = [FlakyTest(name=name, verdict="likely", default_branch_failures=5) for name in names]
    report = judge(analysis, (), TODAY, flaky)
    assert report is not None, names
    block = report.markdown().split("```yaml\n", 1)[1].rsplit("```", 1)[0]
    return parse(block.replace("@OWNER", "@nu10"), "analyse-failure", TODAY).quarantine


def test_a_cargo_quarantine_proposal_names_the_tests_target_as_test_step_does() -> None:
    """The user's log holds cargo's standard error after its standard output: the ``Running``
    lines come last, and ``to rerun pass `--test cache``` says which target failed. Before:
    ``test: "b_starts_empty"``, an entry that covers the name in every target."""
    analysis = _analysed("rs-failed-run.log")
    assert analysis.failed_tests == ("b_starts_empty", "c_random_key"), analysis.failed_tests
    entries = _proposed(analysis, analysis.failed_tests)
    assert [entry.test for entry in entries] == list(CACHE)
    again = judge(analysis, entries, TODAY)
    assert again is not None and again.applies, again


def test_a_bare_cargo_entry_written_before_still_covers_its_test_as_in_test_step() -> None:
    analysis = _analysed("rs-failed-run.log")
    bare = [QuarantineEntry(name, "nu10", date(2026, 12, 30)) for name in analysis.failed_tests]
    report = judge(analysis, bare, TODAY)
    assert report is not None and report.applies, report


TWO_TARGETS = {
    "Cargo.toml": '[package]\nname = "two"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": "pub fn one() -> u8 { 1 }\n",
    "tests/a.rs": "#[test]\nfn shared() { assert_eq!(two::one(), 2); }\n",
    "tests/b.rs": "#[test]\nfn shared() { assert_eq!(two::one(), 1); }\n",
}


@needs_cargo
def test_attack_an_entry_for_one_target_excuses_no_other_target_s_test(tmp_path: Path) -> None:
    """cargo's real output, its standard error where a job's log puts it (before each test
    binary's results): ``shared`` fails in tests/a.rs and passes in tests/b.rs. The proposal
    names tests/a.rs's, and an entry for tests/b.rs's excuses nothing."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("two targets", TWO_TARGETS)
    keep = ("HOME", "CARGO_HOME", "RUSTUP_HOME")
    env = {"PATH": os.environ["PATH"], "CARGO_TARGET_DIR": str(tmp_path / "target"),
           "CARGO_NET_OFFLINE": "true", **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    done = subprocess.run(["sh", "-c", "cargo test --no-fail-fast 2>&1"], cwd=repo.path, env=env,
                          capture_output=True, check=False, timeout=600)  # fmt: skip
    assert done.returncode == 101, done.stdout
    step = Step(
        "Run cargo test", run="cargo test --no-fail-fast", output=done.stdout, exit_code=101
    )
    analysis = analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))
    assert analysis.failed_tests == ("shared",), analysis.failed_tests
    assert [entry.test for entry in _proposed(analysis, ("shared",))] == ["tests/a.rs › shared"]
    other = [QuarantineEntry("tests/b.rs › shared", "nu10", date(2026, 12, 30))]
    report = judge(analysis, other, TODAY)
    assert report is not None and not report.applies and not report.matched, report
