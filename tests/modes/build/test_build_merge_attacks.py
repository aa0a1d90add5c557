"""Attacks on the image reader's merge through links, its tar header reading and its package
readers that follow a linked ``node_modules`` or ``status.d``, by someone who did not write
them. Each test builds hostile layers with Python and asserts what holds: no file or package
that our reader and a runtime (umoci, Go's ``archive/tar`` and ``filepath-securejoin``) see
differently, and no read whose time grows faster than the image."""

from __future__ import annotations

import contextlib
import gzip
import shutil
import sys
import tarfile
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from cicd_agent.modes.build import oci
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from cicd_agent.modes.build.packages import read_packages
from cicd_agent.modes.build.tree import TreeError
from tests.helpers.buildah import BUSYBOX, needs_buildah
from tests.modes.build.test_build_outside_attacks import (
    END,
    RELEASE,
    STATUS,
    layout,
    link,
    member,
    needs_umoci,
    ours,
    runtimes,
    whiteout,
)

BENIGN = b"Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1\n\n"


def folder(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def hard(name: str, target: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.LNKTYPE, target
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def dpkg_base() -> bytes:
    return b"".join(folder(f) for f in ("var", "var/lib", "var/lib/dpkg")) + member(
        "etc/os-release", RELEASE
    )


def packages_of(image: Path) -> list[str]:
    tree = read_tree(oci.read_layout(image).layers)
    return [f"{p.name}@{p.version}" for p in read_packages(tree).packages]


def the_status(image: Path) -> bytes:
    return (image.with_name(image.name + "-bundle") / "rootfs/var/lib/dpkg/status").read_bytes()


# --- a runtime and our tree agree on where each file is --------------------------------------


@needs_umoci
def test_attack_a_link_target_that_climbs_back_through_a_link_places_the_file_where_a_runtime_does(
    tmp_path: Path,
) -> None:
    """``a -> q/../dpkg`` with ``q -> var/lib/x``: a runtime takes ``..`` from where ``q`` led
    (``var/lib``), so ``a/status`` is ``var/lib/dpkg/status``. Before: the reader cleaned the
    target as text (``dpkg``), kept the benign status and filed the vulnerable one at
    ``dpkg/status``: the image's openssl was the one it does not run."""
    lower = (
        dpkg_base()
        + folder("var/lib/x")
        + member("var/lib/dpkg/status", BENIGN)
        + link("q", "var/lib/x")
        + link("a", "q/../dpkg")
        + END
    )
    image = layout(tmp_path / "image", lower, member("a/status", STATUS) + END)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    assert packages_of(image) == ["openssl@3.0.0-1"]


@needs_umoci
@pytest.mark.parametrize(
    "upper",
    [
        [link("x/up", "../../../../etc"), member("x/up/passwd", b"p")],
        [link("x/up", "/../../etc/"), member("x/up/passwd", b"p")],
        [link("x/up", "q/../../../.."), link("x/q", "/etc"), member("x/up/passwd", b"p")],
    ],
    ids=["relative", "absolute", "through-another-link"],
)
def test_attack_links_that_climb_above_the_root_stay_in_the_image(
    tmp_path: Path, upper: list[bytes]
) -> None:
    image = layout(tmp_path / "image", folder("x") + END, b"".join(upper[:-1]) + END,
                   upper[-1] + END)  # fmt: skip
    assert ours(image) == runtimes(image)


@needs_umoci
@pytest.mark.parametrize(
    "layers",
    [
        [link("d", "t1"), member("d/f", b"1") + link("d", "t2") + member("d/g", b"2")],
        [link("d", "t1"), link("d", "t2"), member("d/f", b"1")],
        [link("d", "t1") + link("t1", "t2"), member("d/f", b"1")],
        [link("d", "t1"), folder("d") + member("d/f", b"1")],
    ],
    ids=["replaced-within-a-layer", "replaced-by-a-later-layer", "a-chain", "replaced-by-a-folder"],
)
def test_attack_a_link_a_later_entry_replaces_places_files_where_a_runtime_does(
    tmp_path: Path, layers: list[bytes]
) -> None:
    first = folder("t1") + folder("t2")
    image = layout(tmp_path / "image", first + END, *(layer + END for layer in layers))
    assert ours(image) == runtimes(image)


@needs_umoci
def test_attack_a_hard_link_to_a_link_is_listed_where_a_runtime_puts_it(tmp_path: Path) -> None:
    lower = folder("t") + member("t/status", STATUS) + link("s", "t/status") + END
    image = layout(tmp_path / "image", lower, hard("h", "s") + END)
    assert ours(image) == runtimes(image)


@needs_umoci
def test_attack_a_file_a_layer_names_twice_is_read_as_its_last_copy(tmp_path: Path) -> None:
    """A runtime writes each copy over the one before. A record reached through a link is read
    again from its layer; before, that read took the first copy of the name (a safe version)
    where the image holds the last (a vulnerable one)."""
    safe, vulnerable = (
        b'{"name": "lodash", "version": "%s"}' % v for v in (b"4.17.21", b"4.17.15")
    )
    layer = (
        member("store/lodash/package.json", safe)
        + member("store/lodash/package.json", vulnerable)
        + link("app/node_modules", "/store")
        + END
    )
    image = layout(tmp_path / "image", layer)
    runtimes(image)
    held = image.with_name("image-bundle") / "rootfs/store/lodash/package.json"
    assert held.read_bytes() == vulnerable
    assert packages_of(image) == ["lodash@4.17.15"]


@needs_umoci
def test_attack_a_whiteout_after_the_link_is_replaced_hides_no_package(tmp_path: Path) -> None:
    lower = dpkg_base() + member("var/lib/dpkg/status", STATUS) + link("d", "/var/lib/dpkg") + END
    image = layout(tmp_path / "image", lower, folder("d") + whiteout("d/.wh.status") + END)
    assert ours(image) == runtimes(image)
    assert packages_of(image) == ["openssl@3.0.0-1"]


@needs_umoci
def test_attack_a_whiteout_through_a_link_of_its_own_layer_shows_what_a_runtime_shows(
    tmp_path: Path,
) -> None:
    lower = dpkg_base() + member("var/lib/dpkg/status", STATUS) + END
    image = layout(tmp_path / "image", lower, link("d", "/var/lib/dpkg") + whiteout("d/.wh.status")
                   + END)  # fmt: skip
    assert ours(image) == runtimes(image)


@needs_umoci
@pytest.mark.parametrize(
    "layers",
    [
        [link("d", "t1"), link("d", "t2") + member("d/f", b"1") + link("d", "t1")],
        [member("t1/a", b"1") + member("t1/b", b"1"), member("t1/n", b"2") + whiteout(".wh.t1")],
        [member("t1/a", b"1"), member("t1/a", b"2") + whiteout("t1/.wh.a")],
        [member("t1/a", b"1"), member("t1/n", b"2") + whiteout("t1/.wh..wh..opq")],
    ],
    ids=["a-link-written-twice", "a-folder-whited-out-after-a-file-of-its-layer-in-it",
         "a-file-whited-out-after-its-layer-wrote-it", "an-opaque-folder-after-a-file-in-it"],
)  # fmt: skip
def test_attack_a_layer_is_applied_in_its_order_as_a_runtime_applies_it(
    tmp_path: Path, layers: list[bytes]
) -> None:
    """A runtime applies a layer's members in their order, and a whiteout to what lower layers
    wrote (what its own layer wrote before it stays, and the folders above that). Before: a
    name the layer wrote twice was placed once, at its first place with its last version, so
    the file written between a link's two versions was filed where the last one leads."""
    first = folder("t1") + folder("t2")
    image = layout(tmp_path / "image", first + END, *(layer + END for layer in layers))
    assert ours(image) == runtimes(image)


@needs_umoci
@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        (folder("var/lib/dpkg"), member("var/lib/dpkg", b"x")),
        (folder("var/lib/dpkg"), link("var/lib/dpkg", "/nowhere")),
        (folder("var/lib/dpkg"), folder("var/lib/dpkg")),
        (b"", member("var/lib", b"x")),  # a folder the lower layer made only by a file in it
    ],
    ids=["a-file", "a-link", "a-folder", "a-file-over-a-folder-no-entry-made"],
)
def test_attack_what_a_layer_writes_over_a_folder_takes_out_what_a_runtime_takes_out(
    tmp_path: Path, lower: bytes, upper: bytes
) -> None:
    """A runtime removes a folder, with everything under it, before it writes a file or a link
    in its place (a folder over a folder keeps it). Before: the tree kept the folder's files,
    and a file written over ``var/lib/dpkg`` left the old status's packages in the report."""
    status = member("var/lib/dpkg/status", STATUS)
    first = b"".join(folder(f) for f in ("var", "var/lib")) + lower + status if lower else status
    image = layout(tmp_path / "image", first + member("etc/os-release", RELEASE) + END,
                   upper + END)  # fmt: skip
    assert ours(image) == runtimes(image)
    assert packages_of(image) == (["openssl@3.0.0-1"] if upper == lower else [])


