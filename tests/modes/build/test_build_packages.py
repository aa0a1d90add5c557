"""The image's packages from its own records (synthetic dpkg, apk, dist-info and package.json
records in real layer archives), their purls, the layer that brought each, and what changed
between two images, versions compared by their ecosystem's rules."""

from __future__ import annotations

import json

import pytest

from cicd_agent.modes.build import packages, records, tree
from cicd_agent.modes.build.layer_archive import from_memory
from cicd_agent.modes.build.package_changes import compare_packages
from cicd_agent.modes.build.packages import MAX_RECORD, Package, read_packages

DEBIAN_9 = b'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nID=debian\nVERSION_ID="9"\n'
ALPINE = b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n'


def stanza(name: str, version: str, *, source: str = "", status: str = "install ok installed",
           arch: str = "amd64") -> str:  # fmt: skip
    lines = [f"Package: {name}", f"Status: {status}", "Priority: optional",
             f"Architecture: {arch}", f"Version: {version}"]  # fmt: skip
    if source:
        lines.append(f"Source: {source}")
    lines += ["Description: a package", " with a long description", " ."]
    return "\n".join(lines) + "\n"


def status(*stanzas: str) -> bytes:
    return "\n".join(stanzas).encode()


def by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def test_dpkg_packages_carry_the_layer_that_brought_them() -> None:
    tree = from_memory([
        {"etc/os-release": DEBIAN_9,
         "var/lib/dpkg/status": status(stanza("base-files", "9.9+deb9u13"),
                                       stanza("libc6", "2.24-11+deb9u3", source="glibc"))},
        {"var/lib/dpkg/status": status(stanza("base-files", "9.9+deb9u13"),
                                       stanza("libc6", "2.24-11+deb9u3", source="glibc"),
                                       stanza("libssl1.1", "1.1.0l-1~deb9u5",
                                              source="openssl"))},
        {"var/lib/dpkg/status": status(stanza("base-files", "9.9+deb9u13"),
                                       stanza("libc6", "2.24-11+deb9u4", source="glibc"),
                                       stanza("libssl1.1", "1.1.0l-1~deb9u5",
                                              source="openssl"),
                                       stanza("old-conf", "1.0", status="deinstall ok config-files"))},
    ])  # fmt: skip

    inventory = read_packages(tree)

    found = by_name(inventory.packages)
    assert set(found) == {"base-files", "libc6", "libssl1.1"}  # config files only: not installed
    assert (found["base-files"].layer, found["libssl1.1"].layer, found["libc6"].layer) == (0, 1, 2)
    ssl = found["libssl1.1"]
    assert ssl.purl == (
        "pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9&upstream=openssl"
    )
    assert (ssl.ecosystem, ssl.source_name, ssl.source_version, ssl.path) == (
        "Debian:9", "openssl", "1.1.0l-1~deb9u5", "var/lib/dpkg/status")  # fmt: skip
    assert inventory.cut == ()


def test_a_binary_rebuild_keeps_the_source_version() -> None:
    tree = from_memory([{"etc/os-release": DEBIAN_9, "var/lib/dpkg/status": status(
        stanza("libxml2", "2.9.4+dfsg1-2.2+deb9u6+b1", source="libxml2 (2.9.4+dfsg1-2.2+deb9u6)")
    )}])  # fmt: skip

    (package,) = read_packages(tree).packages

    assert (package.version, package.source_name, package.source_version) == (
        "2.9.4+dfsg1-2.2+deb9u6+b1", "libxml2", "2.9.4+dfsg1-2.2+deb9u6")  # fmt: skip


def test_distroless_status_d_files_each_hold_a_package() -> None:
    tree = from_memory([
        {"etc/os-release": b"ID=debian\nVERSION_ID=12\n",
         "var/lib/dpkg/status.d/base": stanza("base-files", "12.4+deb12u5").encode()},
        {"var/lib/dpkg/status.d/libssl3": b"Package: libssl3\nVersion: 3.0.11-1~deb12u2\n"
                                          b"Source: openssl\nArchitecture: amd64\n"},
    ])  # fmt: skip

    found = by_name(read_packages(tree).packages)

    assert (found["base-files"].layer, found["libssl3"].layer) == (0, 1)
    assert found["libssl3"].path == "var/lib/dpkg/status.d/libssl3"
    assert found["libssl3"].ecosystem == "Debian:12"


