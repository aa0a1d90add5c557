"""gen-tests on a Rust change where coverage cannot run (no cargo-llvm-cov or cargo-tarpaulin)
says one true thing: the suite passed, the existing tests of the changed file ran again and passed,
coverage could not run, and no test was written or kept. A new user's try-lock run read "1
passed every one of its 6 runs" under "Tests the change adds or changes" (the change added
none) beside a headline that named only what could not run. Real cargo, in the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env, run_gen_tests
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

CARGO = '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = """\
pub fn two() -> i32 {
    2
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_is_two() {
        assert_eq!(super::two(), 2);
    }
}
"""
ADDED = "\n/// Three.\npub fn three() -> i32 {\n    3\n}\n"


@needs_cargo
@needs_sandbox
def test_a_rust_change_without_coverage_says_what_ran_and_what_could_not(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("start", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    head = repo.commit("three", {"src/lib.rs": LIB + ADDED})
    keep = {k: os.environ[k] for k in ("CARGO_HOME", "RUSTUP_HOME") if k in os.environ}
    rustup = keep.setdefault("RUSTUP_HOME", str(Path.home() / ".rustup"))
    keep.setdefault("CARGO_HOME", str(Path(rustup).parent / ".cargo"))
    code, document, _, stderr = run_gen_tests(
        ["--provider", "none", "--repo", str(repo.path), "--base", base, "--head", head],
        tmp_path, PATH=os.pathsep.join([str(Path.home() / ".cargo" / "bin"), path_env()]),
        **keep)  # fmt: skip

    assert code == 0, stderr
    headline = str(document["headline"])
    assert "cargo test: its suite passed, but coverage of the changed files could not run" in \
        headline, headline  # fmt: skip
    assert "1 test of the changed files passed every one of its" in headline, headline
    assert "no model is configured, so no tests were written." in headline, headline
    summary = (tmp_path / "summary.md").read_text()
    assert "Tests the change adds or changes" not in summary
    assert "**Tests of the changed files, run again**" in summary, summary
