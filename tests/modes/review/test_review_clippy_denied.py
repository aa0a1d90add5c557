"""A crate that denies warnings in its own test build (unicase's
``#![cfg_attr(test, deny(warnings))]``, a common pattern) turns clippy's lints into errors, and
cargo's build of its tests stops on them: every review of such a crate said "Incomplete: clippy
could not run ... the crate failed to build", though the crate builds. Its lints are lint
findings on the changed lines, with one note on why they were errors; a real build error still
stops the check and blocks the change.

Real cargo and clippy from rustup; skipped where they are not installed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import CliRun
from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_clippy import CARGO, _review

DENIES = "#![cfg_attr(test, deny(warnings))]\n"
# a lint the base already has, off the changed lines (unicase had 197 of them)
BASE = DENIES + "pub fn one() -> i32 {\n    return 1;\n}\n"
HEAD = BASE + "\npub fn two(x: i32) -> bool {\n    x >= 1 && x <= 9\n}\n"


def _tools(done: CliRun) -> dict[str, str]:
    assert done.document is not None, done.stderr
    return {t["tool"]: t["could_not_run"] for t in done.document["tools"]}


@needs_sandbox
def test_lints_the_crate_denies_are_findings_not_a_failed_build(tmp_path: Path) -> None:
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": BASE}, {"src/lib.rs": HEAD})

    assert _tools(done) == {"clippy": ""}, done.stdout
    assert done.document is not None
    assert "Incomplete" not in done.document["headline"], done.document["headline"]
    found = [(f["rule"], f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert found == [("clippy/manual_range_contains", "src/lib.rs", 7, "medium")], found
    notes = " ".join(done.document["notes"])
    assert "clippy's lints are errors in this crate's own build" in notes, notes
    assert done.code == 0, done.stdout


@needs_sandbox
def test_attack_a_real_build_error_beside_denied_lints_still_blocks_the_change(
    tmp_path: Path,
) -> None:
    """ATTACK: the denied lints are no cover for an integration test that does not build:
    only a run whose lints cargo was told to keep as warnings, and that cargo says finished,
    reads as clippy having run."""
    files = {"Cargo.toml": CARGO, "src/lib.rs": BASE, "tests/it.rs": "#[test]\nfn t() {}\n"}
    broken = "#[test]\nfn t() {\n    let x: u32 = app::one();\n    let _ = x;\n}\n"
    done = _review(tmp_path, files, {"src/lib.rs": HEAD, "tests/it.rs": broken})

    assert done.document is not None, done.stderr
    high = [(f["path"], f["line"]) for f in done.document["findings"] if f["severity"] == "high"]
    assert high == [("tests/it.rs", 3)], done.stdout
    assert done.code == 1, done.stdout
