"""More attacks on the image reader's merge of layers, by someone who did not write it: each
compares our tree with the one umoci unpacks, or counts the work a hostile layer costs."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from cicd_agent.modes.build import oci
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.packages import read_packages
from cicd_agent.modes.build.tree import TreeError
from tests.modes.build.test_build_merge_attacks import (
    BENIGN,
    _work,
    dpkg_base,
    folder,
    hard,
    packages_of,
    the_status,
)
from tests.modes.build.test_build_outside_attacks import (
    END,
    STATUS,
    layout,
    link,
    member,
    needs_umoci,
    ours,
    runtimes,
    whiteout,
)


@needs_umoci
@pytest.mark.parametrize(
    "taken_out",
    [whiteout(".wh.x") + END, member("x", b"")],
    ids=["by-a-whiteout-in-a-layer-between", "by-a-file-written-over-it"],
)
def test_a_link_written_where_a_folder_was_taken_out_leads_what_is_placed_under_it(
    tmp_path: Path, taken_out: bytes
) -> None:
    """``x/dpkg/keep`` made ``x`` a folder; once ``x`` is taken out and written again as a link
    to ``var/lib``, ``x/dpkg/status`` is ``var/lib/dpkg/status``. Before: the place found for
    ``x/dpkg`` while it was a folder was kept, the vulnerable status was filed at
    ``x/dpkg/status`` (a path the image does not hold) and the benign one reported."""
    lower = dpkg_base() + member("var/lib/dpkg/status", BENIGN) + member("x/dpkg/keep", b"") + END
    upper = link("x", "var/lib") + member("x/dpkg/status", STATUS) + END
    layers = [taken_out, upper] if taken_out.endswith(END) else [taken_out + upper]
    image = layout(tmp_path / "image", lower, *layers)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    assert packages_of(image) == ["openssl@3.0.0-1"]


@needs_umoci
def test_a_status_a_layer_writes_through_a_link_it_then_replaces_is_that_layers_version(
    tmp_path: Path,
) -> None:
    """The layer writes ``d/status`` through ``d -> /var/lib/dpkg`` (the vulnerable status lands
    at ``var/lib/dpkg/status``), then makes ``d`` a folder and writes ``d/status`` again. Before:
    the name's first place was forgotten when it was written again, the layer had no version of
    ``var/lib/dpkg/status``, and openssl 3.0.0-1 was put on the first layer's line (whose
    status held 3.0.11-1), not the line that installed it."""
    lower = dpkg_base() + member("var/lib/dpkg/status", BENIGN) + link("d", "/var/lib/dpkg") + END
    upper = member("d/status", STATUS) + folder("d") + member("d/status", b"x") + END
    image = layout(tmp_path / "image", lower, upper)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    tree = read_tree(oci.read_layout(image).layers)
    found = [(p.name, p.version, p.layer) for p in read_packages(tree).packages]
    assert found == [("openssl", "3.0.0-1", 1)]


def pax_member(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    return info.tobuf(format=tarfile.PAX_FORMAT)


def test_a_deep_folder_taken_out_and_written_again_costs_work_in_step_with_the_layer(
    tmp_path: Path,
) -> None:
    """A folder 1,990 deep, its place walked once (paid by 4,500 other files), then a file
    written over its top and the deep path written again, 200 times: before, each time filed
    the 1,990 folders again, unbounded by the merge's work (1,000 times: 4.5 s of CPU for 16 KB
    of gzip). Now it costs what a layer of as many short names costs, or less (refused)."""
    deep = "/".join(["a"] * 1990)
    filler = b"".join(member(f"z/{i}", b"") for i in range(4500))
    hostile = b"".join(pax_member("a") + pax_member(f"{deep}/f") for _ in range(200))
    plain = b"".join(pax_member(f"p/{i}") for i in range(400))
    bad = _work(tmp_path, "hostile", filler + pax_member(f"{deep}/f") + END, hostile + END)
    fair = _work(tmp_path, "plain", filler + pax_member(f"{deep}/f") + END, plain + END)
    assert bad < 2 * fair, (bad, fair)


def test_a_scope_folder_that_is_a_link_hides_no_package(tmp_path: Path) -> None:
    """``node_modules/@babel`` a link to ``/store``: Node finds ``@babel/traverse`` at
    ``store/traverse``. Before: only a ``node_modules`` that is a link was followed, and a
    scope that is one hid every package under it."""
    manifest = b'{"name": "@babel/traverse", "version": "7.22.0"}'
    layer = member("store/traverse/package.json", manifest)
    image = layout(tmp_path / "image", layer + link("app/node_modules/@babel", "/store") + END)
    assert packages_of(image) == ["@babel/traverse@7.22.0"]


@needs_umoci
@pytest.mark.parametrize(
    ("lower", "refused"),
    [(member("a", b""), "names nothing"), (folder("d"), "names a folder")],
    ids=["to-nothing", "to-a-folder"],
)
def test_a_hard_link_a_runtime_cannot_make_is_refused(
    tmp_path: Path, lower: bytes, refused: str
) -> None:
    """umoci refuses a layer whose hard link names no file, or a folder (the kernel links
    neither). Before: the tree held the link, a file with no bytes where the image has none."""
    image = layout(tmp_path / "image", lower + END, hard("h", "d") + END)
    with pytest.raises(AssertionError, match="unpack"):
        runtimes(image)
    with pytest.raises(TreeError, match=refused):
        ours(image)


@needs_umoci
@pytest.mark.parametrize(
    "layers",
    [
        [dpkg_base().replace(folder("var/lib/dpkg"), member("var/lib/dpkg", b"")) + END,
         member("var/lib/dpkg/status", STATUS) + END],
        [member("var/lib/db", b"") + link("var/lib/dpkg", "db") + END,
         member("var/lib/dpkg/status", STATUS) + END],
    ],
    ids=["under-a-file", "under-a-link-to-a-file"],
)  # fmt: skip
def test_a_file_written_under_a_file_is_refused_as_a_runtime_refuses_it(
    tmp_path: Path, layers: list[bytes]
) -> None:
    """umoci makes no folder where the image holds a file, and refuses the layer. Before: the
    tree filed ``var/lib/dpkg/status`` under the file ``var/lib/dpkg`` and reported the
    packages of a status no container can hold."""
    image = layout(tmp_path / "image", *layers)
    with pytest.raises(AssertionError, match="mkdir"):
        runtimes(image)
    with pytest.raises(TreeError, match="under what is not a folder"):
        ours(image)
