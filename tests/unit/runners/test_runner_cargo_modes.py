"""libtest's report names a test with its mode after it (``- compile`` for a ``no_run``
doctest, ``- compile fail``, ``- should panic``) where its own log and its ``failures:`` give
the bare name: a crate with a ``no_run`` doctest (scoped-tls's ``ScopedKey::with``, line 159)
was called a forger, its run no result. Read from a real ``cargo test`` of a tiny crate and
from the lines libtest 1.95 wrote for scoped-tls."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from cicd_agent.runners.base import Selection
from cicd_agent.runners.cargo.report import (
    LibtestLog,
    read_blocks,
    shown_results,
    without_log_warning,
)
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.cargo.step import outcomes
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.bounded import run_bounded
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

SCOPED_TLS_REPORT = """
running 3 tests
test src/lib.rs - (line 26) ... ok
test src/lib.rs - ScopedKey<T>::set (line 101) ... ok
test src/lib.rs - ScopedKey<T>::with (line 159) - compile ... ok

test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s
"""
"""scoped-tls's doctests block as cargo 1.95 printed it (its one ``no_run`` doctest last)."""
SCOPED_TLS_LOG = b"""ok src/lib.rs - (line 26)
ok src/lib.rs - ScopedKey<T>::set (line 101)
ok src/lib.rs - ScopedKey<T>::with (line 159)
"""
"""libtest's own log of that block: the name without ``- compile``."""
MODES = """running 4 tests
test tests::overflows - should panic ... FAILED
test src/lib.rs - f (line 3) - compile fail ... ok
test src/lib.rs - g (line 9) - compile ... ok
test tests::plain ... ok

failures:

---- tests::overflows stdout ----
note: test did not panic as expected at src/lib.rs:15:8

failures:
    tests::overflows

test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out
"""


def test_a_tests_mode_is_no_part_of_its_name(tmp_path: Path) -> None:
    """The report's mode is left off each name, as libtest's log writes it: scoped-tls's
    report and log tell one story (before: "a line naming no test of its report"), while a
    log line naming a doctest the report does not hold still names none."""
    shown = shown_results(SCOPED_TLS_REPORT)
    assert ("passed", "src/lib.rs - ScopedKey<T>::with (line 159)") in shown, shown
    log = LibtestLog(tmp_path)
    log.data = bytearray(SCOPED_TLS_LOG)
    assert log.belies(shown) == ""
    log.data = bytearray(SCOPED_TLS_LOG + b"ok src/lib.rs - ScopedKey<T>::with (line 160)\n")
    assert "naming no test of its report" in log.belies(shown), log.belies(shown)
    log.data = bytearray(SCOPED_TLS_LOG.replace(b"(line 159)", b"(line 159) - compile"))
    assert "naming no test of its report" in log.belies(shown), log.belies(shown)
    assert set(shown_results(MODES)) == {
        ("failed", "tests::overflows"), ("passed", "src/lib.rs - f (line 3)"),
        ("passed", "src/lib.rs - g (line 9)"), ("passed", "tests::plain")}  # fmt: skip


def test_the_step_names_a_should_panic_test_as_a_retry_selects_it() -> None:
    """A failed ``should_panic`` test is retried by ``--exact`` name: the mode is no part of it."""
    assert outcomes(MODES, None) == {"tests::overflows": False, "src/lib.rs - f (line 3)": True,
                                     "src/lib.rs - g (line 9)": True, "tests::plain": True}


def test_libtests_warning_about_the_seams_own_option_is_not_the_runs_words() -> None:
    """libtest warns once per binary, with no line end, that ``--logfile`` (the seam's own
    option) is deprecated: none of it is left in what the run is quoted by."""
    output = ("     Running unittests src/lib.rs (target/debug/deps/s-1)\n"
              "warning: `--logfile` is deprecated   Doc-tests scoped_tls\n"
              "warning: `--logfile` is deprecated")  # fmt: skip
    assert without_log_warning(output) == ("     Running unittests src/lib.rs (target/debug/deps/"
                                           "s-1)\n   Doc-tests scoped_tls\n")  # fmt: skip


NO_RUN = '''//! A crate whose documentation only compiles some of its examples.

/// Doubles.
///
/// ```no_run
/// assert_eq!(modes::double(2), 4);
/// ```
pub fn double(a: i64) -> i64 {
    a * 2
}

/// Halves.
///
/// ```compile_fail
/// let x: i64 = modes::half("two");
/// ```
pub fn half(a: i64) -> i64 {
    a / 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn doubles() {
        assert_eq!(super::double(2), 4);
    }

    #[test]
    #[should_panic]
    fn overflows() {
        let _ = super::double(i64::MAX);
    }
}
'''


@needs_sandbox
@needs_cargo
def test_a_crate_with_no_run_and_compile_fail_doctests_and_should_panic_is_a_result(
    tmp_path: Path,
) -> None:
    """A real ``cargo test`` of a crate with a ``no_run`` and a ``compile_fail`` doctest and a
    ``should_panic`` test: its outcomes are believed, each by its bare name (before: no
    result, "libtest's own log holds a line naming no test of its report")."""
    repo = GitRepoBuilder(tmp_path / "modes")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "modes"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": NO_RUN})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        report = CargoTest().run(sandbox, sandbox.workspace("modes"), Selection(()), timeout=300)
    assert report.problem == "", (report.problem, report.output[-2000:])
    assert report.outcomes == {"cargo test › tests::doubles": "passed",
                               "cargo test › tests::overflows": "passed"}, report.outcomes
    assert "--logfile" not in report.output


def test_read_blocks_counts_a_block_of_tests_with_modes() -> None:
    """The block's count and summary agree with its results read without their modes."""
    found, why = read_blocks(MODES, 101)
    assert why == ""
    assert found == {"tests::overflows": "failed", "src/lib.rs - f (line 3)": "passed",
                     "src/lib.rs - g (line 9)": "passed", "tests::plain": "passed"}
    assert Counter(found.values()) == Counter({"passed": 3, "failed": 1})


_MANY_SHOULD_PANIC = """
from collections import Counter
from pathlib import Path
from cicd_agent.runners.cargo.report import LibtestLog
names = [f"tests::t{i}" for i in range(60_000)]
log = LibtestLog(Path("."))
log.data = bytearray("".join(f"failed: panic did not contain expected string\\n"
                             f"      panic message: `\\"boom\\"`,\\n expected substring: `\\"x\\"` {n}\\n"
                             for n in names).encode())
print(repr(log.belies(Counter({("failed", n): 1 for n in names}))))
"""


def test_attack_many_should_panic_failures_do_not_stall_the_log_check() -> None:
    """A macro makes 60,000 ``#[should_panic(expected = "x")]`` tests that panic otherwise: each
    is a ``failed: WHY NAME`` line in libtest's log, whose name was sought among every test the
    report names (20,000 of them took 68 s of CPU at load 5; 60,000 ten minutes)."""
    done = run_bounded([sys.executable, "-c", _MANY_SHOULD_PANIC])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "''"
