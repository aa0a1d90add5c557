"""A pull request's ``build.rs`` runs when review's clippy builds the crate, in the sandbox's
copy of the checkout: the checkout it was copied from, which every later copy (the base's side,
the suggestion check) is made from, and the folders beside the run's own (its copy, home and
temporary folder: other runs' copies) stay as they were."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_clippy import CARGO, CHANGED, LIB, _review

BUILD_RS = r"""
use std::path::PathBuf;
fn main() {
    let copy = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut wrote = Vec::new();
    for target in ["CHECKOUT/planted.txt", "CHECKOUT/src/planted.rs"] {
        if std::fs::write(target, "x").is_ok() { wrote.push(target.to_string()); }
    }
    let own = copy.parent().unwrap().to_path_buf();  // the run's own: its home, its tmp
    let mut up = own.clone();
    for _ in 0..4 {  // the folders above the run's own and each folder beside them
        up = up.parent().map(|p| p.to_path_buf()).unwrap_or(up.clone());
        let mut places = vec![up.clone()];
        places.extend(std::fs::read_dir(&up).into_iter().flatten().flatten().map(|e| e.path()));
        for folder in places.into_iter().filter(|f| f.is_dir() && !f.starts_with(&own)) {
            let f = folder.join("planted-beside.txt");
            if std::fs::write(&f, "x").is_ok() { wrote.push(f.display().to_string()); }
        }
    }
    if !wrote.is_empty() { panic!("wrote {}", wrote.join(", ")); }
}
"""


@needs_sandbox
def test_attack_a_build_script_writes_nothing_into_the_checkout_or_beside_its_copy(
    tmp_path: Path,
) -> None:
    """The build script panics naming what it wrote: clippy then ran to its end, nothing
    landed, and the lint on the changed line is found as without the script."""
    checkout = tmp_path / "repo"
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB,
             "build.rs": BUILD_RS.replace("CHECKOUT", str(checkout))}  # fmt: skip
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})
    assert not sorted(tmp_path.rglob("planted*")), sorted(tmp_path.rglob("planted*"))
    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert [f["rule"] for f in done.document["findings"]] == ["clippy/needless_return"]