def test_apk_packages_are_matched_by_origin() -> None:
    installed = (b"C:Q1abc=\nP:busybox\nV:1.36.1-r2\nA:x86_64\no:busybox\n\n"
                 b"C:Q1def=\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\nT:crypto\n")  # fmt: skip
    tree = from_memory([{"etc/os-release": ALPINE, "lib/apk/db/installed": installed}])

    found = by_name(read_packages(tree).packages)

    crypto = found["libcrypto3"]
    assert crypto.purl == (
        "pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=alpine-3.18.4&upstream=openssl"
    )
    assert (crypto.ecosystem, crypto.source_name) == ("Alpine:v3.18", "openssl")


def test_python_and_npm_packages() -> None:
    site = "usr/lib/python3.11/site-packages"
    tree = from_memory([{
        f"{site}/Requests-2.28.0.dist-info/METADATA":
            b"Metadata-Version: 2.1\nName: Requests\nVersion: 2.28.0\n\nName: not-a-header\n",
        f"{site}/old.egg-info/PKG-INFO": b"Metadata-Version: 1.0\nName: Old_Pkg\nVersion: 0.1\n",
        "app/node_modules/ansi-html/package.json": b'{"name": "ansi-html", "version": "0.0.7"}',
        "app/node_modules/ansi-html/lib/package.json": b'{"type": "module"}',
        "app/node_modules/@babel/core/package.json": b'{"name": "@babel/core", "version": "7.0.0"}',
        "app/node_modules/broken/package.json": b'{"name": "broken", "version": ',
        "app/package.json": b'{"name": "the-app", "version": "1.0.0"}',
    }])  # fmt: skip

    found = by_name(read_packages(tree).packages)

    assert set(found) == {
        "requests",
        "old-pkg",
        "ansi-html",
        "@babel/core",
    }  # PyPI's names normalised
    assert found["requests"].purl == "pkg:pypi/requests@2.28.0"
    assert found["requests"].path == f"{site}/Requests-2.28.0.dist-info"
    assert found["old-pkg"].purl == "pkg:pypi/old-pkg@0.1"
    assert found["@babel/core"].purl == "pkg:npm/%40babel/core@7.0.0"
    assert {found["ansi-html"].ecosystem, found["requests"].ecosystem} == {"npm", "PyPI"}


def test_a_distribution_of_no_known_release_is_said_not_matched() -> None:
    tree = from_memory([{"etc/os-release": b"ID=debian\nPRETTY_NAME=sid\n",
                         "var/lib/dpkg/status": status(stanza("libc6", "2.40-1"))}])  # fmt: skip

    inventory = read_packages(tree)

    assert [p.ecosystem for p in inventory.packages] == [""]
    assert inventory.cut == (
        "1 distribution packages are not matched against vulnerability data: the image's "
        "os-release names no Debian, Ubuntu or Alpine release",
    )


def test_a_link_in_place_of_a_record_is_followed_inside_the_image_alone() -> None:
    """As dpkg in the container opens it: the image's own file, never the machine's."""
    tree = from_memory([{"etc/passwd": b"root:x:0:0::/root:/bin/sh\n",
                         "var/lib/dpkg/status": "../../../../../etc/passwd",
                         "lib/apk/db/installed": "/etc/shadow"}])  # fmt: skip

    inventory = read_packages(tree)

    assert inventory.packages == ()
    assert inventory.cut == ()


@pytest.mark.parametrize(("links", "read"), [(40, True), (41, False)])
def test_a_record_is_followed_through_as_many_links_as_the_kernel_follows(
    links: int, read: bool
) -> None:
    """dpkg opens its status through at most 40 links (the kernel's bound, then ELOOP): the
    reader follows as many, so a record behind one more is as unread as dpkg leaves it."""
    layer: dict[str, bytes | str | None] = {"var/lib/dpkg/status": "/l1"}
    layer |= {f"l{n}": f"/l{n + 1}" for n in range(1, links)}
    layer[f"l{links}"] = status(stanza("a", "1.0"))

    inventory = read_packages(from_memory([layer]))

    assert [p.name for p in inventory.packages] == (["a"] if read else [])


