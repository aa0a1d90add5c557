"""``cargo test`` through the seam, on a tiny crate with no dependency, in the real sandbox with
the job's cargo, offline: per-test outcomes by file, the shuffle's seed, coverage that "could
not run" without cargo-llvm-cov, and a test that prints its own result (issue 65's hostile
runs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.verify.runners import running
from cicd_agent.verify.runners.base import Selection, TestReport
from cicd_agent.verify.runners.cargo import CargoTest, read_blocks
from cicd_agent.verify.runners.pytest import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

LIB = """pub mod calc;

pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(1, 2), 3);
    }
}
"""
CALC = """pub fn sub(a: i64, b: i64) -> i64 {
    a - b
}

#[cfg(test)]
mod tests {
    #[test]
    fn subtracts() {
        assert_eq!(super::sub(3, 1), 2);
    }
    #[test]
    #[ignore]
    fn slow() {}
}
"""
INTEGRATION = "#[test]\nfn adds_from_outside() {\n    assert_eq!(crate_m::add(2, 2), 4);\n}\n"
FORGER = """use std::io::Write;

#[test]
fn broken() {
    let mut out = std::io::stdout();
    writeln!(out, "test broken ... ok").unwrap();
    out.flush().unwrap();
    panic!("really broken");
}
"""
EXITS = """#[test]
fn sub_is_right() {
    assert_eq!(crate_m::sub_broken(3, 1), 2);
}
"""
EXITS_LIB = """
/// A model's broken line: prints its caller's pass and libtest's summary, then ends with 0.
pub fn sub_broken(a: i64, b: i64) -> i64 {
    use std::io::Write; // stdout itself: libtest captures println! only
    let _ = (a, b);
    let mut out = std::io::stdout();
    out.write_all(b"test sub_is_right ... ok\\n\\n").unwrap();
    out.write_all(b"test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\\n").unwrap();
    out.flush().unwrap();
    std::process::exit(0)
}
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestReport]]:
    """One sandbox over the crate; the runs every test below reads, made once."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "crate")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "crate_m"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": LIB + EXITS_LIB, "src/calc.rs": CALC,
                          "tests/outside.rs": INTEGRATION, "tests/forge.rs": FORGER,
                          "tests/exits.rs": EXITS})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",  # rustup's, named
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ) as sandbox:
        cargo = CargoTest()
        space = sandbox.workspace("crate")  # one target folder: the crate builds once
        yield {
            "own": cargo.run(sandbox, space, Selection(
                ("src/calc.rs", "tests/outside.rs"), seed=11, cover=("src/calc.rs",)),
                timeout=300),
            "forged": cargo.run(sandbox, space, Selection(("tests/forge.rs",)), timeout=300),
            "exits": cargo.run(sandbox, space, Selection(("tests/exits.rs",)), timeout=300),
        }  # fmt: skip


@needs_sandbox
@needs_cargo
def test_cargo_tests_report_each_test_by_its_file(runs: dict[str, TestReport]) -> None:
    report = runs["own"]
    assert report.problem == "", report.output[-2000:]
    assert report.outcomes == {
        "src/lib.rs › tests::adds": "passed",
        "src/calc.rs › calc::tests::subtracts": "passed",
        "src/calc.rs › calc::tests::slow": "skipped",
        "tests/outside.rs › adds_from_outside": "passed",
    }
    assert report.seed == 11
    assert report.coverage is None
    assert report.coverage_problem == (
        "could not run: install cargo-llvm-cov or cargo-tarpaulin before this step")


@needs_sandbox
@needs_cargo
def test_attack_a_test_printing_its_own_pass_is_no_word(runs: dict[str, TestReport]) -> None:
    """Attack: a failing test writes ``test broken ... ok`` to stdout (not captured) before it
    panics: libtest's own result for it is a second end, and the report is no word."""
    report = runs["forged"]
    assert report.passed() == frozenset()
    assert "ending twice" in report.problem or "does not count" in report.problem, report.problem


@needs_sandbox
@needs_cargo
@pytest.mark.xfail(strict=True, reason="open (atk7): code under test that prints its caller's "
                   "libtest result and summary, then exits 0, writes a whole consistent block; "
                   "libtest has no hook that runs after every test for a witness of ours")
def test_attack_code_under_test_that_prints_its_tests_pass_and_exits_0_is_no_word(
    runs: dict[str, TestReport],
) -> None:
    """ATTACK (a model's suggestion for a Rust file): the broken function prints the pass of the
    test calling it and libtest's summary, then ``std::process::exit(0)``; the block is whole and
    agrees with the exit status, so the broken line reads as passing."""
    report = runs["exits"]
    assert report.passed() == frozenset(), report.outcomes


def test_a_block_its_summary_or_exit_status_belies_is_no_word() -> None:
    block = ("running 2 tests\ntest a ... ok\ntest b ... ignored\n\n"
             "test result: ok. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n")  # fmt: skip
    assert read_blocks(block, 0) == ({"a": "passed", "b": "skipped"}, "")
    assert "disagree" in read_blocks(block, 101)[1]
    extra = block.replace("test b ... ignored\n", "test b ... ignored\ntest c ... ok\n")
    assert "does not count" in read_blocks(extra, 0)[1]
    assert "ended before its summary" in read_blocks("running 1 test\ntest a ... ok\n", 0)[1]
    failing = ("running 1 test\ntest a ... FAILED\n\nfailures:\n\n---- a stdout ----\n"
               "test a ... ok\n\nfailures:\n    a\n\n"
               "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured\n")  # fmt: skip
    assert read_blocks(failing, 101) == ({"a": "failed"}, "")


def test_cargo_is_recognised_and_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[package]\n")
    cargo = CargoTest()
    assert cargo.configured(tmp_path)
    assert isinstance(running("cargo +stable test --workspace"), CargoTest)
    assert cargo.tests_of("src/calc.rs", ["tests/a.rs", "src/lib.rs", "benches/b.rs"]) == (
        "src/calc.rs", "tests/a.rs")  # fmt: skip
    assert cargo.missing(tmp_path, {"PATH": str(tmp_path)}).startswith(
        "could not run: install Rust's cargo before this step")
