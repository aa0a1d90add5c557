"""Attacks on the type of an old-style member (typeflag NUL, a V7 regular file), which both
readers take for a folder when its name ends in ``/``, but on different names: Python's
tarfile on the header's own name field, Go's ``archive/tar`` (a runtime's, here umoci's) on
the name the member finally bears, a PAX ``path`` or a GNU long name put in. A folder's bytes
are none, a file's follow its header: where the two readers give the member different types,
one reads as headers what the other reads as a file's bytes."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from cicd_agent.modes.build import oci
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.tree import TreeError
from tests.modes.build.test_build_merge_attacks import pax
from tests.modes.build.test_build_outside_attacks import (
    END,
    STATUS,
    checksummed,
    header,
    layout,
    member,
    needs_umoci,
    runtimes,
)

pytestmark = needs_umoci

HIDDEN = member("var/lib/dpkg/status", STATUS)
"""What the old-style member's size covers: a status file's header and bytes."""


def old_style(name: str, size: int) -> bytes:
    """A header of typeflag NUL (a V7 regular file) named ``name``, of ``size`` bytes."""
    block = header(name, size)
    block[156] = 0
    return checksummed(block)


def gnu_long_name(name: str) -> bytes:
    """A GNU long name header naming the next member ``name``."""
    data = name.encode() + b"\x00"
    info = tarfile.TarInfo("././@LongLink")
    info.type, info.size = tarfile.GNUTYPE_LONGNAME, len(data)
    return info.tobuf(format=tarfile.GNU_FORMAT) + data + b"\x00" * (-len(data) % 512)


LAYERS = {
    # Python: a file "usr/share/cover/" whose bytes are the status; Go: a folder, then the status
    "a PAX path ending in a slash": pax({"path": b"usr/share/cover/"})
    + old_style("cover", len(HIDDEN))
    + HIDDEN,
    "a GNU long name ending in a slash": gnu_long_name("usr/share/cover/")
    + old_style("cover", len(HIDDEN))
    + HIDDEN,
    # Python: a folder, then the status read from its bytes; Go: a file holding them
    "a slash the PAX path takes away": pax({"path": b"usr/share/cover"})
    + old_style("cover/", len(HIDDEN))
    + HIDDEN,
}


@pytest.mark.parametrize("layer", LAYERS.values(), ids=LAYERS.keys())
def test_attack_an_old_style_members_type_is_the_one_a_runtime_gives_it_or_refused(
    tmp_path: Path, layer: bytes
) -> None:
    """Our reader sees the status file exactly where a runtime unpacks one, or refuses the
    layer (before: the runtime's status, and so its packages, went unseen, or ours named a
    status the runtime holds only as a file's bytes)."""
    folder = layout(tmp_path / "image", member("etc/hostname", b"box\n") + layer + END)
    theirs = "var/lib/dpkg/status" in runtimes(folder)
    try:
        tree = read_tree(oci.read_layout(folder).layers)
    except TreeError as refusal:
        assert "reads two ways" in str(refusal), str(refusal)
        return
    assert ("var/lib/dpkg/status" in tree.files) == theirs, sorted(tree.files)


def test_an_old_style_member_named_alike_by_both_readers_is_read(tmp_path: Path) -> None:
    """A V7 folder (its own name ending in ``/``) and a V7 file, each with a PAX ``path`` or a
    GNU long name of its own kind, or none, are read as a runtime reads them."""
    layer = (old_style("usr/", 0) + pax({"path": b"opt/"}) + old_style("o/", 0)
             + gnu_long_name("srv/") + old_style("s/", 0) + pax({"path": b"opt/a"})
             + old_style("b", 3) + b"abc".ljust(512, b"\x00") + old_style("usr/c", 0))  # fmt: skip
    folder = layout(tmp_path / "image", layer + END)
    assert runtimes(folder) == ["opt/a", "usr/c"]
    tree = read_tree(oci.read_layout(folder).layers)
    assert sorted(p for p, e in tree.files.items() if e.kind != "dir") == ["opt/a", "usr/c"]
    assert {"usr", "opt", "srv"} <= {p for p, e in tree.files.items() if e.kind == "dir"}
