"""gen-tests on a Rust crate through the CLI, in the real sandbox with real cargo: what it says
of what it did not run."""

from __future__ import annotations

import os
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

CARGO_TOML = '[package]\nname = "crate_m"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
TESTS = "#[test]\nfn adds() {\n    assert_eq!(crate_m::add(1, 2), 3);\n}\n"


@needs_sandbox
@needs_cargo
def test_a_test_command_gen_tests_does_not_use_for_a_crate_is_said(tmp_path: Path) -> None:
    """``--test-command "cargo test --tests"`` on a crate was silently ignored (the command is
    the Python suite's): one note says it was not used for cargo test."""
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("start", {"Cargo.toml": CARGO_TOML, "src/lib.rs": LIB, "tests/add.rs": TESTS})
    head = repo.commit("sub", {"src/lib.rs": LIB + "\npub fn sub(a: i32, b: i32) -> i32 {\n    a - b\n}\n"})
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
               "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))}  # fmt: skip
    done = run_cli(["gen-tests", "--provider", "none", "--json", "--repo", str(repo.path),
                    "--base", base, "--head", head, "--test-command", "cargo test --tests"],
                   tmp_path, environ)  # fmt: skip
    assert done.document is not None, done.stderr[-2000:]
    said = [note for note in done.document["notes"] if "test-command" in note]
    assert said == ["test-command (`cargo test --tests`) was not used for cargo test: it runs the "
                    "Python files' tests under coverage.py; each other runner's tests run as "
                    "gen-tests runs them."], done.document["notes"]  # fmt: skip