@needs_umoci
@pytest.mark.parametrize("name", ["d/.wh.", ".wh."], ids=["in-a-folder", "at-the-root"])
def test_attack_a_whiteout_that_names_no_file_is_refused_as_a_runtime_refuses_it(
    tmp_path: Path, name: str
) -> None:
    """``.wh.`` alone names no file: umoci refuses the layer (containerd removes the folder
    holding it). Before: read as the folder made opaque (``d/.wh.``), or as nothing at the
    root, a reading of its own."""
    image = layout(tmp_path / "image", folder("d") + member("d/f", b"1") + END,
                   whiteout(name) + END)  # fmt: skip
    with pytest.raises(AssertionError, match="unpack entry"):
        runtimes(image)
    with pytest.raises(TreeError, match="a whiteout that names no file"):
        ours(image)


@needs_umoci
def test_attack_a_link_target_longer_than_a_runtime_makes_is_refused(tmp_path: Path) -> None:
    """The kernel makes no link of more than 4,095 bytes (umoci refuses the layer). Before, a
    link of a megabyte whose target came back to itself was cleaned as text at each of the 16
    hops an entry's work allowed (160 entries under it: 7.8 s to merge), and once for each of
    40 hops a reader's path took (80 ``node_modules`` links to it: 6.7 s to read)."""
    loop = tarfile.TarInfo("l")
    loop.type, loop.linkname = tarfile.SYMTYPE, "l" + "/." * 2048
    image = layout(tmp_path / "image", loop.tobuf(format=tarfile.PAX_FORMAT) + END)
    with pytest.raises(AssertionError, match="file name too long"):
        runtimes(image)
    with pytest.raises(TreeError, match="a link of more than 4095 bytes"):
        ours(image)


