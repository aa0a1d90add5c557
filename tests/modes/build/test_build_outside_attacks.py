"""Attacks on the build mode's image readers by someone who did not write them: layers written
by hand (a ``base-image``, or an image a pull request's ``FROM`` line pulls from a registry of
its own, whose layer bytes buildah's storage keeps as they came), a ``base-image`` tar or folder,
and package records an image holds. Each test builds the hostile input with Python and asserts
what holds: no crash, no stall, no memory or disk past a bound, no host file written, and no file
or package that our reader and a container runtime see differently.

Where a runtime is the referee, it is umoci (Go's ``archive/tar``, as buildah's storage and
containerd read layers), unpacking the same layout."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tracemalloc
import zlib
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.markdown import posted
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.build import oci
from cicd_agent.modes.build.collect import outside_checkout, read_built
from cicd_agent.modes.build.layer_archive import from_memory, read_tree
from cicd_agent.modes.build.packages import read_packages
from cicd_agent.modes.build.tar_headers import SPECIAL_LIMIT
from cicd_agent.modes.build.tree import TreeError
from tests.helpers.buildah import needs_buildah
from tests.helpers.cli import run_cli

needs_umoci = pytest.mark.skipif(
    shutil.which("umoci") is None and not os.environ.get("CI"),
    reason="needs umoci (tests/harness/setup.sh installs it)",
)


# --- hand-written layers and layouts ---------------------------------------------------------


def header(name: str, size: int = 0, *, fmt: int = tarfile.USTAR_FORMAT) -> bytearray:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o644
    return bytearray(info.tobuf(format=fmt))


def checksummed(block: bytearray, field: bytes | None = None) -> bytes:
    """``block`` with its checksum written (``field``: written as given, ``%`` the sum)."""
    block[148:156] = b" " * 8
    total = sum(block)
    block[148:156] = (field or b"%06o\x00 ") % total
    return bytes(block)


def member(name: str, data: bytes, *, fmt: int = tarfile.USTAR_FORMAT) -> bytes:
    return checksummed(header(name, len(data), fmt=fmt)) + padded(data)


def padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 512)


END = b"\x00" * 1024


def put(folder: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (folder / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}", len(data)


def layout(folder: Path, *layers: bytes) -> Path:
    """An OCI layout of one image, tagged ``t``, whose layers are ``layers`` as given."""
    folder.mkdir(parents=True)
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    blobs = [put(folder, data) for data in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [digest for digest, _ in blobs]},
    }
    config_digest, config_size = put(folder, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n}
            for d, n in blobs
        ],
    }
    digest, size = put(folder, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest,
                "size": size,
                "annotations": {"org.opencontainers.image.ref.name": "t"},
            }
        ],
    }
    (folder / "index.json").write_text(json.dumps(index))
    return folder


def ours(folder: Path) -> list[str]:
    """The files our reader says the image holds."""
    image = oci.read_layout(folder)
    return sorted(p for p, e in read_tree(image.layers).files.items() if e.kind != "dir")


def runtimes(folder: Path) -> list[str]:
    """The files umoci unpacks from the image (Go's tar reader, as a runtime's)."""
    bundle = folder.with_name(folder.name + "-bundle")
    done = subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{folder}:t", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-400:]
    root = bundle / "rootfs"
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink() or not p.is_dir()
    )


STATUS = b"Package: openssl\nStatus: install ok installed\nVersion: 3.0.0-1\n\n"


# --- tar headers Python and Go read differently ----------------------------------------------


@needs_umoci
@pytest.mark.parametrize(
    ("fmt", "magic", "prefix"),
    [
        (tarfile.USTAR_FORMAT, b"\x00" * 8, b"hidden"),  # V7: Go has no prefix field
        (tarfile.GNU_FORMAT, None, b"00000000001\x00"),  # GNU: times that read as numbers
    ],
    ids=["v7-header", "gnu-header-with-times"],
)
def test_attack_bytes_in_a_headers_prefix_field_name_the_file_where_a_runtime_puts_it(
    tmp_path: Path, fmt: int, magic: bytes | None, prefix: bytes
) -> None:
    """Python's tarfile put the bytes at 345-500 before every name; Go reads them as a name's
    first part only in a ``ustar`` header (GNU tar writes access and change times there).
    Before: the status file a runtime unpacks at ``var/lib/dpkg/status`` read as
    ``hidden/var/lib/dpkg/status``, and its packages were not in the report."""
    block = header("var/lib/dpkg/status", len(STATUS), fmt=fmt)
    if magic is not None:
        block[257:265] = magic
    block[345 : 345 + len(prefix)] = prefix
    folder = layout(tmp_path / "image", checksummed(block) + padded(STATUS) + END)
    assert runtimes(folder) == ["var/lib/dpkg/status"]
    assert ours(folder) == ["var/lib/dpkg/status"]


@needs_umoci
def test_attack_a_size_field_read_two_ways_is_refused(tmp_path: Path) -> None:
    """``"\\x00" + "0000001000"``: Python cut the field at its first NUL (size 0), Go drops
    leading NULs (512). Python then read the file's bytes as a header of its own (a decoy that
    swallows the real status file as its data). Before: the runtime unpacked the status, our
    reader saw ``decoy`` instead."""
    block = header("x")
    block[124:136] = b"\x0000000001000"
    decoy = checksummed(header("decoy", 1024))
    layer = checksummed(block) + decoy + member("var/lib/dpkg/status", b"hello") + END
    folder = layout(tmp_path / "image", layer)
    assert "var/lib/dpkg/status" in runtimes(folder)
    with pytest.raises(TreeError, match="reads two ways"):
        ours(folder)


@needs_umoci
def test_attack_a_checksum_read_two_ways_does_not_end_the_layer_in_silence(
    tmp_path: Path,
) -> None:
    """A checksum written ``"\\x00" + octal``: Go reads it and unpacks the file; Python found
    the header invalid and, past the first header, ended the archive there without a word.
    Before: every file from there on was missing from the report."""
    block = header("var/lib/dpkg/status", len(STATUS))
    layer = member("a", b"") + checksummed(block, b"\x00%06o\x00") + padded(STATUS) + END
    folder = layout(tmp_path / "image", layer)
    assert runtimes(folder) == ["a", "var/lib/dpkg/status"]
    with pytest.raises(TreeError, match="cannot be read"):
        ours(folder)


def test_attack_a_global_pax_header_renames_no_file(tmp_path: Path) -> None:
    """buildah's storage and containerd leave a global PAX header out (umoci refuses the
    layer); Python's tarfile applied its ``path`` to every later member. Before: the image's
    status and every other file read as one file named ``decoy``."""
    glob = tarfile.TarInfo._create_pax_generic_header(  # type: ignore[attr-defined]
        {"path": "decoy"}, tarfile.XGLTYPE, "utf-8"
    )
    layer = glob + member("var/lib/dpkg/status", STATUS) + member("etc/other", b"x") + END
    assert ours(layout(tmp_path / "image", layer)) == ["etc/other", "var/lib/dpkg/status"]


def gzip_of_long_name(size: int) -> bytes:
    """A gzip layer whose one header is a GNU long name of ``size`` bytes."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = header("././@LongLink", size, fmt=tarfile.GNU_FORMAT)
    block[156:157] = tarfile.GNUTYPE_LONGNAME
    parts = [packer.compress(checksummed(block))]
    chunk = b"a" * (1 << 20)
    for _ in range(size >> 20):
        parts.append(packer.compress(chunk))
    parts.append(packer.compress(member("x", b"") + END))
    return b"".join(parts) + packer.flush()


