"""Attacks on the image reader's tar headers by someone who did not write it: sizes below 0,
PAX numbers and GNU sparse records that Python's tarfile and Go's ``archive/tar`` (a runtime's,
here umoci's) read apart. Each layer is hand-written; each test asserts that our reader sees
what a runtime unpacks, or refuses the layer at once, never a crash or a read of its headers
over and over."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.build import oci
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.tree import Bounds, TreeError
from tests.modes.build.test_build_merge_attacks import BENIGN, dpkg_base, pax, the_status
from tests.modes.build.test_build_outside_attacks import (
    END,
    STATUS,
    checksummed,
    header,
    layout,
    member,
    needs_umoci,
    padded,
    runtimes,
)

FEW = Bounds(entries=10_000)
"""Bounds that end a read going round in circles in well under a second."""


def refused(image: Path) -> str:
    """Why our reader refuses ``image`` (read within :data:`FEW`); fails when it reads it."""
    with pytest.raises(TreeError, match="not a readable archive") as refusal:
        read_tree(oci.read_layout(image).layers, FEW)
    return str(refusal.value)


def runtime_refuses(image: Path) -> None:
    with pytest.raises(AssertionError, match="invalid tar header"):
        runtimes(image)


def negative_base_256(size: int) -> bytes:
    """A member ``b`` whose size field is ``size`` (below 0) in base-256."""
    block = header("b")
    block[124:136] = b"\xff" + (size % 256**11).to_bytes(11, "big")
    return checksummed(block)


# A member at 0 and one after it: a size that steps back lands on a header already read (an
# offset of 0 would end tarfile's read).
BACK = {
    "a-pax-size-below-0": member("a", b"") + pax({"size": b"-1536"}) + member("b", b""),
    "a-base-256-size-below-0": member("a", b"") + negative_base_256(-512),
}


@needs_umoci
@pytest.mark.parametrize("layer", BACK.values(), ids=BACK.keys())
def test_attack_a_size_below_0_is_refused_not_read_round_and_round(
    tmp_path: Path, layer: bytes
) -> None:
    """Go refuses a member with bytes whose size is below 0. Before: Python stepped back by it
    and read the same two headers again and again, to the image's bound on files (2,000,000:
    4 to 8 minutes for this layer of 3 KB), then refused it for its number of files."""
    image = layout(tmp_path / "image", layer + END)
    runtime_refuses(image)
    assert "a runtime does not read" in refused(image)


N = str(len(STATUS)).encode()
SPARSE = {  # each layer's runtime unpacks the vulnerable status (openssl 3.0.0-1) as written
    "a-lone-sparse-size": {"GNU.sparse.size": N},  # Python: a file of NULs
    "a-lone-sparse-name": {"GNU.sparse.name": b"var/lib/dpkg/status-old"},  # another name
    "a-lone-sparse-realsize": {"GNU.sparse.realsize": b"10"},  # Python: cut to 10 bytes
    "a-sparse-map-entry-inside-a-comment": {  # Python: a map whose first entry is a hole
        "comment": b"\n9 GNU.sparse.offset=" + N + b"\n9 GNU.sparse.numbytes=1\n",
        "GNU.sparse.numblocks": b"1", "GNU.sparse.offset": b"0", "GNU.sparse.numbytes": N,
        "GNU.sparse.size": N,
    },
}  # fmt: skip


@needs_umoci
@pytest.mark.parametrize("records", SPARSE.values(), ids=SPARSE.keys())
def test_attack_gnu_sparse_records_never_show_another_status_than_a_runtime_unpacks(
    tmp_path: Path, records: dict[str, bytes]
) -> None:
    """Python applies a lone ``GNU.sparse.*`` record that Go leaves aside, and finds a sparse
    map's entries by searching the PAX header's bytes, values included. Before: the status
    our reader kept was NULs, ``status-old``, cut short or NULs again: no openssl 3.0.0-1 in
    the report of an image that runs it. The layer is now refused."""
    status = STATUS if "GNU.sparse.realsize" not in records else BENIGN[:10] + STATUS
    layer = dpkg_base() + pax(records) + member("var/lib/dpkg/status", status) + END
    image = layout(tmp_path / "image", layer)
    runtimes(image)
    assert the_status(image) == status
    assert "sparse" in refused(image)


@pytest.mark.parametrize(
    "records",
    [{"GNU.sparse.size": b"many"}, {"GNU.sparse.map": b"a,b"}],
    ids=["a-sparse-size-that-is-no-number", "a-sparse-map-that-is-no-numbers"],
)
def test_attack_a_sparse_record_that_is_no_number_is_refused_not_a_crash(
    tmp_path: Path, records: dict[str, bytes]
) -> None:
    """Before: Python's ``int`` raised ValueError out of the reader, and the mode stopped."""
    image = layout(tmp_path / "image", pax(records) + member("c", b"x") + END)
    refused(image)


@needs_umoci
@pytest.mark.parametrize("value", [b"1_0", b" 10", b"\xd9\xa1\xd9\xa0"], ids=["underscore",
                         "a-space", "arabic-indic-digits"])  # fmt: skip
def test_attack_a_pax_size_go_does_not_read_is_refused(tmp_path: Path, value: bytes) -> None:
    """Python's ``int`` reads each as 10; Go's ``ParseInt`` refuses the layer."""
    image = layout(tmp_path / "image", pax({"size": value}) + member("c", b"0123456789") + END)
    runtime_refuses(image)
    refused(image)


@needs_umoci
def test_attack_a_checksum_in_base_256_is_refused(tmp_path: Path) -> None:
    """Go reads a header's checksum in octal only; Python read it in base-256 too."""
    block = header("a")
    block[148:156] = b" " * 8
    total = sum(block)
    block[148:156] = b"\x80" + total.to_bytes(7, "big")
    image = layout(tmp_path / "image", member("z", b"") + bytes(block) + END)
    runtime_refuses(image)
    refused(image)


@needs_umoci
def test_a_pax_size_go_reads_is_read(tmp_path: Path) -> None:
    """A PAX size with a sign, as Go's ``ParseInt`` takes it, is read as the size."""
    layer = pax({"size": b"+10"}) + checksummed(header("c", 3)) + padded(b"0123456789") + END
    image = layout(tmp_path / "image", layer)
    assert runtimes(image) == ["c"]
    tree = read_tree(oci.read_layout(image).layers, FEW)
    assert tree.files["c"].size == 10


@needs_umoci
def test_attack_a_solaris_pax_header_renames_no_file(tmp_path: Path) -> None:
    """Python applies a type ``X`` header's records to the next member as a PAX header's
    (the status named ``status-old``: no openssl in the report); Go reads it as a member of
    its own, whose type umoci refuses to unpack. The layer is refused."""
    block = bytearray(pax({"path": b"var/lib/dpkg/status-old"}))
    block[156:157] = b"X"
    solaris = checksummed(block[:512]) + bytes(block[512:])
    layer = dpkg_base() + solaris + member("var/lib/dpkg/status", STATUS) + END
    image = layout(tmp_path / "image", layer)
    with pytest.raises(AssertionError, match="unknown typeflag"):
        runtimes(image)
    assert "Solaris" in refused(image)
