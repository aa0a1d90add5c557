"""A Rust change the borrow checker refuses is said not to compile, not not to type-check: a
new user's rust-fnv change (E0505, "cannot move out of `items` because it is borrowed") was
"clippy: the change does not type-check". rustc's borrow-check codes say which errors those are;
a type error (E0308) keeps its words. Real cargo and clippy; skipped where not installed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_clippy import CARGO, LIB, _review

COUNT = """
pub fn count(items: Vec<String>) -> usize {
    let first = &items[0];
    let owned = items;
    first.len() + owned.len()
}
"""
MOVED = LIB + COUNT
MISTYPED = LIB + '\npub fn three() -> i32 {\n    "three"\n}\n'


@needs_sandbox
def test_a_borrow_error_is_said_not_to_compile(tmp_path: Path) -> None:
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": MOVED})
    assert done.document is not None, done.stderr
    [found] = [f for f in done.document["findings"] if f["rule"] == "clippy/E0505"]
    assert found["title"].startswith(
        "clippy: the change does not compile, the borrow checker refuses it: cannot move out of"
    ), found["title"]
    assert "type-check" not in found["title"]
    assert done.code == 1


@needs_sandbox
def test_a_type_error_is_still_said_not_to_type_check(tmp_path: Path) -> None:
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": MISTYPED})
    assert done.document is not None, done.stderr
    [found] = [f for f in done.document["findings"] if f["rule"] == "clippy/E0308"]
    assert found["title"].startswith("clippy: the change does not type-check: "), found["title"]
