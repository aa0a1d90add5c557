"""Hostile crates against clippy's capped rerun (a crate whose own code denies clippy's lints is
linted again with ``--cap-lints=warn``): a rustc lint the crate denies stays a failed build, not
a lint; and a build script that sees the capped run cannot make the lints that stopped the
first run disappear from the review.

Real cargo and clippy from rustup; skipped where they are not installed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_clippy import CARGO, _review

RANGE = "\npub fn two(x: i32) -> bool {\n    x >= 1 && x <= 9\n}\n"
BASE = "pub fn one() -> i32 {\n    1\n}\n"


@needs_sandbox
def test_attack_a_denied_rustc_lint_is_no_clippy_lint_to_cap(tmp_path: Path) -> None:
    """ATTACK: ``deny(warnings)`` makes rustc's own ``unused_variables`` an error beside a
    clippy lint; only clippy's lints are capped and read as findings, so the run is no clean
    lint run."""
    denies = "#![deny(warnings)]\n"
    head = denies + BASE + RANGE + "\npub fn three() {\n    let unused = 3;\n}\n"
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": denies + BASE},
                   {"src/lib.rs": head})  # fmt: skip
    assert done.document is not None, done.stderr
    notes = " ".join(done.document["notes"])
    assert "clippy's lints are errors in this crate's own build" not in notes, done.stdout
    high = [(f["path"], f["line"]) for f in done.document["findings"] if f["severity"] == "high"]
    assert ("src/lib.rs", 11) in high, done.stdout
    assert done.code == 1, done.stdout


# a build script that tells the capped run (clippy's arguments reach it in CLIPPY_ARGS) to
# build the crate without the function clippy's lint is about
SEES_CAP = """\
fn main() {
    println!("cargo::rustc-check-cfg=cfg(capped)");
    println!("cargo:rerun-if-env-changed=CLIPPY_ARGS");
    if std::env::var("CLIPPY_ARGS").unwrap_or_default().contains("cap-lints") {
        println!("cargo:rustc-cfg=capped");
    }
}
"""


@needs_sandbox
def test_attack_a_build_script_cannot_take_the_denied_lints_out_of_the_capped_run(
    tmp_path: Path,
) -> None:
    """ATTACK: the first run stops on the denied lint; the build script drops the function
    from the capped run, which finishes clean. The lint the first run found is still a
    finding on the changed line."""
    denies = "#![deny(clippy::all)]\n"
    head = denies + BASE + "\n#[cfg(not(capped))]" + RANGE
    files = {"Cargo.toml": CARGO, "src/lib.rs": denies + BASE}
    done = _review(tmp_path, files, {"src/lib.rs": head, "build.rs": SEES_CAP})
    assert done.document is not None, done.stderr
    found = [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]
    assert ("clippy/manual_range_contains", "src/lib.rs", 8) in found, done.stdout


@needs_sandbox
def test_attack_forbidden_lints_are_capped_like_denied_ones(tmp_path: Path) -> None:
    """ATTACK: ``forbid`` cannot be lowered by the crate's own ``allow``; cargo's
    ``--cap-lints=warn`` still lowers it, so the lint is a finding, not a failed build, and a
    real error beside it still blocks the change."""
    forbids = "#![forbid(clippy::all)]\n"
    files = {"Cargo.toml": CARGO, "src/lib.rs": forbids + BASE}
    done = _review(tmp_path, files, {"src/lib.rs": forbids + BASE + RANGE})
    assert done.document is not None, done.stderr
    found = [(f["rule"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert found == [("clippy/manual_range_contains", 7, "medium")], done.stdout
    assert done.code == 0, done.stdout

    broken = forbids + BASE + RANGE + '\npub fn four() -> u32 {\n    "4"\n}\n'
    done = _review(tmp_path / "broken", files, {"src/lib.rs": broken})
    assert done.document is not None, done.stderr
    high = [(f["path"], f["line"]) for f in done.document["findings"] if f["severity"] == "high"]
    assert high == [("src/lib.rs", 11)], done.stdout
    assert done.code == 1, done.stdout


WORKSPACE = (
    '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n'
    '[dependencies]\ndep = { path = "dep" }\n\n[workspace]\nmembers = ["dep"]\n'
)
DEP = '[package]\nname = "dep"\nversion = "0.1.0"\nedition = "2021"\n'


@needs_sandbox
def test_attack_a_dependency_crates_denied_lints_do_not_cover_the_crates_own_error(
    tmp_path: Path,
) -> None:
    """ATTACK: a path crate of the workspace denies clippy's lints, so cargo stops there and
    never builds the crate that depends on it, whose type error the first run never shows;
    the capped run builds it, and its error blocks the change."""
    denies = "#![deny(clippy::all)]\n"
    files = {"Cargo.toml": WORKSPACE, "dep/Cargo.toml": DEP, "dep/src/lib.rs": denies + BASE,
             "src/lib.rs": BASE}  # fmt: skip
    broken = BASE + '\npub fn four() -> u32 {\n    dep::one();\n    "4"\n}\n'
    done = _review(tmp_path, files, {"dep/src/lib.rs": denies + BASE + RANGE,
                                     "src/lib.rs": broken})  # fmt: skip
    assert done.document is not None, done.stderr
    high = [(f["path"], f["line"]) for f in done.document["findings"] if f["severity"] == "high"]
    assert high == [("src/lib.rs", 7)], done.stdout
    assert done.code == 1, done.stdout
