"""The build mode's readers of image records, OSV data and OpenVEX under any content.

An image's records are the pull request's (its Dockerfile wrote them), and OSV data and VEX
files come from outside: each reader gives its result (what it could read, cuts named) or its
own documented refusal (VexError, a record refused with a reason), never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cicd_agent.modes.build import records, versions
from cicd_agent.modes.build.layer_archive import from_memory
from cicd_agent.modes.build.osv import OsvDatabase, key, load_db, schema_problem
from cicd_agent.modes.build.packages import Package, read_packages
from cicd_agent.modes.build.vex import VexError, apply_vex
from cicd_agent.modes.build.vulns import Vulnerability, match
from tests.fuzz.hostile import budget, documents, mutated, texts

ADVISORIES = Path(__file__).parents[1] / "advisories"
REAL = [json.loads(path.read_bytes()) for path in sorted(ADVISORIES.glob("*.json"))]
FIELDS = ["Package", "Version", "Source", "Status", "Architecture", "Description", " ", ""]


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@st.composite
def deb822(draw: st.DrawFn) -> bytes:
    """A dpkg status of stanzas whose fields and values are hostile."""
    stanzas = []
    for _ in range(draw(st.integers(0, 5))):
        lines = [f"{draw(st.sampled_from(FIELDS) | texts(8, huge=False))}:"
                 f"{draw(texts(30))}" for _ in range(draw(st.integers(0, 6)))]  # fmt: skip
        stanzas.append("\n".join(lines))
    return raw(draw(st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n \n"])).join(stanzas))


def entries_are_plain(listing: records.Listing) -> None:
    assert len(listing.entries) <= records.MAX_ENTRIES
    for entry in listing.entries:
        assert entry.name and entry.version
        assert entry.name.isprintable() and entry.version.isprintable()


@budget(150)
@given(st.one_of(deb822(), st.binary(max_size=300)))
def test_dpkg_status(data: bytes) -> None:
    entries_are_plain(records.dpkg(data))


@budget(150)
@given(st.one_of(
    st.lists(st.tuples(st.sampled_from(["P", "V", "o", "A", "C", "", "PP"]), texts(30)), max_size=12)
    .map(lambda pairs: raw("\n".join(f"{k}:{v}" if k != "" else v for k, v in pairs))),
    st.binary(max_size=300),
))  # fmt: skip
def test_apk_installed(data: bytes) -> None:
    entries_are_plain(records.apk(data))


@budget(150)
@given(st.one_of(
    st.lists(st.tuples(st.sampled_from(["Name", "Version", "Metadata-Version", "", " "]) |
                       texts(6, huge=False), texts(30)), max_size=6)
    .map(lambda pairs: raw("\n".join(f"{k}: {v}" for k, v in pairs))),
    st.binary(max_size=300),
))  # fmt: skip
def test_python_metadata(data: bytes) -> None:
    entries_are_plain(records.python_metadata(data))


@budget(150)
@given(documents(mutated({"name": "@scope/pkg", "version": "1.2.3", "main": "index.js"})))
def test_npm_manifest(data: bytes) -> None:
    entries_are_plain(records.npm_manifest(data))


@budget(100)
@given(st.one_of(texts(200).map(raw), st.binary(max_size=300)))
def test_os_release(data: bytes) -> None:
    release = records.os_release(data)
    assert all(name.isidentifier() for name in release)


PATHS = ["var/lib/dpkg/status", "var/lib/dpkg/status.d/x", "lib/apk/db/installed",
         "etc/os-release", "usr/lib/python3/site-packages/a-1.dist-info/METADATA",
         "app/node_modules/a/package.json", "app/node_modules/@s/a/package.json"]  # fmt: skip


@budget(40)
@given(st.lists(
    st.dictionaries(st.sampled_from(PATHS),
                    st.one_of(deb822(), st.binary(max_size=200), st.none(),
                              st.sampled_from(["../../etc/passwd", "/proc/self/environ"])),
                    max_size=4),
    min_size=1, max_size=3,
))  # fmt: skip
def test_the_image_readers_over_hostile_layers(layers: list[dict[str, Any]]) -> None:
    inventory = read_packages(from_memory(layers))
    for package in inventory.packages:
        assert package.purl.startswith("pkg:") and 0 <= package.layer < len(layers)


PACKAGES = [
    Package("pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5", "libssl1.1", "1.1.0l-1~deb9u5",
            "Debian:9", "openssl", "s", 1, "1.1.0l-1~deb9u5"),
    Package("pkg:pypi/requests@2.28.0", "requests", "2.28.0", "PyPI", "requests", "p", 2),
    Package("pkg:npm/ansi-html@0.0.7", "ansi-html", "0.0.7", "npm", "ansi-html", "n", 3),
]  # fmt: skip


def _matched(record: Any) -> list[Vulnerability]:
    """What matching makes of ``record`` when the schema lets it through (as load_db would)."""
    if schema_problem(record):
        return []
    names = {key(str(a["package"]["ecosystem"]), str(a["package"]["name"]))
             for a in record.get("affected") or () if "package" in a}  # fmt: skip
    return match(PACKAGES, OsvDatabase({name: (record,) for name in names}))


@budget(150)
@given(st.sampled_from(REAL).flatmap(lambda record: mutated(record, edits=4)))
def test_osv_records_that_pass_the_schema_match_or_not(record: Any) -> None:
    for found in _matched(record):
        assert found.package in {p.purl for p in PACKAGES}


EVENTS = st.sampled_from(["introduced", "fixed", "last_affected", "limit"])


@budget(150)
@given(
    st.sampled_from(REAL),
    st.lists(st.dictionaries(EVENTS, texts(20) | st.sampled_from(["0", "1.0", "2.31.0"]),
                             min_size=1, max_size=1), max_size=6),
    st.lists(texts(20) | st.sampled_from(["2.28.0", "0.0.7", "1.1.0l-1~deb9u5"]), max_size=4),
    st.sampled_from(["ECOSYSTEM", "SEMVER", "GIT"]),
)  # fmt: skip
def test_osv_ranges_of_hostile_versions(
    record: Any, events: list[dict[str, str]], listed: list[str], kind: str
) -> None:
    record = json.loads(json.dumps(record))
    record["affected"][0]["ranges"] = [{"type": kind, "events": events, "repo": "r"}]
    record["affected"][0]["versions"] = listed
    for found in _matched(record):
        assert versions.parse(found.ecosystem, found.version) is not None


@budget(40)
@given(st.lists(documents(st.sampled_from(REAL).flatmap(mutated)), min_size=1, max_size=3))
def test_an_osv_folder_of_hostile_records(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for index, data in enumerate(files):
            Path(folder, f"{index}.json").write_bytes(data)
        db = load_db(Path(folder), PACKAGES)
    assert db.looked_at == len(files)
    assert all("\n" not in line for line in db.refused)


VEX = {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
       "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": [
           {"vulnerability": {"name": "CVE-2023-32681", "aliases": ["GHSA-j8r2-6x86-q33q"]},
            "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:pypi/requests"}]}],
            "status": "not_affected", "justification": "component_not_present",
            "timestamp": "2024-02-01T00:00:00Z"},
           {"vulnerability": "CVE-2021-23424", "products": ["pkg:npm/ansi-html@0.0.7"],
            "status": "fixed"}]}  # fmt: skip
FOUND = [Vulnerability("GHSA-j8r2-6x86-q33q", ("CVE-2023-32681",), "pkg:pypi/requests@2.28.0",
                       "requests", "PyPI", "2.28.0", None, None, "2.31.0", 2),
         Vulnerability("GHSA-whgm-jr23-g3j9", ("CVE-2021-23424",), "pkg:npm/ansi-html@0.0.7",
                       "ansi-html", "npm", "0.0.7", None, None, "0.0.8", 3)]  # fmt: skip


@budget(150)
@given(documents(mutated(VEX, edits=4)))
def test_openvex(data: bytes) -> None:
    try:
        result = apply_vex(FOUND, data)
    except VexError as exc:
        assert "\n" not in str(exc)
        return
    assert len(result.kept) + len(result.suppressed) == len(FOUND)


@budget(200)
@given(st.sampled_from(["Debian:12", "Alpine:v3.18", "PyPI", "npm", "Go", ""]), texts(40))
def test_versions_of_any_text(ecosystem: str, text: str) -> None:
    parsed = versions.parse(ecosystem, text)
    if parsed is not None:
        assert versions.compare(ecosystem, text, text) == 0
