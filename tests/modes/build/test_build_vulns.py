"""OSV data and matching, on a small frozen set of real advisories (tests/modes/build/advisories,
README there says where each came from): Debian's matched by source package, PyPI's and npm's
by name, ranges and ``versions`` lists read by the ecosystem's version rules."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import os
import zipfile
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import ClassVar

import pytest

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.build import osv
from cicd_agent.modes.build.layer_archive import from_memory
from cicd_agent.modes.build.osv import download, load_db, schema_problem
from cicd_agent.modes.build.packages import Package, read_packages
from cicd_agent.modes.build.vulns import compare, from_score, match, rating
from tests.helpers.network import http_serving

ADVISORIES = Path(__file__).parent / "advisories"
REAL = sorted(ADVISORIES.glob("*.json"))


def stanza(name: str, version: str, source: str) -> str:
    return (f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
            f"Version: {version}\nSource: {source}\n")  # fmt: skip


def debian_image(release: str, ssl: str) -> tuple[Package, ...]:
    status = "\n".join([
        stanza("libssl1.1", ssl, "openssl"),
        stanza("libxml2", "2.9.4+dfsg1-2.2+deb9u6", "libxml2"),
        stanza("tzdata", "2021a-0+deb9u4", "tzdata"),
    ])  # fmt: skip
    tree = from_memory([{"etc/os-release": f"ID=debian\nVERSION_ID={release}\n".encode()},
                        {"var/lib/dpkg/status": status.encode()}])  # fmt: skip
    return read_packages(tree).packages


def package(name: str, version: str, ecosystem: str, layer: int = 2) -> Package:
    kind = {"PyPI": "pypi", "npm": "npm"}[ecosystem]
    return Package(f"pkg:{kind}/{name}@{version}", name, version, ecosystem, name, "x", layer)


@pytest.fixture(scope="module")
def db() -> osv.OsvDatabase:
    return load_db(ADVISORIES)


def test_the_frozen_advisories_are_osv_records() -> None:
    assert len(REAL) == 5
    for path in REAL:
        assert schema_problem(json.loads(path.read_bytes())) == "", path.name


def test_the_schema_check_refuses_what_is_not_osv() -> None:
    record = json.loads((ADVISORIES / "GHSA-whgm-jr23-g3j9.json").read_bytes())
    assert "modified" in schema_problem({k: v for k, v in record.items() if k != "modified"})
    record["affected"][0]["ranges"][0]["type"] = "CALENDAR"
    assert schema_problem(record).startswith("affected/0/ranges/0/type")


def test_debian_records_match_by_source_package_and_release(db: osv.OsvDatabase) -> None:
    found = match(debian_image("9", "1.1.0l-1~deb9u5"), db)

    assert [(v.id, v.name, v.fixed_version, v.layer) for v in found] == [
        ("DLA-3008-1", "libssl1.1", "1.1.0l-1~deb9u6", 1),
        ("DLA-3012-1", "libxml2", "2.9.4+dfsg1-2.2+deb9u7", 1),
    ]
    assert "CVE-2022-1292" in found[0].aliases
    assert found[0].severity is None  # Debian's records rate nothing: unknown, not guessed


def test_the_fixed_debian_version_and_another_release_match_nothing(db: osv.OsvDatabase) -> None:
    fixed = match(debian_image("9", "1.1.0l-1~deb9u6"), db)
    assert [v.id for v in fixed] == ["DLA-3012-1"]  # ~deb9u6 is the fix; libxml2 still listed
    assert match(debian_image("10", "1.1.0l-1~deb9u5"), db) == []


def test_pypi_records_that_alias_each_other_are_one_vulnerability(db: osv.OsvDatabase) -> None:
    (found,) = match([package("requests", "2.28.0", "PyPI")], db)

    assert found.id == "GHSA-j8r2-6x86-q33q"
    assert set(found.aliases) == {"CVE-2023-32681", "PYSEC-2023-74"}
    assert (found.severity, found.score, found.fixed_version) == (Severity.MEDIUM, 6.1, "2.31.0")
    assert found.package == "pkg:pypi/requests@2.28.0"


@pytest.mark.parametrize("version", ["2.31.0", "2.31", "2.2.1", "3.0.0"])
def test_pypi_versions_outside_the_range_match_nothing(db: osv.OsvDatabase, version: str) -> None:
    assert match([package("requests", version, "PyPI")], db) == []


def test_npm_semver_range_and_cvss_severity(db: osv.OsvDatabase) -> None:
    (found,) = match([package("ansi-html", "0.0.7", "npm")], db)

    assert (found.id, found.severity, found.score) == ("GHSA-whgm-jr23-g3j9", Severity.HIGH, 7.5)
    assert found.fixed_version == "0.0.8"
    assert match([package("ansi-html", "0.0.8", "npm")], db) == []


def test_new_fixed_and_pre_existing(db: osv.OsvDatabase) -> None:
    base = [package("requests", "2.28.0", "PyPI"), package("ansi-html", "0.0.7", "npm")]
    head = [package("requests", "2.30.0", "PyPI"), package("ansi-html", "0.0.8", "npm"),
            *debian_image("9", "1.1.0l-1~deb9u5")]  # fmt: skip

    changes = compare(match(base, db), match(head, db))

    assert [v.id for v in changes.new] == ["DLA-3008-1", "DLA-3012-1"]
    assert [v.id for v in changes.fixed] == ["GHSA-whgm-jr23-g3j9"]
    assert [v.id for v in changes.pre_existing] == ["GHSA-j8r2-6x86-q33q"]  # upgraded, not fixed


def test_a_package_filter_keeps_only_the_records_that_name_it() -> None:
    kept = load_db(ADVISORIES, [package("ansi-html", "0.0.1", "npm")])

    assert list(kept.records) == [("npm", "ansi-html")]
    assert kept.looked_at == 5


def _zip(members: dict[str, bytes], *, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_folder_of_zips_and_loose_records_with_hostile_parts(tmp_path: Path) -> None:
    real = {path.name: path.read_bytes() for path in REAL}
    (tmp_path / "Debian").mkdir()
    (tmp_path / "Debian" / "all.zip").write_bytes(_zip(
        {"DLA-3008-1.json": real["DLA-3008-1.json"], "bomb.json": b" " * (50 * 1024 * 1024)}
    ))  # fmt: skip
    (tmp_path / "npm.zip").write_bytes(b"PK\x03\x04 not a zip")
    (tmp_path / "GHSA-whgm-jr23-g3j9.json").write_bytes(real["GHSA-whgm-jr23-g3j9.json"])
    record = json.loads(real["GHSA-j8r2-6x86-q33q.json"])
    (tmp_path / "no-modified.json").write_text(json.dumps({**record, "modified": 5}))
    (tmp_path / "withdrawn.json").write_text(
        json.dumps({**record, "id": "GHSA-xxxx-xxxx-xxxx", "withdrawn": "2024-01-01T00:00:00Z"})
    )
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_bytes(real["PYSEC-2023-74.json"])
    (tmp_path / "link.json").symlink_to(outside)

    db = load_db(tmp_path)

    assert sorted(db.records) == [("Debian:9", "openssl"), ("npm", "ansi-html")]
    assert any("bomb.json expands past" in line for line in db.refused)
    assert any(line.startswith("npm.zip is not a readable zip archive") for line in db.refused)
    assert any(line.startswith("no-modified.json is not an OSV record (modified:")
               for line in db.refused)  # fmt: skip
    assert len(db.refused) == 3


def test_a_loose_record_past_the_bound_is_refused_not_read_in_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record file larger than a record holds is refused whole, said in one line: read up
    to the bound, a real record padded past it would still parse and be used."""
    record = (ADVISORIES / "GHSA-whgm-jr23-g3j9.json").read_bytes()
    monkeypatch.setattr(osv, "MAX_RECORD", len(record) + 16)
    (tmp_path / "padded.json").write_bytes(record + b" " * 64)

    db = load_db(tmp_path)

    assert db.records == {}
    assert db.refused == (f"padded.json is larger than {len(record) + 16} bytes",)


