"""The copy drops cargo's fingerprints of the checkout's own packages (their builds name the
checkout's path) and keeps those of packages from elsewhere; nothing outside the copy goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis import bounded_toml
from cicd_agent.sandbox.moved_builds import MAX_MANIFESTS, forget_moved_builds
from cicd_agent.sandbox.workspace import copy_repository

OWN, MEMBER, REGISTRY = "c-0123456789abcdef", "my-member-fedcba9876543210", "serde-00112233445566aa"


def _checkout(root: Path) -> Path:
    (root / "crates" / "m").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "c"\nversion = "0.1.0"\n')
    (root / "crates" / "m" / "Cargo.toml").write_text('[package]\nname = "my-member"\n')
    for profile in ("debug", "x86_64-unknown-linux-gnu/release"):
        for unit in (OWN, MEMBER, REGISTRY):
            (root / "target" / profile / ".fingerprint" / unit).mkdir(parents=True)
            (root / "target" / profile / ".fingerprint" / unit / "lib-x.json").write_text("{}")
    return root


def test_the_copy_builds_the_checkouts_own_packages_again(tmp_path: Path) -> None:
    source = _checkout(tmp_path / "src")
    copy_repository(source, tmp_path / "copy")
    for profile in ("debug", "x86_64-unknown-linux-gnu/release"):
        left = {p.name for p in (tmp_path / "copy" / "target" / profile / ".fingerprint").iterdir()}
        assert left == {REGISTRY}, profile
        assert len(list((source / "target" / profile / ".fingerprint").iterdir())) == 3


def test_attack_a_fingerprint_folder_linked_out_of_the_copy_is_never_emptied(
    tmp_path: Path,
) -> None:
    """The checkout's ``.fingerprint`` a link to a folder of the host: copied as a link, and
    nothing is removed through it; a manifest too large, or not TOML, names no package."""
    host = tmp_path / "host"
    (host / OWN).mkdir(parents=True)
    source = tmp_path / "src"
    (source / "target" / "debug").mkdir(parents=True)
    (source / "Cargo.toml").write_text('[package]\nname = "c"\n')
    (source / "target" / "debug" / ".fingerprint").symlink_to(host, target_is_directory=True)
    copy_repository(source, tmp_path / "copy")
    assert (host / OWN).is_dir()
    forget_moved_builds(tmp_path / "copy", ["target/debug/.fingerprint", "Cargo.toml"])
    assert (host / OWN).is_dir()
    odd = tmp_path / "odd"
    (odd / "target" / "debug" / ".fingerprint" / OWN).mkdir(parents=True)
    (odd / "Cargo.toml").write_text('[package]\nname = "c"\n' + "#" * (1 << 20))
    forget_moved_builds(odd, ["Cargo.toml", "target/debug/.fingerprint"])
    (odd / "Cargo.toml").write_bytes(b"[package\n\xff")
    forget_moved_builds(odd, ["Cargo.toml", "target/debug/.fingerprint"])
    assert (odd / "target" / "debug" / ".fingerprint" / OWN).is_dir()


def test_attack_a_manifest_nested_past_any_recursion_limit_is_no_crash(tmp_path: Path) -> None:
    """Failed before: each ``Cargo.toml`` of the checkout was read with ``tomllib``, which
    recurses once per ``[``, so a manifest of 50,000 of them raised ``RecursionError`` out of
    the copy: every sandbox of that checkout, and the mode making it, crashed. It names no
    package; the others' fingerprints still go."""
    source = _checkout(tmp_path / "src")
    (source / "crates" / "deep").mkdir()
    (source / "crates" / "deep" / "Cargo.toml").write_text("a = " + "[" * 50_000)
    (source / "crates" / "wide").mkdir()
    (source / "crates" / "wide" / "Cargo.toml").write_text("a = " + "{b=" * 50_000)
    copy_repository(source, tmp_path / "copy")
    left = {p.name for p in (tmp_path / "copy" / "target" / "debug" / ".fingerprint").iterdir()}
    assert left == {REGISTRY}


def test_attack_many_large_manifests_are_not_all_parsed_at_each_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: every ``Cargo.toml`` of up to 1 MiB was parsed at every copy (the
    sandbox's and each run's folder), with or without a build to forget: 40 manifests of 1 MiB
    of numbers, 2.3 s each to parse here, held each copy for a minute and a half. Without a
    fingerprint folder none is read; with one, the manifests read are bounded in all."""
    parsed: list[int] = []
    load = bounded_toml.load

    def counted(text: str) -> dict[str, object]:
        parsed.append(len(text))
        return load(text)

    monkeypatch.setattr(bounded_toml, "load", counted)
    source = tmp_path / "src"
    # the bound is on bytes handed to the parser: a string it reads fast weighs as much there
    # as the numbers that took 2.3 s each, and makes the test no slower than its bound
    heavy = '[package]\nname = "p"\n[package.metadata]\nn = "' + "1," * 400_000 + '"\n'
    for number in range(40):
        (source / f"c{number}").mkdir(parents=True)
        (source / f"c{number}" / "Cargo.toml").write_text(heavy)
    copy_repository(source, tmp_path / "plain")
    assert parsed == []
    (source / "target" / "debug" / ".fingerprint" / OWN).mkdir(parents=True)
    copy_repository(source, tmp_path / "built")
    assert sum(parsed) <= MAX_MANIFESTS, sum(parsed)
