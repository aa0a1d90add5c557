"""review's clippy builds the crate's tests too: a change that breaks ``cargo test``'s build
(a unit test in ``#[cfg(test)]``, an integration test in ``tests/``) does not build, so it is
blocked on its line, as go vet's and mypy's type errors in tests are.

Real cargo and clippy from rustup; skipped where they are not installed.
"""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.review.lint.lint_command import run_argv
from cicd_agent.modes.review.lint.lint_reports import read_report
from tests.helpers.cli import CliRun
from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_clippy import CARGO, CHANGED, LIB, _review

UNIT = LIB + "\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn one() {\n" \
    "        assert_eq!(super::one(), 1);\n    }\n}\n"  # fmt: skip
INTEGRATION = "#[test]\nfn one() {\n    assert_eq!(app::one(), 1);\n}\n"


def _high(done: CliRun) -> list[tuple[str, int, str]]:
    document = done.document
    assert document is not None, done.stderr
    return [(f["path"], f["line"], f["severity"]) for f in document["findings"]]


@needs_sandbox
def test_a_type_error_in_a_unit_test_blocks_the_change_on_its_line(tmp_path: Path) -> None:
    """quick-error's shape, as a new user met it: the change's test says
    ``let shown: u32 = format!(...)``; plain clippy never builds ``#[cfg(test)]``."""
    broken = UNIT.replace("assert_eq!(super::one(), 1);", 'let shown: u32 = format!("{}", 1);')
    files = {"Cargo.toml": CARGO, "src/lib.rs": UNIT}
    done = _review(tmp_path, files, {"src/lib.rs": broken})

    assert _high(done) == [("src/lib.rs", 9, "high")], done.stdout
    assert done.code == 1, done.stdout


@needs_sandbox
def test_a_type_error_in_an_integration_test_blocks_the_change_on_its_line(
    tmp_path: Path,
) -> None:
    broken = INTEGRATION.replace("assert_eq!(app::one(), 1);", "let two: u32 = app::one();")
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB, "tests/it.rs": INTEGRATION}
    done = _review(tmp_path, files, {"tests/it.rs": broken})

    assert _high(done) == [("tests/it.rs", 3, "high")], done.stdout
    assert done.code == 1, done.stdout


@needs_sandbox
def test_a_dev_dependency_the_sandbox_lacks_is_said_in_one_line(tmp_path: Path) -> None:
    """A dev-dependency from a registry (none is fetched in the sandbox): cargo resolves
    dev-dependencies for every target, the library's too, so clippy could not run and the
    review says why in cargo's own line, never a clean read."""
    cargo = CARGO + '\n[dev-dependencies]\nrand = "0.8"\n'
    done = _review(tmp_path, {"Cargo.toml": cargo, "src/lib.rs": LIB}, {"src/lib.rs": UNIT})

    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    assert "no matching package named `rand` found" in tool["could_not_run"], tool
    assert "\n" not in tool["could_not_run"], tool
    assert "Incomplete: clippy could not run" in done.document["headline"]


def test_an_error_inside_a_toolchain_macro_is_placed_on_the_call_the_code_wrote() -> None:
    """rustc places ``let x: u32 = format!(..)``'s type error in the standard library's
    ``macros.rs``; the call in the checkout is its expansion's span."""
    call = '{"file_name":"src/lib.rs","line_start":9,"is_primary":false,"expansion":null}'
    report = "\n".join([
        '{"reason":"compiler-message","message":{"message":"mismatched types",'
        '"code":{"code":"E0308"},"level":"error","spans":[{"file_name":'
        '"/rustc/abc/library/alloc/src/macros.rs","line_start":114,"is_primary":true,'
        f'"expansion":{{"span":{call},"macro_decl_name":"format!"}}}}]}}}}',
        '{"reason":"build-finished","success":true}',
    ])  # fmt: skip
    [hit] = read_report("clippy", report, "/w/repo", exited=0)
    assert (hit.path, hit.line, hit.error, hit.compiles) == ("src/lib.rs", 9, True, True)


NIGHTLY_BENCH = "#![feature(test)]\nextern crate test;\n#[bench]\nfn b(bench: &mut test::Bencher) {\n" \
    "    bench.iter(|| app::one());\n}\n"  # fmt: skip


@needs_sandbox
def test_a_bench_only_nightly_builds_leaves_clippy_a_clean_run(tmp_path: Path) -> None:
    """``benches/`` with ``#![feature(test)]`` (older crates') does not build on stable:
    ``--all-targets`` stopped there, and the review blamed the change for a build error it
    did not make. The benches are not built; the library, its tests and its examples are."""
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB, "benches/b.rs": NIGHTLY_BENCH}
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})

    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]] == [
        ("clippy/needless_return", "src/lib.rs", 6)], done.stdout  # fmt: skip


MAIN = "fn main() {\n    println!(\"{}\", 1);\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n" \
    "    fn one() {\n        assert_eq!(1, 1);\n    }\n}\n"  # fmt: skip


@needs_sandbox
def test_a_binary_crates_unit_test_is_built_too(tmp_path: Path) -> None:
    """A crate with no library (cargo refuses ``--lib`` there): its binary's tests build."""
    broken = MAIN.replace("assert_eq!(1, 1);", 'let shown: u32 = format!("{}", 1);')
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/main.rs": MAIN}, {"src/main.rs": broken})

    assert _high(done) == [("src/main.rs", 9, "high")], done.stdout


@needs_sandbox
def test_a_test_target_broken_before_the_change_blocks_nothing_and_is_said(
    tmp_path: Path,
) -> None:
    """A test target the base already cannot build (here a type error; a nightly feature in
    another crate) stops cargo there: it is the base's error, said in one note, not a build
    error of the change; the library's lint on the changed line still counts, and clippy's
    run is incomplete, never clean."""
    old = "#[test]\nfn t() {\n    let x: u32 = \"s\";\n}\n"
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB, "tests/old.rs": old}
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})

    assert done.document is not None, done.stderr
    assert [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]] == [
        ("clippy/needless_return", "src/lib.rs", 6)], done.stdout  # fmt: skip
    assert any(note.startswith("clippy: 1 error(s) were already there at the base")
               for note in done.document["notes"]), done.document["notes"]  # fmt: skip
    [tool] = done.document["tools"]
    assert "did not finish" in tool["could_not_run"], tool


def test_attack_a_library_path_that_leaves_the_checkout_is_no_library(tmp_path: Path) -> None:
    """Whether clippy gets ``--lib`` is read on the host from the pull request's
    ``Cargo.toml``: a ``[lib] path`` outside the checkout (absolute, ``..``, or a link out of
    it) is no library there, so no host file's existence decides the command."""
    outside = tmp_path / "outside.rs"
    outside.write_text("pub fn secret() {}\n")
    checkout = tmp_path / "checkout"
    (checkout / "src").mkdir(parents=True)
    (checkout / "src" / "link.rs").symlink_to(outside)
    argv = ("cargo", "clippy", "--tests")
    for path in (str(outside), "../outside.rs", "src/link.rs", "src/../../outside.rs"):
        (checkout / "Cargo.toml").write_text(f'[package]\nname = "app"\n\n[lib]\npath = "{path}"\n')
        assert run_argv("clippy", argv, checkout) == argv, path
    (checkout / "src" / "lib.rs").write_text("pub fn one() {}\n")
    (checkout / "Cargo.toml").write_text('[package]\nname = "app"\n')
    assert run_argv("clippy", argv, checkout) == ("cargo", "--lib", "clippy", "--tests")
