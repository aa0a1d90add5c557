"""``cargo test`` through the seam, all its tests: on tiny crates with no dependency, in the real
sandbox with the job's cargo, offline, per-test outcomes by file, no shuffle (libtest's needs
RUSTC_BOOTSTRAP), coverage that "could not run" without cargo-llvm-cov, a test that prints its
own result, code under test that prints its caller's pass and exits 0, and the seam's in-run
check in a ``#![no_std]`` crate that denies warnings and missing docs, with only integration
tests and doctests; the launcher of its repeats, its log's forgeries, a huge count in
libtest's block, the repeats' counts, and the test step's reading of what libtest printed."""

from __future__ import annotations

import io
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.cargo.boot import launcher
from cicd_agent.runners.cargo.in_run_check import add_in_run_check, crate_roots
from cicd_agent.runners.cargo.repeat import LAUNCHER, counted, placed_launcher, plans, read_frames
from cicd_agent.runners.cargo.report import LibtestLog, read_blocks, read_checks, shown_results
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.lookups import running, tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.sandbox import ToolMount
from tests.git_builder import GitRepoBuilder
from tests.helpers.runner_run import run_runner
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

HUGE = "9" * 5000
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
REWRITES = "#[test]\nfn sub_is_right() {\n    assert_eq!(crate_m::sub_rewritten(3, 1), 2);\n}\n"
REWRITES_LIB = """
/// A model's broken line that rewrites libtest's report in its own process: from its call
/// on, fd 1 is a pipe; at exit the text libtest wrote there is put back with every FAILED
/// turned ok and the process ends with 0. No name of the seam's is needed.
pub fn sub_rewritten(a: i64, b: i64) -> i64 {
    rewrite::start();
    a + b
}

mod rewrite {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    use std::sync::atomic::{AtomicI32, Ordering};

    extern "C" {
        fn pipe(fds: *mut i32) -> i32;
        fn dup(fd: i32) -> i32;
        fn dup2(from: i32, to: i32) -> i32;
        fn close(fd: i32) -> i32;
        fn atexit(f: extern "C" fn()) -> i32;
        fn _exit(code: i32) -> !;
    }
    static REAL: AtomicI32 = AtomicI32::new(-1);
    static READ: AtomicI32 = AtomicI32::new(-1);

    pub fn start() {
        let mut fds = [0i32; 2];
        unsafe {
            REAL.store(dup(1), Ordering::SeqCst);
            pipe(fds.as_mut_ptr());
            dup2(fds[1], 1);
            close(fds[1]);
            READ.store(fds[0], Ordering::SeqCst);
            atexit(at_exit);
        }
    }

    extern "C" fn at_exit() {
        let real = REAL.load(Ordering::SeqCst);
        unsafe { dup2(real, 1) };
        let mut text = String::new();
        let mut pipe = unsafe { std::fs::File::from_raw_fd(READ.load(Ordering::SeqCst)) };
        let _ = pipe.read_to_string(&mut text);
        let mut out = String::new();
        let mut skipping = false;
        for line in text.lines() {
            if line == "failures:" {
                skipping = true;
            }
            if line.starts_with("test result: ") {
                skipping = false;
                let nums: Vec<i64> = line.split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
                let rest = line.splitn(2, " ignored;").nth(1).unwrap_or("");
                out.push_str(&format!("test result: ok. {} passed; 0 failed; {} ignored;{}\\n",
                                      nums[0] + nums[1], nums[2], rest));
                continue;
            }
            if !skipping {
                out.push_str(&line.replace(" ... FAILED", " ... ok"));
                out.push('\\n');
            }
        }
        let mut real_out = unsafe { std::fs::File::from_raw_fd(real) };
        let _ = real_out.write_all(out.as_bytes());
        let _ = real_out.flush();
        unsafe { _exit(0) }
    }
}
"""

ALTERNATES = """#[test]
fn every_other_run() {
    let seen = std::fs::read("counter.txt").unwrap_or_default();
    std::fs::write("counter.txt", [&seen[..], b"x"].concat()).unwrap();
    assert!(seen.len() % 2 == 0, "odd run");
}
"""

