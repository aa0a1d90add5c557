"""cargo's in-run check written into a run's copy (the module doc of :mod:`.runner` says why):
which crate roots a run of a target builds, and our module appended to each, then restored."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes, walk_files, write_output
from cicd_agent.runners.cargo.crate import library_root, manifest, table

CHECK_MODULE = "zz_cicd_check_"
"""How our module's name starts (a random part follows, per run); never a project's."""
_ROOTS = re.compile(
    r"^(.+/)?(src/(lib|main)\.rs|src/bin/[^/]+\.rs|src/bin/[^/]+/main\.rs"
    r"|tests/[^/]+\.rs|tests/[^/]+/main\.rs)$"
)
"""The crate roots of test binaries cargo finds by itself (after a member's folder)."""


CRATE_CFG = re.compile(rb"(?m)^[ \t]*#!\[cfg\(")
"""A crate root's own ``#![cfg(...)]``: when it does not hold (a feature not enabled), the whole
crate, its tests and the appended in-run check, is left out of the build."""


def crate_roots(repo: Path, target: Sequence[str]) -> list[str]:
    """The crate roots of the test binaries a run of ``target`` (cargo's target options)
    builds: the library's (``[lib] path``, else ``src/lib.rs``) for ``--lib``, the test's file
    for ``--test NAME`` (its ``[[test]] path``, else ``tests/NAME.rs``), and for the whole suite
    those, every ``[[test]]`` and ``[[bin]] path``, and every root cargo finds itself in
    the package and in the folders ``[workspace] members`` names (never elsewhere: a vendored
    crate's checksum would no longer hold)."""
    toml = manifest(repo)
    tests, bins = _paths(toml, "test"), _paths(toml, "bin")
    if target[:1] == ["--test"]:
        return [tests.get(target[1], f"tests/{target[1]}.rs")]
    members = table(toml, "workspace").get("members")
    found = [library_root(repo)]
    if target:
        return found
    found += [*tests.values(), *bins.values()]  # `[[bin]] path = "crates/core/main.rs"`
    patterns = (
        [m.rstrip("/") for m in members if isinstance(m, str)] if isinstance(members, list) else []
    )
    for file in walk_files(repo, frozenset({"target"})):
        root = _ROOTS.match(file)
        folder = root.group(1) if root is not None else None
        if root is not None and (not folder or any(fnmatchcase(folder[:-1], m) for m in patterns)):
            found.append(file)
    return found


def _paths(manifest: Mapping[str, object], kind: str) -> dict[str, str]:
    """Each ``[[kind]]`` target's crate root by its name, where the manifest names a path."""
    targets = manifest.get(kind)
    return (
        {
            str(t.get("name", "")): t["path"]
            for t in targets
            if isinstance(t, dict) and isinstance(t.get("path"), str)
        }
        if isinstance(targets, list)
        else {}
    )


def add_in_run_check(repo: Path, roots: Sequence[str]) -> tuple[str, list[tuple[str, bytes]]]:
    """Append our module, under a name drawn now, to each crate root ``roots`` in the copy
    ``repo``, and return the name and each root written with its bytes before (to restore).
    Its test and doctest are empty: nothing in them meets a ``#![no_std]`` or a lint the crate
    denies. A root that is missing, a link or on a linked path is left alone: its binary never
    lists the in-run check (module doc)."""
    name = f"{CHECK_MODULE}{secrets.token_hex(8)}"
    said = "Passes; libtest lists it only once every test of its binary has ended."
    module = (
        f"\n\n/// The cicd-agent seam's in-run check, added in its sandbox copy for one run.\n"
        f"///\n/// ```\n/// // {said}\n/// ```\n#[cfg(any(test, doctest))]\n"
        f"mod {name} {{\n    /// {said}\n    #[test]\n    fn check() {{}}\n}}\n"
    )
    written: list[tuple[str, bytes]] = []
    for root in dict.fromkeys(roots):
        try:
            original = read_bytes(repo, root)
            write_output(repo, repo / root, module.encode(), append=True)
        except (CheckoutFileError, OSError):
            continue
        written.append((root, original))
    return name, written


def restore(repo: Path, written: Sequence[tuple[str, bytes]]) -> None:
    """Put back each crate root :func:`add_in_run_check` wrote; one the run replaced by a link is
    left as the run made it (nothing is written through a link)."""
    for root, original in written:
        try:
            write_output(repo, repo / root, original)
        except OSError:
            continue