_STEPS = (
    ("mkdir -p /d/sub /d/keep /e", "touch /d/a /d/b /d/sub/x /d/keep/y /e/z", "ln -s /d/keep /l"),
    ("rm -rf /d/sub /d/a /l /d/b", "touch /d/sub /d/-early /d/!first", "mkdir /d/b",
     "touch /d/b/in", "ln -s /e /l", "touch /l/v"),
    ("rm -rf /e", "mkdir /e", "touch /e/again /e/-x /e/keep"),
)


@needs_buildah
@needs_umoci
@pytest.mark.timeout(400, method="thread")
def test_a_builders_layers_that_delete_and_rewrite_read_as_a_runtime_reads_them(
    tmp_path: Path,
) -> None:
    """Layers buildah writes for ``RUN`` lines that delete files and folders, put a file where
    a folder was and a folder where a file was, write names that sort before a whiteout's and
    replace a link: our tree is umoci's. Before: buildah writes the file ``d/sub`` over the
    folder with no whiteout, and the tree kept the folder's ``d/sub/x``."""
    context = tmp_path / "context"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    lines = (" && ".join(f"/bin/busybox {command}" for command in step) for step in _STEPS)
    runs = "".join(f'RUN ["/bin/busybox", "sh", "-c", "{line}"]\n' for line in lines)
    (context / "Dockerfile").write_text(f"FROM scratch\nCOPY busybox /bin/busybox\n{runs}")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    built = builder.build(Request(context, context / "Dockerfile", tmp_path / "out"), print)
    blobs = [path.read_bytes() for path in read_layout(built.layout).layers]
    plain = [gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob for blob in blobs]
    image = layout(tmp_path / "image", *plain)
    assert ours(image) == runtimes(image)
    assert "e/again" in ours(image) and "d/sub/x" not in ours(image)
    assert "e/z" not in ours(image) and "e/v" not in ours(image)  # a folder taken out, made anew


# --- what following links costs grows with the image, no faster ------------------------------


def _calls(action: Callable[[], object]) -> int:
    """The function calls ``action`` makes (Python's and C's, counted by a profile function):
    the work it does, the same on a quiet machine and a loaded one, unlike its time."""
    made = 0

    def count(_frame: object, event: str, _arg: object) -> None:
        nonlocal made
        made += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        action()
    finally:
        sys.setprofile(None)
    return made