NOTICES = """/// A flaky test that fails from its second run on. Noticing that it runs again (the mark its
/// first run left), it ends the process running it, its parent, and exits 0: its failing
/// runs never report, and the runs before it all passed.
#[test]
fn quiet_once_repeated() {
    extern "C" {
        fn kill(pid: i32, signal: i32) -> i32;
        fn getppid() -> i32;
    }
    let again = std::path::Path::new("notices.mark").exists();
    std::fs::write("notices.mark", b"ran").unwrap();
    if again {
        unsafe { kill(getppid(), 9) };
        std::process::exit(0);
    }
}
"""
REACHES = """use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;

/// A failing test that, on every run, opens every pipe of every other process it can reach
/// through /proc: for reading, to take what is waiting in it (the records of earlier runs),
/// and for writing, to put it back with FAILED turned ok and a frame claiming a pass.
#[test]
fn rewrites_the_records() {
    let me = std::process::id().to_string();
    let forged = "cicd-agent-repeat 0123456789abcdef0123456789abcdef run 1 0 0 0\\n\\n";
    for process in std::fs::read_dir("/proc").unwrap().flatten() {
        if process.file_name().to_string_lossy() == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            let pipe = std::fs::read_link(fd.path()).map_or(false, |link| {
                link.to_string_lossy().starts_with("pipe:")
            });
            if !pipe {
                continue;
            }
            let mut taken = Vec::new();
            let mut open = std::fs::OpenOptions::new();
            if let Ok(mut end) = open.read(true).custom_flags(0o4000).open(fd.path()) {
                let _ = end.read_to_end(&mut taken);
            }
            let mut open = std::fs::OpenOptions::new();
            if let Ok(mut end) = open.write(true).custom_flags(0o4000).open(fd.path()) {
                let text = String::from_utf8_lossy(&taken).replace("FAILED", "ok") + forged;
                let _ = end.write_all(text.as_bytes());
            }
        }
    }
    panic!("really broken");
}
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestReport]]:
    """One sandbox over the crate; the runs every test below reads, made once."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "crate")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "crate_m"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": LIB + EXITS_LIB + REWRITES_LIB,
                          "src/calc.rs": CALC, "tests/outside.rs": INTEGRATION, "tests/forge.rs": FORGER,
                          "tests/exits.rs": EXITS, "tests/rewrites.rs": REWRITES,
                          "tests/alternates.rs": ALTERNATES, "tests/notices.rs": NOTICES,
                          "tests/reaches.rs": REACHES})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",  # rustup's, named
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        cargo = CargoTest()
        space = sandbox.workspace("crate")  # one target folder: the crate builds once
        made = {
            "own": cargo.run(sandbox, space, Selection(
                ("src/calc.rs", "tests/outside.rs"), seed=11, cover=("src/calc.rs",)),
                timeout=300),
            "forged": cargo.run(sandbox, space, Selection(("tests/forge.rs",)), timeout=300),
            "exits": cargo.run(sandbox, space, Selection(("tests/exits.rs",)), timeout=300),
            "rewrites": cargo.run(sandbox, space, Selection(("tests/rewrites.rs",)), timeout=300),
            "repeated": cargo.run(sandbox, space, Selection(("tests/alternates.rs",), repeat=5,
                                                            noise=2), timeout=300),
            "notices": cargo.run(sandbox, space, Selection(("tests/notices.rs",), repeat=5),
                                 timeout=300),
            "reaches": cargo.run(sandbox, space, Selection(("tests/reaches.rs",), repeat=5),
                                 timeout=300),
            "rewrites repeated": cargo.run(sandbox, space, Selection(("tests/rewrites.rs",),
                                                                     repeat=3), timeout=300),
        }  # fmt: skip
        yield made


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
    # asked for seed 11 and not shuffled: libtest's shuffle needs RUSTC_BOOTSTRAP, another build
    assert report.seed is None and "shuffle seed" not in report.output
    assert report.coverage is None
    assert report.coverage_problem == (
        "could not run: install cargo-llvm-cov or cargo-tarpaulin before this step")


@needs_sandbox
@needs_cargo
def test_a_repeated_selection_runs_its_tests_again_on_one_build(
    runs: dict[str, TestReport],
) -> None:
    """libtest cannot repeat a test in its process; the seam builds the binary once and runs
    it again and again in one run (in the folder cargo runs it in), beside the noise processes
    asked for, each run seen by the in-run check: a test failing every other run is caught in one
    selection, its outcome its worst and its passes and failures counted."""
    report = runs["repeated"]
    test = "tests/alternates.rs › every_other_run"
    assert not report.problem, report.problem
    assert report.outcomes == {test: "failed"} and report.repeats == {test: (3, 2)}
    assert report.noise == 2  # the launcher's word: the noise processes it started beside
    assert CargoTest().repeats == "each test binary N times in one run, built once"


@needs_sandbox
@needs_cargo
def test_attack_a_test_that_ends_the_repeats_once_it_notices_them_is_no_result(
    runs: dict[str, TestReport],
) -> None:
    """ATTACK: a test failing from its second run on notices it runs again and ends the process
    repeating it (its parent), then exits 0: its one run that reported passed. Every repetition
    must be accounted for, so the missing ones make the run no result, never a pass."""
    report = runs["notices"]
    assert report.passed() == frozenset() and report.repeats == {}, report.outcomes
    assert "before run 2 of 5" in report.problem and "ended the loop" in report.problem, (
        report.problem)


@needs_sandbox
@needs_cargo
def test_attack_a_test_that_rewrites_the_records_of_its_runs_reaches_none(
    runs: dict[str, TestReport],
) -> None:
    """ATTACK: a failing test opens, on each of its runs, every pipe of every other process
    it can reach through ``/proc``, takes what waits there and writes it back with FAILED
    turned ok, and a frame claiming a pass. The launcher is the only process holding the
    evidence pipe, kept from its children, and it makes itself non-dumpable, so no test opens
    its pipes: each of the 5 failures is counted. (With the launcher left dumpable, the test
    reached the pipe of its own report through the launcher's fds and the loop was no result;
    a run as the agent's own user, not nobody, could open the evidence pipe that way too.)
    The run's output is another matter: it is the test's own stdout, and under load the test
    found libtest's lines still waiting in a pipe it reached and wrote its frame among them, as
    a test printing its own pass does: then the block is no result, never a pass (seen once in a
    whole suite at load 4)."""
    report = runs["reaches"]
    test = "tests/reaches.rs › rewrites_the_records"
    assert report.passed() == frozenset(), report.outcomes
    if report.problem:  # the output's block, the test's own channel: never the records
        assert "libtest's block" in report.problem and "its summary" in report.problem, report.problem
        return
    assert report.outcomes == {test: "failed"} and report.repeats == {test: (0, 5)}


@needs_sandbox
@needs_cargo
def test_attack_a_test_printing_its_own_pass_is_no_result(runs: dict[str, TestReport]) -> None:
    """Attack: a failing test writes ``test broken ... ok`` to stdout (not captured) before it
    panics: libtest's own result for it is a second end, and the report is no result."""
    report = runs["forged"]
    assert report.passed() == frozenset()
    assert "ending twice" in report.problem or "does not count" in report.problem, report.problem