@pytest.mark.parametrize("where", ["layer", "layout-tar"])
def test_attack_a_long_name_of_megabytes_is_refused_before_it_is_held(
    tmp_path: Path, where: str
) -> None:
    """A GNU long name (or PAX header) is read whole into memory by tarfile before any bound
    of ours sees a member: 1 MB of gzip held a 1 GiB name. Now refused past Go's own 1 MiB.
    Before: 64 MiB of name took 64 MiB (256 MiB took 1.8 GB of memory)."""
    data = gzip_of_long_name(64 << 20)
    assert len(data) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(TreeError, match=f"at most {SPECIAL_LIMIT}"):
            if where == "layer":
                ours(layout(tmp_path / "image", data))
            else:
                (tmp_path / "image.tar.gz").write_bytes(data)
                oci.unpack(tmp_path / "image.tar.gz", tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_attack_an_old_gnu_sparse_member_is_refused(tmp_path: Path) -> None:
    """Its map runs on in extension blocks tarfile keeps in memory, one after another; no
    container tool writes one."""
    block = header("sparse", 0, fmt=tarfile.GNU_FORMAT)
    block[156:157] = tarfile.GNUTYPE_SPARSE
    layer = checksummed(block) + END
    with pytest.raises(TreeError, match="sparse"):
        ours(layout(tmp_path / "image", layer))


def test_a_layer_a_builder_writes_reads_as_before(tmp_path: Path) -> None:
    """The checks refuse nothing Python's writer or a GNU header without times writes."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in ("a/" + "n" * 200, "é/ü", "d"):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uid = 2, 1_700_000_000, 70_000_000
            archive.addfile(info, io.BytesIO(b"hi"))
    gnu = member("g/plain", b"x", fmt=tarfile.GNU_FORMAT)
    ustar = member("p" * 120 + "/long", b"x")  # its first part in the prefix field
    folder = layout(tmp_path / "image", data.getvalue(), gnu + ustar + END)
    assert ours(folder) == sorted(["a/" + "n" * 200, "é/ü", "d", "g/plain", "p" * 120 + "/long"])


# --- whiteouts, as a runtime applies them ----------------------------------------------------


def whiteout(name: str) -> bytes:
    return member(name, b"")


@needs_umoci
@pytest.mark.parametrize(
    "upper",
    [
        [".wh..wh..opq", "new"],  # the root made opaque: every lower file hidden
        ["usr/.wh..wh..opq"],  # a sub-folder made opaque: only its files
        ["usr/.wh.lib"],  # a folder whited out with everything under it
        ["usr/lib/.wh.a", "usr/lib/.wh.missing"],  # one file, and one that is not there
    ],
    ids=["root-opaque", "folder-opaque", "folder-whiteout", "file-whiteouts"],
)
def test_whiteouts_hide_what_a_runtime_hides(tmp_path: Path, upper: list[str]) -> None:
    lower = b"".join(member(name, b"x") for name in ("usr/lib/a", "usr/lib/b", "etc/c")) + END
    top = b"".join(member(name, b"y") if ".wh." not in name else whiteout(name) for name in upper)
    folder = layout(tmp_path / "image", lower, top + END)
    assert ours(folder) == runtimes(folder)


def link(name: str, target: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info.tobuf(format=tarfile.USTAR_FORMAT)


@needs_umoci
@pytest.mark.parametrize(
    "upper",
    [member("var/lib/dpkg/status", STATUS), member("var/lib/dpkg/.wh.status", b"")],
    ids=["written-through-a-link", "whited-out-through-a-link"],
)
def test_attack_a_layer_that_writes_through_an_earlier_link_shows_what_a_runtime_shows(
    tmp_path: Path, upper: bytes
) -> None:
    lower = member("opt/db/status", b"") + link("var/lib/dpkg", "/opt/db") + END
    folder = layout(tmp_path / "image", lower, upper + END)
    assert ours(folder) == runtimes(folder)


# --- package records a package manager opens through a link ----------------------------------

RELEASE = b"ID=debian\nVERSION_ID=12\n"
METADATA = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.0.0\n"
MANIFEST = b'{"name": "lodash", "version": "4.17.0"}'


@pytest.mark.parametrize(
    ("files", "purl"),
    [
        (
            {"opt/db/status": STATUS, "var/lib/dpkg": "/opt/db"},
            "pkg:deb/debian/openssl@3.0.0-1?distro=debian-12",
        ),
        (
            {"opt/status": STATUS, "var/lib/dpkg/status": "../../../opt/status"},
            "pkg:deb/debian/openssl@3.0.0-1?distro=debian-12",
        ),
        (
            {"opt/apk": b"P:musl\nV:1.2.4-r0\n\n", "lib/apk/db": "/opt/apk-db",
             "opt/apk-db/installed": "../apk"},
            "pkg:apk/debian/musl@1.2.4-r0?distro=debian-12",
        ),
        (
            {"opt/meta/METADATA": METADATA, "site/requests-2.0.0.dist-info": "/opt/meta"},
            "pkg:pypi/requests@2.0.0",
        ),
        (
            {"opt/m": METADATA, "site/requests-2.0.0.dist-info/METADATA": "/opt/m"},
            "pkg:pypi/requests@2.0.0",
        ),
        (
            {"store/lodash/package.json": MANIFEST, "app/node_modules/lodash": "../../store/lodash"},
            "pkg:npm/lodash@4.17.0",
        ),
    ],
    ids=["dpkg-folder", "dpkg-status", "apk-folder-and-file", "dist-info-folder", "metadata",
         "node-package-folder"],
)  # fmt: skip
def test_attack_a_record_a_package_manager_opens_through_a_link_is_read(
    files: dict[str, bytes | str], purl: str
) -> None:
    """``mv /var/lib/dpkg /opt/db && ln -s /opt/db /var/lib/dpkg``: dpkg, syft and a runtime
    open the status through the link. Before: the reader looked at the path alone, found no
    status (or a link it did not read) and the image's packages, and their new critical
    vulnerabilities, were not in the report: ``fail-on: new-critical`` passed."""
    tree = from_memory([{"etc/os-release": "../usr/lib/os-release", "usr/lib/os-release":
                         "/opt/release", "opt/release": RELEASE, **files}])  # fmt: skip
    found = read_packages(tree)
    assert [p.purl.replace("arch=&", "") for p in found.packages] == [purl]
    assert found.cut == ()


def test_a_package_a_link_and_its_own_folder_both_name_is_read_once() -> None:
    """pnpm's layout: ``node_modules/x`` links to ``node_modules/.pnpm/x@1/node_modules/x``."""
    tree = from_memory([{"app/node_modules/.pnpm/lodash@4/node_modules/lodash/package.json":
                         MANIFEST,
                         "app/node_modules/lodash": ".pnpm/lodash@4/node_modules/lodash"}])  # fmt: skip
    assert [p.purl for p in read_packages(tree).packages] == ["pkg:npm/lodash@4.17.0"]


def test_attack_a_node_modules_folder_that_is_a_link_hides_no_package() -> None:
    tree = from_memory([{"opt/nm/lodash/package.json": MANIFEST, "app/node_modules": "/opt/nm"}])
    assert [p.purl for p in read_packages(tree).packages] == ["pkg:npm/lodash@4.17.0"]


def test_attack_a_status_d_folder_that_is_a_link_hides_no_package() -> None:
    tree = from_memory([{"etc/os-release": RELEASE, "opt/sd/openssl": STATUS,
                         "var/lib/dpkg/status.d": "/opt/sd"}])  # fmt: skip
    assert [p.name for p in read_packages(tree).packages] == ["openssl"]


def test_packages_past_the_bound_under_a_linked_node_modules_are_said() -> None:
    """A link may name a folder of any size: at most 64 records are read under it."""
    files: dict[str, bytes | str] = {"app/node_modules": "/opt/nm"}
    for n in range(70):
        files[f"opt/nm/p{n:02}/package.json"] = b'{"name": "p%02d", "version": "1.0.0"}' % n
    found = read_packages(from_memory([files]))
    assert [p.name for p in found.packages] == [f"p{n:02}" for n in range(64)]
    assert found.cut == ("records past the first 64 under app/node_modules, a link, were not read",)


def hardlinked_status(tmp_path: Path, *, deleted: bool) -> list[str]:
    """The packages of an image whose status is a hard link to ``tmp/s`` (deleted above)."""
    info = tarfile.TarInfo("var/lib/dpkg/status")
    info.type, info.linkname = tarfile.LNKTYPE, "tmp/s"
    lower = member("etc/os-release", RELEASE) + member("tmp/s", STATUS) + info.tobuf() + END
    upper = member("tmp/.wh.s", b"") if deleted else member("other", b"")
    image = oci.read_layout(layout(tmp_path / "image", lower, upper + END))
    return [p.name for p in read_packages(read_tree(image.layers)).packages]


def test_a_record_that_is_a_hard_link_is_read(tmp_path: Path) -> None:
    assert hardlinked_status(tmp_path, deleted=False) == ["openssl"]


def test_attack_a_record_hard_linked_to_a_file_a_later_layer_deletes_is_read(
    tmp_path: Path,
) -> None:
    assert hardlinked_status(tmp_path, deleted=True) == ["openssl"]


def test_attack_a_path_of_the_image_in_a_note_writes_no_markdown() -> None:
    """A ``.dist-info`` folder named with new lines, its METADATA a link to nowhere: the
    reader's note names the path. Before: the note put a heading, a link and an image of the
    pull request's into the job summary and the sticky comment."""
    name = (
        "x\n\n### No new vulnerabilities\n\n[fix](https://evil.example)\n<img src=x>\n/a.dist-info"
    )
    tree = from_memory([{f"usr/{name}/METADATA": "METADATA", "usr/loop": "usr/loop"}])
    notes = read_packages(tree).cut
    assert len(notes) == 1 and "\n" not in notes[0]
    shown = posted("**Notes**\n\n" + "\n".join(f"- {note}" for note in notes))
    assert not any(line.startswith(("#", "[", "<")) for line in shown.splitlines())
    assert "https://evil" not in shown and "<img" not in shown


# --- the base image given, and the folder it is unpacked into --------------------------------


def test_attack_a_link_planted_where_a_layout_tar_is_unpacked_is_not_written_through(
    tmp_path: Path,
) -> None:
    """The work folder is kept between runs, and what writes there (an earlier build's ``RUN``
    line, another user of the runner) may leave ``base-image/index.json`` a link to a file of
    the runner. Before: unpacking a tar wrote the index through it."""
    victim = tmp_path / "victim"
    victim.write_text("the runner's file")
    out = tmp_path / "work" / "base-image"
    (out / "blobs" / "sha256").mkdir(parents=True)
    (out / "index.json").symlink_to(victim)
    data = b"a layer"
    digest = hashlib.sha256(data).hexdigest()
    archive = tmp_path / "image.tar"
    archive.write_bytes(member("index.json", b"{}") + member(f"blobs/sha256/{digest}", data) + END)
    oci.unpack(archive, out)
    assert victim.read_text() == "the runner's file"
    assert not (out / "index.json").is_symlink() and (out / "index.json").read_bytes() == b"{}"


def test_attack_a_layout_tar_without_an_index_reads_no_earlier_runs_image(tmp_path: Path) -> None:
    """Before: the folder kept an earlier run's ``index.json``, and the tar given was read as
    that image."""
    out = layout(tmp_path / "work" / "base-image", member("old", b"x") + END)
    archive = tmp_path / "image.tar"
    archive.write_bytes(member("oci-layout", b"{}") + END)
    oci.unpack(archive, out)
    with pytest.raises(TreeError, match=r"no index\.json"):
        oci.read_layout(out)


def test_attack_a_layout_tar_that_names_a_file_twice_is_refused(tmp_path: Path) -> None:
    """tar keeps the last, Go's readers the first or either: which index is the image's is
    not for the tar to make ambiguous."""
    archive = tmp_path / "image.tar"
    archive.write_bytes(member("index.json", b"{}") + member("index.json", b"[]") + END)
    with pytest.raises(TreeError, match="not a readable OCI archive"):
        oci.unpack(archive, tmp_path / "out")


def test_attack_a_base_image_folder_of_an_unreadable_layer_is_exit_2_naming_the_option(
    tmp_path: Path,
) -> None:
    """Before: "The built image cannot be read", the image the run built blamed for the one
    ``--base-image`` named."""
    folder = layout(tmp_path / "image", b"no tar at all" * 100)
    with pytest.raises(UsageError, match=r"^--base-image .*image cannot be read") as raised:
        read_built(folder, [], frozenset(), given=str(folder))
    assert raised.value.exit_code == 2


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   cwd=repo, check=True, capture_output=True)  # fmt: skip