def _work(tmp_path: Path, name: str, *layers: bytes) -> int:
    blobs = []
    for n, data in enumerate(layers):
        blobs.append(tmp_path / f"{name}-{n}")
        blobs[-1].write_bytes(gzip.compress(data, 1))

    def read() -> None:
        with contextlib.suppress(TreeError):  # refused, in bounds: what a hostile image may get
            read_packages(read_tree(blobs))

    return _calls(read)


CHAIN = b"".join(link(f"c{i}", f"c{i + 1}") for i in range(254)) + link("c254", "d")
LONG = tarfile.TarInfo("l")
LONG.type, LONG.linkname = tarfile.SYMTYPE, "l" + "/." * 2046  # 4,093 bytes, into itself


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: [CHAIN + END, b"".join(member(f"c0/d{i}/f", b"") for i in range(n)) + END],
        lambda n: [link("l", "l") + END, b"".join(member(f"l/d{i}/f", b"") for i in range(n)) + END],
        lambda n: [b"".join(link(f"k{i}", "t") + member(f"k{i}/x{i}/f", b"") for i in range(n))
                   + END],
        lambda n: [LONG.tobuf(format=tarfile.PAX_FORMAT) + END,
                   b"".join(link(f"a{i}/node_modules", "/l") for i in range(n)) + END],
        lambda n: [link("l", "l") + END,
                   b"".join(whiteout(f"l/d{i}/.wh.f") + member(f"l/d{i}/g", b"") for i in range(n))
                   + END],
        lambda n: [b"".join(member(f"d/f{i}", b"") for i in range(n))
                   + whiteout("d/.wh..wh..opq") * n + END],
    ],
    ids=["a-chain-of-255-links", "a-loop", "a-new-link-before-each-file",
         "node-modules-links-into-a-loop-of-4k-links", "whiteouts-through-a-loop",
         "whiteouts-after-their-own-layers-files"],
)  # fmt: skip
def test_attack_links_that_make_the_merge_slow_cost_work_in_step_with_the_image(
    tmp_path: Path, shape: Callable[[int], list[bytes]]
) -> None:
    """Each shape read at 500 and 2,000 entries: four times the entries may cost about four
    times the work (function calls), not sixteen (timed by hand: a chain 0.2 s at 2,000 and
    0.8 s at 8,000 entries, the node_modules links 0.3 s and 1.2 s)."""
    small = _work(tmp_path, "small", *shape(500))
    large = _work(tmp_path, "large", *shape(2000))
    assert large < 6 * small, (small, large)


def test_attack_records_behind_a_linked_node_modules_at_the_end_of_a_long_layer_read_in_time(
    tmp_path: Path,
) -> None:
    """Records under a linked ``node_modules`` (or ``status.d``, or a ``.dist-info`` link) are
    read again from their layer. Before, each was read by decompressing the layer from its
    start, a pass a record: 64 records behind 4,000 files took 39,200,000 calls, 41 times a read
    of the whole layer (64 behind 40,000 files took 97 s, and links to folders of 64 records
    each grew as the square); now all of a layer's are read in one pass (744,000)."""
    filler = b"".join(member(f"fill/{i}", b"") for i in range(4000))
    records = b"".join(member(f"s/p{j}/package.json", b'{"name": "p%d", "version": "1"}' % j)
                       for j in range(64))  # fmt: skip
    blob = tmp_path / "layer"
    blob.write_bytes(gzip.compress(filler + link("app/node_modules", "/s") + records + END, 1))
    once = _calls(lambda: read_tree([blob]))
    tree = read_tree([blob])
    found: list[int] = []
    calls = _calls(lambda: found.append(len(read_packages(tree).packages)))
    assert found == [64]
    assert calls < 2 * once, (calls, once)  # one pass of the layer, not one a record


