"""Where clippy is not installed, review still builds a Rust change: ``cargo check`` runs in
its place, with clippy's report (rustc's errors, without clippy's lints), so a change that does
not build is high on its line. Real cargo from rustup, with clippy's proxy left off ``PATH``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

CARGO = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn one() -> i32 {\n    1\n}\n"


@needs_sandbox
def test_without_clippy_cargo_check_finds_a_change_that_does_not_build(tmp_path: Path) -> None:
    cargo = shutil.which("cargo") or shutil.which("cargo", path=str(Path.home() / ".cargo/bin"))
    rustup = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
    if cargo is None or not rustup.is_dir():
        pytest.skip("rustup's cargo is not installed here")
    # rustup's proxy, which runs the tool it is named after, in a folder of its own: the
    # sandbox shows the tool folders on PATH, and ~/.cargo/bin (which has clippy) is left off
    only = tmp_path / "cargo-only"
    only.mkdir()
    proxy = Path(cargo).resolve()
    try:
        os.link(proxy, only / "rustup")
    except OSError:
        shutil.copy2(proxy, only / "rustup")
    for name in ("cargo", "rustc"):  # a toolchain without the clippy component
        (only / name).symlink_to("rustup")
    rest = [p for p in path_env().split(os.pathsep) if not (Path(p) / "cargo-clippy").exists()]
    path = os.pathsep.join([str(only), *rest])
    assert shutil.which("cargo-clippy", path=path) is None
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    head = repo.commit("str", {"src/lib.rs": LIB + '\npub fn two() -> i32 {\n    "two"\n}\n'})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    environ = {"PATH": path, "HOME": str(tmp_path / "home"), "RUSTUP_HOME": str(rustup)}
    done = run_cli(argv, tmp_path, environ)
    assert done.document is not None, done.stderr
    tools = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}
    assert "not installed" in tools["clippy"], tools  # its lints did not run: said
    assert tools["cargo check"] == "", tools
    found = [(f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert ("src/lib.rs", 6, "high") in found, found
    assert all(f["rule"].startswith("cargo check/") for f in done.document["findings"])