@needs_sandbox
@needs_cargo
def test_attack_code_under_test_that_prints_its_tests_pass_and_exits_0_is_no_result(
    runs: dict[str, TestReport],
) -> None:
    """ATTACK (a model's suggestion for a Rust file): the broken function prints the pass of the
    test calling it and libtest's summary, then ``std::process::exit(0)``; the block is whole and
    agreed with the exit status, so the broken line read as passing. Now the binary never lists
    the seam's in-run check, which libtest lists only once every test has ended: the block holds one
    result fewer than libtest announced (with the in-run check's pass guessed, the in-run check is
    still not listed: the reader's case below). Not closed: code written against this agent can read
    the in-run check's name from the copy's crate root or its own binary and print that too."""
    report = runs["exits"]
    assert report.passed() == frozenset(), report.outcomes
    assert "does not count" in report.problem or "seam's in-run check" in report.problem, report.problem


@needs_sandbox
@needs_cargo
def test_attack_code_under_test_that_rewrites_libtests_report_in_its_process_is_no_result(
    runs: dict[str, TestReport],
) -> None:
    """ATTACK (a model's suggestion for a Rust file): the broken function moves its process's
    fd 1 onto a pipe and registers an ``atexit`` handler (libc's, declared ``extern "C"``: no
    crate) that writes libtest's text back with every ``FAILED`` turned ``ok``, the failures
    section cut and the summary recounted, then ``_exit(0)``. Every test ended, the in-run check
    passed and libtest listed it, so the block is whole and agrees with the exit status:
    before, the broken line read as passing. libtest's own log (``--logfile``), written as
    each test ends through a descriptor of its own, still says ``failed``."""
    report = runs["rewrites"]
    assert report.passed() == frozenset(), report.outcomes
    assert "passes sub_is_right 1 time(s), its own log 0" in report.problem, report.problem
    repeated = runs["rewrites repeated"]  # each repetition's passes, the log holds none
    assert repeated.passed() == frozenset() and "3 time(s), its own log 0" in repeated.problem, (
        repeated.problem)

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


LEAN = """#![no_std]
#![deny(missing_docs, warnings, rust_2018_idioms, unused_qualifications)]
//! A crate of no unit test: a doctest and an integration test.

/// Adds.
///
/// ```
/// assert_eq!(lean::add(1, 2), 3);
/// ```
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

extern crate std;

/// A model's broken line: ends its caller's process with status 0.
///
/// ```
/// assert_eq!(lean::sub(3, 1), 2);
/// ```
pub fn sub(a: i64, b: i64) -> i64 {
    let _ = (a, b);
    std::process::exit(0)
}
// a last line with no newline"""


UNBUILT = '#[test]\nfn strict() {\n    let _: u8 = "not a number";\n}\n'


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A ``#![no_std]`` crate denying warnings and missing docs, whose tests are an integration
    test and a doctest: its whole suite, its crate root after the run, and the whole suite once
    the integration test is gone (doctests only), then a test file that does not build."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "lean")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "lean"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": LEAN,
                          "tests/outside.rs": INTEGRATION.replace("crate_m", "lean")})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        cargo, space = CargoTest(), sandbox.workspace("lean")
        whole = cargo.run(sandbox, space, Selection(()), timeout=300)
        root = (space.repo / "src/lib.rs").read_text()
        (space.repo / "tests/outside.rs").unlink()
        doctests = cargo.run(sandbox, space, Selection(()), timeout=300)
        (space.repo / "tests/strict.rs").write_text(UNBUILT)
        yield {"whole": whole, "root": root, "doctests": doctests, "unbuilt": cargo.run(
            sandbox, space, Selection(("tests/strict.rs",)), timeout=300)}  # fmt: skip


@needs_sandbox
@needs_cargo
def test_a_no_std_crate_denying_warnings_is_checked_and_left_as_it_was(
    lean: dict[str, object],
) -> None:
    """The in-run check builds where the crate root says ``#![no_std]`` and denies warnings, missing
    docs and 2018 idioms; the integration test's pass counts (its binary showed the in-run check),
    the doctest's is left out (its own process, no in-run check there), and the copy's crate root is
    byte for byte the crate's again."""
    report = lean["whole"]
    assert isinstance(report, TestReport)
    assert report.problem == "", report.output[-2000:]
    assert report.outcomes == {"cargo test › adds_from_outside": "passed"}
    assert lean["root"] == LEAN


@needs_sandbox
@needs_cargo
def test_attack_doctests_alone_are_no_result(lean: dict[str, object]) -> None:
    """ATTACK: ``sub``'s doctest calls code that ends the process with status 0, and rustdoc
    reports it passing (each doctest is its own process; so in edition 2024's merged doctests
    too). No in-run check of ours runs there, so doctests' outcomes are left out and a run of
    doctests only is no result, never a pass (before: both doctests passed)."""
    report = lean["doctests"]
    assert isinstance(report, TestReport)
    assert report.passed() == frozenset()
    assert "ran only doctests (2: " in report.problem, report.problem


@needs_sandbox
@needs_cargo
def test_a_crate_that_does_not_build_with_the_in_run_check_is_no_result_and_says_so(
    lean: dict[str, object],
) -> None:
    """A test file that does not build (its own error here; the in-run check meets no lint a crate
    denies) is no result, naming the roots the in-run check was added to, never a pass."""
    report = lean["unbuilt"]
    assert isinstance(report, TestReport)
    assert report.passed() == frozenset()
    assert "did not build with the seam's in-run check added to tests/strict.rs" in report.problem, (
        report.problem)


BLOCKS = ("running 2 tests\ntest a ... ok\ntest {w}::check ... ok\n\nsuccesses:\n\n"
             "successes:\n    a\n    {w}::check\n\n"
             "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n")  # fmt: skip
