"""OSV's vulnerability data: downloaded on the runner per ecosystem, or read from a folder (an
offline or air-gapped job), each record checked against the OSV schema before it is used.

:func:`download` fetches OSV's published ``<ecosystem>/all.zip`` files (one per ecosystem the
image's packages belong to) into a cache between runs (the runner's tool cache), each cached
file used only when it is, byte for byte, the file the bucket serves now; :func:`cached_db`
reads those files alone, never anything else the cache holds. :func:`load_db` reads a
folder of such zip files and of loose ``*.json`` records, keeps the records that name one of the
image's packages (a cheap look at each record's package names first, then a full read), and
checks each kept record against ``osv_schema.json``, the OSV schema as ossf/osv-schema publishes
it (``validation/schema.json``, commit 51b8156b, Apache-2.0). A record that fails is refused
and counted, never used.

The folder may be anyone's: links are not followed, a record past :data:`MAX_RECORD` bytes or a
zip member compressed past :data:`MAX_RATIO` is refused, and the read stops after
:data:`MAX_MEMBERS` records or :data:`MAX_KEPT` kept ones, saying so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import requests

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.modes.build import versions
from cicd_agent.modes.build.packages import Package
from cicd_agent.modes.build.regular import regular

OSV_DATA = "https://osv-vulnerabilities.storage.googleapis.com"
"""Where OSV publishes its data: ``<ecosystem>/all.zip`` (https://google.github.io/osv.dev/data/)."""
MAX_DOWNLOAD = 2 * 1024**3
"""The largest ``all.zip`` downloaded (Debian's, the largest of the ecosystems read here, is
a few hundred MB)."""
MAX_RECORD = 16 * 1024 * 1024
"""The largest record read (a kernel record listing every affected version is a few MB)."""
MAX_RATIO = 200
"""How much a zip member may expand; OSV's JSON compresses about tenfold."""
MAX_MEMBERS = 3_000_000
"""The most records looked at in one folder."""
MAX_KEPT = 200_000
"""The most records kept."""

_NAME = re.compile(rb'"name"\s*:\s*"((?:[^"\\]|\\.){1,512})"')


@dataclass(frozen=True)
class OsvDatabase:
    """The records kept, by ecosystem and package name (:func:`key`), each checked against the
    OSV schema; how many were looked at; and what was refused or cut (a sentence each)."""

    records: Mapping[tuple[str, str], tuple[dict[str, Any], ...]]
    looked_at: int = 0
    refused: tuple[str, ...] = ()

    def for_package(self, ecosystem: str, name: str) -> tuple[dict[str, Any], ...]:
        return self.records.get(key(ecosystem, name), ())


def key(ecosystem: str, name: str) -> tuple[str, str]:
    """How a package is looked up: OSV's ecosystem (Ubuntu's ``:LTS`` dropped) and the name
    as its ecosystem compares names (PyPI's normalised: ``Foo_Bar`` is ``foo-bar``)."""
    ecosystem = ecosystem.removesuffix(":LTS")
    if versions.family(ecosystem) == "PyPI":
        name = re.sub(r"[-_.]+", "-", name).lower()
    return ecosystem, name


def wanted_keys(packages: Iterable[Package]) -> set[tuple[str, str]]:
    """The keys a package is matched under: its source package for a distribution (OSV's
    Debian and Alpine records name source packages), its own name elsewhere."""
    return {
        key(p.ecosystem, p.source_name if _by_source(p.ecosystem) else p.name)
        for p in packages
        if p.ecosystem
    }


def _by_source(ecosystem: str) -> bool:
    return versions.family(ecosystem) in {"Debian", "Ubuntu", "Alpine"}


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(files(__package__).joinpath("osv_schema.json").read_text("utf-8"))
    validator: jsonschema.protocols.Validator = jsonschema.Draft202012Validator(schema)
    return validator


def schema_problem(record: object) -> str:
    """Why ``record`` is not an OSV record, in a few words; ``""`` when it is one."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is None:
        return ""
    where = "/".join(str(part) for part in error.absolute_path) or "the record"
    return f"{where}: {error.message[:200]}"


def load_db(folder: Path, packages: Iterable[Package] | None = None) -> OsvDatabase:
    """The OSV records under ``folder`` (``*.json`` files and ``*.zip`` archives of them) that
    name one of ``packages`` (every record when None), each checked against the OSV schema."""
    refused: list[str] = []
    return _load(_documents(folder, refused), packages, refused)


def cached_db(
    packages: Iterable[Package], dest: Path, *, source: str = OSV_DATA, timeout: float = 60.0
) -> OsvDatabase:
    """The OSV records that name one of ``packages``, from their ecosystems' ``all.zip``
    downloaded into the cache ``dest`` (:func:`download`): only the files this run checked
    against the bucket are read, never anything else the cache holds (a record planted beside
    them, a family this run did not check)."""
    wanted = list(packages)
    checked = download({p.ecosystem for p in wanted}, dest, source=source, timeout=timeout)
    refused: list[str] = []
    documents = (
        document
        for path in checked
        for document in _members(path, path.relative_to(dest).as_posix(), refused)
    )
    return _load(documents, wanted, refused)


def _load(
    documents: Iterable[tuple[str, bytes]], packages: Iterable[Package] | None, refused: list[str]
) -> OsvDatabase:
    """The records of ``documents`` (where, bytes) that name one of ``packages`` (every record
    when None), each checked against the OSV schema; ``refused`` gathers why others were not."""
    wanted = None if packages is None else wanted_keys(packages)
    names = None if wanted is None else {name for _, name in wanted}
    kept: dict[tuple[str, str], list[dict[str, Any]]] = {}
    looked_at = count = 0
    for where, data in documents:
        looked_at += 1
        if looked_at > MAX_MEMBERS:
            refused.append(
                f"the OSV folder holds more than {MAX_MEMBERS} records: the rest were not read"
            )
            break
        if names is not None and not _names(data) & names:
            continue
        record = _record(where, data, refused)
        if record is None:
            continue
        keys = {
            key(str(a["package"]["ecosystem"]), str(a["package"]["name"]))
            for a in record.get("affected") or ()
            if "package" in a
        }
        keys = keys if wanted is None else keys & wanted
        if keys and count >= MAX_KEPT:
            refused.append(
                f"more than {MAX_KEPT} OSV records name the image's packages: "
                "the rest were not read"
            )
            break
        count += bool(keys)
        for found in keys:
            kept.setdefault(found, []).append(record)
    return OsvDatabase({k: tuple(v) for k, v in kept.items()}, looked_at, _summed(refused))


def _names(data: bytes) -> set[str]:
    """Every string value of a ``"name"`` key in the raw text: a package a record may name."""
    found = set()
    for match in _NAME.finditer(data):
        try:
            found.add(json.loads(b'"' + match.group(1) + b'"'))
        except ValueError:
            continue
    return {key("PyPI", name)[1] for name in found} | found


def _record(where: str, data: bytes, refused: list[str]) -> dict[str, Any] | None:
    try:
        record = load_json(data)
    except JsonRefused as exc:
        refused.append(f"{where} is not JSON: {exc}")
        return None
    problem = schema_problem(record)
    if problem:
        refused.append(f"{where} is not an OSV record ({problem})")
        return None
    if record.get("withdrawn"):
        return None
    return dict(record)


def _summed(refused: list[str], shown: int = 20) -> tuple[str, ...]:
    """The first sentences, then how many more."""
    unique = list(dict.fromkeys(refused))
    extra = len(unique) - shown
    return tuple(unique[:shown]) + ((f"{extra} more OSV records refused",) if extra > 0 else ())


def _documents(folder: Path, refused: list[str]) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) of every record under ``folder``; links are not followed."""
    for root, folders, names in os.walk(folder, followlinks=False):
        folders.sort()
        for name in sorted(names):
            path = Path(root, name)
            if path.is_symlink() or not path.is_file():
                continue
            shown = str(path.relative_to(folder))
            if name.endswith(".zip"):
                yield from _members(path, shown, refused)
            elif name.endswith(".json"):
                if path.stat().st_size > MAX_RECORD:
                    refused.append(f"{shown} is larger than {MAX_RECORD} bytes")
                    continue
                try:
                    with regular(path) as handle:
                        data = handle.read(MAX_RECORD)
                except OSError as exc:
                    refused.append(f"{shown} cannot be read ({exc})")
                    continue
                yield shown, data


def _members(path: Path, shown: str, refused: list[str]) -> Iterator[tuple[str, bytes]]:
    try:
        with regular(path) as opened, zipfile.ZipFile(opened) as archive:
            for info in archive.infolist():
                where = f"{shown}:{info.filename}"
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                if info.file_size > MAX_RECORD or info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    refused.append(f"{where} expands past what a record holds")
                    continue
                with archive.open(info) as member:
                    yield where, member.read(MAX_RECORD)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        refused.append(f"{shown} is not a readable zip archive ({exc})")


def download(
    ecosystems: Iterable[str],
    dest: Path,
    *,
    source: str = OSV_DATA,
    timeout: float = 60.0,
) -> list[Path]:
    """OSV's ``all.zip`` of each ecosystem's family (``Debian:12`` → ``Debian``) into
    ``dest/<family>/all.zip``; the paths written or kept.

    ``dest`` is a cache between runs, and anyone may have written it (another job on the
    machine, a poisoned workflow cache): a file there is used only when its MD5 is the one the
    bucket gives for the file it serves now (its ``x-goog-hash`` header, asked with a HEAD
    request), so a record removed from a cached copy cannot hide a vulnerability. Anything else
    is downloaded again, and a download is kept only when whole, a zip archive and of the
    bucket's MD5 where the bucket gives one. Families this run did not need are removed while
    the cache is over :data:`MAX_CACHE` bytes. A failed download is an
    :class:`ExternalServiceError` naming the ecosystem."""
    written = []
    for family in sorted({versions.family(e) for e in ecosystems if e} & versions.FAMILIES):
        target = dest / family / "all.zip"
        folder = target.parent  # never written or read through a link
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            _remove(folder)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            _remove(target)
        folder.mkdir(parents=True, exist_ok=True)
        url = f"{source.rstrip('/')}/{quote(family)}/all.zip"
        # a file larger than any download kept is not the bucket's: not read for its MD5
        if (
            target.is_file()
            and target.stat().st_size <= MAX_DOWNLOAD
            and _md5(target) in _bucket_md5(url, family, timeout)
        ):
            written.append(target)
            continue
        _fetch(url, target, family, timeout)
        written.append(target)
    _bound(dest, set(written))
    return written


MAX_CACHE = 4 * 1024**3
"""The most bytes of OSV data kept between runs (Debian's and PyPI's together are under 1 GB)."""
_MD5 = re.compile(r"md5=([A-Za-z0-9+/=]{24})")


def _failed(family: str, why: str) -> ExternalServiceError:
    return ExternalServiceError(
        f"OSV data for {family} could not be downloaded: {why}.",
        hint="Use --vuln-db DIR with a folder of OSV records, or --vuln-db none.",
    )


def _bucket_md5(url: str, family: str, timeout: float) -> set[str]:
    """The MD5s (base64) the bucket gives for the file it serves now; empty when it gives
    none (then no cached copy is trusted)."""
    try:
        answer = requests.head(url, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise _failed(family, type(exc).__name__) from None
    if answer.status_code != 200:
        raise _failed(family, f"HTTP {answer.status_code}")
    return set(_MD5.findall(answer.headers.get("x-goog-hash", "")))


def _md5(path: Path) -> str:
    """The file's MD5 (base64), "" when it is no regular file: no bucket's."""
    digest = hashlib.md5(usedforsecurity=False)  # the bucket's own checksum, compared whole
    try:
        with regular(path) as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except OSError:
        return ""
    return base64.b64encode(digest.digest()).decode()


def _fetch(url: str, target: Path, family: str, timeout: float) -> None:
    partial = target.with_suffix(".zip.part")
    _remove(partial)
    try:
        with requests.get(url, stream=True, timeout=timeout, allow_redirects=False) as answer:
            if answer.status_code != 200:
                raise _failed(family, f"HTTP {answer.status_code}")
            _save(answer, partial, family)
            promised = set(_MD5.findall(answer.headers.get("x-goog-hash", "")))
    except requests.RequestException as exc:
        raise _failed(family, type(exc).__name__) from None
    if promised and _md5(partial) not in promised:
        partial.unlink()
        raise _failed(family, "the file does not match the bucket's MD5")
    if not zipfile.is_zipfile(partial):
        partial.unlink()
        raise ExternalServiceError(f"OSV data for {family} is not a zip archive")
    partial.replace(target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _bound(dest: Path, used: set[Path]) -> None:
    """Remove the families this run did not use, oldest first, while the cache is too big."""
    found = [
        p
        for p in dest.glob("*/all.zip")
        if p.is_file() and not p.is_symlink() and not p.parent.is_symlink()
    ]
    total = sum(p.stat().st_size for p in found)
    for path in sorted(set(found) - used, key=lambda p: p.stat().st_mtime):
        if total <= MAX_CACHE:
            break
        total -= path.stat().st_size
        path.unlink()


def _save(answer: requests.Response, partial: Path, family: str) -> None:
    size = 0
    with partial.open("wb") as out:
        for chunk in answer.iter_content(chunk_size=1024 * 1024):
            size += len(chunk)
            if size > MAX_DOWNLOAD:
                out.close()
                partial.unlink()
                raise ExternalServiceError(
                    f"OSV data for {family} is larger than {MAX_DOWNLOAD} bytes: not kept"
                )
            out.write(chunk)
