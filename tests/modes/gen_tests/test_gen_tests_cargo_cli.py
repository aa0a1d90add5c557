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
SUB = "\npub fn sub(a: i32, b: i32) -> i32 {\n    a - b\n}\n"
TESTS = "#[test]\nfn adds() {\n    assert_eq!(crate_m::add(1, 2), 3);\n}\n"


@needs_sandbox
@needs_cargo
def test_a_test_command_gen_tests_does_not_use_for_a_crate_is_said(tmp_path: Path) -> None:
    """``--test-command "cargo test --tests"`` on a crate was silently ignored (the command is
    the Python suite's): one note says it was not used for cargo test."""
    repo = GitRepoBuilder(tmp_path / "crate")
    files = {"Cargo.toml": CARGO_TOML, "src/lib.rs": LIB, "tests/add.rs": TESTS}
    base = repo.commit("start", files)
    head = repo.commit("sub", {"src/lib.rs": LIB + SUB})
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


@needs_sandbox
@needs_cargo
def test_a_feature_gated_test_file_is_named_where_its_run_is_not_believed(tmp_path: Path) -> None:
    """A test file whose crate-level ``#![cfg(feature = "extra")]`` leaves it (and the seam's
    in-run check appended to it) out of the build: the run is not believed, and the message
    named neither the file nor why. It names the file and its ``cfg`` first."""
    repo = GitRepoBuilder(tmp_path / "crate")
    cargo = CARGO_TOML + "\n[features]\nextra = []\n"
    base = repo.commit("start", {"Cargo.toml": cargo, "src/lib.rs": LIB, "tests/add.rs": TESTS})
    gated = '#![cfg(feature = "extra")]\n' + TESTS.replace("adds", "adds_more")
    head = repo.commit("more", {"src/lib.rs": LIB + SUB, "tests/extra.rs": gated})
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
               "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))}  # fmt: skip
    done = run_cli(["gen-tests", "--provider", "none", "--json", "--repo", str(repo.path),
                    "--base", base, "--head", head], tmp_path, environ)  # fmt: skip
    assert done.document is not None, done.stderr[-2000:]
    said = {tool["tool"]: tool["could_not_run"] for tool in done.document["tools"]}
    assert said.get("cargo test", "").startswith(
        "tests/extra.rs is left out of the build by a crate-level `#![cfg(...)]` (a feature not "
        "enabled)"
    ), said


@needs_sandbox
@needs_cargo
def test_a_change_tested_by_compile_fail_doctests_alone_names_them(tmp_path: Path) -> None:
    """A crate whose only tests are ``compile_fail`` doctests: no in-run check reaches a
    doctest (each its own process; a ``compile_fail`` one passes by not compiling), so the
    run is no result, and the message named neither the doctests nor why. It names them."""
    repo = GitRepoBuilder(tmp_path / "crate")
    doc = '/// Adds.\n///\n/// ```compile_fail\n/// let x: i32 = "no";\n/// ```\n'
    base = repo.commit("start", {"Cargo.toml": CARGO_TOML, "src/lib.rs": doc + LIB})
    head = repo.commit("sub", {"src/lib.rs": doc + LIB + SUB})
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
               "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))}  # fmt: skip
    done = run_cli(["gen-tests", "--provider", "none", "--json", "--repo", str(repo.path),
                    "--base", base, "--head", head], tmp_path, environ)  # fmt: skip
    assert done.document is not None, done.stderr[-2000:]
    said = {tool["tool"]: tool["could_not_run"] for tool in done.document["tools"]}
    assert said.get("cargo test", "").startswith(
        "cargo test ran only doctests (1: src/lib.rs - add (line 3)), each its "
        "own process"
    ), said
    assert "a compile_fail one passes by not compiling" in said["cargo test"]