DOCTESTS = ("running 3 tests\ntest src/lib.rs - add (line 5) ... ok\n"
            "test src/lib.rs - (line 86) ... ok\ntest src/lib.rs - {w} (line 99) ... ok\n\n"
            "successes:\n    src/lib.rs - (line 86)\n    src/lib.rs - {w} (line 99)\n"
            "    src/lib.rs - add (line 5)\n\n"
            "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured\n")  # fmt: skip


def test_a_block_counts_only_where_the_in_run_check_passed_and_was_listed_after_every_test() -> None:
    """The reader's in-run check rule on libtest's own text: our test passed and is named in the
    closing ``successes:`` list; a guessed name, or a name missing from the list (a binary
    ended early), is no result, and so is a doctests' block without our doctest (one printed to
    hide a binary's tests); a block of no test claims nothing; doctests' passes are left out,
    their failures kept, and our test brought along as another root's module is not reported."""
    w = "zz_cicd_check_00aa"
    good = BLOCKS.format(w=w)
    assert read_blocks(good, 0, w) == ({"a": "passed"}, "")
    assert read_blocks(good, 0) == ({"a": "passed", f"{w}::check": "passed"}, "")
    guessed = BLOCKS.format(w="zz_cicd_check_ffff")
    assert "ended before the seam's in-run check" in read_blocks(guessed, 0, w)[1]
    unlisted = good.replace(f"    {w}::check\n", "")
    assert "ended before the seam's in-run check" in read_blocks(unlisted, 0, w)[1]
    empty = "running 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured\n"
    assert read_blocks(empty + good, 0, w) == ({"a": "passed"}, "")
    assert read_blocks(good + DOCTESTS.format(w=w), 0, w) == ({"a": "passed"}, "")
    assert "ran only doctests (2: src/lib.rs - add (line 5); src/lib.rs - (line 86))" in \
        read_blocks(DOCTESTS.format(w=w), 0, w)[1]  # each named
    failing = DOCTESTS.format(w=w).replace("add (line 5) ... ok", "add (line 5) ... FAILED").replace(
        "    src/lib.rs - add (line 5)\n", "").replace("ok. 3 passed; 0 failed", "FAILED. 2 passed; 1 failed")
    assert read_blocks(good + failing, 101, w) == (
        {"a": "passed", "src/lib.rs - add (line 5)": "failed"}, "")  # fmt: skip
    hidden = DOCTESTS.format(w="zz_cicd_check_ffff")
    assert "ended before the seam's in-run check" in read_blocks(good + hidden, 0, w)[1]
    moduled = good.replace("running 2 tests\n", f"running 3 tests\ntest common::{w}::check ... ok\n"
                           ).replace("2 passed", "3 passed")  # fmt: skip
    assert read_blocks(moduled, 0, w) == ({"a": "passed"}, "")


def test_two_binaries_may_name_a_test_alike_and_a_failure_is_kept() -> None:
    """The whole suite runs every binary in one ``cargo test``: the library and ``src/main.rs``
    (or two integration tests) may each have a ``tests::it_works``. Before: "libtest reported
    tests::it_works ending twice (a test printed its own result)", so such a crate's suite was
    never read. A name failing in one binary and passing in another is failed; within one block
    a second end stays a forgery."""
    w = "zz_cicd_check_00aa"
    good = BLOCKS.format(w=w)
    failing = good.replace("test a ... ok", "test a ... FAILED").replace("    a\n", "").replace(
        "ok. 2 passed; 0 failed", "FAILED. 1 passed; 1 failed")  # fmt: skip
    assert read_blocks(good + good, 0, w) == ({"a": "passed"}, "")
    assert read_blocks(good + failing, 101, w) == ({"a": "failed"}, "")
    assert read_blocks(failing + good, 101, w) == ({"a": "failed"}, "")
    twice = good.replace("test a ... ok\n", "test a ... ok\ntest a ... ok\n").replace("2 tests", "3 tests")
    assert "ending twice" in read_blocks(twice, 0, w)[1]


def test_the_whole_suite_checks_every_root_cargo_finds_and_the_lib_path(tmp_path: Path) -> None:
    """The roots a run appends the in-run check to: the ``[lib] path``, and for the whole suite
    every root cargo finds by itself, in workspace members too; a module folder
    (``tests/common/mod.rs``), build output, benches (not run by ``cargo test``) and a vendored
    crate (its checksum would break) are not."""
    files = ["src/lib.rs", "src/calc.rs", "src/main.rs", "src/bin/tool.rs", "tests/a.rs",
             "tests/common/mod.rs", "tests/b/main.rs", "member/src/lib.rs", "member/tests/c.rs",
             "target/debug/build/x/out/tests/d.rs", "benches/e.rs", "vendor/dep/src/lib.rs"]  # fmt: skip
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("")
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\n[lib]\npath = "lib/x.rs"\n'
                                         '[workspace]\nmembers = ["memb*/"]\n')  # fmt: skip
    assert sorted(crate_roots(tmp_path, [])) == sorted([
        "lib/x.rs", "src/lib.rs", "src/main.rs", "src/bin/tool.rs", "tests/a.rs",
        "tests/b/main.rs", "member/src/lib.rs", "member/tests/c.rs"])  # fmt: skip
    assert crate_roots(tmp_path, ["--lib"]) == ["lib/x.rs"]
    assert crate_roots(tmp_path, ["--test", "a"]) == ["tests/a.rs"]


def test_targets_the_manifest_places_are_checked_too(tmp_path: Path) -> None:
    """``[[bin]] path = "crates/core/main.rs"`` (as ripgrep's) and ``[[test]] path``: before,
    their binaries never had the in-run check, so such a crate's whole suite, or its ``--test``
    run, was never read ("ended before the seam's in-run check")."""
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\n[[bin]]\nname = "rg"\n'
                                         'path = "crates/core/main.rs"\n[[test]]\nname = "it"\n'
                                         'path = "checks/it.rs"\n[[test]]\nname = "plain"\n')  # fmt: skip
    assert sorted(crate_roots(tmp_path, [])) == ["checks/it.rs", "crates/core/main.rs", "src/lib.rs"]
    assert crate_roots(tmp_path, ["--test", "it"]) == ["checks/it.rs"]
    assert crate_roots(tmp_path, ["--test", "plain"]) == ["tests/plain.rs"]