def test_records_past_the_readers_bound_of_link_work_are_said_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The paths the readers open share a bound of link work per file of the image: past it
    the read stops and says so (a thousand links into a loop of 4 KB targets would cost
    minutes). Here the bound is lowered under one status behind a link."""
    layer = {"var/lib/dpkg/status": "/records/status", "records/status": status(stanza("a", "1"))}
    assert [p.name for p in read_packages(from_memory([layer])).packages] == ["a"]
    monkeypatch.setattr(tree, "READ_WORK", 1)

    inventory = read_packages(from_memory([layer]))

    assert inventory.packages == ()
    assert inventory.cut == (
        "the image's links lead through too many folders to be followed: the image's "
        "records past that point were not read",
    )


def test_a_record_past_the_bound_is_named_not_read() -> None:
    huge = status(stanza("a", "1.0")) + b"X" * MAX_RECORD
    tree = from_memory([{"var/lib/dpkg/status": huge}])

    inventory = read_packages(tree)

    assert inventory.packages == ()
    assert "past the 4194304 read" in inventory.cut[0]


def test_a_forged_status_of_countless_packages_is_cut_and_says_so() -> None:
    """A status of 4 MB of one-line packages: 190,000 of them, read up to the bound."""
    one = b"Package: p\nVersion: 1\n\n"
    tree = from_memory(
        [{"etc/os-release": DEBIAN_9, "var/lib/dpkg/status": one * (MAX_RECORD // len(one))}]
    )

    inventory = read_packages(tree)

    assert len(inventory.packages) == records.MAX_ENTRIES
    assert inventory.cut == (
        f"var/lib/dpkg/status lists more than {records.MAX_ENTRIES} packages: "
        "the rest were not read",
    )


def test_packages_past_the_images_bound_are_cut_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records each under their own bound still add up: the image lists at most
    MAX_PACKAGES, and the rest are said, not listed."""
    monkeypatch.setattr(packages, "MAX_PACKAGES", 3)
    five = status(*(stanza(f"p{n}", "1.0") for n in range(5)))
    tree = from_memory([{"etc/os-release": DEBIAN_9, "var/lib/dpkg/status": five}])

    inventory = read_packages(tree)

    assert [p.name for p in inventory.packages] == ["p0", "p1", "p2"]
    assert inventory.cut == ("2 packages past the first 3 were not read",)


def _package(name: str, version: str, ecosystem: str, layer: int = 1) -> Package:
    return Package(f"pkg:generic/{name}@{version}", name, version, ecosystem, name, "rec", layer)


@pytest.mark.parametrize(
    ("ecosystem", "before", "after", "direction"),
    [
        ("Debian:12", "1:1.0-1", "2.0-1", "downgraded"),  # the epoch outranks the rest
        ("Debian:12", "1.0", "1.0~rc1", "downgraded"),  # ~ sorts before the release
        ("Debian:12", "1.1.0l-1~deb9u5", "1.1.0l-1~deb9u6", "upgraded"),
        ("npm", "0.9.0", "0.10.0", "upgraded"),  # as strings, 0.10.0 < 0.9.0
        ("npm", "1.0.0-alpha", "1.0.0", "upgraded"),
        ("PyPI", "2.31.0rc1", "2.31.0", "upgraded"),
        ("PyPI", "not a version", "also not", "changed"),
    ],
)
def test_versions_compare_by_the_ecosystem_rules(
    ecosystem: str, before: str, after: str, direction: str
) -> None:
    changes = compare_packages(
        [_package("x", before, ecosystem)], [_package("x", after, ecosystem)]
    )

    assert [change.direction for change in changes.changed] == [direction]
    assert (changes.added, changes.removed) == ((), ())


def test_equal_versions_written_differently_are_no_change() -> None:
    base = [_package("requests", "2.31", "PyPI")]
    head = [_package("requests", "2.31.0", "PyPI"), _package("idna", "3.4", "PyPI", layer=4)]

    changes = compare_packages(base, head)

    assert changes.changed == ()
    assert [(p.name, p.layer) for p in changes.added] == [("idna", 4)]


def test_a_new_release_of_the_base_is_a_change_not_a_swap() -> None:
    base = [_package("libc6", "2.31-13", "Debian:11", layer=0)]
    head = [_package("libc6", "2.36-9", "Debian:12", layer=0)]

    changes = compare_packages(base, head)

    assert [c.direction for c in changes.changed] == ["upgraded"]
    assert (changes.added, changes.removed) == ((), ())


def test_removed_packages_carry_the_base_layer() -> None:
    changes = compare_packages([_package("curl", "7.88.1-10", "Debian:12", layer=3)], [])

    assert [(p.name, p.layer) for p in changes.removed] == [("curl", 3)]


def test_npm_manifest_reader_takes_only_a_named_versioned_package() -> None:
    for data in (b"[]", b'{"name": 1, "version": "1"}', b'{"name": "a"}', b"\xff",
                 json.dumps({"name": "a\nb", "version": "1"}).encode()):  # fmt: skip
        assert records.npm_manifest(data).entries == ()