@needs_buildah
def test_attack_a_base_image_in_the_checkout_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    """The pull request commits ``base.tar`` holding its own head's packages: compared with
    it, every vulnerability the change brings reads as the base's and ``fail-on: new-critical``
    passes. Refused as a ``vuln-db`` folder there is. Before: read as the base."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    (repo / "app").write_text("1")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    (repo / "base.tar").write_bytes(member("oci-layout", b"{}") + END)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "head")
    argv = ["build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD", "--builder",
            "buildah", "--cache-dir", str(tmp_path / "cache"), "--base-image"]  # fmt: skip
    env = {"PATH": os.environ["PATH"]}
    done = run_cli([*argv, str(repo / "base.tar")], tmp_path, env)
    assert done.code == 2, done.stderr[-1000:]
    assert done.outputs["error"].startswith(f"--base-image {repo / 'base.tar'} is in the checkout")
    assert not (tmp_path / "cache" / "head-image").exists()  # nothing was built


def test_a_base_image_outside_the_checkout_or_a_reference_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    _git(root, "init", "-q")
    checkout = GitCheckout(root)
    (root / "base.tar").write_bytes(b"")
    (tmp_path / "elsewhere.tar").write_bytes(b"")
    (tmp_path / "into.tar").symlink_to(root / "base.tar")
    outside_checkout(checkout, str(tmp_path / "elsewhere.tar"))
    monkeypatch.chdir(root)
    outside_checkout(checkout, "debian:12")  # no such path: a registry's image
    for named in ("base.tar", str(root / "base.tar"), str(tmp_path / "into.tar")):
        with pytest.raises(UsageError, match="is in the checkout"):
            outside_checkout(checkout, named)


def test_a_file_name_that_is_not_utf8_in_a_note_is_written_as_text(tmp_path: Path) -> None:
    """A tar name of Latin-1 bytes reads with lone surrogates; the note naming it still writes
    as UTF-8 (the summary file, the comment)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        for name, target in (("usr/\xff.dist-info/METADATA", "/loop/\xff"), ("loop/\xff", "\xff")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    notes = read_packages(read_tree([_blob(tmp_path, data.getvalue())])).cut
    assert notes and "not a regular file" in notes[0]
    posted("\n".join(f"- {note}" for note in notes)).encode("utf-8")


def _blob(folder: Path, data: bytes) -> Path:
    path = folder / hashlib.sha256(data).hexdigest()
    path.write_bytes(data)
    return path


@pytest.mark.timeout(30, method="thread")
@pytest.mark.parametrize("ecosystem", ["Debian:12", "Alpine:v3.18", "PyPI", "npm"])
def test_hostile_version_strings_compare_in_time_or_not_at_all(ecosystem: str) -> None:
    """A record's version (the image's, or an OSV event's) of the longest length read, shaped
    to make a parser backtrack: compared in time, or not compared; never an exception."""
    from cicd_agent.modes.build import versions

    shapes = ["1." * 127 + "1", "1_alpha" * 36, "a" * 256, "1-r" * 85, "0:" + "~" * 254,
              "1.0.0-" + "a." * 125, "1" + ".0" * 127 + "!", "1.0.0+" + "-" * 250, "9" * 256]  # fmt: skip
    for shape in shapes:
        assert versions.compare(ecosystem, shape, shape[:-1] + "2") in (-1, 0, 1, None)