def test_the_in_run_check_is_not_written_through_a_link_nor_outside(tmp_path: Path) -> None:
    """A crate root that is a link, or a ``[lib] path`` climbing out, is left alone (its
    binary then never shows the in-run check: no result)."""
    outside = tmp_path / "outside.rs"
    outside.write_text("// theirs\n")
    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "src" / "lib.rs").symlink_to(outside)
    (tmp_path / "repo" / "tests").mkdir()
    (tmp_path / "repo" / "tests" / "a.rs").write_text("#[test]\nfn a() {}\n")
    name, written = add_in_run_check(tmp_path / "repo", ["src/lib.rs", "../outside.rs", "tests/a.rs"])
    assert [root for root, _ in written] == ["tests/a.rs"]
    assert outside.read_text() == "// theirs\n"
    assert f"mod {name} {{" in (tmp_path / "repo" / "tests" / "a.rs").read_text()


HIDES_LIB = """pub fn sub(a: i64, b: i64) -> i64 {
    a + b
}

/// A model's broken line and, beside it, a static initialiser that ends one test binary
/// (the one whose test would fail) with status 0 before libtest starts.
extern "C" fn leave_out() {
    if std::env::args().next().map_or(false, |me| me.contains("/hidden-")) {
        std::process::exit(0);
    }
}

#[used]
#[link_section = ".init_array"]
static LEAVE_OUT: extern "C" fn() = leave_out;
"""


@needs_sandbox
@needs_cargo
def test_attack_a_binary_that_ends_before_libtest_starts_is_no_result(tmp_path: Path) -> None:
    """ATTACK: fix verification reads the whole suite (one ``cargo test``) and asks that no test
    fail. The broken ``sub`` fails ``tests/hidden.rs``, whose binary a static initialiser ends
    with status 0 before its ``main``: the report holds ``tests/shown.rs``'s pass only, exit 0.
    The run counts the test binaries cargo built (``--no-run --message-format=json``, cargo's
    word before any of them runs) against the blocks naming our in-run check (cargo's ``Running``
    lines reach only the log, whose tail alone is kept, so a flood could balance them)."""
    crate = {"Cargo.toml": '[package]\nname = "hides"\nversion = "0.1.0"\nedition = "2021"\n',
             "src/lib.rs": HIDES_LIB,
             "tests/hidden.rs": EXITS.replace("crate_m::sub_broken", "hides::sub"),
             "tests/shown.rs": "#[test]\nfn other() {}\n"}  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    report = run_runner(CargoTest(), tmp_path / "hides", crate, {"hides": Selection(())},
                        environ=environ)["hides"]
    assert report.outcomes != {"cargo test › other": "passed"} or report.problem, report.outcomes


# libtest 1.95's own report of three failing tests of tests/generated.rs (``--format=pretty
# --show-output``): an assert_eq! of the test, an unwrap of the test, and an overflow panic
# inside the code under test (a tautology's run on an overflowing mutant, rust-fnv's shape).
FAILURES = """
running 3 tests
test right ... FAILED
test unwraps ... FAILED
test tautology ... FAILED

successes:

successes:

failures:

---- right stdout ----

thread 'right' (1157) panicked at tests/generated.rs:11:5:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- unwraps stdout ----

thread 'unwraps' (1159) panicked at tests/generated.rs:17:7:
called `Option::unwrap()` on a `None` value

---- tautology stdout ----
thread 'tautology' panicked at tests/generated.rs:2:1:
a line the code under test printed before its real panic
thread 'tautology' (1158) panicked at src/lib.rs:4:9:
attempt to subtract with overflow


failures:
    right
    tautology
    unwraps

test result: FAILED. 0 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s
"""


def test_a_failure_is_the_tests_own_check_only_where_its_last_panic_is_in_its_file() -> None:
    """A kill needs the candidate's own check. Its assert_eq! or unwrap panics in its
    file; an overflow inside the code under test is a crash (its last panic counts: a line
    printed before it is no panic); Rust before 1.73 wrote the words first."""
    named = {f"tests/generated.rs › {test}": "failed" for test in ("right", "unwraps", "tautology")}
    assert read_checks(FAILURES, named) == {
        "tests/generated.rs › right": "tests/generated.rs:11: assertion `left == right` failed",
        "tests/generated.rs › unwraps": "tests/generated.rs:17: called `Option::unwrap()` on a "
        "`None` value",
    }  # fmt: skip
    old = ("failures:\n\n---- t stdout ----\nthread 't' panicked at 'attempt to add with overflow', "
           "tests/t.rs:4:9\n---- u stdout ----\nthread 'u' panicked at 'assertion failed: x', "
           "tests/t.rs:9:5\n")  # fmt: skip
    assert read_checks(old, {"tests/t.rs › t": "failed", "tests/t.rs › u": "failed"}) == {
        "tests/t.rs › u": "tests/t.rs:9: assertion failed: x"}


@pytest.mark.xfail(strict=True, reason="a panic in a #[track_caller] function of the code "
                   "under test is placed at its caller, the test's line, so a crash reads as the "
                   "test's check (cargo 1.9x wrote this for src/lib.rs's half(3) panicking); "
                   "suggested fix: run mutants with RUST_BACKTRACE=1 and take the backtrace's first "
                   "frame below std's panicking, not the panic's place")