@needs_umoci
@pytest.mark.parametrize(
    "upper",
    [
        link("r", "/") + member("r/var/lib/dpkg/status", STATUS),
        link("r", "../..") + member("r/var/lib/dpkg/status", STATUS),
        link("d", "/var/lib/dpkg") + folder("e") + member("e/.wh..wh..opq", b""),
    ],
    ids=["a-link-to-the-root", "a-link-above-the-root", "an-opaque-folder-that-is-a-link"],
)
def test_attack_a_file_written_through_a_link_to_the_root_is_where_a_runtime_puts_it(
    tmp_path: Path, upper: bytes
) -> None:
    """Before: a file written through a link to the root was filed as ``/var/lib/dpkg/status``,
    a path no reader asks for, and the image's vulnerable status was not read."""
    lower = dpkg_base() + member("var/lib/dpkg/status", BENIGN) + END
    image = layout(tmp_path / "image", lower, upper + END)
    assert ours(image) == runtimes(image)


@needs_umoci
def test_attack_an_opaque_whiteout_in_a_folder_that_is_a_link_hides_what_a_runtime_hides(
    tmp_path: Path,
) -> None:
    lower = dpkg_base() + member("var/lib/dpkg/status", STATUS) + link("d", "/var/lib/dpkg") + END
    image = layout(tmp_path / "image", lower, member("d/.wh..wh..opq", b"") + END)
    assert ours(image) == runtimes(image)


# --- advice builds side by side in one storage -----------------------------------------------

VICTIM = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "6"]\nCOPY who /who\n'
)


def _reacher(storage: Path, route: str) -> str:
    """A Dockerfile whose ``RUN`` line, for 15 s, writes ``forged`` into every other build's
    context copy it reaches by ``route``: ``{storage}`` is the storage's folder."""
    where = route.format(storage=storage)
    loop = (
        "for i in $(/bin/busybox seq 1 150); do "
        f"for c in {where}/context-*; do "
        'if [ -f "$c/who" ] && [ "$(/bin/busybox cat "$c/who")" = victim ]; then '
        'echo forged > "$c/who" 2>/dev/null && echo "reached $c"; fi; done; '
        "/bin/busybox sleep 0.1; done; true"
    )
    return (
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        f'RUN ["/bin/busybox", "sh", "-c", "{loop.replace(chr(34), chr(92) + chr(34))}"]\n'
    )


