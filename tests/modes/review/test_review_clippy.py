"""review runs clippy where the Rust toolchain is on the runner (issue 53): rustup keeps its
toolchains in the home folder the sandbox hides, so they come back read-only
(``RUSTUP_HOME``); the pull request's build script and cargo configuration run, as clippy
runs them, only inside the sandbox.

Real cargo and clippy from rustup; skipped where they are not installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_agent.analysis.lint_reports import LintHit, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

CARGO = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn one() -> i32 {\n    1\n}\n"
CHANGED = "pub fn one() -> i32 {\n    1\n}\n\npub fn two(x: i32) -> i32 {\n    return x + 1;\n}\n"


def _rust() -> tuple[str, str]:
    """(PATH with rustup's proxies, RUSTUP_HOME), or a skip where clippy is not installed."""
    cargo = shutil.which("cargo-clippy") or shutil.which(
        "cargo-clippy", path=str(Path.home() / ".cargo" / "bin")
    )
    rustup = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
    if cargo is None or not rustup.is_dir():
        pytest.skip("rustup's cargo and clippy are not installed here")
    return os.pathsep.join([str(Path(cargo).parent), path_env()]), str(rustup)


def _review(
    tmp_path: Path, files: dict[str, str], changed: dict[str, str], run: str = ""
) -> CliRun:
    """Review the change ``files`` → ``changed`` (``run``: a file made executable)."""
    path, rustup = _rust()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    repo.write(dict(changed))
    if run:
        (repo.path / run).chmod(0o755)
    head = repo.commit("Add two")
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    home = tmp_path / "home"
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(home), "RUSTUP_HOME": rustup})


def _rules(done: CliRun) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in (done.document or {})["findings"]]


@needs_sandbox
def test_clippy_reports_the_changed_lines_with_the_runners_toolchain(tmp_path: Path) -> None:
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": CHANGED})

    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert _rules(done) == [("clippy/needless_return", "src/lib.rs", 6)]


BUILD_RS = """\
fn main() {
    let home = std::env::var("RUSTUP_HOME").unwrap_or_default();
    let toolchain = std::fs::write(format!("{home}/planted-by-build-rs"), "x").is_ok();
    let host = std::fs::write("HOST_FILE", "x").is_ok();
    println!("cargo:warning=toolchain written: {toolchain}, host written: {host}");
}
"""
WRAPPER = '#!/bin/sh\necho x > "HOST_FILE.wrapper"\nexec "$@"\n'


@needs_sandbox
def test_a_pull_requests_build_script_and_cargo_config_run_only_in_the_sandbox(
    tmp_path: Path,
) -> None:
    """Attack: the pull request's ``build.rs`` writes into the toolchain clippy is lent and to
    a host path; its ``.cargo/config.toml`` names a rustc wrapper that writes to the host.
    Both run (clippy builds the crate), inside the sandbox: nothing lands."""
    host = tmp_path / "outside" / "pwned"
    host.parent.mkdir()
    rustup = Path(_rust()[1])
    planted = rustup / "planted-by-build-rs"
    files = {
        "Cargo.toml": CARGO,
        "src/lib.rs": LIB,
        "build.rs": BUILD_RS.replace("HOST_FILE", str(host)),
        ".cargo/config.toml": '[build]\nrustc-wrapper = "./wrap.sh"\n',
    }
    wrapper = {"wrap.sh": WRAPPER.replace("HOST_FILE", str(host))}
    try:
        done = _review(tmp_path, files, {"src/lib.rs": CHANGED, **wrapper}, run="wrap.sh")
        assert not planted.exists()
    finally:
        planted.unlink(missing_ok=True)

    assert not host.exists() and not Path(f"{host}.wrapper").exists()
    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert _rules(done) == [("clippy/needless_return", "src/lib.rs", 6)]


def test_clippys_report_is_read_as_cargo_prints_it() -> None:
    """cargo's JSON lines (clippy 0.1.95, trimmed): primary spans only, rustc's own too."""
    report = "\n".join([
        '{"reason":"compiler-artifact","target":{"name":"app"}}',
        '{"reason":"compiler-message","message":{"message":"unneeded `return` statement",'
        '"code":{"code":"clippy::needless_return"},"level":"warning","spans":['
        '{"file_name":"src/lib.rs","line_start":6,"is_primary":true},'
        '{"file_name":"src/other.rs","line_start":1,"is_primary":false}]}}',
        '{"reason":"compiler-message","message":{"message":"mismatched types",'
        '"code":null,"level":"error","spans":[{"file_name":"/w/repo/src/a.rs",'
        '"line_start":2,"is_primary":true}]}}',
        '{"reason":"build-finished","success":false}',
    ])  # fmt: skip
    assert read_report("clippy", report, "/w/repo") == [
        LintHit("src/lib.rs", 6, "needless_return", "unneeded `return` statement",
                error=False),
        LintHit("src/a.rs", 2, "rustc", "mismatched types", error=True),
    ]  # fmt: skip