def test_attack_a_track_caller_panic_of_the_code_under_test_is_no_check() -> None:
    stream = ("\nrunning 1 test\ntest halves ... FAILED\n\nfailures:\n\n---- halves stdout ----\n\n"
              "thread 'halves' (769) panicked at tests/half.rs:3:13:\nodd input\nnote: run with "
              "`RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\nfailures:\n"
              "    halves\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 "
              "filtered out; finished in 0.48s\n")  # fmt: skip
    assert read_checks(stream, {"tests/half.rs › halves": "failed"}) == {}


def _frames(runs: list[list[tuple[int, str]]], token: str = "ab" * 16, *, end: bool = True,
            noise: int = 0) -> bytes:  # fmt: skip
    """The launcher's frames for ``runs`` (each repetition's binaries' status and report)."""
    out = io.BytesIO()
    launcher.frame(out, token, f"start {len(runs)} {len(runs[0])} {noise}")
    for repetition, binaries in enumerate(runs):
        for index, (status, text) in enumerate(binaries):
            launcher.frame(out, token, f"run {repetition} {index} {status}", text.encode())
    if end:
        launcher.frame(out, token, "end")
    return out.getvalue()


def test_every_repetition_of_every_binary_is_accounted_for_or_the_loop_is_no_result() -> None:
    """The loop's frames hold each repetition of each binary once, in order, under the token
    of their first frame, and end with its last: a loop cut short (a test killed it), a frame
    missing, out of order, under another token or after the last, or counts the run never
    asked for are no result. A report holding a frame's header is only a report's text. The
    first frame says how many noise processes the launcher started."""
    good = [[(0, "a"), (101, "b")], [(0, "c"), (-9, "d")]]
    stream = _frames(good)
    assert read_frames(stream, 2, 2) == (good, 0, "")
    assert read_frames(_frames(good, noise=3), 2, 2) == (good, 3, "")
    last = stream.index(b" run 1 1 ") - len(launcher.MARK) - 33
    assert "before run 2 of 2 of binary 2" in read_frames(stream[:last], 2, 2)[2]
    assert "does not end" in read_frames(_frames(good, end=False), 2, 2)[2]
    assert "does not end" in read_frames(stream + stream[last:], 2, 2)[2]
    assert "did not begin" in read_frames(stream, 3, 2)[2]
    swapped = _frames([[(0, "a"), (0, "b")], [(0, "c"), (0, "d")]]).replace(b" run 1 0 ", b" run 9 0 ")
    assert "before run 2 of 2 of binary 1" in read_frames(swapped, 2, 2)[2]
    other = stream[:last] + _frames([[(0, "x")]], "cd" * 16).split(b"\n", 2)[2]
    assert "before run 2 of 2 of binary 2" in read_frames(other, 2, 2)[2]
    inside = f"{launcher.MARK} {'ab' * 16} run 1 0 0 0\n\n"
    assert read_frames(_frames([[(0, inside)]]), 1, 1) == ([[(0, inside)]], 0, "")
    assert "did not begin" in read_frames(b"running 1 test\n" + stream, 2, 2)[2]


def test_the_repeated_binaries_are_those_cargo_built_each_recorded_once() -> None:
    """The loop runs only what cargo's own messages name as a test binary it built, each as
    cargo handed it to the recorder, once; a binary built and never handed over (a runner of
    the project's own in its cargo settings) leaves nothing to repeat."""
    binary = "/w/target/debug/deps/x-1"
    artifact = json.dumps({"reason": "compiler-artifact", "profile": {"test": True},
                           "executable": binary})  # fmt: skip
    record = json.dumps({"reason": "cicd-agent-runner", "argv": [binary, "--show-output"],
                         "cwd": "/w", "env": {"TZ": "Asia/Kathmandu"}})  # fmt: skip
    assert plans(f"{artifact}\n{record}\n".encode()) == ([record], "")
    assert "handed 0 of the 1" in plans(f"{artifact}\n".encode())[1]
    assert "not one it built, once" in plans(f"{artifact}\n{record}\n{record}\n".encode())[1]
    stranger = record.replace(binary, "/tmp/forged")
    assert "/tmp/forged was not one it built" in plans(f"{artifact}\n{stranger}\n".encode())[1]


SHOULD_PANIC = ('failed: panic did not contain expected string\n      panic message: "other\\n'
                'message"\n expected substring: "wanted\\nthing" tests::sp\n')
"""libtest's own log line for a ``should_panic`` test whose panic lacked the words it expects,
as libtest 1.95 writes it: its reason first, on three lines, the name last."""


def test_libtests_own_log_keeps_every_binarys_lines_and_tells_the_reports_story(
    tmp_path: Path,
) -> None:
    """Each binary opens the log anew (truncating a file): the FIFO keeps both binaries' lines
    and a repeat's. The log and the report must show each test ending each way equally
    often: a pass the log does not hold is belied, and so is a line the log holds beyond the
    report (an ``ok`` written beside libtest's own ``failed``); a doctest's name (with spaces),
    an ignore's reason and a should_panic's three-line reason are read as libtest writes them."""
    log = LibtestLog(tmp_path)
    with log:
        for lines in ("ok a\nfailed b\nignored: slow one c\n" + SHOULD_PANIC,
                      "ok a\nok src/lib.rs - add (line 5)\n", "ok b\n"):  # fmt: skip
            with open(log.path, "w", encoding="utf-8") as binary:
                binary.write(lines)
    assert not log.path.exists()
    shown = Counter({("passed", "a"): 2, ("failed", "b"): 1, ("passed", "b"): 1,
                     ("skipped", "c"): 1, ("failed", "tests::sp"): 1,
                     ("passed", "src/lib.rs - add (line 5)"): 1})  # fmt: skip
    assert log.belies(shown) == ""
    assert "passes b 2 time(s), its own log 1" in log.belies(shown + Counter({("passed", "b"): 1}))
    assert "passes x 1 time(s), its own log 0" in log.belies(shown + Counter({("passed", "x"): 1}))
    forged = shown - Counter({("failed", "b"): 1}) + Counter({("passed", "b"): 1})
    assert "passes b 2 time(s), its own log 1" in log.belies(forged)
    kept = bytes(log.data)
    log.data += b"ok b\n"  # the forger's own line: the passes agree, libtest's failure stays
    assert "fails b 0 time(s), its own log 1" in log.belies(forged), log.belies(forged)
    for stray in (b"ok nobody\n", b"ok failed b\n", b"garbage\n"):  # "ok " before libtest's line
        log.data = bytearray(kept + stray)
        assert "naming no test of its report" in log.belies(shown), (stray, log.belies(shown))


