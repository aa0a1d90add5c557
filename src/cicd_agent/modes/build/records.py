"""The package records an image keeps about itself, each read from its bytes into plain values.

Every byte here is the pull request's (its Dockerfile wrote the image), so each reader is
bounded and total: it returns what it could read, at most :data:`MAX_ENTRIES` entries of one
record, and never raises on malformed text (a record it cannot read gives nothing). What a record
says is the image's claim about itself; a layer can rewrite it, as it can any file.

- dpkg's ``var/lib/dpkg/status`` and distroless's ``status.d/*``: deb822 paragraphs
  (python-debian), installed packages only;
- apk's ``lib/apk/db/installed``: one-letter fields (``P:`` name, ``V:`` version, ``o:`` origin);
- Python's ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``: e-mail style headers;
- npm's ``package.json``;
- ``etc/os-release``: which distribution and release the image is.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from debian.deb822 import Deb822

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json

MAX_ENTRIES = 20_000
"""The most packages read from one record; a real dpkg status holds a few thousand at most."""
MAX_FIELD = 512
"""The longest name, version or source kept; a longer one is not a package's."""


@dataclass(frozen=True)
class Entry:
    """One package as a record lists it. ``source`` and ``source_version`` name the package it
    was built from where the record says (dpkg's ``Source``, apk's origin), else are empty."""

    name: str
    version: str
    arch: str = ""
    source: str = ""
    source_version: str = ""


@dataclass(frozen=True)
class Listing:
    """What one record lists, and whether it held more than was read (``cut``)."""

    entries: tuple[Entry, ...]
    cut: bool = False


def _field(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        return ""
    return value.strip() if value.isprintable() else ""


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def dpkg(data: bytes) -> Listing:
    """The installed packages of a dpkg status (or one ``status.d`` file, which has no
    ``Status``: its package is installed)."""
    paragraphs = Deb822.iter_paragraphs(_text(data).splitlines(keepends=True), use_apt_pkg=False)
    entries: list[Entry] = []
    read = 0
    for paragraph in paragraphs:
        read += 1
        if read > MAX_ENTRIES:
            return Listing(tuple(entries), cut=True)
        status = paragraph.get("Status", "install ok installed").split()
        name, version = _field(paragraph.get("Package")), _field(paragraph.get("Version"))
        if not name or not version or status[-1:] != ["installed"]:
            continue
        source, source_version = _source(paragraph.get("Source", ""))
        entries.append(
            Entry(
                name,
                version,
                _field(paragraph.get("Architecture")),
                source or name,
                source_version or version,
            )
        )
    return Listing(tuple(entries))


_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")


def _source(value: object) -> tuple[str, str]:
    """dpkg's ``Source: openssl (3.0.11-1)`` → (``openssl``, ``3.0.11-1``); the version is
    there only when it differs from the binary's."""
    found = _SOURCE.match(_field(value))
    return (found.group(1), found.group(2) or "") if found else ("", "")


def apk(data: bytes) -> Listing:
    """The packages of apk's installed database: paragraphs of ``X:value`` lines."""
    entries = []
    paragraphs = _text(data).split("\n\n")
    for paragraph in itertools.islice(paragraphs, MAX_ENTRIES):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            key, colon, value = line.partition(":")
            if colon and len(key) == 1:
                fields.setdefault(key, value)
        name, version = _field(fields.get("P")), _field(fields.get("V"))
        if name and version:
            origin = _field(fields.get("o"))
            entries.append(Entry(name, version, _field(fields.get("A")), origin or name, version))
    return Listing(tuple(entries), cut=len(paragraphs) > MAX_ENTRIES)


def python_metadata(data: bytes) -> Listing:
    """The distribution a ``METADATA`` or ``PKG-INFO`` file describes (its headers only)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(data)
    name, version = _field(headers.get("Name")), _field(headers.get("Version"))
    return Listing((Entry(name, version),) if name and version else ())


def npm_manifest(data: bytes) -> Listing:
    """The package a ``package.json`` names, when it names one and its version."""
    try:
        manifest = load_json(data)
    except JsonRefused:
        return Listing(())
    if not isinstance(manifest, dict):
        return Listing(())
    name, version = _field(manifest.get("name")), _field(manifest.get("version"))
    return Listing((Entry(name, version),) if name and version else ())


def os_release(data: bytes) -> dict[str, str]:
    """``etc/os-release`` as ``KEY → value`` (quotes removed), the first 200 lines."""
    values = {}
    for line in itertools.islice(_text(data).splitlines(), 200):
        key, equals, value = line.partition("=")
        if equals and key.strip().isidentifier():
            values[key.strip()] = _field(value.strip().strip("\"'"))
    return values