@needs_buildah
@pytest.mark.timeout(400, method="thread")
@pytest.mark.parametrize(
    "route",
    [
        pytest.param("{storage}", id="straight"),
        pytest.param("/proc/[0-9]*/root{storage}", id="through-proc"),
    ],
)
def test_attack_a_run_line_of_one_advice_build_does_not_change_the_other_builds_context(
    tmp_path: Path, route: str
) -> None:
    """Two builds at once in one storage. Before, each copied its context to ``context-N``
    in the storage, which both sandboxes bind writable: one build's ``RUN`` line looked for the
    other's copy there (in the storage folder, or through ``/proc/<pid>/root`` of a process it
    sees) and wrote its file. The copies are now outside every storage: the other image must
    hold the file its own context had."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    start = threading.Barrier(2)
    images: dict[str, Path] = {}
    lines: list[str] = []
    failed: list[BaseException] = []

    def one(who: str, dockerfile: str) -> None:
        folder = tmp_path / f"ctx-{who}"
        folder.mkdir()
        assert BUSYBOX is not None
        shutil.copy(BUSYBOX, folder / "busybox")
        (folder / "Dockerfile").write_text(dockerfile)
        (folder / "who").write_text(who)
        start.wait()
        try:
            done = builder.build(
                Request(folder, folder / "Dockerfile", tmp_path / f"out-{who}"), lines.append
            )
            images[who] = done.layout
        except BuildFailed as exc:
            failed.append(exc)

    threads = [
        threading.Thread(target=one, args=("victim", VICTIM)),
        threading.Thread(target=one, args=("attacker", _reacher(builder.own.folder, route))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed
    who = read_tree(read_layout(images["victim"]).layers).files["who"].read()
    assert who == b"victim", [line for line in lines if line.startswith("reached")]


# --- names Python's tarfile and Go's reader take from different headers ----------------------


def pax(records: dict[str, bytes]) -> bytes:
    body = b""
    for key, value in records.items():
        record = b" " + key.encode() + b"=" + value + b"\n"
        size = len(record) + 1
        while len(str(size)) + len(record) != size:
            size = len(str(size)) + len(record)
        body += str(size).encode() + record
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, len(body)
    return info.tobuf(format=tarfile.USTAR_FORMAT) + body + b"\x00" * (-len(body) % 512)


def gnu_long(name: bytes) -> bytes:
    info = tarfile.TarInfo("././@LongLink")
    info.type, info.size = tarfile.GNUTYPE_LONGNAME, len(name) + 1
    return info.tobuf(format=tarfile.GNU_FORMAT) + name + b"\x00" * (512 - len(name) % 512)


@needs_umoci
@pytest.mark.parametrize(
    ("headers", "agree"),
    [
        (pax({"path": b"var/lib/dpkg/status-old"}) + pax({"path": b"var/lib/dpkg/status"}), False),
        (pax({"path": b"var/lib/dpkg/status-old"}) + gnu_long(b"var/lib/dpkg/status"), False),
        (gnu_long(b"var/lib/dpkg/status-old") + gnu_long(b"var/lib/dpkg/status"), False),
        (gnu_long(b"var/lib/dpkg/status-old") + pax({"path": b"var/lib/dpkg/status"}), True),
        (pax({"path": b""}), True),
        (pax({"path": b"var/lib/dpkg/status\x00.old"}), False),
    ],
    ids=["two-pax-headers", "pax-then-gnu-long-name", "two-gnu-long-names",
         "gnu-long-name-then-pax", "an-empty-pax-path", "a-nul-in-a-pax-path"],
)  # fmt: skip
def test_attack_a_name_two_headers_give_is_the_one_a_runtime_takes_or_refused(
    tmp_path: Path, headers: bytes, agree: bool
) -> None:
    """Go's reader takes the last of two headers for one name, and keeps the header's own name
    where a PAX path is empty. Before: tarfile took the first (``status-old``: the vulnerable
    status hidden from the report), and an empty PAX path dropped the file."""
    layer = dpkg_base() + headers + member("var/lib/dpkg/status", STATUS) + END
    image = layout(tmp_path / "image", layer)
    if agree:
        assert ours(image) == runtimes(image)
    else:
        with pytest.raises(TreeError, match="not a readable archive"):
            ours(image)


@needs_umoci
def test_attack_a_status_hard_linked_to_a_link_is_read_where_the_link_leads(
    tmp_path: Path,
) -> None:
    """A hard link to a symbolic link is that link (the kernel links the link, not what it
    names): ``var/lib/dpkg/status`` linked to ``s -> t/status`` leads to
    ``var/lib/dpkg/t/status``. Before: the reader took the link's own target from the root
    (``t/status``), or found no file, and listed none of the vulnerable status's packages."""
    lower = (
        dpkg_base()
        + folder("t")
        + member("t/status", BENIGN)
        + folder("var/lib/dpkg/t")
        + member("var/lib/dpkg/t/status", STATUS)
        + link("s", "t/status")
        + END
    )
    image = layout(tmp_path / "image", lower, hard("var/lib/dpkg/status", "s") + END)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    assert packages_of(image) == ["openssl@3.0.0-1"]


@needs_umoci
def test_a_status_hard_linked_to_a_hard_link_is_the_first_files_bytes(tmp_path: Path) -> None:
    """A hard link to a hard link is one more name of the same file: the status a layer
    names through a chain of two keeps the first file's bytes, as a runtime unpacks it, once
    a later layer takes both names of the chain out."""
    lower = dpkg_base() + folder("t") + member("t/status", STATUS) + hard("t/h", "t/status")
    linked = hard("var/lib/dpkg/status", "t/h") + END
    image = layout(tmp_path / "image", lower + END, linked, whiteout(".wh.t") + END)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    assert packages_of(image) == ["openssl@3.0.0-1"]


def test_attack_big_records_behind_a_linked_node_modules_are_not_all_held_at_once(
    tmp_path: Path,
) -> None:
    """Records under a linked folder are read again from their layer, up to 4 MiB each; the
    reader kept every one's bytes (as the key of its parsed listing) until the image was read:
    64 a link, as many links as the image holds. Now it keeps a digest of each: 12 records of
    4 MiB, about 48 MiB held before, at most a few at once now."""
    records = b"".join(
        member(f"s/p{j}/package.json",
               b'{"name": "p%d", "version": "1"}' % j + b" " * (4 * 1024 * 1024 - 40))
        for j in range(12)
    )  # fmt: skip
    blob = tmp_path / "layer"
    blob.write_bytes(gzip.compress(link("app/node_modules", "/s") + records + END, 1))
    tree = read_tree([blob])
    tracemalloc.start()
    try:
        assert len(read_packages(tree).packages) == 12
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 24 * 1024 * 1024, peak