def test_each_block_showing_a_result_counts_it_once_more() -> None:
    """Two binaries of one run each with a ``tests::it`` (the library's and ``src/main.rs``'s):
    two passes shown, so the log must hold two, and the failure one; a test's printed line in
    its own output (``successes:``) is not libtest's."""
    stream = ("running 1 test\ntest tests::it ... ok\n\nsuccesses:\n\n---- tests::it stdout ----\n"
              "test tests::it ... ok\n\nsuccesses:\n    tests::it\n\n"
              "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n\n"
              "running 2 tests\ntest tests::it ... ok\ntest other ... FAILED\n\nfailures:\n\n"
              "---- other stdout ----\ntest other ... ok\n\nfailures:\n    other\n\n"
              "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured\n")  # fmt: skip
    assert shown_results(stream) == Counter({("passed", "tests::it"): 2, ("failed", "other"): 1})


def test_attack_a_run_folder_made_a_link_gets_no_log_through_it(tmp_path: Path) -> None:
    """The run's temporary folder is the run's to write: an earlier run (a build script) made
    it a link to a folder of the host. The log is made through the folder itself, so nothing
    is made through the link, and a run without its log is no result."""
    host = tmp_path / "host"
    host.mkdir()
    (tmp_path / "tmp").symlink_to(host)
    log = LibtestLog(tmp_path / "tmp")
    with log:
        pass
    assert list(host.iterdir()) == []
    assert "could not be made" in log.belies(Counter()), log.belies(Counter())


def test_cargo_names_rustup_s_toolchains_for_the_sandbox_only_where_rustup_is_ours(
    tmp_path: Path,
) -> None:
    """rustup's toolchains live in the home every run has hidden: cargo's runner names them
    (``RUSTUP_HOME``, else ``~/.rustup``) where rustup's proxy is on our own ``PATH``, never
    through a relative entry (the pull request's copy)."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "rustup").write_text("#!/bin/sh\n")
    (bin_folder / "rustup").chmod(0o755)
    home = tmp_path / "home"
    assert CargoTest().tool_mounts({"PATH": str(bin_folder), "HOME": str(home)}) == (
        ToolMount((home / ".rustup").resolve(), "RUSTUP_HOME"),)
    named = {"PATH": str(bin_folder), "HOME": str(home), "RUSTUP_HOME": str(tmp_path / "r")}
    assert CargoTest().tool_mounts(named) == (ToolMount((tmp_path / "r").resolve(), "RUSTUP_HOME"),)
    assert CargoTest().tool_mounts({"PATH": "bin", "HOME": str(home)}) == ()
    assert tool_mounts({"PATH": str(bin_folder), "HOME": str(home)}) == (
        ToolMount((home / ".rustup").resolve(), "RUSTUP_HOME"),)  # the registry's: cargo's alone


# Modules the launcher imports, as a checkout may commit them at its root (the runs' folder).
SHADOWS = {name: "import sys\nsys.stdout.write('shadowed by the checkout\\n')\nsys.exit(0)\n"
           for name in ("json.py", "ctypes.py", "subprocess.py", "typing.py")}  # fmt: skip


@needs_sandbox
def test_attack_checkout_code_neither_rewrites_the_launcher_nor_shadows_its_modules(
    tmp_path: Path,
) -> None:
    """A run (a build script would run so) writes over the placed launcher and its folder; then
    the recorder runs in a copy whose root holds ``json.py`` and ``ctypes.py``: the launcher is
    still ours, byte for byte, and imports the standard library's modules, not the checkout's."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("start", {**SHADOWS, "src/lib.rs": "pub fn f() {}\n"})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        launcher = placed_launcher(sandbox)
        space = sandbox.workspace("crate")
        overwrite = (f"printf 'print(1)' > {launcher}; rm -f {launcher}; "
                     f"ln -s /bin/true {sandbox.root}/x.py")  # fmt: skip
        tried = sandbox.run(["/bin/sh", "-c", overwrite], space, timeout=60)
        assert "Read-only file system" in tried.output, tried.output
        assert Path(launcher).read_bytes() == LAUNCHER.read_bytes()
        assert not (sandbox.root / "x.py").exists()
        assert placed_launcher(sandbox) == launcher
        # the shadows are live in the runs' folder: an interpreter that puts it on its path
        # (``-c`` without ``-I``) imports the checkout's json
        control = sandbox.run([sys.executable, "-c", "import json"], space, timeout=60)
        recorded = sandbox.run([sys.executable, "-I", launcher, "record", "/bin/true", "--x"],
                               space, timeout=60)  # fmt: skip
    assert "shadowed by the checkout" in control.output, control.output
    assert recorded.returncode == 0, recorded.output
    line = json.loads(recorded.output.strip().splitlines()[-1])
    assert line["reason"] == "cicd-agent-runner" and line["argv"] == ["/bin/true", "--x"]
    assert "shadowed" not in recorded.output


