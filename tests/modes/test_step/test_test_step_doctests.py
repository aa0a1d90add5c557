"""A failed doctest is retried like any test: a new user's flaky doctest on try-lock was never run
again (cargo hands the retry's ``--exact NAME`` to rustdoc, which splits a doctest's name at
its spaces, so nothing matched) and was said to fail "on every run". Real cargo."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.runners.cargo.doctests import retry_arguments
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_cargo

CARGO = '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = """\
//! The crate.
//!
//! ```
//! assert_eq!(c::two(), 2);
//! ```

/// Two.
///
/// ```
/// let seen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flaky.seen");
/// if !seen.exists() {
///     std::fs::write(&seen, "").unwrap();
///     panic!("first run");
/// }
/// ```
pub fn two() -> i32 {
    2
}

/// Three, documented wrong.
///
/// ```
/// assert_eq!(c::three(), 4);
/// ```
pub fn three() -> i32 {
    3
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_is_two() {
        assert_eq!(super::two(), 2);
    }
}
"""
BROKEN_UNIT = "\n#[test]\nfn broken() {\n    panic!(\"always\");\n}\n"
FLAKY, WRONG = "src/lib.rs - two (line 9)", "src/lib.rs - three (line 22)"


def _env() -> dict[str, str]:
    keep = ("HOME", "CARGO_HOME", "RUSTUP_HOME")
    return {"PATH": os.environ["PATH"], **{k: os.environ[k] for k in keep if k in os.environ}}


@needs_cargo
def test_a_flaky_doctest_is_retried_and_reads_flaky(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    attempts = run_attempts(["cargo", "test", "--offline"], 1, cwd=repo.path, run=JobRun(_env()))

    assert set(attempts[1].names.values()) == {FLAKY, WRONG}, attempts[1].names
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True)
    assert [test for test, _ in verdict.flaky] == [FLAKY]
    assert verdict.failing == (WRONG,)


@needs_cargo
def test_a_retry_of_a_doctest_and_a_unit_test_reads_only_the_tests_it_retried(
    tmp_path: Path,
) -> None:
    """Without ``--exact`` the doctest's filter (``two``) also runs ``tests::two_is_two``,
    which passed the first run: it is no outcome of the retry."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": CARGO, "src/lib.rs": LIB + BROKEN_UNIT})
    attempts = run_attempts(["cargo", "test", "--offline"], 1, cwd=repo.path, run=JobRun(_env()))

    broken = "src/lib.rs › broken"
    assert set(attempts[1].names.values()) == {FLAKY, WRONG, broken}, attempts[1].names
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True)
    assert [test for test, _ in verdict.flaky] == [FLAKY]
    assert set(verdict.failing) == {WRONG, broken}


def test_a_doctest_is_selected_by_a_part_of_its_name_rustdoc_can_match() -> None:
    assert retry_arguments(["t::a"]) == ([], ["t::a", "--exact"])
    assert retry_arguments(["src/lib.rs - TryLock::try_lock (line 42)", "src/lib.rs - (line 3)"]
                           ) == (["--doc"], ["TryLock::try_lock", "src/lib.rs"])  # fmt: skip
    assert retry_arguments(["src/a.rs - f (line 4) - compile fail", "t::a"]) == ([], ["f", "t::a"])