class _Bucket(http.server.BaseHTTPRequestHandler):
    """OSV's bucket as GCS serves it: each file's MD5 in ``x-goog-hash``, on HEAD and GET."""

    files: ClassVar[dict[str, bytes]] = {}
    asked: ClassVar[list[str]] = []

    def _head(self) -> bytes | None:
        body = self.files.get(self.path)
        self.asked.append(f"{self.command} {self.path}")
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        if body is not None:
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            self.send_header("x-goog-hash", f"crc32c=AAAAAA==, md5={md5}")
        self.end_headers()
        return body

    def do_HEAD(self) -> None:
        self._head()

    def do_GET(self) -> None:
        since = self.headers.get("If-Modified-Since")
        if since and self.path in self.files and parsedate_to_datetime(since).year > 2000:
            self.asked.append(f"GET {self.path} (not modified)")  # every file dates from 2000
            self.send_response(304)
            self.end_headers()
            return
        self.wfile.write(self._head() or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def bucket() -> Iterator[str]:
    """A loopback server in the shape of OSV's bucket (``/<ecosystem>/all.zip``)."""
    with http_serving(_Bucket) as port:
        yield f"http://127.0.0.1:{port}"


def test_download_writes_each_ecosystem_zip_and_load_reads_it(bucket: str, tmp_path: Path) -> None:
    real = {path.name: path.read_bytes() for path in REAL}
    _Bucket.files = {
        "/Debian/all.zip": _zip({n: d for n, d in real.items() if n.startswith("DLA")}),
        "/PyPI/all.zip": _zip({n: d for n, d in real.items() if "j8r2" in n or "PYSEC" in n}),
    }

    written = download(["Debian:9", "PyPI", "Debian:12", "Go"], tmp_path, source=bucket)

    assert written == [tmp_path / "Debian" / "all.zip", tmp_path / "PyPI" / "all.zip"]
    assert len(load_db(tmp_path).records) == 3
    _Bucket.asked.clear()
    assert download(["PyPI"], tmp_path, source=bucket) == [tmp_path / "PyPI" / "all.zip"]
    assert _Bucket.asked == ["HEAD /PyPI/all.zip"]  # the cached file is the bucket's: kept
    assert len(load_db(tmp_path).records) == 3


def test_attack_a_poisoned_cache_entry_does_not_hide_a_vulnerability(
    bucket: str, tmp_path: Path
) -> None:
    real = {path.name: path.read_bytes() for path in REAL}
    debian = {n: d for n, d in real.items() if n.startswith("DLA")}
    _Bucket.files = {"/Debian/all.zip": _zip(debian)}
    cached = tmp_path / "Debian" / "all.zip"
    cached.parent.mkdir()
    cached.write_bytes(_zip(dict(list(debian.items())[:-1])))  # one advisory removed
    os.utime(cached, (4_000_000_000, 4_000_000_000))  # and dated after anything the bucket has
    _Bucket.asked.clear()

    download(["Debian:12"], tmp_path, source=bucket)

    assert _Bucket.asked == ["HEAD /Debian/all.zip", "GET /Debian/all.zip"]
    assert cached.read_bytes() == _Bucket.files["/Debian/all.zip"]  # the bucket's file, whole
    assert len(load_db(tmp_path).records) == len(
        load_db(_folder_of(tmp_path / "fresh", debian)).records
    )


def _folder_of(folder: Path, records: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, data in records.items():
        (folder / name).write_bytes(data)
    return folder


def test_a_failed_download_names_the_ecosystem_and_keeps_the_old_file(
    bucket: str, tmp_path: Path
) -> None:
    _Bucket.files = {"/npm/all.zip": b"<html>not a zip</html>"}
    (tmp_path / "PyPI").mkdir()
    (tmp_path / "PyPI" / "all.zip").write_bytes(b"the cached one")

    with pytest.raises(
        ExternalServiceError, match="OSV data for PyPI could not be downloaded: HTTP 404"
    ):
        download(["PyPI"], tmp_path, source=bucket)
    with pytest.raises(ExternalServiceError, match="OSV data for npm is not a zip archive"):
        download(["npm"], tmp_path, source=bucket)
    assert (tmp_path / "PyPI" / "all.zip").read_bytes() == b"the cached one"
    assert not (tmp_path / "npm" / "all.zip").exists()


@pytest.mark.parametrize(
    ("scores", "word", "expected"),
    [
        (
            [
                {
                    "type": "CVSS_V4",
                    "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                },
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"},
            ],
            "",
            (Severity.CRITICAL, 9.3),
        ),
        (
            [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"}],
            "HIGH",
            (Severity.MEDIUM, 6.1),
        ),
        ([{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"}], "", (Severity.HIGH, 10.0)),
        (
            [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/broken"}],
            "MODERATE",
            (Severity.MEDIUM, None),
        ),
        ([{"type": "Ubuntu", "score": "low"}], "", (Severity.LOW, None)),
        ([], "unimportant", (None, None)),
    ],
)
def test_severity_from_the_record(scores: list[dict[str, str]], word: str,
                                  expected: tuple[Severity | None, float | None]) -> None:  # fmt: skip
    assert rating(scores, word) == expected


def test_cvss_rating_bounds() -> None:
    assert [from_score(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        None, Severity.LOW, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH,
        Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL]  # fmt: skip
    assert from_score(10.0, version2=True) == Severity.HIGH


def test_attack_a_record_planted_beside_the_cached_files_hides_no_vulnerability(
    bucket: str, tmp_path: Path
) -> None:
    """ATTACK: the cache between runs (anyone's to write: another job on a self-hosted runner)
    holds, beside the bucket's own ``Debian/all.zip``, a loose record of the same id whose
    range takes in every version: the base image then "has" the flaw too, and the head's new
    one reads as pre-existing. Only the files checked against the bucket are read."""
    real = {path.name: path.read_bytes() for path in REAL}
    _Bucket.files = {"/Debian/all.zip": _zip({n: d for n, d in real.items() if n.startswith("DLA")})}
    planted = json.loads(real["DLA-3008-1.json"])
    planted["affected"][0]["ranges"][0]["events"] = [{"introduced": "0"}]
    (tmp_path / "planted.json").write_text(json.dumps(planted))
    (tmp_path / "npm").mkdir()  # and a family this run never checks
    (tmp_path / "npm" / "all.zip").write_bytes(_zip({"DLA-3008-1.json": json.dumps(planted)}))
    base, head = debian_image("9", "1.1.0l-1~deb9u6"), debian_image("9", "1.1.0l-1~deb9u5")

    db = osv.cached_db([*base, *head], tmp_path, source=bucket)

    changes = compare(match(base, db), match(head, db))
    assert "DLA-3008-1" in [v.id for v in changes.new], changes


def test_attack_a_cached_file_too_large_to_be_the_buckets_is_not_read_whole(
    bucket: str, tmp_path: Path
) -> None:
    """ATTACK: a cached ``all.zip`` made a sparse file of a terabyte: its MD5, read to compare
    with the bucket's, took hours. A file larger than any download kept is downloaded again
    unread, and a family folder that is a link is replaced, never written through."""
    real = {path.name: path.read_bytes() for path in REAL}
    _Bucket.files = {"/Debian/all.zip": _zip({n: d for n, d in real.items() if n.startswith("DLA")}),
                     "/PyPI/all.zip": _zip({"PYSEC-2023-74.json": real["PYSEC-2023-74.json"]})}  # fmt: skip
    (tmp_path / "Debian").mkdir()
    with open(tmp_path / "Debian" / "all.zip", "wb") as sparse:
        sparse.truncate(1 << 40)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (tmp_path / "PyPI").symlink_to(elsewhere)

    download(["Debian:9", "PyPI"], tmp_path, source=bucket)

    assert (tmp_path / "Debian" / "all.zip").read_bytes() == _Bucket.files["/Debian/all.zip"]
    assert not (tmp_path / "PyPI").is_symlink() and list(elsewhere.iterdir()) == []