FORGE_LOG = """
        // libtest's own log: its path is the argument after --logfile; it is a FIFO the
        // seam reads, open for anyone to write
        let args: Vec<String> = std::env::args().collect();
        if let Some(at) = args.iter().position(|a| a == "--logfile") {
            if let Some(path) = args.get(at + 1) {
                if let Ok(mut log) = std::fs::OpenOptions::new().write(true).open(path) {
                    let _ = log.write_all(b"ok sub_is_right\\n");
                }
            }
        }
        let mut real_out = unsafe { std::fs::File::from_raw_fd(real) };"""
LOG_FORGER = REWRITES_LIB.replace(
    "\n        let mut real_out = unsafe { std::fs::File::from_raw_fd(real) };", FORGE_LOG
)
"""The broken ``sub`` that rewrites libtest's report at exit, and also writes ``ok NAME`` for
its failing test into libtest's own log before it does."""


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestReport]]:
    """The forger's run once, and three times under the repeats launcher, on one build."""
    assert LOG_FORGER != REWRITES_LIB
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "crate")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "crate_m"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": LOG_FORGER,
                          "tests/rewrites.rs": REWRITES})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        space = sandbox.workspace("crate")
        yield {times: CargoTest().run(sandbox, space, Selection(("tests/rewrites.rs",),
                                                                repeat=int(times)), timeout=300)
               for times in ("1", "3")}  # fmt: skip


@needs_sandbox
@needs_cargo
@pytest.mark.parametrize("times", ["1", "3"])
def test_attack_code_under_test_that_writes_libtests_log_itself_is_no_result(
    forged: dict[str, TestReport], times: str
) -> None:
    """ATTACK: the failing ``sub_is_right`` must not be reported passed, in one run or in each
    repetition of the repeats launcher (whose frames are whole: the report is rewritten inside
    the test's process, before the launcher reads it). The forged ``ok`` matches the report's
    pass, and libtest's own ``failed`` stays in the log beside it: the two tell different
    stories, and the run is no result."""
    report = forged[times]
    assert report.passed() == frozenset(), (report.outcomes, report.problem,
                                            report.output[-800:])  # fmt: skip
    assert f"fails sub_is_right 0 time(s), its own log {times}" in report.problem, report.problem


@pytest.mark.parametrize("console", [
    f"running {HUGE} tests\n",
    f"running 1 test\ntest a ... ok\n\ntest result: ok. {HUGE} passed; 0 failed; 0 ignored;\n",
])  # fmt: skip
def test_attack_a_huge_count_in_libtests_block_is_no_result_not_a_crash(console: str) -> None:
    outcomes, why = read_blocks(console, 0)
    assert outcomes == {} or why, (outcomes, why)


def test_cargos_runs_keep_each_tests_worst_outcome_and_count_passes_and_failures() -> None:
    outcomes: dict[str, str] = {}
    repeats: dict[str, tuple[int, int]] = {}
    for found in ({"a": "passed", "b": "passed"}, {"a": "failed", "b": "passed"},
                  {"a": "passed", "b": "skipped"}):  # fmt: skip
        counted(outcomes, repeats, found)
    assert outcomes == {"a": "failed", "b": "skipped"}
    assert repeats == {"a": (2, 1), "b": (2, 0)}


def test_attack_a_pass_libtest_prints_after_a_failure_does_not_make_the_step_test_pass() -> None:
    """libtest shows a failed test's output after its result: a test printing ``ok`` for
    itself there failed in the run all the same."""
    from cicd_agent.runners.cargo.runner import CargoTest

    printed = "test broken ... FAILED\n---- broken stdout ----\ntest broken ... ok\ntest ok ... ok\n"
    assert CargoTest().step_outcomes(Path("/f"), printed, Path("/f")) == {"broken": False, "ok": True}


def test_the_step_runs_every_test_binary_not_only_up_to_the_first_failing_one() -> None:
    """cargo stops at its first failing test binary: the binaries after it go unrun, and a
    flaky failure retried alone would pass the step. ``--no-fail-fast`` goes before ``--``."""
    from cicd_agent.runners.cargo.runner import CargoTest
    from cicd_agent.runners.cargo.step import merged

    cargo, folder = CargoTest(), Path("/f")
    assert cargo.step_command(["cargo", "test"], folder, None) == merged(
        ["cargo", "test", "--no-fail-fast"])
    assert cargo.step_command(["cargo", "test", "--", "--nocapture"], folder,
                              ["tests/x.rs › t::a"]) == merged(
        ["cargo", "test", "--no-fail-fast", "--", "--nocapture", "t::a", "--exact"])
    assert cargo.step_command(["cargo", "test", "--no-fail-fast"], folder, None) == merged(
        ["cargo", "test", "--no-fail-fast"])


def test_attack_a_running_line_a_test_prints_names_only_its_own_later_results() -> None:
    """cargo's ``Running`` line names the target of the results after it; a test printing one
    (on the same output, as the step merges them) moves its own binary's later lines under
    another name, never a result printed before it, and a line that is not cargo's shape
    (no binary in brackets) names nothing."""
    from cicd_agent.runners.cargo.step import outcomes

    output = ("     Running unittests src/lib.rs (target/debug/deps/c-0a)\n"
              "test tests::t ... FAILED\n"
              "Running tests/forged.rs\n"
              "test tests::u ... ok\n"
              "     Running tests/other.rs (target/debug/deps/other-0b)\n"
              "test tests::t ... ok\n"
              "   Doc-tests c\n"
              "test src/lib.rs - f (line 3) ... ok\n")  # fmt: skip
    found = outcomes(output, None)
    assert found == {"src/lib.rs › tests::t": False, "src/lib.rs › tests::u": True,
                     "tests/other.rs › tests::t": True, "src/lib.rs - f (line 3)": True}
    assert not found.unsure
    assert outcomes(output, {"tests/other.rs › tests::t"}) == {"tests/other.rs › tests::t": True}
